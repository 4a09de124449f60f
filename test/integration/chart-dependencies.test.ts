import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { Application } from '../../shared/config/application.ts';
import { reconcile, type ReconcileOptions } from '../../shared/engine/reconcile.ts';
import { engineSettings } from '../../shared/engine/settings.ts';
import { forgetIndexes } from '../../shared/source/chart/index-file.ts';
import type { AuthCallback } from '../../shared/source/index.ts';
import { cluster, uniqueName } from '../harness/context.ts';
import { commitTree, type FileTree } from '../harness/git-fixtures.ts';
import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { chartFiles, startHelmRepo, type HelmRepo } from '../harness/helm-repo.ts';
import { startOciRegistry } from '../harness/oci-registry.ts';
import { toolPath } from '../harness/tools.ts';
import { kubectl } from '../helpers/engine.ts';
import { Project } from '../../shared/config/project.ts';

const clusterA = () => cluster('cluster-a');

/** A chart folder `chart/` whose own template is `<release>-own` and which depends on `dependencies`. */
function gitChart(dependencies: object[], extra: FileTree = {}): FileTree {
  return {
    'chart/Chart.yaml': stringify({
      apiVersion: 'v2',
      name: 'app',
      version: '0.1.0',
      dependencies,
    }),
    'chart/templates/own.yaml': [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: {{ .Release.Name }}-own',
      'data: { own: "yes" }',
      '',
    ].join('\n'),
    ...extra,
  };
}

async function configMapData(namespace: string, name: string) {
  try {
    const out = await kubectl(
      clusterA(),
      'get',
      'configmap',
      name,
      '-n',
      namespace,
      '-o',
      'jsonpath={.data}',
    );
    return JSON.parse(out) as Record<string, string>;
  } catch {
    return undefined;
  }
}

