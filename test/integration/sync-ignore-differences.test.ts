import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigDir } from '../../shared/config/load.ts';
import { reconcile } from '../../shared/engine/reconcile.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import type { KubeObject } from '../../shared/kube/object.ts';
import type { IgnoreRule } from '../../shared/sync/ignore-differences.ts';
import type { Inventory } from '../../shared/sync/inventory.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { clientFor, deployment, syncOn } from '../helpers/engine.ts';

const clusterB = () => cluster('cluster-b');

const sync = (
  app: string,
  objects: KubeObject[],
  previous: Inventory | undefined,
  ignoreDifferences: IgnoreRule[] = [],
  dryRun = false,
) => syncOn(clusterB(), app, app, objects, previous, { ignoreDifferences, dryRun });

/** What an HPA does: `spec.replicas` written by a second field manager, by server-side apply. */
async function scaleAsOtherManager(namespace: string, name: string, replicas: number) {
  const client = clientFor(clusterB());
  try {
    await client.request({
      method: 'PATCH',
      path: `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
      query: { fieldManager: 'hpa-controller', force: true },
      body: { apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas } },
      contentType: 'application/apply-patch+yaml',
    });
  } finally {
    client.close();
  }
}

interface LiveDeployment extends KubeObject {
  spec: { replicas: number };
  metadata: KubeObject['metadata'] & {
    managedFields: { manager: string; fieldsV1: { 'f:spec'?: Record<string, unknown> } }[];
  };
}

async function readDeployment(namespace: string, name: string): Promise<LiveDeployment> {
  const client = clientFor(clusterB());
  try {
    return await client.request<LiveDeployment>({
      method: 'GET',
      path: `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
    });
  } finally {
    client.close();
  }
}

/** The field managers whose set holds `spec.replicas`. */
function replicasManagers(live: LiveDeployment): string[] {
  return live.metadata.managedFields
    .filter((e) => e.fieldsV1['f:spec'] && 'f:replicas' in e.fieldsV1['f:spec'])
    .map((e) => e.manager);
}

const rule = (extra: Partial<IgnoreRule>): IgnoreRule => ({
  group: 'apps',
  kind: 'Deployment',
  jsonPointers: [],
  jqPathExpressions: [],
  managedFieldsManagers: [],
  ...extra,
});

/** A Deployment synced with replicas 2, then scaled to 5 by `hpa-controller`. */
/**
 * Waits until the Deployment controller has stamped the new Deployment (its
 * revision annotation): a stamp landing between a check's live read and its
 * dry-run would show up as a difference the test is not about.
 */
async function settled(namespace: string, name: string): Promise<void> {
  const client = clientFor(clusterB());
  try {
    for (let i = 0; i < 100; i++) {
      const live = await client.request<KubeObject>({
        method: 'GET',
        path: `/apis/apps/v1/namespaces/${namespace}/deployments/${name}`,
      });
      if (live.metadata.annotations?.['deployment.kubernetes.io/revision']) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`deployment ${namespace}/${name} was never stamped by its controller`);
  } finally {
    client.close();
  }
}

async function scaledByOtherManager(prefix: string) {
  const app = uniqueName(prefix);
  const first = await sync(app, [deployment('web', 2)], undefined);
  expect(first.status).toBe('Synced');
  await settled(app, 'web');
  await scaleAsOtherManager(app, 'web', 5);
  return { app, inventory: first.inventory };
}

