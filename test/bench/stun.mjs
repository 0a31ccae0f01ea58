// The built-in STUN server: Binding responses per server CPU-second, against coturn's STUN
// (`turnserver --stun-only`, Debian's package) as a baseline when it is installed. Prints a
// markdown report on stdout (progress on stderr).
//
//   node test/bench/stun.mjs [--sockets 4] [--window 32] [--warmup-ms 1000] [--duration-ms 5000]
//     [--rounds 2] [--servers ours,coturn]
//
// Each server runs as a child process pinned to core 0 (`taskset -c 0`); this load generator
// pins itself to core 1. It sends 20-byte Binding requests (what Chromium sends) from a few UDP
// sockets, each keeping `window` requests in flight (closed loop; a socket that stalls because a
// datagram was lost refills its window). Server CPU is utime+stime of the whole process from
// /proc/<pid>/stat over the measurement window only.
//
// Scenarios:
//   answer  rate limits lifted (--stun-rate/--stun-burst 1000000): every request is answered
//   flood   lanparty with its default limits (20/s per address): one address floods, nearly all
//           requests are dropped by the rate limiter; requests handled per CPU-second are read
//           from /metrics (lanparty_stun_requests_total) since nothing comes back
import { execFileSync, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildIfNeeded,
  freePort,
  startChild,
  startServerProcess,
  until,
} from '../support/server-process.mjs';

const SERVER_CORE = '0';
const LOADGEN_CORE = '1';
const TURNSERVER = process.env.TURNSERVER ?? '/usr/bin/turnserver';
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());
/** Hard bound on the whole run, whatever happens. */
const WATCHDOG_MS = 120_000;

const { values: opts } = parseArgs({
  options: {
    sockets: { type: 'string', default: '4' },
    window: { type: 'string', default: '32' },
    'warmup-ms': { type: 'string', default: '1000' },
    'duration-ms': { type: 'string', default: '5000' },
    rounds: { type: 'string', default: '2' },
    servers: { type: 'string', default: 'ours,coturn' },
  },
});
const SOCKETS = Number(opts.sockets);
const WINDOW = Number(opts.window);
const WARMUP_MS = Number(opts['warmup-ms']);
const DURATION_MS = Number(opts['duration-ms']);
const ROUNDS = Number(opts.rounds);
const SERVERS = opts.servers.split(',');

const log = (...args) => console.error('[stun-bench]', ...args);
const hasTaskset = spawnSync('taskset', ['-V']).status === 0;
/** What runs a server on the server core (nothing without taskset). */
const PINNED = hasTaskset ? ['taskset', '-c', SERVER_CORE] : [];
// Every server started here is killed when this process exits (see startChild).
const watchdog = setTimeout(() => {
  log(`watchdog: still running after ${WATCHDOG_MS} ms, giving up`);
  process.exit(1);
}, WATCHDOG_MS);
watchdog.unref();

/** utime + stime of a whole process, in seconds. */
function cpuSeconds(pid) {
  const { user, system } = cpuSplit(pid);
  return user + system;
}

/** utime and stime (kernel) of a whole process, in seconds. */
function cpuSplit(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]) / CLK_TCK, system: Number(fields[12]) / CLK_TCK };
}

async function startOurs(limits) {
  buildIfNeeded();
  const flags = limits === 'lifted' ? ['--stun-rate', '1000000', '--stun-burst', '1000000'] : [];
  const server = await startServerProcess({
    flags,
    prefix: PINNED,
  });
  return { ...server, pid: server.child().pid, name: 'lanparty' };
}