describe('Helm chart dependencies fetched from their repositories (charts from Git, cluster-a)', () => {
  let git: GitServer;
  let repo: HelmRepo;
  let cacheDir: string;
  beforeAll(async () => {
    git = await startGitServer();
    repo = await startHelmRepo();
    cacheDir = mkdtempSync(join(tmpdir(), 'driftless-chart-deps-'));
  });
  afterAll(async () => {
    await git.stop();
    await repo.stop();
    rmSync(cacheDir, { recursive: true, force: true });
  });
  // The process keeps an index for a minute; a test that publishes asks again.
  beforeEach(() => forgetIndexes());

  function setup(files: FileTree) {
    const name = uniqueName('chart-deps');
    const url = git.createRepo(name);
    commitTree(git.repoPath(name), 'main', files);
    const app = Application.parse({
      apiVersion: 'driftless.dev/v1alpha1',
      kind: 'Application',
      metadata: { name },
      spec: {
        source: { repoURL: url, targetRevision: 'main', path: 'chart' },
        destination: { cluster: 'cluster-a', namespace: name },
        syncPolicy: { automated: { prune: true }, syncOptions: ['CreateNamespace=true'] },
        healthTimeout: '20s',
      },
    });
    return { name, app, commit: (next: FileTree) => commitTree(git.repoPath(name), 'main', next) };
  }

  const options = (auth?: AuthCallback): ReconcileOptions => {
    const c = clusterA();
    return {
      cluster: {
        name: c.name,
        connection: { server: c.server, ca: readFileSync(c.caFile), token: c.adminToken },
      },
      settings: engineSettings({
        source: { cacheDir, ...(auth ? { auth } : {}) },
        render: { binaries: { helm: toolPath('helm') } },
      }),
    };
  };
  const chartRequests = (r: HelmRepo = repo) => r.requests.filter((q) => q.kind === 'chart').length;

  it('renders and syncs a ^1.0 dependency, downloads nothing on the next reconcile, and picks up a newer 1.x at the same commit', async () => {
    const dep = uniqueName('dep');
    for (const v of ['1.0.0', '1.2.0', '2.0.0']) await repo.publish(chartFiles(dep, v));
    const { name, app } = setup(gitChart([{ name: dep, version: '^1.0', repository: repo.url }]));

    const first = await reconcile(app, options());
    expect(first.error).toBeUndefined();
    expect(first.status).toBe('Synced');
    expect(await configMapData(name, `${name}-own`)).toEqual({ own: 'yes' });
    expect((await configMapData(name, `${name}-${dep}`))?.chartVersion).toBe('1.2.0');

    const before = chartRequests();
    forgetIndexes();
    const again = await reconcile(app, options());
    expect(again.status).toBe('Synced');
    expect(chartRequests()).toBe(before);

    // Same commit, a newer version the range allows: the render cache key holds the digests.
    await repo.publish(chartFiles(dep, '1.3.0'));
    forgetIndexes();
    expect((await reconcile(app, options())).status).toBe('Synced');
    expect((await configMapData(name, `${name}-${dep}`))?.chartVersion).toBe('1.3.0');
    expect(chartRequests()).toBe(before + 1);
  });

  it("fetches a dependency only from a repository the application's project allows", async () => {
    const dep = uniqueName('foreign');
    await repo.publish(chartFiles(dep, '1.0.0'));
    const { name, app } = setup(gitChart([{ name: dep, version: '^1.0', repository: repo.url }]));
    const project = (sourceRepos: string[]) =>
      Project.parse({
        apiVersion: 'driftless.dev/v1alpha1',
        kind: 'Project',
        metadata: { name: 'team-a' },
        spec: { sourceRepos, destinations: [{ cluster: '*', namespace: '*' }] },
      });
    const before = repo.requests.length;
    forgetIndexes();
    const refused = await reconcile(app, {
      ...options(),
      project: project([`${app.spec.source!.repoURL}`]),
    });
    expect(refused.status).toBe('Failed');
    expect(refused.error).toContain(
      `chart ${dep} from ${repo.url}: the repository is not in project team-a's sourceRepos`,
    );
    // Refused before any request to the repository.
    expect(repo.requests.length).toBe(before);
    expect(await configMapData(name, `${name}-own`)).toBeUndefined();
    const allowed = await reconcile(app, {
      ...options(),
      project: project([`${app.spec.source!.repoURL}`, `${repo.url}*`]),
    });
    expect(allowed.error).toBeUndefined();
    expect(allowed.status).toBe('Synced');
  });

  it('takes a file:// dependency from inside the checkout, and a vendored one as it is', async () => {
    const vendored = uniqueName('vendored');
    const published = await repo.publish(chartFiles(vendored, '3.0.0'));
    const { name, app } = setup(
      gitChart(
        [
          { name: 'local', version: '~0.1', repository: 'file://libs/local' },
          { name: vendored, version: '3.0.0', repository: repo.url },
        ],
        {
          ...Object.fromEntries(
            Object.entries(chartFiles('local', '0.1.4')).map(([p, c]) => [
              `chart/libs/local/${p}`,
              c,
            ]),
          ),
          [`chart/charts/${published.file}`]: readFileSync(join(repo.root, published.file)),
        },
      ),
    );
    const before = chartRequests();
    const result = await reconcile(app, options());
    expect(result.error).toBeUndefined();
    expect((await configMapData(name, `${name}-local`))?.chartVersion).toBe('0.1.4');
    expect((await configMapData(name, `${name}-${vendored}`))?.chartVersion).toBe('3.0.0');
    // Already in charts/: not fetched.
    expect(chartRequests()).toBe(before);
  });

  it('takes an oci:// dependency from a registry (helm push), once per digest', async () => {
    const registry = await startOciRegistry();
    try {
      const dep = uniqueName('oci-dep');
      for (const v of ['1.0.0', '1.4.0', '2.0.0'])
        await registry.pushChart('charts', chartFiles(dep, v));
      const { name, app } = setup(
        gitChart([{ name: dep, version: '^1.0', repository: `oci://${registry.host}/charts` }]),
      );
      const result = await reconcile(app, options());
      expect(result.error).toBeUndefined();
      expect((await configMapData(name, `${name}-${dep}`))?.chartVersion).toBe('1.4.0');
      const blobs = () => registry.requests.filter((r) => r.path.includes('/blobs/')).length;
      const before = blobs();
      expect((await reconcile(app, options())).status).toBe('Synced');
      expect(blobs()).toBe(before);
    } finally {
      await registry.stop();
    }
  });

  it('refuses a missing version, a tampered archive, a file:// outside the checkout and a `helm repo add` name, naming Chart.yaml and the dependency, and applies nothing', async () => {
    const dep = uniqueName('bad-dep');
    await repo.publish(chartFiles(dep, '1.0.0'));
    const tampered = await repo.publish(chartFiles(dep, '1.0.1'));
    repo.tamper(
      tampered.file,
      Buffer.concat([readFileSync(join(repo.root, tampered.file)), Buffer.from('x')]),
    );
    const cases: [object, RegExp][] = [
      [
        { name: dep, version: '^9', repository: repo.url },
        new RegExp(
          `Chart\\.yaml: dependency ${dep} \\^9 from ${repo.url}: .*no version of chart ${dep} matches \\^9 \\(newest: 1\\.0\\.1\\)`,
        ),
      ],
      [
        { name: dep, version: '1.0.1', repository: repo.url },
        new RegExp(
          `Chart\\.yaml: dependency ${dep} 1\\.0\\.1 from ${repo.url}: .*has sha256 [0-9a-f]{64}, the index says [0-9a-f]{64}; refused`,
        ),
      ],
      [
        { name: 'etc', version: '*', repository: 'file://../../../etc' },
        /outside the application's checkout[^]*Chart\.yaml: dependency etc \* from file:\/\/\.\.\/\.\.\/\.\.\/etc: it is outside the checkout/,
      ],
      [
        { name: 'stable-dep', version: '1.0.0', repository: '@stable' },
        /Chart\.yaml: dependency stable-dep 1\.0\.0 from @stable: @stable names a repository added with `helm repo add`, which a render does not have/,
      ],
    ];
    for (const [dependency, pattern] of cases) {
      const { name, app } = setup(gitChart([dependency]));
      const result = await reconcile(app, options());
      expect(result.status).toBe('Failed');
      expect(result.phase).toBe('render');
      expect(result.error).toMatch(pattern);
      expect(await configMapData(name, `${name}-own`)).toBeUndefined();
    }
  });

  it('sends credentials only where the auth callback scopes them: the private repository, not the public one', async () => {
    const locked = await startHelmRepo({ basicAuth: { username: 'ci', password: 's3cret-token' } });
    try {
      const secret = uniqueName('secret-dep');
      const open = uniqueName('open-dep');
      await locked.publish(chartFiles(secret, '1.0.0'));
      await repo.publish(chartFiles(open, '1.0.0'));
      const { name, app } = setup(
        gitChart([
          { name: secret, version: '1.x', repository: locked.url },
          { name: open, version: '1.x', repository: repo.url },
        ]),
      );
      const anonymous = await reconcile(app, options());
      expect(anonymous.status).toBe('Failed');
      expect(anonymous.error).toMatch(
        new RegExp(
          `Chart\\.yaml: dependency ${secret} 1\\.x from ${locked.url}: .*HTTP 401: the repository refused anonymous access`,
        ),
      );

      const asked: string[] = [];
      const scoped: AuthCallback = (url) => {
        asked.push(url);
        return url.startsWith(`${locked.url}/`)
          ? { username: 'ci', password: 's3cret-token' }
          : undefined;
      };
      forgetIndexes();
      const result = await reconcile(app, options(scoped));
      expect(result.error).toBeUndefined();
      expect((await configMapData(name, `${name}-${secret}`))?.chartVersion).toBe('1.0.0');
      expect((await configMapData(name, `${name}-${open}`))?.chartVersion).toBe('1.0.0');
      const sent = locked.requests.filter((r) => r.status === 200);
      expect(sent.length).toBeGreaterThan(0);
      expect(sent.every((r) => r.authorization?.startsWith('Basic '))).toBe(true);
      expect(repo.requests.every((r) => r.authorization === undefined)).toBe(true);
      // Asked only about the URLs each is sent to: the Git repository, and each chart
      // repository's own index and archives.
      const origins = [git.url, locked.url, repo.url];
      expect(asked.every((url) => origins.some((o) => url.startsWith(`${o}/`)))).toBe(true);
    } finally {
      await locked.stop();
    }
  });
});
