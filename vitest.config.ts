import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/harness/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share two API servers; separate namespaces keep files
    // independent, and two cores bound how much parallelism pays off.
    maxWorkers: 2,
  },
});
