import { writeFileSync } from 'node:fs';

// Preloaded (`node --import`) into a measured process: records its peak
// resident set size when it exits, however it exits, for bench/measure.ts.
const file = process.env.DRIFTLESS_BENCH_RSS_FILE;
if (file) {
  process.on('exit', () => writeFileSync(file, String(process.resourceUsage().maxRSS)));
}
