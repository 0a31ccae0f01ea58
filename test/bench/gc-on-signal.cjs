// Preloaded into the servers of the idle scenario of test/bench/run.mjs
// (`node --require ./test/bench/gc-on-signal.cjs …`): on SIGUSR2, the garbage collection a
// debugger asks for (HeapProfiler.collectGarbage, over an in-process inspector session opened
// for it: V8's collection for low memory, which also gives back the pages it keeps pooled), then
// one line on stderr with the V8 heap in use. A server started with --inspect would carry the
// inspector for the whole run; a plain gc() (--expose-gc) leaves pooled pages in RSS (PeerJS's
// young generation, grown while connections arrived: ~5 KB a connection at 5,000).
process.on('SIGUSR2', () => {
  const inspector = require('node:inspector');
  const session = new inspector.Session();
  session.connect();
  session.post('HeapProfiler.collectGarbage', (error) => {
    // Not from inside the session's own callback.
    setImmediate(() => session.disconnect());
    setTimeout(() => {
      const report = error
        ? { error: error.message }
        : { heapUsed: process.memoryUsage().heapUsed };
      process.stderr.write(`gc-on-signal ${JSON.stringify(report)}\n`);
    }, 300);
  });
});