async function startCoturn() {
  const dir = mkdtempSync(join(tmpdir(), 'lanparty-stun-bench-'));
  const port = await freePort();
  const config = join(dir, 'turnserver.conf');
  writeFileSync(
    config,
    [
      'listening-ip=127.0.0.1',
      `listening-port=${port}`,
      'stun-only',
      'no-tls',
      'no-dtls',
      'no-cli',
      'no-rfc5780',
      'no-software-attribute',
      // One relay thread, like our one process: the figure is per CPU-second either way.
      'relay-threads=1',
      'log-file=stdout',
      'simple-log',
      `pidfile=${join(dir, 'turnserver.pid')}`,
      `userdb=${join(dir, 'turndb')}`,
      '',
    ].join('\n'),
  );
  const [command, ...args] = [...PINNED, TURNSERVER, '-c', config];
  const child = startChild(command, args, { killAfterMs: 5000 });
  const started = () => {
    if (!child.running()) throw new Error(`coturn exited: ${child.output()}`);
    return child.output().includes('Total General servers');
  };
  await until(started, 15_000, 'coturn to start').catch((error) => {
    throw new Error(`${error.message}: ${child.output()}`);
  });
  return {
    pid: child.process.pid,
    port,
    name: 'coturn (stun-only)',
    stop: async () => {
      await child.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A 20-byte Binding request, its transaction id made from a counter. */
function request(n) {
  const b = Buffer.alloc(20);
  b.writeUInt16BE(0x0001, 0);
  b.writeUInt32BE(0x2112a442, 4);
  b.writeUInt32BE(n >>> 0, 16);
  b.writeUInt32BE(process.pid, 12);
  return b;
}

/**
 * Closed loop from `SOCKETS` sockets, `WINDOW` requests in flight each; counts Binding success
 * responses in the measurement window, and the server's CPU over it.
 */
async function closedLoop(server) {
  let counting = false;
  let responses = 0;
  let sent = 0;
  let n = 0;
  const sockets = [];
  for (let i = 0; i < SOCKETS; i++) {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1');
    await once(s, 'listening');
    const state = { socket: s, lastReply: 0 };
    s.on('message', (msg) => {
      state.lastReply = Date.now();
      if (msg.length >= 20 && msg[0] === 0x01 && msg[1] === 0x01 && counting) responses++;
      // One answer in, the next request out: the window stays full.
      sent++;
      s.send(request(n++), server.port, '127.0.0.1');
    });
    sockets.push(state);
  }
  const refill = () => {
    for (const state of sockets) {
      // A datagram lost (full buffer) would shrink the window for good: start it afresh.
      if (Date.now() - state.lastReply > 100) {
        for (let k = 0; k < WINDOW; k++) {
          sent++;
          state.socket.send(request(n++), server.port, '127.0.0.1');
        }
        state.lastReply = Date.now();
      }
    }
  };
  const refiller = setInterval(refill, 50);
  refill();
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const cpu0 = cpuSplit(server.pid);
  const load0 = process.cpuUsage();
  const t0 = performance.now();
  counting = true;
  await new Promise((r) => setTimeout(r, DURATION_MS));
  counting = false;
  const seconds = (performance.now() - t0) / 1000;
  const cpu1 = cpuSplit(server.pid);
  const cpu = cpu1.user + cpu1.system - cpu0.user - cpu0.system;
  const kernel = (cpu1.system - cpu0.system) / cpu;
  const load = process.cpuUsage(load0);
  clearInterval(refiller);
  for (const { socket } of sockets) socket.close();
  return {
    perSecond: responses / seconds,
    serverCpu: cpu / seconds,
    perCpuSecond: responses / cpu,
    loadgenCpu: (load.user + load.system) / 1e6 / seconds,
    kernel,
    sent,
  };
}

async function requestsHandled(port) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('lanparty_stun_requests_total '));
  return Number(line?.split(' ').at(-1) ?? Number.NaN);
}

/** Open loop: one address sends as fast as it can; the server drops all but 20/s. */
async function flood(server) {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1');
  await once(s, 'listening');
  let stop = false;
  let n = 0;
  let answered = 0;
  s.on('message', () => answered++);
  const pump = async () => {
    while (!stop) {
      for (let k = 0; k < 64; k++) s.send(request(n++), server.port, '127.0.0.1');
      await new Promise((r) => setImmediate(r));
    }
  };
  const pumping = pump();
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  const h0 = await requestsHandled(server.port);
  const cpu0 = cpuSeconds(server.pid);
  const a0 = answered;
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, DURATION_MS));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(server.pid) - cpu0;
  const handled = (await requestsHandled(server.port)) - h0;
  const got = answered - a0;
  stop = true;
  await pumping;
  s.close();
  return {
    perSecond: handled / seconds,
    serverCpu: cpu / seconds,
    perCpuSecond: handled / cpu,
    answeredPerSecond: got / seconds,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, digits = 0) =>
  Number.isFinite(x)
    ? x.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : 'n/a';

