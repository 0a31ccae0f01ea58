// `npm run bench`: lanparty's signaling server against the PeerJS server (`peer`): the same
// client script drives both, in the same run, over loopback only. Prints a markdown report on
// stdout (progress on stderr); `--write-results` also writes it to test/bench/RESULTS.md.
//
//   node test/bench/run.mjs [--pairs 500] [--idle 10000] [--rounds 2] [--warmup-ms 1000]
//     [--duration-ms 5000] [--paced-rate 10000] [--paced-ms 2500] [--settle-ms 3000]
//     [--write-results] [--only signal,relay,idle] [--servers ours,peer] [--idle-mode create|open]
//     [--our-flags='--heartbeat-interval-ms 5000 ...']
//
// Each server runs as its own child process pinned to core 0 (`taskset -c 0`); this script
// re-runs itself pinned to core 1 (`taskset -c 1`) and drives the load from there with `ws`
// clients. Every scenario gets a fresh server process. Server CPU: utime+stime from
// /proc/<pid>/stat over the measurement window only; server memory: VmRSS from /proc/<pid>/status.
//
// Scenarios:
//   a  signaling: 2 x `pairs` clients in pairs ping-pong a ~200 B ICE candidate
//   b  relay: the same, with a 100 B binary relay frame (4 B header + 96 B payload); the PeerJS
//      server has no binary relay, so its baseline is the same 96 B payload, base64, in a JSON
//      message it forwards
//      (a) and (b) each run a closed loop (as fast as the pairs go) and then a paced load
//      (`paced-rate` messages/s in all, the same for both servers)
//   c  idle: `idle` connections, memory per connection after a settle period and a forced GC
//
// The machine may be shared: a run during which other processes were busy on core 0 or 1 is run
// again while the time limit allows. Every loop is bounded; a watchdog ends the run at 175 s.
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import WebSocket from 'ws';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..');
const ROLE_ENV = 'LANPARTY_BENCH_LOADGEN';
const SERVER_CORE = '0';
const LOADGEN_CORE = '1';
const WANTED_FDS = 65536;
const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

const { values: opts } = parseArgs({
  options: {
    pairs: { type: 'string', default: '500' },
    idle: { type: 'string', default: '10000' },
    'warmup-ms': { type: 'string', default: '1000' },
    'duration-ms': { type: 'string', default: '5000' },
    'settle-ms': { type: 'string', default: '3000' },
    'paced-rate': { type: 'string', default: '10000' },
    'paced-ms': { type: 'string', default: '2500' },
    rounds: { type: 'string', default: '2' },
    /** Fresh servers for the idle scenario, each kind in turn; the median run is reported. */
    'idle-rounds': { type: 'string', default: '5' },
    'write-results': { type: 'boolean', default: false },
    /** For quick experiments: a subset of signal,relay,idle and of ours,peer. */
    only: { type: 'string', default: 'signal,relay,idle' },
    servers: { type: 'string', default: 'ours,peer' },
    /** What an idle lanparty connection does: create (its own lobby) or open (nothing more). */
    'idle-mode': { type: 'string', default: 'create' },
    /** Extra flags for the lanparty server, appended (they win), e.g. "--heartbeat-interval-ms 5000". */
    'our-flags': { type: 'string', default: '' },
  },
});
const PAIRS = Number(opts.pairs);
const IDLE = Number(opts.idle);
const WARMUP_MS = Number(opts['warmup-ms']);
const DURATION_MS = Number(opts['duration-ms']);
const SETTLE_MS = Number(opts['settle-ms']);
const PACED_RATE = Number(opts['paced-rate']);
const PACED_MS = Number(opts['paced-ms']);
const PACED_WARMUP_MS = 500;
const ROUNDS = Number(opts.rounds);
const IDLE_ROUNDS = Number(opts['idle-rounds']);
const IDLE_MODE = opts['idle-mode'];
const ONLY = opts.only.split(',');
/** Time kept for the idle scenario: about 40 s per round for both servers. */
const IDLE_RESERVE_S = ONLY.includes('idle') ? 45 * IDLE_ROUNDS : 0;
/** Hard bound on the whole run, whatever happens. */
const WATCHDOG_MS = 130_000 + IDLE_RESERVE_S * 1000;
const SERVERS = opts.servers.split(',');
/** Extra node flags for the server children, for profiling (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"). */
const SERVER_NODE_FLAGS = (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const PARTIAL = ONLY.length < 3 || SERVERS.length < 2;

/**
 * The environment `npm start` gives the server (`NAME=${NAME:-value}` before `node` in its
 * script, e.g. MALLOC_ARENA_MAX), so that the server measured is the server people start.
 */
const START_ENV = [
  ...JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts.start.matchAll(
    /(\w+)=\$\{\1:-([^}]*)\}/g,
  ),
].map(([, name, value]) => `${name}=${value}`);
const shq = (s) => (/^[\w./:=,@-]+$/.test(s) ? s : `'${String(s).replaceAll("'", "'\\''")}'`);
/** Raise the soft fd limit as far as allowed (65536, or the hard limit when that is lower). */
const ULIMIT = `ulimit -n ${WANTED_FDS} 2>/dev/null || ulimit -n "$(ulimit -Hn)"`;

// ==== Load generator ============================================================================

