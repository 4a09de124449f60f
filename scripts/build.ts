import { build } from 'esbuild';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Bundles the CLI and each Lambda function into dist/ as ESM. Each function is
// one file (CDK bundles the functions itself at deploy time; these are what
// the benchmark measures). The CLI is split into chunks, so a command loads
// only what it uses: dynamically imported modules (client-node for exec
// kubeconfigs, the EKS SDK, ...) stay on disk until needed.
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const banner =
  "import { createRequire as __driftlessRequire } from 'node:module'; const require = __driftlessRequire(import.meta.url);";

const entries: { in: string; out: string; external?: string[] }[] = [
  // dynalite loads a native LevelDB addon, so it stays a runtime dependency.
  { in: 'cli/main.ts', out: 'dist/cli/driftless.mjs', external: ['dynalite'] },
  ...['scheduler', 'webhook', 'reconciler', 'api'].map((f) => ({
    in: `functions/${f}.ts`,
    out: `dist/functions/${f}.mjs`,
  })),
];

// `--only=cli` builds just the CLI (what its tests run).
const only = process.argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
const selected = entries.filter(
  (e) => !only || e.out.includes(`/${only}/`) || e.out.includes(`/${only}.`),
);

const started = Date.now();
await Promise.all(
  selected.map(async (e) => {
    // Old chunks would pile up next to new ones.
    if (e.out.includes('/cli/'))
      rmSync(dirname(join(root, e.out)), { recursive: true, force: true });
    mkdirSync(dirname(join(root, e.out)), { recursive: true });
    const cli = e.out.includes('/cli/');
    await build({
      entryPoints: [join(root, e.in)],
      ...(cli
        ? {
            outdir: dirname(join(root, e.out)),
            entryNames: 'driftless',
            chunkNames: 'chunks/[name]-[hash]',
            outExtension: { '.js': '.mjs' },
            splitting: true,
          }
        : { outfile: join(root, e.out) }),
      bundle: true,
      platform: 'node',
      target: 'node24',
      format: 'esm',
      minify: true,
      sourcemap: true,
      banner: { js: cli ? `#!/usr/bin/env node\n${banner}` : banner },
      external: e.external ?? [],
      // As the CDK bundles the functions: the AWS SDK's ESM builds tree-shake,
      // its CommonJS builds pull in every protocol codec.
      ...(e.out.includes('/functions/') ? { mainFields: ['module', 'main'] } : {}),
      logLevel: 'warning',
    });
  }),
);
console.log(`built ${selected.length} bundle(s) in ${Date.now() - started} ms`);
