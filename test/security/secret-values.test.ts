import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openState } from '../../cli/state-store.ts';
import { KubeApiError } from '../../shared/kube/errors.ts';
import { cluster, uniqueName } from '../harness/context.ts';

import { startGitServer, type GitServer } from '../harness/git-server.ts';
import { ensureCliBuilt } from '../helpers/cli.ts';
import { cliProject } from '../helpers/cli-project.ts';
import { clientFor, kubectl } from '../helpers/engine.ts';
import { startUiServe, type UiServe } from '../ui/ui-serve.ts';

const b64 = (text: string) => Buffer.from(text).toString('base64');

/** A server-side apply sent without our client, to see the API server's own words. */
function rawPatch(path: string, body: object): Promise<string> {
  const c = cluster('cluster-a');
  return new Promise((resolve, reject) => {
    const req = request(
      new URL(path, c.server),
      {
        method: 'PATCH',
        ca: readFileSync(c.caFile),
        headers: {
          authorization: `Bearer ${c.adminToken}`,
          'content-type': 'application/apply-patch+yaml',
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

/** Every file under `dir` whose bytes contain one of `needles`. */
function filesContaining(dir: string, needles: string[], skip = /^$/): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .filter((path) => !skip.test(path))
    .filter((path) => {
      const bytes = readFileSync(path);
      return needles.some((n) => bytes.includes(n));
    });
}

interface Shape {
  label: string;
  /** The Secret's fields after metadata, as YAML; `VALUE` stands for the secret value. */
  body: string;
  /** Where the error must point. */
  names: string;
}

/**
 * Secret shapes the API server rejects. The first are caught before any
 * request; the last ones only the server can judge (a dockerconfigjson that is
 * not JSON: the server's message quotes the decoded value).
 */
const SHAPES: Shape[] = [
  {
    label: 'data not base64',
    body: 'data:\n  password: "VALUE"',
    names: 'data["password"] is not valid base64',
  },
  {
    label: 'data a number',
    body: 'data:\n  pin: NUMBER',
    names: 'data["pin"] must be a string, not a number',
  },
  {
    label: 'stringData a mapping',
    body: 'stringData:\n  password:\n    nested: VALUE',
    names: 'stringData["password"] must be a string, not a object',
  },
  {
    label: 'stringData a sequence',
    body: 'stringData:\n  password: [VALUE]',
    names: 'stringData["password"] must be a string, not a sequence',
  },
  {
    label: 'stringData a boolean',
    body: 'stringData:\n  enabled: true\n  password: VALUE',
    names: 'stringData["enabled"] must be a string, not a boolean',
  },
  {
    label: 'dockerconfigjson not JSON (stringData)',
    body: 'type: kubernetes.io/dockerconfigjson\nstringData:\n  .dockerconfigjson: "VALUE{not json"',
    names: '.dockerconfigjson',
  },
  {
    label: 'dockerconfigjson not JSON (data)',
    body: 'type: kubernetes.io/dockerconfigjson\ndata:\n  .dockerconfigjson: B64VALUE',
    names: '.dockerconfigjson',
  },
];

describe('Secret values never leave (CLI with local state, cluster-a)', () => {
  let git: GitServer;
  let work: string;
  beforeAll(async () => {
    await ensureCliBuilt();
    git = await startGitServer();
    work = mkdtempSync(join(tmpdir(), 'driftless-secret-values-'));
  });
  afterAll(async () => {
    await git.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('the server quotes a Secret value in its error, and our error does not', async () => {
    const value = `QUOTED${Date.now().toString(36)}`;
    const ns = uniqueName('sv-raw');
    await kubectl(cluster('cluster-a'), 'create', 'namespace', ns);
    const path = `/api/v1/namespaces/${ns}/secrets/s?fieldManager=driftless&force=true&dryRun=All`;
    const secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 's', namespace: ns },
      stringData: { password: { nested: value } },
    };
    // Unfiltered, the server's answer quotes the value.
    expect(await rawPatch(path, secret)).toContain(value);
    const client = clientFor(cluster('cluster-a'));
    const error = await client
      .request({ method: 'PATCH', path, body: secret, contentType: 'application/apply-patch+yaml' })
      .catch((e: unknown) => e);
    client.close();
    expect(error).toBeInstanceOf(KubeApiError);
    const message = (error as KubeApiError).message;
    expect(message).toContain('.stringData.password: expected string');
    expect(message).not.toContain(value);
    expect(JSON.stringify((error as KubeApiError).status)).not.toContain(value);
  });

  it.each(SHAPES)(
    '$label: the value appears in no output, status, history, state item or cache file',
    async (shape) => {
      const value = shape.body.includes('NUMBER')
        ? String(100_000_000_000 + Math.floor(Math.random() * 800_000_000_000))
        : `SECRETVALUE${Math.random().toString(36).slice(2, 10)}`;
      const name = uniqueName('sv');
      const project = cliProject(git, work, name);
      const dir = project.dir;
      const cacheDir = join(dir, 'cache');
      const body = shape.body
        .replace('B64VALUE', b64(`${value}{not json`))
        .replace('NUMBER', value)
        .replace('VALUE', value);
      project.commit({
        'app/cm.yaml': `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  a: b\n`,
        'app/secret.yaml': `apiVersion: v1\nkind: Secret\nmetadata:\n  name: creds\n${body}\n`,
      });
      const run = (...args: string[]) => project.run(...args, '--cache-dir', cacheDir);
      const kc = ['--kubeconfig', cluster('cluster-a').kubeconfig];
      const outputs = [
        await run('diff', '-f', 'app.yaml', ...kc),
        await run('diff', '-f', 'app.yaml', ...kc, '-o', 'json'),
        await run('sync', '-f', 'app.yaml', ...kc),
        await run('sync', '-f', 'app.yaml', ...kc, '-o', 'json'),
        await run('status', name, '-o', 'json'),
        await run('status'),
        await run('history', name, '-o', 'json'),
      ];
      const sync = outputs[3]!;
      expect(sync.code, sync.stderr).not.toBe(0);
      const text = outputs.map((o) => `${o.stdout}\n${o.stderr}`).join('\n');
      if (shape.names) expect(text).toContain(shape.names);
      // A render problem names the file; a server problem the object.
      expect(text).toMatch(/secret\.yaml|creds/);
      const needles = [value, b64(value), b64(`${value}{not json`).slice(0, 16)];
      for (const needle of needles) expect(text).not.toContain(needle);

      // Nothing applied: the valid ConfigMap beside the bad Secret was not written either.
      await expect(
        kubectl(cluster('cluster-a'), 'get', 'configmap', 'plain', '-n', name),
      ).rejects.toThrow(/NotFound/);

      const state = await openState({ state: join(dir, '.driftless/state') }, { create: false });
      expect(state).toBeDefined();
      const items = await state!.table.client.send(
        new ScanCommand({ TableName: state!.table.tableName }),
      );
      await state!.close();
      expect(items.Items?.length).toBeGreaterThan(0);
      for (const needle of needles) expect(JSON.stringify(items.Items)).not.toContain(needle);
      expect(filesContaining(join(dir, '.driftless'), needles)).toEqual([]);
      // The checkout and the Git objects hold the repository's own file; nothing else may.
      expect(filesContaining(cacheDir, needles, /\/(checkouts|repo\.git)\//)).toEqual([]);
    },
  );
});

describe('Secret values never leave through the routes the web UI reads (driftless serve, harness clusters)', () => {
  let serve: UiServe;
  beforeAll(async () => {
    serve = await startUiServe('sv-ui');
  });
  afterAll(async () => {
    await serve?.stop();
  });

  it('list, show, tree, diff, history and rollout show no Secret value, from Git or changed live', async () => {
    await serve.synced(serve.app, serve.first);
    const live = `LIVEVALUE${Math.random().toString(36).slice(2, 10)}`;
    await kubectl(
      cluster('cluster-a'),
      'patch',
      'secret',
      'guestbook',
      '-n',
      serve.app,
      '--type',
      'merge',
      '-p',
      JSON.stringify({ stringData: { password: live } }),
    );
    const paths = [
      '/apps',
      `/apps/${serve.app}`,
      `/apps/${serve.app}/tree`,
      `/apps/${serve.app}/diff`,
      `/apps/${serve.app}/history`,
      `/projects/default/apps/${serve.app}/tree`,
      `/apps/${serve.rollout}/rollout`,
      `/apps/${serve.rollout}/tree?destination=cluster-a`,
    ];
    const answers = await Promise.all(paths.map((p) => serve.api(p)));
    for (const [i, answer] of answers.entries()) expect(answer.status, paths[i]).toBe(200);
    // The live change is there to be seen, masked: the diff names the Secret as changed.
    const diff = JSON.parse(answers[3]!.text) as {
      objects: { ref: { kind: string }; action: string; diff?: string }[];
    };
    const secret = diff.objects.find((o) => o.ref.kind === 'Secret');
    expect(secret?.action).toBe('Configured');
    expect(secret?.diff).toMatch(/password/);
    expect(answers[2]!.text).toContain('"kind":"Secret"');
    const text = answers.map((a) => a.text).join('\n');
    for (const needle of [serve.secret, b64(serve.secret), live, b64(live)])
      expect(text).not.toContain(needle);
  });
});