async function loadGenerator() {
  const children = new Set();
  const killAll = () => {
    for (const c of children) c.kill('SIGKILL');
  };
  process.on('exit', killAll);
  const watchdog = setTimeout(() => {
    console.error(`bench: watchdog: still running after ${WATCHDOG_MS / 1000} s, giving up`);
    killAll();
    if (!PARTIAL) console.log(report(true));
    process.exit(3);
  }, WATCHDOG_MS);
  watchdog.unref();

  const startedAt = performance.now();
  const fdLimit = execFileSync('bash', ['-c', 'ulimit -n']).toString().trim();
  const idleCount = Math.min(IDLE, Math.max(0, Number(fdLimit) - 512));
  const warnings = [];
  if (idleCount < IDLE) {
    warnings.push(`fd limit ${fdLimit}: idle scenario reduced from ${IDLE} to ${idleCount}`);
  }

  const OUR_FLAGS = [
    '--log-level',
    'warn',
    '--connections-per-address',
    '30000',
    '--joins-per-minute',
    '1000000',
    '--conn-message-rate',
    '1000000',
    '--conn-message-burst',
    '10000000',
    '--address-message-rate',
    '10000000',
    '--address-message-burst',
    '100000000',
    '--hello-timeout-ms',
    '600000',
    '--max-lobbies',
    '1000000',
    // One load generator is every client: per-address lobby and per-pair signal limits would
    // measure the limiter, not the path.
    '--lobbies-per-address',
    '1000000',
    '--creates-per-minute',
    '1000000',
    '--signal-rate',
    '1000000',
    '--signal-burst',
    '1000000',
    // Pings stay at the default (a socket silent for 1 s); only the verdict waits longer, so that a scheduling
    // hiccup on this shared 2-core machine does not drop thousands of sockets.
    '--heartbeat-timeout-ms',
    '10000',
    ...opts['our-flags'].split(' ').filter(Boolean),
  ];
  const PEER_FLAGS = ['--concurrent-limit', '30000'];
  /** The heartbeat interval lanparty runs with (the last --heartbeat-interval-ms wins). */
  const heartbeatMs = OUR_FLAGS.reduce(
    (ms, flag, i) => (flag === '--heartbeat-interval-ms' ? Number(OUR_FLAGS[i + 1]) : ms),
    1000,
  );
  const commandOf = (kind, gcOnSignal = false) => {
    const node = [
      ...(kind === 'ours' && START_ENV.length > 0 ? ['env', ...START_ENV] : []),
      'node',
      ...SERVER_NODE_FLAGS,
      ...(gcOnSignal ? ['--require', './test/bench/gc-on-signal.cjs'] : []),
    ];
    const args =
      kind === 'ours'
        ? [...node, 'dist/server/main.js', '--host', '127.0.0.1', '--port', '0', ...OUR_FLAGS]
        : [
            ...node,
            'test/bench/peer-server.mjs',
            '--host',
            '127.0.0.1',
            '--port',
            '0',
            ...PEER_FLAGS,
          ];
    return `${ULIMIT}; exec taskset -c ${SERVER_CORE} ${args.map(shq).join(' ')}`;
  };

  /** Starts one server child; resolves once it listens. */
  async function startServer(kind, { gcOnSignal = false } = {}) {
    const child = spawn('bash', ['-c', commandOf(kind, gcOnSignal)], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(child);
    let out = '';
    let err = '';
    const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const port = await waitUntil(
      () => {
        const m =
          kind === 'ours'
            ? /open http:\/\/127\.0\.0\.1:(\d+)/.exec(out)
            : /listening (\d+)/.exec(out);
        return m ? Number(m[1]) : undefined;
      },
      10_000,
      () => `${kind} server did not start:\n${out}\n${err}`,
      exited,
    );
    const pid = child.pid;
    const comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    const cpus = /Cpus_allowed_list:\s*(\S+)/.exec(
      readFileSync(`/proc/${pid}/status`, 'utf8'),
    )?.[1];
    if (comm !== 'node') throw new Error(`pid ${pid} is ${comm}, not node`);
    return {
      kind,
      pid,
      port,
      cpus,
      base: `127.0.0.1:${port}`,
      stderr: () => err,
      exited,
      async stop() {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
        children.delete(child);
      },
    };
  }

  // ---- what goes over the wire -----------------------------------------------------------------

  /** A real-looking trickled ICE candidate, as simple-peer emits it. */
  const CANDIDATE = {
    type: 'candidate',
    candidate: {
      candidate:
        'candidate:2999745851 1 udp 2122260223 192.168.1.23 54321 typ host generation 0 ufrag Xk7p network-id 1 network-cost 10',
      sdpMid: '0',
      sdpMLineIndex: 0,
      usernameFragment: 'Xk7p',
    },
  };
  const SIGNAL_PAYLOAD_BYTES = Buffer.byteLength(JSON.stringify(CANDIDATE));
  const RELAY_PAYLOAD = Buffer.alloc(96);
  for (let i = 0; i < RELAY_PAYLOAD.length; i++) RELAY_PAYLOAD[i] = (i * 37 + 11) & 0xff;
  const RELAY_FRAME_BYTES = 4 + RELAY_PAYLOAD.length;
  const RELAY_B64 = RELAY_PAYLOAD.toString('base64');
  /** The 4-byte relay header of shared/protocol/relay-frame.ts: version 1, no flags, peer id. */
  const relayFrame = (peer) => {
    const frame = Buffer.alloc(RELAY_FRAME_BYTES);
    frame[0] = 1;
    frame[1] = 0;
    frame[2] = peer >> 8;
    frame[3] = peer & 0xff;
    RELAY_PAYLOAD.copy(frame, 4);
    return frame;
  };

  const ourUrl = (s) => `ws://${s.base}/ws?v=1`;
  const peerUrl = (s, id) => `ws://${s.base}/peerjs?key=peerjs&id=${id}&token=t${id}`;

  /** One pair, set up for `scenario`: what A sends, what B answers, what each expects back. */
  async function setupPair(server, i, scenario) {
    if (server.kind === 'ours') {
      const a = await Conn.open(ourUrl(server));
      a.send(JSON.stringify({ type: 'create', name: `host${i}`, capacity: 2 }));
      const wa = await a.nextJson((m) => m.type === 'welcome' || m.type === 'error');
      if (wa.type !== 'welcome') throw new Error(`create refused: ${JSON.stringify(wa)}`);
      const b = await Conn.open(ourUrl(server));
      b.send(JSON.stringify({ type: 'join', code: wa.lobby.code, name: `guest${i}` }));
      const wb = await b.nextJson((m) => m.type === 'welcome' || m.type === 'error');
      if (wb.type !== 'welcome') throw new Error(`join refused: ${JSON.stringify(wb)}`);
      await a.nextJson((m) => m.type === 'lobby'); // the broadcast of B's arrival
      const idA = wa.you;
      const idB = wb.you;
      if (scenario === 'signal') {
        const toB = JSON.stringify({ type: 'signal', to: idB, data: CANDIDATE });
        const toA = JSON.stringify({ type: 'signal', to: idA, data: CANDIDATE });
        return {
          a,
          b,
          aSends: toB,
          bSends: toA,
          bExpects: textOfLength(JSON.stringify({ type: 'signal', from: idA, data: CANDIDATE })),
          aExpects: textOfLength(JSON.stringify({ type: 'signal', from: idB, data: CANDIDATE })),
          wireBytes: Buffer.byteLength(toB),
        };
      }
      return {
        a,
        b,
        aSends: relayFrame(idB),
        bSends: relayFrame(idA),
        bExpects: frameFrom(idA),
        aExpects: frameFrom(idB),
        wireBytes: RELAY_FRAME_BYTES,
      };
    }
    const idA = `p${i}a`;
    const idB = `p${i}b`;
    const a = await Conn.open(peerUrl(server, idA));
    const b = await Conn.open(peerUrl(server, idB));
    for (const c of [a, b]) {
      const m = await c.nextJson(() => true);
      if (m.type !== 'OPEN') throw new Error(`PeerJS refused: ${JSON.stringify(m)}`);
    }
    const payload = scenario === 'signal' ? CANDIDATE : RELAY_B64;
    // What the server forwards: {type, src, dst, payload} re-serialized (handleTransmission).
    const fwd = (src, dst) => JSON.stringify({ type: 'CANDIDATE', src, dst, payload });
    const toB = JSON.stringify({ type: 'CANDIDATE', dst: idB, payload });
    return {
      a,
      b,
      aSends: toB,
      bSends: JSON.stringify({ type: 'CANDIDATE', dst: idA, payload }),
      bExpects: textOfLength(fwd(idA, idB)),
      aExpects: textOfLength(fwd(idB, idA)),
      wireBytes: Buffer.byteLength(toB),
      heartbeat: true,
    };
  }

  /**
   * One server, one scenario, one set of pairs: first a closed loop (each pair ping-pongs as fast
   * as it can: throughput and CPU per message at saturation), then a paced load (every pair
   * together sends PACED_RATE messages/s: latency and CPU per message at the same load for both).
   */
  async function pingPong(server, scenario) {
    const setupStart = performance.now();
    const pairs = new Array(PAIRS);
    await pool(PAIRS, 64, async (i) => {
      pairs[i] = await setupPair(server, i, scenario);
    });
    const setupMs = performance.now() - setupStart;
    const conns = pairs.flatMap((p) => [p.a, p.b]);
    const stopHeartbeats = pairs[0].heartbeat ? peerHeartbeats(conns) : () => {};

    /** Closed loop: A sends again on every reply. Paced: a reply just ends the round trip. */
    let closedLoop = true;
    let recording = false;
    let delivered = 0;
    let unexpected = 0;
    let firstUnexpected;
    const rtts = new Float64Array(2_000_000);
    let nRtt = 0;
    let inFlight = 0;
    const onUnexpected = (data) => {
      unexpected++;
      firstUnexpected ??= String(data).slice(0, 200);
    };
    for (const p of pairs) {
      const { a, b, aSends, bSends, aExpects, bExpects } = p;
      p.sentAt = 0;
      p.outstanding = false;
      b.onMessage = (data, isBinary) => {
        if (!bExpects(data, isBinary)) return onUnexpected(data);
        delivered++;
        b.ws.send(bSends);
      };
      a.onMessage = (data, isBinary) => {
        if (!aExpects(data, isBinary)) return onUnexpected(data);
        const now = performance.now();
        delivered++;
        if (recording && nRtt < rtts.length) rtts[nRtt++] = now - p.sentAt;
        if (closedLoop) {
          p.sentAt = now;
          a.ws.send(aSends);
        } else {
          p.outstanding = false;
          inFlight--;
        }
      };
    }
    /**
     * Other processes' CPU on our two cores, in 250 ms slices: a short burst hurts p99 without
     * moving the window's average much.
     */
    const foreignSampler = () => {
      let last = {
        t: performance.now(),
        server: cpuTicks(server.pid),
        loadgen: process.cpuUsage(),
        cores: coreTicks(),
      };
      let worst = 0;
      const timer = setInterval(() => {
        const now = {
          t: performance.now(),
          server: cpuTicks(server.pid),
          loadgen: process.cpuUsage(),
          cores: coreTicks(),
        };
        const seconds = (now.t - last.t) / 1000;
        const cores = coreShares(last.cores, now.cores, CLK_TCK, seconds);
        const serverShare =
          (now.server.user + now.server.sys - last.server.user - last.server.sys) /
          CLK_TCK /
          seconds;
        const loadgenShare =
          (now.loadgen.user + now.loadgen.system - last.loadgen.user - last.loadgen.system) /
          1e6 /
          seconds;
        worst = Math.max(
          worst,
          (cores[SERVER_CORE]?.busy ?? 0) - serverShare,
          (cores[LOADGEN_CORE]?.busy ?? 0) - loadgenShare,
        );
        last = now;
      }, 250);
      return () => {
        clearInterval(timer);
        return worst;
      };
    };
    /** Counters over a window: messages, server CPU, load generator CPU, all cores. */
    const snapshot = () => ({
      t: performance.now(),
      delivered,
      server: cpuTicks(server.pid),
      loadgen: process.cpuUsage(),
      cores: coreTicks(),
    });
    const window = (s0, s1) => {
      const seconds = (s1.t - s0.t) / 1000;
      const user = (s1.server.user - s0.server.user) / CLK_TCK;
      const sys = (s1.server.sys - s0.server.sys) / CLK_TCK;
      const loadgen =
        (s1.loadgen.user - s0.loadgen.user + s1.loadgen.system - s0.loadgen.system) / 1e6;
      const cores = coreShares(s0.cores, s1.cores, CLK_TCK, seconds);
      const messages = s1.delivered - s0.delivered;
      const sample = rtts.subarray(0, nRtt).sort();
      return {
        seconds,
        messages,
        msgsPerSec: messages / seconds,
        p50: percentile(sample, 0.5),
        p99: percentile(sample, 0.99),
        samples: nRtt,
        serverCpu: (user + sys) / seconds,
        sysShare: sys / (user + sys),
        msgsPerCpuSec: messages / (user + sys),
        userUsPerMsg: (user / messages) * 1e6,
        sysUsPerMsg: (sys / messages) * 1e6,
        loadgenCpu: loadgen / seconds,
        // Busy time on the server's and the load generator's cores that was neither of them.
        foreign: Math.max(
          (cores[SERVER_CORE]?.busy ?? 0) - (user + sys) / seconds,
          (cores[LOADGEN_CORE]?.busy ?? 0) - loadgen / seconds,
        ),
      };
    };

    // ---- closed loop ----
    for (const p of pairs) {
      p.sentAt = performance.now();
      inFlight++;
      p.a.ws.send(p.aSends);
    }
    await sleep(WARMUP_MS);
    const c0 = snapshot();
    let stopSampler = foreignSampler();
    recording = true;
    await sleep(DURATION_MS);
    recording = false;
    const closed = { ...window(c0, snapshot()), foreignPeak: stopSampler() };
    closedLoop = false;
    await waitUntil(
      () => (inFlight === 0 ? true : undefined),
      3000,
      () => '',
      null,
    ).catch(() => undefined);
    const stalledClosed = inFlight;

    // ---- paced: PACED_RATE messages/s in all, spread evenly over the pairs ----
    nRtt = 0;
    let sent = 0;
    let cursor = 0;
    let skipped = 0;
    let p0;
    const roundTripsPerMs = PACED_RATE / 2 / 1000;
    const start = performance.now();
    await new Promise((resolve) => {
      const tick = () => {
        const elapsed = performance.now() - start;
        if (p0 === undefined && elapsed >= PACED_WARMUP_MS) {
          p0 = snapshot();
          stopSampler = foreignSampler();
          recording = true;
        }
        if (elapsed >= PACED_WARMUP_MS + PACED_MS) return resolve();
        for (let due = Math.floor(elapsed * roundTripsPerMs) - sent; due > 0; due--) {
          const p = pairs[cursor];
          cursor = (cursor + 1) % pairs.length;
          sent++;
          if (p.outstanding) {
            skipped++;
            continue;
          }
          p.outstanding = true;
          inFlight++;
          p.sentAt = performance.now();
          p.a.ws.send(p.aSends);
        }
        setTimeout(tick, 1);
      };
      tick();
    });
    recording = false;
    const paced = { ...window(p0, snapshot()), foreignPeak: stopSampler() };
    await waitUntil(
      () => (inFlight === 0 ? true : undefined),
      3000,
      () => '',
      null,
    ).catch(() => undefined);

    stopHeartbeats();
    const closedEarly = conns.filter((c) => c.closeCode !== undefined).map((c) => c.closeCode);
    for (const c of conns) c.terminate();
    return {
      setupMs,
      wireBytes: pairs[0].wireBytes,
      closed,
      paced: { ...paced, skipped },
      unexpected,
      firstUnexpected,
      stalled: stalledClosed + inFlight,
      closedEarly,
    };
  }

  /**
   * Idle connections: VmRSS after − before, each read after a forced full GC, divided by N; also
   * the slope between N/2 and N connections, which leaves out one-off growth (heap, allocator).
   */
  async function idle(server) {
    // Warm the code paths (and the allocator) with a few clients that come and go.
    const warm = [];
    await pool(200, 64, async (i) => {
      warm.push(await openIdle(server, `w${i}`));
    });
    for (const c of warm) c.terminate();
    await sleep(1000);
    const before = await rssAfterGc(server);
    const conns = [];
    const stopHeartbeats = server.kind === 'peer' ? peerHeartbeats(conns) : () => {};
    const half = Math.floor(idleCount / 2);
    const t = performance.now();
    const connect = async (from, to) => {
      const opened = new Array(to - from);
      await pool(to - from, 200, async (i) => {
        opened[i] = await openIdle(server, `i${from + i}`);
      });
      conns.push(...opened);
    };
    await connect(0, half);
    await sleep(SETTLE_MS);
    const mid = await rssAfterGc(server);
    await connect(half, idleCount);
    const connectMs = performance.now() - t;
    // CPU while idle: what heartbeats cost (lanparty pings every socket, PeerJS clients beat).
    await sleep(1000);
    const cpu0 = { t: performance.now(), ...cpuTicks(server.pid) };
    await sleep(Math.max(1000, SETTLE_MS - 1000));
    const cpu1 = { t: performance.now(), ...cpuTicks(server.pid) };
    const idleCpu =
      (cpu1.user + cpu1.sys - cpu0.user - cpu0.sys) / CLK_TCK / ((cpu1.t - cpu0.t) / 1000);
    const rawAfter = statusBytes(server.pid, 'VmRSS');
    const after = await rssAfterGc(server);
    const closedEarly = conns.filter((c) => c.closeCode !== undefined).map((c) => c.closeCode);
    const health = server.kind === 'ours' ? await healthz(server) : undefined;
    stopHeartbeats();
    for (const c of conns) c.terminate();
    return {
      n: idleCount,
      connectMs,
      before: before.rss,
      after: after.rss,
      rawAfter,
      bytesPerConn: (after.rss - before.rss) / idleCount,
      rawBytesPerConn: (rawAfter - before.rss) / idleCount,
      slopeBytesPerConn: (after.rss - mid.rss) / (idleCount - half),
      anonBytesPerConn: (after.anon - before.anon) / idleCount,
      anonSlopeBytesPerConn: (after.anon - mid.anon) / (idleCount - half),
      heapBytesPerConn: (after.heap - before.heap) / idleCount,
      idleCpu,
      closedEarly,
      health,
    };
  }

  /** Ours: connect and create a lobby (a real member). PeerJS: connect and receive OPEN. */
  async function openIdle(server, id) {
    if (server.kind === 'ours') {
      const c = await Conn.open(ourUrl(server));
      if (IDLE_MODE === 'open') return c;
      c.send(JSON.stringify({ type: 'create', name: `idle ${id}`, capacity: 2 }));
      const w = await c.nextJson((m) => m.type === 'welcome' || m.type === 'error');
      if (w.type !== 'welcome') throw new Error(`create refused: ${JSON.stringify(w)}`);
      c.queue.length = 0;
      return c;
    }
    const c = await Conn.open(peerUrl(server, id));
    const m = await c.nextJson(() => true);
    if (m.type !== 'OPEN') throw new Error(`PeerJS refused: ${JSON.stringify(m)}`);
    return c;
  }

  /** VmRSS, its anonymous part and the V8 heap in use, after a low-memory GC (see gc-on-signal.cjs). */
  async function rssAfterGc(server) {
    const reports = () => server.stderr().match(/^gc-on-signal (.*)$/gm) ?? [];
    const seen = reports().length;
    process.kill(server.pid, 'SIGUSR2');
    const line = await waitUntil(
      () => reports()[seen],
      15_000,
      () => `no GC report from the ${server.kind} server`,
      server.exited,
    );
    await sleep(200);
    const { heapUsed, error } = JSON.parse(line.slice('gc-on-signal '.length));
    if (error !== undefined) throw new Error(`the ${server.kind} server's GC failed: ${error}`);
    return {
      rss: statusBytes(server.pid, 'VmRSS'),
      anon: statusBytes(server.pid, 'RssAnon'),
      heap: heapUsed,
    };
  }

  async function healthz(server) {
    const res = await fetch(`http://${server.base}/healthz`);
    return res.json();
  }

  // ---- the run ---------------------------------------------------------------------------------

  const machine = {
    cpu:
      /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ??
      os.cpus()[0]?.model,
    cores: os.cpus().length,
    node: process.version,
    kernel: `${os.type()} ${os.release()}`,
    memGb: (os.totalmem() / 2 ** 30).toFixed(1),
    fdLimit,
    clkTck: CLK_TCK,
    loadgenCpus: /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1],
  };
  const log = (s) => process.stderr.write(`${s}\n`);
  log(
    `bench: ${machine.cpu}, ${machine.cores} cores, node ${machine.node}; load generator on CPU ${machine.loadgenCpus}`,
  );

  const results = { signal: { ours: [], peer: [] }, relay: { ours: [], peer: [] } };
  /** Every idle run by server kind, and the median one. */
  const idleRuns = {};
  const idleResults = {};
  let engine;
  let serverCpus;
  let retries = 0;
  const elapsed = () => (performance.now() - startedAt) / 1000;
  /** Other processes on our two cores (this machine is shared) above this share: run again. */
  const FOREIGN_LIMIT = 0.15;
  /** ... or in any 250 ms slice of a window, above this share. */
  const FOREIGN_PEAK_LIMIT = 0.5;
  const describe = (w) =>
    `${fmtInt(w.msgsPerSec)} msg/s, p50 ${w.p50.toFixed(2)} ms, p99 ${w.p99.toFixed(2)} ms, server CPU ${pct(w.serverCpu)} (${pct(w.sysShare)} sys), ${fmtInt(w.msgsPerCpuSec)} msg/CPU-s, load gen CPU ${pct(w.loadgenCpu)}, other load ${pct(Math.max(0, w.foreign))} (peak ${pct(Math.max(0, w.foreignPeak))})`;
  // ---- report ----------------------------------------------------------------------------------

  /** The markdown report from what has been measured so far (`incomplete`: the watchdog fired). */
  function report(incomplete) {
    const totalSeconds = elapsed();

    /** Median over rounds of one metric of one phase, with the (min–max) when there are several. */
    const stat = (rs, phase, key) => {
      const xs = rs.map((r) => r[phase][key]);
      return { med: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
    };
    const show = (s, f) => (s.n > 1 ? `${f(s.med)} (${f(s.min)}–${f(s.max)})` : f(s.med));
    const ms = (x) => (Number.isFinite(x) ? x.toFixed(2) : 'n/a');
    const us = (x) => (Number.isFinite(x) ? x.toFixed(1) : 'n/a');
    const name = { ours: 'lanparty', peer: 'PeerJS' };
    const label = { signal: '(a) signaling', relay: '(b) relay' };
    const S = {};
    for (const scenario of ['signal', 'relay']) {
      for (const kind of ['ours', 'peer']) {
        // Rounds disturbed by other processes count only when there is no clean one.
        const clean = results[scenario][kind].filter((r) => !r.disturbed);
        const rs = clean.length > 0 ? clean : results[scenario][kind];
        const get = (phase) =>
          Object.fromEntries(
            [
              'msgsPerSec',
              'p50',
              'p99',
              'serverCpu',
              'msgsPerCpuSec',
              'userUsPerMsg',
              'sysUsPerMsg',
              'loadgenCpu',
            ].map((k) => [k, stat(rs, phase, k)]),
          );
        S[`${scenario}.${kind}`] = {
          closed: get('closed'),
          paced: get('paced'),
          wireBytes: rs[0]?.wireBytes ?? Number.NaN,
          disturbed: rs.filter((r) => r.disturbed).length,
          rounds: rs.length,
        };
      }
    }
    const closedRows = [];
    const pacedRows = [];
    for (const scenario of ['signal', 'relay']) {
      for (const kind of ['ours', 'peer']) {
        const { closed: c, paced: p, wireBytes } = S[`${scenario}.${kind}`];
        closedRows.push(
          `| ${label[scenario]} | ${name[kind]} | ${fmt(wireBytes)} B | ${show(c.msgsPerSec, fmtInt)} | ${ms(c.p50.med)} | ${show(c.p99, ms)} | ${pct(c.serverCpu.med)} | **${show(c.msgsPerCpuSec, fmtInt)}** | ${us(c.userUsPerMsg.med)} + ${us(c.sysUsPerMsg.med)} | ${pct(c.loadgenCpu.med)} |`,
        );
        pacedRows.push(
          `| ${label[scenario]} | ${name[kind]} | ${fmtInt(p.msgsPerSec.med)} | ${ms(p.p50.med)} | **${show(p.p99, ms)}** | ${pct(p.serverCpu.med)} | **${show(p.msgsPerCpuSec, fmtInt)}** | ${us(p.userUsPerMsg.med)} + ${us(p.sysUsPerMsg.med)} |`,
        );
      }
      const o = S[`${scenario}.ours`];
      const q = S[`${scenario}.peer`];
      const rc = (k) => ratio(o.closed[k].med, q.closed[k].med);
      const rp = (k) => ratio(o.paced[k].med, q.paced[k].med);
      closedRows.push(
        `| ${label[scenario]} | **lanparty ÷ PeerJS** | | ${rc('msgsPerSec')} | ${rc('p50')} | ${rc('p99')} | | **${rc('msgsPerCpuSec')}** | user ${ratio(o.closed.userUsPerMsg.med, q.closed.userUsPerMsg.med)}, sys ${ratio(o.closed.sysUsPerMsg.med, q.closed.sysUsPerMsg.med)} | |`,
      );
      pacedRows.push(
        `| ${label[scenario]} | **lanparty ÷ PeerJS** | | ${rp('p50')} | ${rp('p99')} | | **${rp('msgsPerCpuSec')}** | user ${ratio(o.paced.userUsPerMsg.med, q.paced.userUsPerMsg.med)}, sys ${ratio(o.paced.sysUsPerMsg.med, q.paced.sysUsPerMsg.med)} |`,
      );
    }
    const notMeasured = {
      n: 0,
      before: Number.NaN,
      after: Number.NaN,
      bytesPerConn: Number.NaN,
      slopeBytesPerConn: Number.NaN,
      heapBytesPerConn: Number.NaN,
      idleCpu: Number.NaN,
    };
    const io = idleResults.ours ?? notMeasured;
    const ip = idleResults.peer ?? notMeasured;
    const perCpu = (scenario, phase) =>
      S[`${scenario}.ours`][phase].msgsPerCpuSec.med /
      S[`${scenario}.peer`][phase].msgsPerCpuSec.med;
    /**
     * Each round's lanparty ÷ PeerJS messages per CPU-second. The two servers of a round run back
     * to back, so a drift of this shared machine between rounds (seen: 30% within minutes)
     * cancels out in a round's ratio and not in the ratio of the medians.
     */
    const roundRatios = (scenario, phase) => {
      const o = results[scenario].ours;
      const q = results[scenario].peer;
      const xs = [];
      for (let i = 0; i < Math.min(o.length, q.length); i++) {
        if (o[i].disturbed || q[i].disturbed) continue;
        xs.push(o[i][phase].msgsPerCpuSec / q[i][phase].msgsPerCpuSec);
      }
      return { med: median(xs), min: Math.min(...xs), max: Math.max(...xs), n: xs.length };
    };
    const times = (x) => (Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');
    const paired = (scenario, phase) => {
      const r = roundRatios(scenario, phase);
      return r.n > 1
        ? `${times(r.med)} (${times(r.min)}–${times(r.max)}, ${r.n} rounds)`
        : times(r.med);
    };
    const verdict = (ok) => (ok ? '**PASS**' : '**MISS**'); // NaN (not measured) compares false
    const targets = [
      ...[
        ['relay', 'relay path', 2],
        ['signal', 'signaling path', 1.5],
      ].map(
        ([scenario, what, target]) =>
          `${verdict(roundRatios(scenario, 'closed').med >= target)} ${what}, messages per server CPU-second ≥ ${target}× PeerJS, median of each round's ratio: **${paired(scenario, 'closed')}** closed loop, ${paired(scenario, 'paced')} at the paced ${fmtInt(PACED_RATE)} msg/s (ratio of the medians: ${times(perCpu(scenario, 'closed'))} and ${times(perCpu(scenario, 'paced'))})`,
      ),
      ...['signal', 'relay'].map((scenario) => {
        const { closed: c, paced: p } = S[`${scenario}.ours`];
        return `${verdict(p.p99.med < 10)} p99 round trip < 10 ms at ${PAIRS * 2} clients, lanparty, ${label[scenario]}: **${ms(p.p99.med)} ms** at ${fmtInt(PACED_RATE)} msg/s; ${verdict(c.p99.med < 10)} in the saturated closed loop: ${ms(c.p99.med)} ms (bound by the load generator, see notes)`;
      }),
      `${verdict(io.bytesPerConn <= 2048)} ≤ 2 KB (2,048 B) server memory per idle connection, lanparty: **${fmt(io.bytesPerConn)} B** (${IDLE_MODE === 'open' ? 'opened only' : 'each one a lobby host'})`,
    ];
    const disturbed = Object.entries(S).filter(([, s]) => s.disturbed > 0);
    const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
    const md = [
      `# lanparty signaling benchmark`,
      '',
      ...(incomplete
        ? [
            `**INCOMPLETE: the ${WATCHDOG_MS / 1000} s watchdog ended this run; what was not measured shows as n/a and MISS.**`,
            '',
          ]
        : []),
      `- Date: ${new Date().toISOString()}`,
      `- Machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memGb} GiB RAM, ${machine.kernel}, Node ${machine.node}, fd limit ${machine.fdLimit}, CLK_TCK ${machine.clkTck}`,
      `- Command: \`${command}\` (= \`node test/bench/run.mjs\`, which re-runs itself as the load generator:`,
      `  \`bash -c '${ULIMIT}; exec taskset -c ${LOADGEN_CORE} node test/bench/run.mjs'\`, CPU ${machine.loadgenCpus}, \`ws@${pkgVersion('ws')}\` clients)`,
      `  - lanparty (CPU ${serverCpus}): \`bash -c '${commandOf('ours')}'\``,
      `  - PeerJS (CPU ${serverCpus}, \`peer@${pkgVersion('peer')}\`: Express + \`ws\`): \`bash -c '${commandOf('peer')}'\``,
      `- lanparty's uWS engine (GET /healthz): **${engine ?? 'unknown'}**`,
      `- (a) and (b): ${PAIRS * 2} clients in ${PAIRS} pairs; ${ROUNDS} round(s), each with a fresh server process; medians, (min–max) over the rounds not disturbed by other processes (rounds used: ${Object.entries(
        S,
      )
        .map(([k, v]) => `${k} ${v.rounds}`)
        .join(', ')}). Whole run: ${totalSeconds.toFixed(0)} s.`,
      '',
      `## Closed loop: each pair ping-pongs as fast as it can (${WARMUP_MS / 1000} s warm-up, ${DURATION_MS / 1000} s measured)`,
      '',
      `| Scenario | Server | Message on the wire | Messages/s | p50 RTT ms | p99 RTT ms | Server CPU | Messages per server CPU-s | Server µs/msg user + sys | Load gen CPU |`,
      `|---|---|---|---|---|---|---|---|---|---|`,
      ...closedRows,
      '',
      `## Paced: the same ${PAIRS * 2} clients, ${fmtInt(PACED_RATE)} messages/s in all (${PACED_WARMUP_MS / 1000} s warm-up, ${PACED_MS / 1000} s measured)`,
      '',
      `| Scenario | Server | Messages/s | p50 RTT ms | p99 RTT ms | Server CPU | Messages per server CPU-s | Server µs/msg user + sys |`,
      `|---|---|---|---|---|---|---|---|`,
      ...pacedRows,
      '',
      `## (c) Idle connections`,
      '',
      `| Server | Connections | VmRSS before → after (MB) | Memory per idle connection | Slope N/2 → N | of which V8 heap | Server CPU while idle | An idle connection |`,
      `|---|---|---|---|---|---|---|---|`,
      `| lanparty | ${io.n} | ${mb(io.before)} → ${mb(io.after)} | **${fmt(io.bytesPerConn)} B** | ${fmt(io.slopeBytesPerConn)} B | ${fmt(io.heapBytesPerConn)} B | ${pct(io.idleCpu)} | ${IDLE_MODE === 'open' ? 'opened `/ws` only (not in a lobby)' : `opened \`/ws\` and created its own lobby: a seated member, ${io.health?.lobbies ?? '?'} lobbies open`}; the server pings it after ${heartbeatMs} ms of silence |`,
      `| PeerJS | ${ip.n} | ${mb(ip.before)} → ${mb(ip.after)} | **${fmt(ip.bytesPerConn)} B** | ${fmt(ip.slopeBytesPerConn)} B | ${fmt(ip.heapBytesPerConn)} B | ${pct(ip.idleCpu)} | opened \`/peerjs\` and got OPEN; sends HEARTBEAT every 5 s as PeerJS clients do |`,
      `| **lanparty ÷ PeerJS** | | | **${ratio(io.bytesPerConn, ip.bytesPerConn)}** | ${ratio(io.slopeBytesPerConn, ip.slopeBytesPerConn)} | ${ratio(io.heapBytesPerConn, ip.heapBytesPerConn)} | ${ratio(io.idleCpu, ip.idleCpu)} | |`,
      '',
      `## Targets`,
      '',
      ...targets.map((t) => `- ${t}`),
      '',
      `## How it is measured`,
      '',
      `- Messages/s: messages delivered to clients (a round trip is 2 messages through the server). RTT: A sends, B answers on receipt, A receives; timed at A (two trips through the server and the load generator's event loop).`,
      `- Messages per server CPU-second: messages delivered in the window ÷ the server process's utime+stime over the same window (/proc/<pid>/stat, ÷ CLK_TCK). "µs/msg user + sys" splits the same CPU time per message.`,
      `- (a) payload: the same ${SIGNAL_PAYLOAD_BYTES} B ICE candidate object, sent as \`{type:'signal', to, data}\` to lanparty (host created the lobby, guest joined it) and as \`{type:'CANDIDATE', dst, payload}\` to PeerJS.`,
      `- (b) lanparty: binary relay frames of ${RELAY_FRAME_BYTES} B (4 B header \`[1, flags, peerHi, peerLo]\` + ${RELAY_PAYLOAD.length} B payload) between host and guest. **PeerJS has no binary relay**: its baseline is the same ${RELAY_PAYLOAD.length} B payload, base64 (${RELAY_B64.length} chars), in a JSON CANDIDATE message it forwards.`,
      `- Closed loop latency: with ${PAIRS} round trips always in flight, RTT ≈ ${PAIRS} ÷ round trips per second (Little's law), i.e. set by the throughput of the whole loop, which the single load generator process caps (its CPU column): it measures queueing, not the server. The paced phase measures latency.`,
      `- Paced: every ~1 ms the load generator starts the round trips that are due (${fmtInt(PACED_RATE / 2)}/s, pairs in turn), so both servers get the same load and their CPU per message is compared at equal batching.`,
      `- (c) memory: (VmRSS after − VmRSS before) ÷ N, from /proc/<pid>/status, each read after the garbage collection a debugger asks for (HeapProfiler.collectGarbage: V8's collection for low memory, which also gives back the pages V8 keeps pooled), over an in-process inspector session (both servers started with \`--require ./test/bench/gc-on-signal.cjs\` for this scenario only; SIGUSR2 runs it; no \`--inspect\`), ${SETTLE_MS / 1000} s after the last connection, after 200 warm-up connections came and went; lanparty with the environment \`npm start\` gives it (${START_ENV.join(' ') || 'none'}). ${IDLE_ROUNDS} round(s), each server fresh in each; the table shows the run with the median memory per connection (all runs: lanparty ${(idleResults.ours?.runs ?? []).map((r) => fmt(r.bytesPerConn)).join(', ') || 'n/a'} B; PeerJS ${(idleResults.peer?.runs ?? []).map((r) => fmt(r.bytesPerConn)).join(', ') || 'n/a'} B). "Slope": growth from N/2 to N connections ÷ N/2, which leaves out one-off growth. V8 heap: \`process.memoryUsage().heapUsed\`. Kernel socket buffers are not in RSS.`,
      `- The load generator checks every message it receives (exact length; for relay frames the version byte and the sender id the server stamped) without JSON.parse, so it stays as light as \`ws\` allows. Runs where other processes used more than ${pct(FOREIGN_LIMIT)} of core ${SERVER_CORE} or ${LOADGEN_CORE} over a window, or ${pct(FOREIGN_PEAK_LIMIT)} in any 250 ms of it (from /proc/stat), or with unexpected messages, closes or stalled pairs, were run again (${retries} time(s) this run).`,
      `- Other processes' load on cores ${SERVER_CORE} and ${LOADGEN_CORE} just before each run (the machine is shared; the script waits up to 5 s for < ${pct(FOREIGN_LIMIT)}): median ${pct(median(backgroundLoads))}, max ${pct(Math.max(...backgroundLoads))}.`,
      ...warnings.map((w) => `- Warning: ${w}`),
      ...disturbed.map(
        ([k, s]) =>
          `- Warning: ${k}: only disturbed rounds (${s.disturbed}) to report: no time was left to run it again (see stderr)`,
      ),
      '',
    ].join('\n');
    return md;
  }

  const plan = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const scenario of ['signal', 'relay'].filter((s) => ONLY.includes(s))) {
      // Alternate which server goes first, so neither always runs on a "fresh" machine.
      const order = round % 2 === 1 ? ['ours', 'peer'] : ['peer', 'ours'];
      for (const kind of order.filter((k) => SERVERS.includes(k)))
        plan.push({ round, scenario, kind });
    }
  }
  const RUN_S = (WARMUP_MS + DURATION_MS + PACED_WARMUP_MS + PACED_MS) / 1000 + 3;
  const backgroundLoads = [];
  for (const [i, { round, scenario, kind }] of plan.entries()) {
    for (let attempt = 1; ; attempt++) {
      // Time left beyond what the rest of the plan needs: for waiting on quiet, and re-runs.
      const slackS = () =>
        WATCHDOG_MS / 1000 - 10 - elapsed() - (plan.length - i) * RUN_S - IDLE_RESERVE_S;
      backgroundLoads.push(
        await waitForQuiet(FOREIGN_LIMIT, Math.min(5000, Math.max(0, slackS() * 1000))),
      );
      const server = await startServer(kind);
      serverCpus = server.cpus;
      let r;
      try {
        if (kind === 'ours') engine ??= (await healthz(server)).engine;
        r = await pingPong(server, scenario);
      } finally {
        await server.stop();
      }
      const problems = r.unexpected + r.closedEarly.length + r.stalled;
      r.disturbed =
        r.closed.foreign > FOREIGN_LIMIT ||
        r.paced.foreign > FOREIGN_LIMIT ||
        r.closed.foreignPeak > FOREIGN_PEAK_LIMIT ||
        r.paced.foreignPeak > FOREIGN_PEAK_LIMIT ||
        problems > 0;
      log(
        `  round ${round} ${scenario.padEnd(6)} ${kind.padEnd(4)}${attempt > 1 ? ` (again)` : ''}: closed loop ${describe(r.closed)}; paced ${describe(r.paced)} (setup ${(r.setupMs / 1000).toFixed(1)} s${r.unexpected ? `, ${r.unexpected} unexpected: ${r.firstUnexpected}` : ''}${r.closedEarly.length ? `, ${r.closedEarly.length} closed early: ${[...new Set(r.closedEarly)]}` : ''}${r.stalled ? `, ${r.stalled} stalled` : ''}${r.paced.skipped ? `, ${r.paced.skipped} paced sends skipped` : ''})${r.disturbed ? ' DISTURBED' : ''}`,
      );
      // Run it again only if the rest of the plan still fits in the time limit.
      if (r.disturbed && attempt < 3 && slackS() > 0) {
        retries++;
        continue;
      }
      results[scenario][kind].push(r);
      break;
    }
  }
  const idleKinds = ['ours', 'peer'].filter((k) => ONLY.includes('idle') && SERVERS.includes(k));
  for (let round = 0; round < IDLE_ROUNDS; round++) {
    for (const kind of idleKinds) {
      backgroundLoads.push(await waitForQuiet(FOREIGN_LIMIT, 3000));
      const server = await startServer(kind, { gcOnSignal: true });
      try {
        const r = await idle(server);
        idleRuns[kind] = [...(idleRuns[kind] ?? []), r];
        log(
          `  idle ${kind.padEnd(4)}: ${r.n} connections in ${(r.connectMs / 1000).toFixed(1)} s, RSS ${mb(r.before)} -> ${mb(r.after)} MB (before GC ${mb(r.rawAfter)} MB): ${Math.round(r.bytesPerConn)} B/connection, slope ${Math.round(r.slopeBytesPerConn)} B, RssAnon ${Math.round(r.anonBytesPerConn)} B (slope ${Math.round(r.anonSlopeBytesPerConn)} B), V8 heap ${Math.round(r.heapBytesPerConn)} B, server CPU while idle ${pct(r.idleCpu)}${r.closedEarly.length ? `, ${r.closedEarly.length} closed early: ${[...new Set(r.closedEarly)]}` : ''}${r.health ? `, server says ${r.health.connections} connections, ${r.health.lobbies} lobbies` : ''}`,
        );
      } finally {
        await server.stop();
      }
    }
  }
  for (const [kind, runs] of Object.entries(idleRuns)) {
    // The run with the median memory per connection (a run's figures belong together).
    const sorted = runs.toSorted((a, b) => a.bytesPerConn - b.bytesPerConn);
    idleResults[kind] = { ...sorted[Math.floor((sorted.length - 1) / 2)], runs };
    if (runs.length > 1) {
      log(
        `  idle ${kind.padEnd(4)}: median of ${runs.length} runs ${Math.round(idleResults[kind].bytesPerConn)} B/connection (${runs.map((r) => Math.round(r.bytesPerConn)).join(', ')})`,
      );
    }
  }
  if (PARTIAL) {
    log(`bench: partial run (--only/--servers): no report (${elapsed().toFixed(0)} s)`);
    process.exit(0);
  }
  const md = report(false);
  console.log(md);
  if (opts['write-results']) {
    writeFileSync(join(ROOT, 'test/bench/RESULTS.md'), md);
    log('bench: wrote test/bench/RESULTS.md');
  }
  process.exit(0);
}

