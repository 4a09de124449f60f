// Imports one bundle in a fresh process and prints how long that took: a
// Lambda cold start's init phase, without the runtime's own start-up.
const started = performance.now();
await import(process.argv[2]!);
process.stdout.write(`${(performance.now() - started) / 1000}\n`);
