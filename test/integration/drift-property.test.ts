import { describe, expect, it } from 'vitest';
import { random } from '../helpers/random.ts';
import type { KubeObject } from '../../shared/kube/object.ts';
import type { Inventory } from '../../shared/sync/inventory.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { configMap, deployment, kubectl, kubectlDiff, syncOn } from '../helpers/engine.ts';

/**
 * Property: after random live edits by other field managers, a dry-run sync
 * says OutOfSync exactly when `kubectl diff --server-side
 * --field-manager=driftless` sees a difference, on the same objects, and
 * explains every object it would touch. Replay a failure with DRIFT_SEED.
 */

const clusterA = () => cluster('cluster-a');
const SEED = Number(process.env.DRIFT_SEED || 20240611) >>> 0;
const ROUNDS = Number(process.env.DRIFT_ROUNDS || 20);

function application(): KubeObject[] {
  const cms = [0, 1, 2, 3].map((i) =>
    configMap(
      `cm-${i}`,
      { value: `v${i}`, mode: i % 2 ? 'blue' : 'green' },
      { labels: { tier: `t${i}`, team: 'core' }, annotations: { 'example.com/note': `n${i}` } },
    ),
  );
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', labels: { tier: 'front' } },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] },
  };
  const web = deployment('web', 0);
  web.metadata.labels = { tier: 'back' };
  return [...cms, web, service];
}

interface Mutation {
  /** What was done, for the failure message. */
  label: string;
  /** What a person would call it: should a sync want to undo it? */
  expectDrift: boolean;
  args: string[];
}

/** An object of the application, with the `tier` label it is synced with. */
type Target = { kind: string; name: string; resource: string; tier: string };

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

function mutationsFor(t: Target, ns: string, rand: () => number): Mutation[] {
  const n = Math.floor(rand() * 1000);
  const ref = [t.resource, t.name, '-n', ns];
  const all: Mutation[] = [
    {
      label: `change our label tier on ${t.kind}/${t.name}`,
      expectDrift: true,
      args: ['label', ...ref, `tier=x${n}`, '--overwrite'],
    },
    {
      label: `remove our label tier from ${t.kind}/${t.name}`,
      expectDrift: true,
      args: ['label', ...ref, 'tier-'],
    },
    {
      label: `add a foreign label extra${n} to ${t.kind}/${t.name}`,
      expectDrift: false,
      args: ['label', ...ref, `extra${n}=y`],
    },
    {
      label: `set our label tier on ${t.kind}/${t.name} to the value it has (co-owned)`,
      expectDrift: false,
      args: [
        'patch',
        ...ref,
        '--type=merge',
        '-p',
        JSON.stringify({ metadata: { labels: { tier: t.tier } } }),
      ],
    },
    {
      label: `delete ${t.kind}/${t.name}`,
      expectDrift: true,
      args: ['delete', ...ref, '--wait=true'],
    },
    {
      label: `add a foreign annotation to ${t.kind}/${t.name} (merge patch)`,
      expectDrift: false,
      args: [
        'patch',
        ...ref,
        '--type=merge',
        '-p',
        JSON.stringify({ metadata: { annotations: { [`other.example.com/a${n}`]: 'z' } } }),
      ],
    },
  ];
  if (t.kind === 'ConfigMap') {
    all.push(
      {
        label: `edit our annotation example.com/note on ${t.kind}/${t.name}`,
        expectDrift: true,
        args: ['annotate', ...ref, `example.com/note=edited${n}`, '--overwrite'],
      },
      {
        label: `remove our annotation example.com/note from ${t.kind}/${t.name}`,
        expectDrift: true,
        args: ['annotate', ...ref, 'example.com/note-'],
      },
      {
        label: `change data.value of ${t.kind}/${t.name} (merge patch)`,
        expectDrift: true,
        args: ['patch', ...ref, '--type=merge', '-p', JSON.stringify({ data: { value: `w${n}` } })],
      },
      {
        label: `remove data.mode of ${t.kind}/${t.name} (json patch)`,
        expectDrift: true,
        args: ['patch', ...ref, '--type=json', '-p', '[{"op":"remove","path":"/data/mode"}]'],
      },
      {
        label: `add unknown data key k${n} to ${t.kind}/${t.name} (merge patch)`,
        expectDrift: false,
        args: ['patch', ...ref, '--type=merge', '-p', JSON.stringify({ data: { [`k${n}`]: 'u' } })],
      },
    );
  }
  if (t.kind === 'Deployment') {
    all.push(
      {
        label: `scale ${t.kind}/${t.name} to ${1 + (n % 3)} replicas`,
        expectDrift: true,
        args: ['scale', ...ref, `--replicas=${1 + (n % 3)}`],
      },
      {
        label: `set image of ${t.kind}/${t.name} to nginx:1.${n}`,
        expectDrift: true,
        args: ['set', 'image', ...ref, `web=nginx:1.${n}`],
      },
      {
        label: `add a foreign pod-template annotation to ${t.kind}/${t.name}`,
        expectDrift: false,
        args: [
          'patch',
          ...ref,
          '--type=merge',
          '-p',
          JSON.stringify({
            spec: { template: { metadata: { annotations: { [`other.example.com/p${n}`]: 'q' } } } },
          }),
        ],
      },
    );
  }
  if (t.kind === 'Service') {
    all.push({
      label: `change targetPort of ${t.kind}/${t.name} (json patch)`,
      expectDrift: true,
      args: [
        'patch',
        ...ref,
        '--type=json',
        '-p',
        JSON.stringify([{ op: 'replace', path: '/spec/ports/0/targetPort', value: 9000 + n }]),
      ],
    });
  }
  return all;
}

