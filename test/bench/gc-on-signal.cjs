// Preloaded into the servers of the idle scenario of test/bench/run.mjs
// (`node --expose-gc --require test/bench/gc-on-signal.cjs …`): on SIGUSR2, two full garbage
// collections, then one line on stderr with the V8 heap in use. An inspector session would do
// the same over its protocol, but it also keeps state of its own in the server, which a server
// in production does not carry (about 250 B per idle connection more, measured at 5,000).
process.on('SIGUSR2', () => {
  global.gc();
  global.gc();
  setTimeout(() => {
    const report = { heapUsed: process.memoryUsage().heapUsed };
    process.stderr.write(`gc-on-signal ${JSON.stringify(report)}\n`);
  }, 300);
});
