// Same-node vs cross-node relay (part of `npm run bench`): two lanparty nodes sharing one
// redis-server, all on this machine. A guest and its host on the same node relay through that
// node only; on different nodes, every frame goes guest's node → Redis → host's node and back.
// Prints a markdown report on stdout (progress on stderr); `--write-results` also writes it to
// test/bench/CLUSTER-RESULTS.md.
//
//   node test/bench/cluster.mjs [--pairs 50] [--duration-ms 5000] [--paced-rate 1000] [--write-results]
//
// Each scenario runs a closed loop (every guest sends a 100 B relay frame to its host, which
// sends it back, as fast as the pairs go) and then a paced load (`paced-rate` round trips per
// second in all). Server CPU is utime+stime from /proc/<pid>/stat of both nodes and redis-server
// over the measurement window; "messages" counts each relayed frame once.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import {
  buildIfNeeded,
  freePort,
  ROOT,
  startChild,
  startServerProcess,
  until,
} from '../support/server-process.mjs';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
const { values: opts } = parseArgs({
  options: {
    pairs: { type: 'string', default: '50' },
    'duration-ms': { type: 'string', default: '5000' },
    'paced-rate': { type: 'string', default: '1000' },
    'write-results': { type: 'boolean', default: false },
  },
});
const PAIRS = Number(opts.pairs);
const DURATION_MS = Number(opts['duration-ms']);
const PACED_RATE = Number(opts['paced-rate']);
const log = (...a) => console.error('bench:', ...a);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const cpuTicks = (pid) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(fields[11]) + Number(fields[12]);
};

/** redis-server and two nodes sharing it; every child is killed when this process exits. */
async function start() {
  buildIfNeeded();
  const redisPort = await freePort();
  const redis = startChild('redis-server', [
    ...['--port', String(redisPort), '--bind', '127.0.0.1'],
    ...['--save', '', '--appendonly', 'no'],
  ]);
  const nodes = [];
  for (const id of ['a', 'b']) {
    const server = await startServerProcess({
      flags: [
        ...['--stun-port', '0', '--redis', `redis://127.0.0.1:${redisPort}`, '--node-id', id],
        ...['--connections-per-address', '100000', '--lobbies-per-address', '100000'],
        ...['--creates-per-minute', '100000', '--joins-per-minute', '100000'],
        ...['--conn-message-rate', '1000000', '--conn-message-burst', '1000000'],
        ...['--address-message-rate', '10000000', '--address-message-burst', '10000000'],
      ],
    });
    nodes.push({ id, server, url: `ws://127.0.0.1:${server.port}/ws?v=1` });
  }
  for (const n of nodes) {
    const redisUp = async () => {
      const r = await fetch(`${n.server.url}/healthz`).catch(() => undefined);
      return (await r?.json())?.redis === 'up';
    };
    await until(redisUp, 15_000, `node ${n.id} to reach redis-server`);
  }
  return { redis, nodes };
}

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { origin: url.replace(/^ws/, 'http').replace(/\/ws.*$/, '') });
    ws.binaryType = 'nodebuffer';
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}
const nextText = (ws, type) =>
  new Promise((resolve) => {
    const on = (data, binary) => {
      if (binary) return;
      const msg = JSON.parse(String(data));
      if (msg.type === type) {
        ws.off('message', on);
        resolve(msg);
      }
    };
    ws.on('message', on);
  });

/** A host on `hostNode` and a guest on `guestNode`; the host echoes every frame back. */
async function pair(hostNode, guestNode) {
  const host = await open(hostNode.url);
  host.send(JSON.stringify({ type: 'create', name: 'Host', capacity: 2 }));
  const welcome = await nextText(host, 'welcome');
  const guest = await open(guestNode.url);
  guest.send(JSON.stringify({ type: 'join', code: welcome.lobby.code, name: 'Guest' }));
  const joined = await nextText(guest, 'welcome');
  host.on('message', (data, binary) => {
    if (!binary) return;
    // Back to the guest: the header's peer id is the sender (the guest) already.
    host.send(data);
  });
  const frame = Buffer.alloc(100);
  frame[0] = 1;
  frame.writeUInt16BE(1, 2);
  return { host, guest, guestId: joined.you, frame };
}