// ==== helpers ===================================================================================

/** A `ws` client with a queue for the setup phase and a hot-path handler for the measurement. */
class Conn {
  static open(url) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false, autoPong: true });
      const conn = new Conn(ws);
      const timer = setTimeout(() => {
        ws.terminate();
        reject(new Error(`timed out connecting to ${url}`));
      }, 15_000);
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(conn);
      });
      ws.once('unexpected-response', (req, res) => {
        clearTimeout(timer);
        req.destroy();
        reject(new Error(`upgrade refused with HTTP ${res.statusCode} by ${url}`));
      });
      ws.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
    });
  }

  constructor(ws) {
    this.ws = ws;
    this.queue = [];
    this.onMessage = undefined;
    this.waiter = undefined;
    this.closeCode = undefined;
    this.ending = false;
    ws.on('message', (data, isBinary) => {
      if (this.onMessage) return this.onMessage(data, isBinary);
      this.queue.push(isBinary ? data : data.toString());
      this.waiter?.();
    });
    ws.on('error', () => {});
    ws.on('close', (code) => {
      if (!this.ending) this.closeCode = code;
      this.waiter?.();
    });
  }

  send(text) {
    this.ws.send(text);
  }

  /** The next queued JSON text message matching `pred` (earlier non-matching ones are dropped). */
  nextJson(pred, ms = 15_000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error('timed out waiting for a message'));
      }, ms);
      const attempt = () => {
        while (this.queue.length > 0) {
          const m = this.queue.shift();
          if (typeof m !== 'string') continue;
          const json = JSON.parse(m);
          if (pred(json)) {
            clearTimeout(timer);
            this.waiter = undefined;
            resolve(json);
            return;
          }
        }
        if (this.closeCode !== undefined) {
          clearTimeout(timer);
          this.waiter = undefined;
          reject(new Error(`connection closed with ${this.closeCode}`));
        }
      };
      this.waiter = attempt;
      attempt();
    });
  }

  terminate() {
    this.ending = true;
    this.ws.terminate();
  }
}