async function main() {
  if (hasTaskset) execFileSync('taskset', ['-a', '-cp', LOADGEN_CORE, String(process.pid)]);
  else log('taskset missing: server and load generator are not pinned');
  const rows = [];
  const runs = [];
  for (const which of SERVERS) {
    if (which === 'coturn' && !existsSync(TURNSERVER)) {
      log(`coturn baseline skipped: no ${TURNSERVER}`);
      continue;
    }
    const results = [];
    let name = which;
    for (let round = 0; round < ROUNDS; round++) {
      const server = which === 'ours' ? await startOurs('lifted') : await startCoturn();
      name = server.name;
      try {
        log(`${name}: round ${round + 1}/${ROUNDS}`);
        results.push(await closedLoop(server));
      } finally {
        await server.stop();
      }
    }
    runs.push({ name, results });
    rows.push(
      `| ${name} | ${fmt(median(results.map((r) => r.perSecond)))} | ${fmt(
        median(results.map((r) => r.serverCpu)),
        2,
      )} | ${fmt(100 * median(results.map((r) => r.kernel)))}% | **${fmt(
        median(results.map((r) => r.perCpuSecond)),
      )}** | ${fmt(median(results.map((r) => r.loadgenCpu)), 2)} |`,
    );
  }
  let floodRow = '';
  if (SERVERS.includes('ours')) {
    const results = [];
    for (let round = 0; round < ROUNDS; round++) {
      const server = await startOurs('default');
      try {
        log(`lanparty flood: round ${round + 1}/${ROUNDS}`);
        results.push(await flood(server));
      } finally {
        await server.stop();
      }
    }
    floodRow = `| lanparty, default limits, one address flooding | ${fmt(
      median(results.map((r) => r.perSecond)),
    )} | ${fmt(median(results.map((r) => r.serverCpu)), 2)} | **${fmt(
      median(results.map((r) => r.perCpuSecond)),
    )}** | answered ${fmt(median(results.map((r) => r.answeredPerSecond)), 1)}/s |`;
  }

  const ours = runs.find((r) => r.name === 'lanparty');
  const theirs = runs.find((r) => r.name !== 'lanparty');
  const ratio =
    ours && theirs
      ? median(ours.results.map((r) => r.perCpuSecond)) /
        median(theirs.results.map((r) => r.perCpuSecond))
      : Number.NaN;
  const out = [
    `## STUN Binding responses per server CPU-second`,
    '',
    `${SOCKETS} sockets × ${WINDOW} requests in flight, 20-byte requests, ${DURATION_MS / 1000} s measured after ${WARMUP_MS / 1000} s warm-up, median of ${ROUNDS}; server on core ${SERVER_CORE}, load generator on core ${LOADGEN_CORE}${hasTaskset ? '' : ' (not pinned: no taskset)'}; Node ${process.version}.`,
    '',
    '| server | responses/s | server CPU (cores) | of which kernel | responses per server CPU-second | load generator CPU (cores) |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    ...(Number.isFinite(ratio)
      ? [`| **ratio lanparty / coturn** | | | | **${fmt(ratio, 2)}×** | |`]
      : []),
    '',
    ...(floodRow
      ? [
          '| flood (open loop) | requests handled/s | server CPU (cores) | requests handled per server CPU-second | |',
          '| --- | ---: | ---: | ---: | ---: |',
          floodRow,
          '',
        ]
      : []),
  ].join('\n');
  console.log(out);
}

main().then(
  () => process.exit(0),
  (error) => {
    log(error);
    process.exit(1);
  },
);
