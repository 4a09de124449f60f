import { execFile, spawn } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../cli/errors.ts';
import { repoRoot } from '../harness/tools.ts';
import { CLI, ensureCliBuilt, servePort, withBuildLock } from '../helpers/cli.ts';

const pkg = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
};
const REQUIRED_NODE_MAJOR = 24;
// The project's own Node 24 (the npm `node` package); the machine's may be older.
const NODE = realpathSync(join(repoRoot, 'node_modules', '.bin', 'node'));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  file: string,
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; timeout?: number },
): Promise<Run> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, {
      ...options,
      timeout: options.timeout ?? 30_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A folder whose only entry is `node`, linked to the given binary: what `#!/usr/bin/env node` finds first. */
function nodeOnPath(dir: string, node: string): string {
  mkdirSync(dir);
  symlinkSync(node, join(dir, 'node'));
  return dir;
}

/** A `node` on this machine older than the CLI needs, if there is one (Debian 12's is 18). */
async function olderNode(): Promise<string | undefined> {
  const candidates = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((d) => d && !d.startsWith(repoRoot))
    .map((d) => join(d, 'node'));
  for (const node of new Set([...candidates, '/usr/bin/node', '/usr/local/bin/node'])) {
    try {
      accessSync(node, constants.X_OK);
    } catch {
      continue;
    }
    const { stdout } = await promisify(execFile)(node, ['--version']);
    if (Number(/^v(\d+)/.exec(stdout.trim())?.[1]) < REQUIRED_NODE_MAJOR) return node;
  }
  return undefined;
}

interface PackResult {
  filename: string;
  size: number;
  entryCount: number;
  files: { path: string; size: number; mode: number }[];
}

// The CLI as a user installs it: `npm pack`, then `npm install -g` of the
// tarball into a fresh prefix, run from folders outside the checkout with
// nothing of the checkout on PATH.
describe('the packed CLI, installed with npm install -g', () => {
  let tmp: string;
  let prefix: string;
  let installed: string;
  let pack: PackResult;
  let env: NodeJS.ProcessEnv;
  let installMs: number;

  beforeAll(async () => {
    await ensureCliBuilt();
    tmp = mkdtempSync(join(tmpdir(), 'driftless-package-'));
    prefix = join(tmp, 'prefix');
    // The machine's npm, with the repository's npm environment (npm test's
    // npm_package_*, npm_config_local_prefix, ...) left out.
    const npmEnv = Object.fromEntries(
      Object.entries(process.env).filter(
        ([k]) => !k.startsWith('npm_') || k === 'npm_config_cache',
      ),
    );
    // --ignore-scripts: prepack would rebuild dist/cli outside the build lock;
    // ensureCliBuilt has just built it from the current sources.
    const packed = await withBuildLock(() =>
      run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', tmp], {
        cwd: repoRoot,
        env: npmEnv,
      }),
    );
    expect(packed.code, packed.stderr).toBe(0);
    pack = (JSON.parse(packed.stdout) as PackResult[])[0]!;

    // --prefer-offline: whatever the npm cache holds (npm ci filled it) is
    // used without asking the registry again; only what it lacks is fetched.
    const started = Date.now();
    const install = await run(
      'npm',
      [
        'install',
        '--global',
        '--prefix',
        prefix,
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        join(tmp, pack.filename),
      ],
      { cwd: tmp, env: npmEnv, timeout: 150_000 },
    );
    installMs = Date.now() - started;
    expect(install.code, install.stderr).toBe(0);
    installed = join(prefix, 'bin', 'driftless');

    const path = (process.env.PATH ?? '')
      .split(delimiter)
      .filter((d) => d && !d.startsWith(repoRoot));
    env = {
      ...Object.fromEntries(
        Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') && k !== 'NODE_PATH'),
      ),
      PATH: [nodeOnPath(join(tmp, 'node24'), NODE), ...path].join(delimiter),
      NO_COLOR: '1',
    };
  }, 180_000);

  afterAll(() => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  /** A fresh, empty folder outside the repository. */
  function cwd(): string {
    return mkdtempSync(join(tmp, 'cwd-'));
  }

  it('the tarball holds the CLI bundle, its web UI, README and package.json, without source maps', () => {
    const paths = pack.files.map((f) => f.path);
    expect(paths).toContain(pkg.bin['driftless']);
    expect(paths).toContain('dist/ui/index.html');
    expect(paths).toContain('package.json');
    expect(paths).toContain('README.md');
    const others = paths.filter(
      (p) =>
        !/^dist\/cli\/(chunks\/)?[\w-]+\.mjs$/.test(p) &&
        !/^dist\/ui\/((index|login)\.html|assets\/[\w-]+\.(js|css))$/.test(p) &&
        !/^(package\.json|README\.md|LICENSE)$/.test(p),
    );
    expect(others).toEqual([]);
    expect(pack.size).toBeLessThan(2 * 1024 * 1024);
    const bin = pack.files.find((f) => f.path === pkg.bin['driftless'])!;
    expect(bin.mode & 0o777).toBe(0o755);
    console.log(
      `[cli-package] ${pack.filename}: ${(pack.size / 1024).toFixed(0)} KiB, ${pack.entryCount} files; npm install -g took ${installMs} ms`,
    );
  });

  it('npm run build makes the bin an executable with a node shebang', () => {
    expect(readFileSync(CLI, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
    expect(statSync(CLI).mode & 0o777).toBe(0o755);
    const target = realpathSync(installed);
    expect(target.startsWith(join(prefix, 'lib', 'node_modules', 'driftless'))).toBe(true);
    expect(statSync(target).mode & 0o111).toBe(0o111);
  });

  it('--version prints the package version', async () => {
    const r = await run(installed, ['--version'], { cwd: cwd(), env });
    expect(r).toEqual({ code: EXIT.ok, stdout: `${pkg.version}\n`, stderr: '' });
  });

  it('--help prints the usage', async () => {
    const r = await run(installed, ['--help'], { cwd: cwd(), env });
    expect(r.code, r.stderr).toBe(EXIT.ok);
    expect(r.stdout).toMatch(/^Usage: driftless COMMAND/m);
    expect(r.stdout).toMatch(/--version/);
    expect(r.stderr).toBe('');
  });

  it('status in an empty folder says there is no state, as a usage error', async () => {
    const r = await run(installed, ['status'], { cwd: cwd(), env });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stderr).toMatch(/^error: no state found \(looked in \.driftless\/state\)/);
    expect(r.stdout).toBe('');
  });

  // dynalite is the bundle's one external module, with LevelDB as a native
  // addon: serve creates a state folder through it; status reads it through
  // serve, then (serve stopped) opens the folder itself.
  it('serve keeps its state with the installed dynalite, and status reads it', async () => {
    const dir = cwd();
    mkdirSync(join(dir, 'config'));
    const serve = spawn(installed, ['serve', '--config', 'config', '--port', '0'], {
      cwd: dir,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    serve.stdout.on('data', (d: Buffer) => (text += d.toString()));
    serve.stderr.on('data', (d: Buffer) => (text += d.toString()));
    const exited = new Promise<number | null>((ok) => serve.once('exit', (code) => ok(code)));
    try {
      await servePort({ output: () => text }, 20_000);
      const through = await run(installed, ['status', '-o', 'json'], { cwd: dir, env });
      expect(through.code, through.stderr).toBe(EXIT.ok);
      expect(JSON.parse(through.stdout)).toEqual({ apps: [] });
      // serve handles Ctrl-C once its first schedule tick is done.
      while (!text.includes('[schedule]')) await sleep(50);
    } finally {
      serve.kill('SIGINT');
    }
    expect(await exited, text).toBe(EXIT.ok);
    expect(text).toContain('[serve] stopped');
    // The installed CLI finds the web UI it was packed with.
    expect(text).toMatch(/\[serve\] web UI: http:\/\/127\.0\.0\.1:\d+\/login#/);

    const direct = await run(installed, ['status'], { cwd: dir, env });
    expect(direct.code, direct.stderr).toBe(EXIT.ok);
    expect(direct.stdout).toMatch(/^NAME\s+PROJECT\s+CLUSTER\s+SYNC\s+HEALTH/);
  });

  it('on an older Node, says which Node it needs instead of failing to load', async (ctx) => {
    const old = await olderNode();
    if (!old) return ctx.skip();
    const oldEnv = {
      ...env,
      PATH: [nodeOnPath(join(tmp, 'old-node'), old), env.PATH].join(delimiter),
    };
    const r = await run(installed, ['--version'], { cwd: cwd(), env: oldEnv });
    expect(r.code).toBe(EXIT.usage);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(
      new RegExp(
        `^error: driftless needs Node\\.js ${REQUIRED_NODE_MAJOR} or newer; this is Node\\.js v\\d+`,
      ),
    );
    expect(r.stderr).not.toMatch(/SyntaxError/);
  });
});