describe('ignoreDifferences and fields other managers own (cluster-b)', () => {
  it('names the other manager and the field when a sync would take it back', async () => {
    const { app, inventory } = await scaledByOtherManager('ign-none');
    const check = await sync(app, [deployment('web', 2)], inventory, [], true);
    const dep = check.objects.find((o) => o.ref.kind === 'Deployment')!;
    expect(dep.action).toBe('Configured');
    expect(dep.diff).toMatch(/^-\s+replicas: 5$/m);
    expect(dep.message).toMatch(/spec\.replicas \(field manager "hpa-controller"\)/);
    expect(dep.message).toMatch(/ignoreDifferences/);
    // The sync that takes it says so too.
    const applied = await sync(app, [deployment('web', 2)], inventory, []);
    const taken = applied.objects.find((o) => o.ref.kind === 'Deployment')!;
    expect(taken.action).toBe('Configured');
    expect(taken.message).toMatch(/spec\.replicas \(field manager "hpa-controller"\)/);
  });

  const cases: [string, IgnoreRule][] = [
    ['jsonPointers', rule({ jsonPointers: ['/spec/replicas'] })],
    ['managedFieldsManagers', rule({ managedFieldsManagers: ['hpa-controller'] })],
    ['jqPathExpressions', rule({ jqPathExpressions: ['.spec.replicas'] })],
  ];
  for (const [kind, ignore] of cases) {
    it(`with ${kind}: in sync, and a sync leaves replicas to the other manager`, async () => {
      const { app, inventory } = await scaledByOtherManager(
        `ign-${kind.slice(0, 4).toLowerCase()}`,
      );
      const check = await sync(app, [deployment('web', 2)], inventory, [ignore], true);
      expect(check.status).toBe('Synced');
      expect(check.objects.find((o) => o.ref.kind === 'Deployment')?.action).toBe('Unchanged');

      // A real change elsewhere in the object is applied without replicas.
      const changed = deployment('web', 2, { minReadySeconds: 3 });
      const applied = await sync(app, [changed], inventory, [ignore]);
      expect(applied.status).toBe('Synced');
      const dep = applied.objects.find((o) => o.ref.kind === 'Deployment')!;
      expect(dep.action).toBe('Configured');
      expect(dep.diff).not.toMatch(/replicas/);
      const live = await readDeployment(app, 'web');
      expect(live.spec.replicas).toBe(5);
      expect(replicasManagers(live)).toEqual(['hpa-controller']);

      const again = await sync(app, [changed], applied.inventory, [ignore], true);
      expect(again.status).toBe('Synced');
    });
  }

  it('an object unchanged only for its rules is compared again once the rules are removed', async () => {
    const { app, inventory } = await scaledByOtherManager('ign-drop');
    const ignore = rule({ jsonPointers: ['/spec/replicas'] });
    const kept = await sync(app, [deployment('web', 2)], inventory, [ignore]);
    expect(kept.objects.find((o) => o.ref.kind === 'Deployment')?.action).toBe('Unchanged');
    const entry = kept.inventory.entries.find((e) => e.kind === 'Deployment');
    expect(entry?.resourceVersion).toBeUndefined();
    const checked = await sync(app, [deployment('web', 2)], kept.inventory, [ignore], true);
    expect(checked.inventory.entries.find((e) => e.kind === 'Deployment')?.resourceVersion).toBe(
      undefined,
    );
    // Without the rule, the live object's resourceVersion proves nothing: replicas differ.
    const without = await sync(app, [deployment('web', 2)], checked.inventory, [], true);
    const dep = without.objects.find((o) => o.ref.kind === 'Deployment')!;
    expect(dep.action).toBe('Configured');
    expect(dep.diff).toMatch(/^-\s+replicas: 5$/m);
  });

  it('rules that do not select the object change nothing', async () => {
    const { app, inventory } = await scaledByOtherManager('ign-other');
    const elsewhere = rule({ name: 'not-web', jsonPointers: ['/spec/replicas'] });
    const check = await sync(app, [deployment('web', 2)], inventory, [elsewhere], true);
    expect(check.objects.find((o) => o.ref.kind === 'Deployment')?.action).toBe('Configured');
  });
});

describe('ignoreDifferences in the configuration', () => {
  function loadApps(rules: unknown[]) {
    const dir = mkdtempSync(join(tmpdir(), 'driftless-ignore-'));
    const app = (name: string, ignoreDifferences: unknown[]) =>
      JSON.stringify({
        apiVersion: 'driftless.dev/v1alpha1',
        kind: 'Application',
        metadata: { name },
        spec: {
          source: { repoURL: 'https://example.com/repo.git', path: 'app' },
          destination: { cluster: 'c1', namespace: name },
          ignoreDifferences,
        },
      });
    try {
      writeFileSync(join(dir, 'broken.yaml'), app('broken', rules));
      writeFileSync(
        join(dir, 'fine.yaml'),
        app('fine', [rule({ jsonPointers: ['/spec/replicas'] })]),
      );
      return loadConfigDir(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('an invalid jq expression fails its application before anything is fetched or sent, naming the application and the rule', async () => {
    const set = loadApps([{ group: 'apps', kind: 'Deployment', jqPathExpressions: ['.spec.['] }]);
    const broken = set.applications.get('broken')!.app;
    const cacheDir = mkdtempSync(join(tmpdir(), 'driftless-ignore-jq-'));
    try {
      const result = await reconcile(broken, {
        // Nothing may be asked of the cluster or the Git server: neither exists.
        cluster: { name: 'c1', connection: { server: 'https://127.0.0.1:1' } },
        settings: engineSettings({ source: { cacheDir } }),
      });
      expect(result.status).toBe('Failed');
      expect(result.objects).toEqual([]);
      expect(result.error).toMatch(
        /configuration of application broken: spec\.ignoreDifferences\.0\.jqPathExpressions\.0: rule for apps\/Deployment: invalid jq path expression "\.spec\.\[": .*syntax error/,
      );
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
    // The other application is unaffected.
    expect(set.applications.get('fine')?.app.spec.ignoreDifferences[0]?.jsonPointers).toEqual([
      '/spec/replicas',
    ]);
  });

  it('an invalid JSON pointer disables its application only, naming the rule', () => {
    const set = loadApps([{ group: 'apps', kind: 'Deployment', jsonPointers: ['spec/replicas'] }]);
    expect([...set.applications.keys()]).toEqual(['fine']);
    const error = set.errors[0]!;
    expect(error.subject).toEqual({ kind: 'Application', name: 'broken' });
    expect(error.message).toMatch(
      /spec\.ignoreDifferences\.0\.jsonPointers\.0: rule for apps\/Deployment: invalid JSON pointer "spec\/replicas"/,
    );
  });

  it('a rule that ignores nothing is refused', () => {
    const set = loadApps([{ group: 'apps', kind: 'Deployment' }]);
    expect(set.errors[0]?.message).toMatch(
      /give jsonPointers, jqPathExpressions or managedFieldsManagers/,
    );
  });
});
