import { fetchSource } from '../shared/source/index.ts';

// Runs in its own process (started by cases/source.ts) so its timings and
// peak RSS are ours alone, not shared with the git server in the parent:
// the first reconcile of one app (fetch + checkout), then the same again
// with the commit unchanged. Prints JSON.
const [repoURL, path, cacheDir] = process.argv.slice(2) as [string, string, string];
const spec = { repoURL, targetRevision: 'main', path };
const first = await fetchSource(spec, { cacheDir });
const second = await fetchSource(spec, { cacheDir });
process.stdout.write(
  `${JSON.stringify({
    first_s: first.durationMs / 1000,
    first_fetched: first.fetched,
    pack_bytes: first.packBytes,
    second_s: second.durationMs / 1000,
    second_fetched: second.fetched,
  })}\n`,
);
