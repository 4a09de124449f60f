// Module-boundary rules, run by `npm run lint` (depcruise shared functions cli
// cdk scripts bench). tsc and eslint judge one file at a time; cycles and
// layering are properties of the whole import graph, which only this sees.

// Product code: what ships or deploys, and the tooling that builds, demos or
// measures it. test/ is the only top-level folder left out.
const PRODUCT = '^(shared|functions|cli|cdk|scripts|bench|ui)/';
// Dev tooling that runs on the test harness on purpose (see product-not-to-test).
const DEV_TOOLING = '^(bench/|scripts/demo[.]ts$)';

/** @type {import('dependency-cruiser').IConfiguration} */
export default {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment:
        'A file cycle has no bottom: none of its files can be read, tested or loaded ' +
        'without the others, and load order decides which import is still undefined. ' +
        'Move the shared part into a file both import. Type-only imports count: a ' +
        'cycle of types is the same tangle of concepts.',
      from: { path: PRODUCT },
      to: { circular: true },
    },
    {
      name: 'no-circular-folders',
      severity: 'error',
      comment:
        'Each folder is a layer (kube, config, render, state, sync, health, ...). Two ' +
        'folders that import each other are no longer layers, even while no file ' +
        'cycle exists yet; this is the rule that catches the first step of one.',
      scope: 'folder',
      from: { path: PRODUCT },
      to: { circular: true },
    },
    {
      name: 'shared-not-to-entry-points',
      severity: 'error',
      comment:
        'shared/ is the engine that the Lambda handlers, the CLI, the scripts and ' +
        'the benchmarks build on. Importing any of them (or a test) would pull one ' +
        'entry point into the bundles of all the others.',
      from: { path: '^shared/' },
      to: { path: '^(cli|functions|test|scripts|bench)/' },
    },
    {
      name: 'cdk-only-table-layout',
      severity: 'error',
      comment:
        'cdk/ needs nothing of the runtime but the table and key layout: the table ' +
        'definition (the stack and ensure-table create the same table) and keys.ts, ' +
        'whose key helpers and partition constants (REGISTRY, WATCH) the IAM ' +
        'dynamodb:LeadingKeys conditions are built from. Anything else would make ' +
        'the synth load runtime code and its dependencies.',
      from: { path: '^cdk/' },
      to: { path: '^shared/', pathNot: '^shared/state/(table-definition|keys)[.]ts$' },
    },
    {
      name: 'ui-self-contained',
      severity: 'error',
      comment:
        'ui/ is the browser bundle: it talks to the engine only over the HTTP API ' +
        '(its own ui/src/api/ reads the answers). Importing shared/, cli/ or ' +
        'functions/ would pull Node-only engine code into the page, and make the ' +
        "UI depend on modules the API's contract does not cover.",
      from: { path: '^ui/' },
      to: { path: '^(shared|functions|cli|cdk|scripts|bench|test)/' },
    },
    {
      name: 'product-not-to-test',
      severity: 'error',
      comment:
        'Shipped code (shared/, functions/, cli/, cdk/, scripts/build.ts) must not ' +
        'depend on test code. The demo (scripts/demo.ts) and the benchmarks (bench/) ' +
        'are dev tooling, never bundled, and run on the test harness on purpose: ' +
        'the same local cluster, Git server and DynamoDB as the tests.',
      from: { path: PRODUCT, pathNot: DEV_TOOLING },
      to: { path: '^test/' },
    },
    {
      name: 'dev-tooling-only-test-harness',
      severity: 'error',
      comment:
        'The demo and the benchmarks may use test/harness/ and test/helpers/, never ' +
        'a test or a test fixture: those change with the tests.',
      from: { path: DEV_TOOLING },
      to: { path: '^test/', pathNot: '^test/(harness|helpers)/' },
    },
  ],
  options: {
    // Count type-only imports as dependencies (see no-circular).
    tsPreCompilationDeps: true,
    // Resolve as tsc does; imports carry explicit .ts extensions.
    tsConfig: { fileName: 'tsconfig.json' },
    // The rules are about the project's own files: leave node_modules and
    // node: built-ins out of the graph instead of parsing them.
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^(shared|functions|cli|cdk|scripts|bench|test|ui)/',
  },
};
