// NAT benchmark (`node test/bench/nat.mjs`, part of `npm run bench`; needs root for network
// namespaces, and prints why it skips otherwise): join → direct link across two home NATs, and
// the snapshot gap when a player's UDP is cut mid-game. The work is in nat-bench.ts, bundled
// here with esbuild because it shares the TypeScript test bed (test/support/netns.ts).
//
//   node test/bench/nat.mjs [--joins 10] [--cuts 3] [--cut-seconds 5] [--no-write]
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const { values: opts } = parseArgs({
  options: {
    joins: { type: 'string', default: '10' },
    cuts: { type: 'string', default: '3' },
    'cut-seconds': { type: 'string', default: '5' },
    'no-write': { type: 'boolean', default: false },
  },
});

if (process.getuid?.() !== 0) {
  console.log('NAT benchmark skipped: network namespaces need root.');
  process.exit(0);
}
execFileSync(process.execPath, [join(root, 'esbuild.config.mjs'), '--if-needed'], {
  cwd: root,
  stdio: 'inherit',
});
const out = join(root, 'dist/bench/nat-bench.mjs');
await esbuild.build({
  entryPoints: [join(root, 'test/bench/nat-bench.ts')],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  outfile: out,
  // The bundled test support finds its files (the probe script, the repository root) from its
  // own folder: every such use resolves the same from test/support.
  define: { 'import.meta.dirname': JSON.stringify(join(root, 'test/support')) },
  logLevel: 'warning',
});
const { runNatBench } = await import(pathToFileURL(out).href);
const watchdog = setTimeout(() => {
  console.error('[nat-bench] watchdog: over 240 s; giving up');
  process.exit(2);
}, 240_000);
const report = await runNatBench({
  joins: Number(opts.joins),
  cuts: Number(opts.cuts),
  cutSeconds: Number(opts['cut-seconds']),
  log: (line) => console.error('[nat-bench]', line),
});
clearTimeout(watchdog);
console.log(report);
if (!opts['no-write']) writeFileSync(join(root, 'test/bench/NAT-RESULTS.md'), `${report}`);
process.exit(0);