/** `kind/name` of every object kubectl diff shows, from its `diff -u -N` headers. */
function kubectlChanged(output: string): Set<string> {
  const changed = new Set<string>();
  for (const m of output.matchAll(/^diff -u -N \S+\/(\S+)\s/gm)) {
    // e.g. apps.v1.Deployment.<ns>.web or v1.ConfigMap.<ns>.cm-0
    const parts = m[1]!.split('.');
    const kind = parts.find((p) => /^[A-Z]/.test(p));
    changed.add(`${kind}/${parts[parts.length - 1]}`);
  }
  return changed;
}

describe('drift as kubectl sees it (property, cluster-a)', () => {
  it(
    `agrees with kubectl diff --server-side after random live mutations (seed ${SEED}, ${ROUNDS} rounds)`,
    {
      timeout: 180_000,
    },
    async () => {
      const started = Date.now();
      const rand = random(SEED);
      const ns = uniqueName('drift-prop');
      const objects = application();
      const targets: Target[] = objects.map((o) => ({
        kind: o.kind,
        name: o.metadata.name!,
        resource: o.kind.toLowerCase(),
        tier: o.metadata.labels!.tier!,
      }));

      const first = await syncOn(clusterA(), ns, ns, objects, undefined, { waitForHealth: false });
      expect(first.status, first.error).toBe('Synced');
      let inventory: Inventory = first.inventory;
      expect(await kubectlDiff(clusterA(), ns, ns, objects)).toEqual({ same: true, output: '' });

      const log: string[] = [];
      let drifted = 0;
      for (let round = 1; round <= ROUNDS; round++) {
        const count = 1 + Math.floor(rand() * 3);
        const chosen = [...targets].sort(() => rand() - 0.5).slice(0, count);
        const applied: Mutation[] = [];
        for (const t of chosen) {
          const m = pick(rand, mutationsFor(t, ns, rand));
          await kubectl(clusterA(), ...m.args);
          applied.push(m);
        }
        const what = `seed ${SEED} round ${round}: ${applied.map((m) => m.label).join('; ')}`;

        const check = await syncOn(clusterA(), ns, ns, objects, inventory, {
          dryRun: true,
          waitForHealth: false,
        });
        expect(check.status, `${what}\n${check.error ?? ''}`).not.toBe('Failed');
        const touched = check.objects.filter((o) => o.action !== 'Unchanged');
        const ours = check.status !== 'Synced' || touched.length > 0;
        const theirs = await kubectlDiff(clusterA(), ns, ns, objects);
        const describeOurs = touched
          .map((o) => `${o.ref.kind}/${o.ref.name} ${o.action}\n${o.diff ?? o.message ?? ''}`)
          .join('\n');
        const context = `${what}\ndriftless: ${check.status}\n${describeOurs}\nkubectl diff:\n${theirs.output}`;

        expect(ours, context).toBe(!theirs.same);
        expect(check.status === 'OutOfSync', context).toBe(touched.length > 0);
        expect(
          new Set(touched.map((o) => `${o.ref.kind}/${o.ref.name}`)),
          `which objects differ\n${context}`,
        ).toEqual(kubectlChanged(theirs.output));
        for (const o of touched) {
          expect(
            (o.diff ?? '').trim() || (o.message ?? '').trim(),
            `${o.ref.kind}/${o.ref.name} is ${o.action} with neither diff nor message\n${context}`,
          ).not.toBe('');
        }
        log.push(
          `${what} -> driftless ${check.status}, kubectl ${theirs.same ? 'same' : 'differs'}` +
            (applied.some((m) => m.expectDrift) === ours
              ? ''
              : ' (not what the mutation suggests)'),
        );
        if (ours) drifted++;

        const restored = await syncOn(clusterA(), ns, ns, objects, inventory, {
          waitForHealth: false,
        });
        expect(restored.status, `restore after ${what}\n${restored.error ?? ''}`).toBe('Synced');
        inventory = restored.inventory;
        const after = await kubectlDiff(clusterA(), ns, ns, objects);
        expect(after, `kubectl diff after restoring ${what}`).toEqual({ same: true, output: '' });
      }
      console.log(
        `drift property: seed ${SEED}, ${ROUNDS} rounds, ${drifted} drifted, ${Date.now() - started} ms\n` +
          log.join('\n'),
      );
      // The default seed must exercise both sides of the property (drift and none).
      if (!process.env.DRIFT_SEED) {
        expect(drifted, log.join('\n')).toBeGreaterThan(0);
        expect(drifted, log.join('\n')).toBeLessThan(ROUNDS);
      }

      await kubectl(clusterA(), 'delete', 'namespace', ns, '--wait=false');
    },
  );
});