/** Round trips guest → host → guest; closed loop, or paced at `perPairRate` per second. */
async function run(pairs, ms, perPairRate) {
  const rtts = [];
  let stop = false;
  const loops = pairs.map(
    (p) =>
      new Promise((resolve) => {
        let sentAt = 0;
        const send = () => {
          sentAt = performance.now();
          p.guest.send(p.frame);
        };
        p.guest.on('message', (_d, binary) => {
          if (!binary) return;
          const now = performance.now();
          rtts.push(now - sentAt);
          if (stop) return resolve();
          if (perPairRate === undefined) send();
          else setTimeout(send, Math.max(0, 1000 / perPairRate - (now - sentAt)));
        });
        setTimeout(send, Math.random() * (perPairRate ? 1000 / perPairRate : 1));
      }),
  );
  const pids = [];
  const t0 = performance.now();
  const done = sleep(ms).then(() => {
    stop = true;
  });
  await done;
  await Promise.race([Promise.all(loops), sleep(2000)]);
  for (const p of pairs) p.guest.removeAllListeners('message');
  return { rtts, seconds: (performance.now() - t0) / 1000, pids };
}

const pct = (sorted, q) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;

async function scenario(cluster, name, cross) {
  const [a, b] = cluster.nodes;
  const pairs = [];
  for (let i = 0; i < PAIRS; i++) pairs.push(await pair(a, cross ? b : a));
  // Warm-up, then the closed loop with CPU measured around it.
  await run(pairs, 1000);
  const pids = [a.server.child().pid, b.server.child().pid, cluster.redis.process.pid];
  const before = pids.map(cpuTicks);
  const closed = await run(pairs, DURATION_MS);
  const after = pids.map(cpuTicks);
  const cpu = after.map((t, i) => (t - before[i]) / CLK_TCK);
  const messages = closed.rtts.length * 2;
  const paced = await run(pairs, DURATION_MS, PACED_RATE / PAIRS);
  const sorted = paced.rtts.sort((x, y) => x - y);
  const closedSorted = closed.rtts.sort((x, y) => x - y);
  for (const p of pairs) {
    p.host.terminate();
    p.guest.terminate();
  }
  const total = cpu.reduce((s, c) => s + c, 0);
  const result = {
    name,
    messagesPerSecond: messages / closed.seconds,
    cpu,
    perCpuSecond: messages / total,
    closedP99: pct(closedSorted, 0.99),
    pacedRate: paced.rtts.length / paced.seconds,
    p50: pct(sorted, 0.5),
    p99: pct(sorted, 0.99),
  };
  log(
    `${name}: ${Math.round(result.messagesPerSecond)} msg/s, CPU a ${cpu[0].toFixed(2)} s b ${cpu[1].toFixed(2)} s redis ${cpu[2].toFixed(2)} s → ${Math.round(result.perCpuSecond)} msg per CPU-s; paced ${Math.round(result.pacedRate)} rt/s p50 ${result.p50.toFixed(2)} ms p99 ${result.p99.toFixed(2)} ms`,
  );
  await sleep(500);
  return result;
}

const cluster = await start();
log(`${os.cpus()[0]?.model}, ${os.cpus().length} cores, node ${process.version}; ${PAIRS} pairs`);
const same = await scenario(cluster, 'same node', false);
const cross = await scenario(cluster, 'cross node', true);

const f = (n, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const row = (r) =>
  `| ${r.name} | ${f(r.messagesPerSecond)} | ${r.cpu.map((c) => c.toFixed(2)).join(' / ')} | **${f(r.perCpuSecond)}** | ${f(r.closedP99, 2)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} |`;
const report = [
  `# Same-node vs cross-node relay (2 nodes + Redis)`,
  '',
  `${os.cpus()[0]?.model}, ${os.cpus().length} cores, Node ${process.version}; ${PAIRS} host/guest pairs, 100 B relay frames echoed by the host; closed loop ${DURATION_MS / 1000} s, then paced at ${f(PACED_RATE)} round trips/s. CPU: both nodes and redis-server (utime+stime), not pinned; the machine may be shared (load average ${os.loadavg()[0].toFixed(1)} at the end).`,
  '',
  '| relay path | messages/s (closed loop) | CPU s: node a / node b / redis | messages per server CPU-second | closed-loop p99 RTT (ms) | paced p50 RTT (ms) | paced p99 RTT (ms) |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  row(same),
  row(cross),
  `| **cross ÷ same** | ${(cross.messagesPerSecond / same.messagesPerSecond).toFixed(2)}× | | **${(cross.perCpuSecond / same.perCpuSecond).toFixed(2)}×** | | ${(cross.p50 / same.p50).toFixed(2)}× | ${(cross.p99 / same.p99).toFixed(2)}× |`,
  '',
].join('\n');
console.log(report);
if (opts['write-results']) writeFileSync(join(ROOT, 'test/bench/CLUSTER-RESULTS.md'), report);
process.exit(0);
