import type { TreeNode } from '../api/types.ts';
import { Badge } from './badges.tsx';

function Node({ node }: { node: TreeNode }) {
  return (
    <li>
      <span class="object">
        <span class="kind">{node.kind}</span>{' '}
        <span class="name">
          {node.namespace ? `${node.namespace}/` : ''}
          {node.name}
        </span>{' '}
        <Badge value={node.health.status} />
        {node.health.message ? <span class="reason"> {node.health.message}</span> : null}
      </span>
      {node.children.length ? (
        <ul aria-label={`Owned by ${node.kind} ${node.name}`}>
          {node.children.map((c) => (
            <Node key={c.uid ?? `${c.kind}/${c.name}`} node={c} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}

/**
 * The application's objects: grouped by kind, each with what it owns below
 * it by owner references (Deployment → ReplicaSet → Pod) when it is live.
 */
export function ObjectTree({ tree }: { tree: TreeNode[] }) {
  if (!tree.length) return <p>No objects: the application has not been synced yet.</p>;
  const kinds = [...new Set(tree.map((n) => n.kind))];
  return (
    <div class="tree">
      {kinds.map((kind) => (
        <section key={kind} aria-label={kind}>
          <h3>{kind}</h3>
          <ul>
            {tree
              .filter((n) => n.kind === kind)
              .map((n) => (
                <Node key={n.uid ?? `${n.kind}/${n.namespace}/${n.name}`} node={n} />
              ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