/** PeerJS clients send {type:'HEARTBEAT'} every 5 s; spread over 20 slices of 250 ms. */
function peerHeartbeats(conns) {
  const beat = JSON.stringify({ type: 'HEARTBEAT' });
  let slice = 0;
  const timer = setInterval(() => {
    for (let i = slice; i < conns.length; i += 20) {
      if (conns[i]?.ws.readyState === WebSocket.OPEN) conns[i].ws.send(beat);
    }
    slice = (slice + 1) % 20;
  }, 250);
  return () => clearInterval(timer);
}

/** A text message of exactly this many bytes (messages of other kinds have other lengths). */
function textOfLength(text) {
  const n = Buffer.byteLength(text);
  return (data, isBinary) => !isBinary && data.length === n;
}

/** A relay frame of the expected length, stamped by the server with `sender`. */
function frameFrom(sender) {
  const hi = sender >> 8;
  const lo = sender & 0xff;
  return (data, isBinary) =>
    isBinary && data.length === 100 && data[0] === 1 && data[2] === hi && data[3] === lo;
}

/**
 * Waits (up to `maxMs`) until cores SERVER_CORE and LOADGEN_CORE are busy less than `limit` with
 * other processes' work (this machine is shared); returns the last busy share seen.
 */
async function waitForQuiet(limit, maxMs) {
  const deadline = performance.now() + maxMs;
  for (;;) {
    const a = coreTicks();
    await sleep(500);
    const b = coreTicks();
    const shares = coreShares(a, b, CLK_TCK, 0.5);
    const busy = Math.max(shares[SERVER_CORE]?.busy ?? 0, shares[LOADGEN_CORE]?.busy ?? 0);
    if (busy < limit || performance.now() > deadline) return busy;
  }
}

