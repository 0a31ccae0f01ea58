// Engine benchmark (`node test/bench/engine.mjs`, part of `npm run bench`): host cost per tick
// at 2/8/16 players in Node and in Chromium, and snapshot bytes per guest with 8 players moving,
// ours against a naive JSON snapshot of the same state. Prints a Markdown table.
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const entry = join(root, 'test/bench/engine-bench.ts');

async function bundle(platform) {
  const out = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: platform === 'node' ? 'esm' : 'iife',
    platform,
    target: 'es2022',
    minify: true,
  });
  return out.outputFiles[0].text;
}

const nodeCode = await bundle('node');
const nodeModule = await import(
  `data:text/javascript;base64,${Buffer.from(nodeCode).toString('base64')}`
);
const inNode = nodeModule.runAll();

const browser = await chromium.launch({
  executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
});
let inChromium;
let chromeVersion;
try {
  chromeVersion = browser.version();
  // Cross-origin isolated, so performance.now() has microsecond resolution (it is coarsened to
  // 100 µs otherwise, too coarse for per-tick figures).
  const script = await bundle('browser');
  const server = createServer((req, res) => {
    res.setHeader('cross-origin-opener-policy', 'same-origin');
    res.setHeader('cross-origin-embedder-policy', 'require-corp');
    if (req.url === '/bench.js') res.setHeader('content-type', 'text/javascript').end(script);
    else res.setHeader('content-type', 'text/html').end('<script src="/bench.js"></script>');
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  try {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.address().port}/`);
    if (!(await page.evaluate(() => globalThis.crossOriginIsolated)))
      throw new Error('page is not isolated');
    inChromium = await page.evaluate(() => globalThis.engineBench());
  } finally {
    server.close();
  }
} finally {
  await browser.close();
}

const ms = (x) => x.toFixed(3);
const pass = (ok) => (ok ? 'PASS' : 'MISS');
const rows = inNode.ticks.map((n, i) => {
  const c = inChromium.ticks[i];
  return `| ${n.players} | ${ms(n.p50)} | ${ms(n.p99)} | ${ms(c.p50)} | ${ms(c.p99)} |`;
});
const b = inNode.bytes;
const sixteen = [inNode.ticks[2], inChromium.ticks[2]];
const lines = [
  `Engine benchmark — ${new Date().toISOString().slice(0, 10)}, ${cpus()[0]?.model} (${cpus().length} cores), Node ${process.version}, Chromium ${chromeVersion}`,
  'Command: `node test/bench/engine.mjs` (part of `npm run bench`)',
  '',
  'Host cost per tick (inputs in, one 60 Hz step, delta snapshots to every guest every other tick), ms:',
  '',
  '| players | Node p50 | Node p99 | Chromium p50 | Chromium p99 |',
  '| --- | --- | --- | --- | --- |',
  ...rows,
  '',
  'Snapshot size with 8 players moving (Tag, 30 snapshots/s):',
  '',
  '| measure | ours | target |',
  '| --- | --- | --- |',
  `| bytes per guest per second (headers included) | ${b.bytesPerGuestPerSecond.toFixed(0)} | ≤ 2048 ${pass(b.bytesPerGuestPerSecond <= 2048)} |`,
  `| naive JSON of the same state, per second | ${b.jsonBytesPerSecond.toFixed(0)} | ours ≥ 10× smaller: ${(b.jsonBytesPerSecond / b.bytesPerGuestPerSecond).toFixed(1)}× ${pass(b.jsonBytesPerSecond / b.bytesPerGuestPerSecond >= 10)} |`,
  `| full snapshot, bytes per player | ${b.fullBytesPerPlayer.toFixed(1)} | ≤ 10 ${pass(b.fullBytesPerPlayer <= 10)} |`,
  `| delta, bytes per moving player | ${b.movingPlayerDeltaBytes.toFixed(1)} | ≤ 7 ${pass(b.movingPlayerDeltaBytes <= 7)} |`,
  `| delta, bytes per unchanged player | ${b.unchangedDeltaBytes.toFixed(1)} | ~0 ${pass(b.unchangedDeltaBytes <= 0.5)} |`,
  `| p99 per tick at 16 players (Node / Chromium) | ${ms(sixteen[0].p99)} / ${ms(sixteen[1].p99)} ms | ≤ 1 ms ${pass(sixteen[0].p99 <= 1 && sixteen[1].p99 <= 1)} |`,
];
const lc = (list) => Object.fromEntries(list.map((r) => [r.players, r]));
const [lcNode, lcChrome] = [lc(inNode.lightCycles), lc(inChromium.lightCycles)];
lines.push(
  '',
  'Light cycles, bots riding (seeded), every guest acknowledging; measured over the 10 s after the first 60 s:',
  '',
  '| measure | 8 players | 16 players | target |',
  '| --- | --- | --- | --- |',
  `| bytes per guest per second (headers included) | ${lcNode[8].bytesPerGuestPerSecond.toFixed(0)} | ${lcNode[16].bytesPerGuestPerSecond.toFixed(0)} | |`,
  `| delta, largest cost of one moving cycle | ${lcNode[8].maxBytesPerMovingCycle.toFixed(1)} B | ${lcNode[16].maxBytesPerMovingCycle.toFixed(1)} B | ≤ 4 B ${pass(lcNode[16].maxBytesPerMovingCycle <= 4 && lcNode[8].maxBytesPerMovingCycle <= 4)} |`,
  `| full snapshot for a late joiner at 60 s | ${lcNode[8].fullSnapshotBytes} B | ${lcNode[16].fullSnapshotBytes} B | < 16 KB ${pass(lcNode[16].fullSnapshotBytes < 16384)} |`,
  `| trail cells on the board at 60 s (rounds played) | ${lcNode[8].trailCells} (${lcNode[8].rounds}) | ${lcNode[16].trailCells} (${lcNode[16].rounds}) | |`,
  `| host p50 / p99 per tick, Node | ${ms(lcNode[8].p50)} / ${ms(lcNode[8].p99)} ms | ${ms(lcNode[16].p50)} / ${ms(lcNode[16].p99)} ms | |`,
  `| host p50 / p99 per tick, Chromium | ${ms(lcChrome[8].p50)} / ${ms(lcChrome[8].p99)} ms | ${ms(lcChrome[16].p50)} / ${ms(lcChrome[16].p99)} ms | p99 ≤ 1 ms at 16 ${pass(lcNode[16].p99 <= 1 && lcChrome[16].p99 <= 1)} |`,
);
console.log(lines.join('\n'));
