import { build } from 'esbuild';
import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build as viteBuild } from 'vite';

// Bundles the CLI and each Lambda function into dist/ as ESM. Each function is
// one file (CDK bundles the functions itself at deploy time; these are what
// the benchmark measures). The CLI is split into chunks, so a command loads
// only what it uses: dynamically imported modules (client-node for exec
// kubeconfigs, the EKS SDK, ...) stay on disk until needed.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const banner =
  "import { createRequire as __driftlessRequire } from 'node:module'; const require = __driftlessRequire(import.meta.url);";

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string;
  bin: Record<string, string>;
  engines: { node: string };
};
// The launcher's check compares majors, so engines must stay a plain ">=N".
const nodeMajor = /^>=\s*(\d+)(\.0)*$/.exec(pkg.engines.node)?.[1];
if (!nodeMajor)
  throw new Error(`package.json engines.node must read ">=N", not ${pkg.engines.node}`);

// The CLI's own code is the entry chunk dist/cli/chunks/main.mjs; the bin
// (package.json "bin", dist/cli/driftless.mjs) is the launcher below.
const CLI_DIR = 'dist/cli';
const UI_DIR = 'dist/ui';
const CLI_MAIN = 'chunks/main';
const bin = pkg.bin['driftless'];
if (bin !== `${CLI_DIR}/driftless.mjs`) throw new Error(`package.json bin is ${bin}`);

const entries: { in: string; out: string; external?: string[] }[] = [
  // dynalite loads a native LevelDB addon (classic-level, through level), so it
  // stays a runtime dependency that npm installs next to the bundle.
  { in: 'cli/main.ts', out: `${CLI_DIR}/${CLI_MAIN}.mjs`, external: ['dynalite'] },
  ...['scheduler', 'webhook', 'reconciler', 'api'].map((f) => ({
    in: `functions/${f}.ts`,
    out: `dist/functions/${f}.mjs`,
  })),
];

/**
 * The bin: it checks the Node version before loading anything else. The
 * bundle cannot check for itself, since ES modules are linked before any of
 * their code runs, and on an older Node linking already fails (Node 20 has no
 * `enableCompileCache` in node:module) with a SyntaxError that names neither
 * driftless nor Node's version. So this file keeps to syntax any Node with ES
 * modules parses, and loads the bundle with a dynamic import, which links it
 * only after the check passed. Exit code 2: bad configuration (cli/errors.ts).
 */
const launcher = `#!/usr/bin/env node
// driftless ${pkg.version}: checks the Node version, then loads the CLI.
if (Number(process.versions.node.split('.')[0]) < ${nodeMajor}) {
  process.stderr.write(
    'error: driftless needs Node.js ${nodeMajor} or newer; this is Node.js ' + process.version +
      ' (' + process.execPath + '). Put Node.js ${nodeMajor}+ first on PATH, or run it with that node.\\n',
  );
  process.exitCode = 2;
} else {
  import('./${CLI_MAIN}.mjs');
}
`;

// `--only=cli` builds just the CLI (what its tests run).
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const selected = entries.filter(
  (e) => !only || e.out.includes(`/${only}/`) || e.out.includes(`/${only}.`),
);

/**
 * The web UI (ui/, Preact) into dist/ui: one page for the application and one
 * for signing in, scripts and styles as files (serve's Content-Security-Policy
 * allows no inline ones), named by content hash. It ships with the CLI, whose
 * `serve` answers with it at /.
 */
async function buildUi(): Promise<void> {
  await viteBuild({
    root: join(root, 'ui'),
    configFile: false,
    base: '/',
    logLevel: 'warn',
    oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
    build: {
      outDir: join(root, UI_DIR),
      emptyOutDir: true,
      // The polyfill would be an inline script; every supported browser has modulepreload.
      modulePreload: { polyfill: false },
      reportCompressedSize: false,
      rolldownOptions: {
        input: { index: join(root, 'ui', 'index.html'), login: join(root, 'ui', 'login.html') },
      },
    },
  });
}

const started = Date.now();
const uiBuilt = !only || only === 'cli' || only === 'ui' ? buildUi() : undefined;
await Promise.all(
  selected.map(async (e) => {
    const cli = e.out.startsWith(`${CLI_DIR}/`);
    // Old chunks would pile up next to new ones.
    if (cli) rmSync(join(root, CLI_DIR), { recursive: true, force: true });
    mkdirSync(dirname(join(root, e.out)), { recursive: true });
    await build({
      entryPoints: [join(root, e.in)],
      ...(cli
        ? {
            outdir: join(root, CLI_DIR),
            entryNames: CLI_MAIN,
            chunkNames: 'chunks/[name]-[hash]',
            outExtension: { '.js': '.mjs' },
            splitting: true,
            // `driftless --version`: the version this bundle was built as.
            // Where the web UI is, seen from a chunk in dist/cli/chunks/ (cli/serve-ui-files.ts).
            define: {
              __DRIFTLESS_VERSION__: JSON.stringify(pkg.version),
              __DRIFTLESS_UI_DIR__: JSON.stringify('../../ui/'),
            },
          }
        : { outfile: join(root, e.out) }),
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      minify: true,
      sourcemap: true,
      banner: { js: banner },
      external: e.external ?? [],
      // As the CDK bundles the functions: the AWS SDK's ESM builds tree-shake,
      // its CommonJS builds pull in every protocol codec.
      ...(e.out.includes('/functions/') ? { mainFields: ['module', 'main'] } : {}),
      logLevel: 'warning',
    });
    if (cli) {
      // Written last: test/helpers/cli.ts takes the bin's mtime for the build's.
      const binPath = join(root, bin);
      writeFileSync(binPath, launcher);
      // Executable, so `npx driftless` and a `driftless` on PATH run it.
      chmodSync(binPath, 0o755);
    }
  }),
);
await uiBuilt;
console.error(
  `built ${selected.length} bundle(s)${uiBuilt ? ' and the web UI' : ''} in ${Date.now() - started} ms`,
);