/** Per-core busy time from /proc/stat (clock ticks): everything but idle and iowait. */
function coreTicks() {
  const cores = {};
  for (const line of readFileSync('/proc/stat', 'utf8').split('\n')) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    // user nice system idle iowait irq softirq steal
    const [user, nice, system, , , irq, softirq, steal] = m[2].split(' ').map(Number);
    cores[m[1]] = { busy: user + nice + system + irq + softirq + steal, irq: irq + softirq, steal };
  }
  return cores;
}

/** Share of each core that was busy between two coreTicks() readings. */
function coreShares(a, b, clkTck, seconds) {
  const out = {};
  for (const k of Object.keys(b)) {
    const f = (key) => (b[k][key] - a[k][key]) / clkTck / seconds;
    out[k] = { busy: f('busy'), irq: f('irq'), steal: f('steal') };
  }
  return out;
}

/** utime and stime of a process, in clock ticks. */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]), sys: Number(fields[12]) };
}

/** Resident set size in bytes. */
/**
 * A memory figure from /proc/<pid>/status, in bytes. `RssAnon` is the part of VmRSS that is
 * the process's own memory (heaps, allocator); VmRSS adds file pages such as the node binary's
 * code, which a process touches once (e.g. when the optimizing compiler first runs) whatever the
 * number of connections.
 */
function statusBytes(pid, field) {
  const kb = new RegExp(`${field}:\\s*(\\d+)\\s*kB`).exec(
    readFileSync(`/proc/${pid}/status`, 'utf8'),
  )?.[1];
  return Number(kb) * 1024;
}

async function pool(n, concurrency, fn) {
  let next = 0;
  const worker = async () => {
    while (next < n) await fn(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, worker));
}

/** Polls `get` until it returns a value; rejects after `ms` or when `exited` resolves first. */
function waitUntil(get, ms, what, exited) {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + ms;
    let done = false;
    exited?.then((code) => {
      if (!done) {
        done = true;
        reject(new Error(`exited with ${code}: ${what()}`));
      }
    });
    const poll = () => {
      if (done) return;
      const v = get();
      if (v !== undefined) {
        done = true;
        resolve(v);
      } else if (Date.now() > deadline) {
        done = true;
        reject(new Error(`timed out: ${what()}`));
      } else setTimeout(poll, 20);
    };
    poll();
  });
}

function percentile(sorted, q) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const fmtInt = (x) => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a');
const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : 'n/a');
const mb = (b) => (Number.isFinite(b) ? (b / 2 ** 20).toFixed(1) : 'n/a');
const ratio = (a, b) => (Number.isFinite(a / b) ? `${(a / b).toFixed(2)}×` : 'n/a');
const fmt = fmtInt;

function pkgVersion(name) {
  return JSON.parse(readFileSync(join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

// ==== Launcher: build if needed, then re-run this script as the load generator on core 1 =====
// (at the end, so that every class and helper above is initialised first)

if (process.env[ROLE_ENV] !== '1') {
  // Build output goes to stderr: stdout is the report.
  execFileSync(process.execPath, [join(ROOT, 'esbuild.config.mjs'), '--if-needed'], {
    cwd: ROOT,
    stdio: ['ignore', 2, 2],
  });
  const self = ['node', 'test/bench/run.mjs', ...process.argv.slice(2)].map(shq).join(' ');
  const child = spawn('bash', ['-c', `${ULIMIT}; exec taskset -c ${LOADGEN_CORE} ${self}`], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, [ROLE_ENV]: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  await loadGenerator();
}
