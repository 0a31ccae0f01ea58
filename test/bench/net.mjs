// Browser networking benchmark: lanparty's own client code (SignalingClient, PeerNetwork,
// Session, DirectTransport over simple-peer, RelayTransport) in real Chromium, against the real
// server, on loopback. Not a test: it prints figures, and PASS/MISS against the targets.
//
//   node test/bench/net.mjs [--joins 10] [--round-trips 2000] [--messages 50000]
//                           [--batch 500] [--window 8192] [--driver cdp|playwright] [--no-write]
//
// The server runs as a child process (`node dist/server/main.js`, rate limits raised so the
// benchmark measures the path, not the limiter). Chromium is launched by playwright-core; two
// pages in separate browser contexts are both on the server's own origin (a blank, cross-origin
// isolated page at <server>/net-bench, so the app itself does not run); the bundled
// test/bench/net-page.ts exposes `window.bench`, which the driver calls with Runtime.evaluate.
// By default (`--driver cdp`) the pages are made and driven over Chromium's DevTools endpoint on
// loopback, because Playwright's own pages have the DevTools Network domain enabled, which copies
// every WebSocket frame to the driver and slows the relay path about twofold on 2 cores;
// `--driver playwright` uses Playwright pages (`page.evaluate`) anyway, to compare.
//
//   1. join: a guest joins the host's lobby (`--joins` times, after one unreported warm-up join):
//      ms from constructing its SignalingClient to the first message from the host (sent by the
//      host as soon as its session to the guest exists, so over the relay), and to the guest's
//      session moving to the direct link (`onKind('direct')`: a ping answered over WebRTC).
//   2. RTT: sequential 100-byte reliable echoes (guest → host → guest), guest clock only, over
//      the direct link and for a relay-only guest (`relayOnly: true`).
//   3. throughput: 100-byte reliable messages one way (guest → host), sent `--batch` per task with
//      at most `--window` unacknowledged; timed on the guest from the first send to the host's
//      "all arrived" message. Unreliable over direct: the same sends, delivered/sent counted at
//      the host.
//
// Writes the report to test/bench/NET-RESULTS.md too (unless --no-write).
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as esbuild from 'esbuild';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { oneFileOptions } from '../../esbuild.config.mjs';
import { freePort, ROOT, startServerProcess } from '../support/server-process.mjs';

const RESULTS = join(ROOT, 'test/bench/NET-RESULTS.md');
/** Hard bound on the whole run, whatever happens. */
const WATCHDOG_MS = 115_000;
const JOIN_TIMEOUT_MS = 5_000;
const PHASE_TIMEOUT_MS = 20_000;
const MESSAGE_BYTES = 100;
/** Above this share of CPU in use before the run, the report says its figures are disturbed. */
const BUSY_WARN_PERCENT = 20;
const TARGETS = { firstMs: 100, directMs: 250, directRttP99Ms: 1 };

const { values: opts } = parseArgs({
  options: {
    joins: { type: 'string', default: '10' },
    'round-trips': { type: 'string', default: '2000' },
    messages: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '500' },
    window: { type: 'string', default: '8192' },
    /** How the pages are driven: cdp (default, no network instrumentation) or playwright. */
    driver: { type: 'string', default: 'cdp' },
    'no-write': { type: 'boolean', default: false },
  },
});
const JOINS = Number(opts.joins);
const ROUND_TRIPS = Number(opts['round-trips']);
const MESSAGES = Number(opts.messages);
const BATCH = Number(opts.batch);
const WINDOW = Number(opts.window);
const DRIVER = opts.driver;
if (DRIVER !== 'cdp' && DRIVER !== 'playwright') throw new Error(`bad --driver: ${DRIVER}`);
for (const [name, n] of Object.entries({ JOINS, ROUND_TRIPS, MESSAGES, BATCH, WINDOW })) {
  if (!Number.isInteger(n) || n < 1) throw new Error(`bad --${name.toLowerCase()}: ${n}`);
}
const COMMAND = ['node', 'test/bench/net.mjs', ...process.argv.slice(2)].join(' ');

// ---- child processes ---------------------------------------------------------------------------

/** @type {import('../support/server-process.mjs').ServerProcess | undefined} */
let server;
/** @type {import('playwright-core').Browser | undefined} */
let browser;
/** @type {Cdp | undefined} */
let cdp;

async function cleanup() {
  cdp?.close();
  cdp = undefined;
  const b = browser;
  browser = undefined;
  await b?.close().catch(() => {});
  const s = server;
  server = undefined;
  await s?.stop();
}

const watchdog = setTimeout(() => {
  console.error(`net bench: watchdog: still running after ${WATCHDOG_MS / 1000} s, giving up`);
  cleanup().finally(() => process.exit(3));
  setTimeout(() => process.exit(3), 5000).unref();
}, WATCHDOG_MS);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => cleanup().finally(() => process.exit(130)));
}

/** Starts the server on a free loopback port; resolves with its URL and engine. */
async function startServer() {
  // Bring dist/ up to date; if the build fails (someone's half-finished edit elsewhere in web/),
  // the existing server build still serves, and the report says so.
  let buildNote = '';
  try {
    execFileSync(process.execPath, [join(ROOT, 'esbuild.config.mjs'), '--if-needed'], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (error) {
    const main = join(ROOT, 'dist/server/main.js');
    if (!existsSync(main)) throw error;
    const first =
      String(error.stderr ?? error.message)
        .split('\n')
        .find((l) => l.trim()) ?? '';
    buildNote = `build failed (${first.trim().slice(0, 160)}); ran the existing dist/server/main.js of ${statSync(main).mtime.toISOString()}`;
    console.error(`net bench: ${buildNote}`);
  }
  server = await startServerProcess({
    logLevel: 'info',
    flags: [
      // Limits high enough that only the path is measured.
      ...['--conn-message-rate', '1000000', '--conn-message-burst', '10000000'],
      ...['--address-message-rate', '10000000', '--address-message-burst', '100000000'],
      ...['--joins-per-minute', '100000', '--connections-per-address', '1000'],
      ...['--creates-per-minute', '100000', '--lobbies-per-address', '100000'],
    ],
  });
  const out = server.output();
  // Keep draining its output; keep warnings and errors for the report.
  const problems = [];
  server.child().stdout?.on('data', (chunk) => {
    for (const line of String(chunk).split('\n')) {
      if (/"level":(40|50|60)\b|\b(WARN|ERROR|FATAL)\b/.test(line)) problems.push(line.trim());
    }
  });
  server.child().stderr?.on('data', (chunk) => problems.push(String(chunk).trim()));
  const engine = out.match(/"engine":"(\w+)"/)?.[1] ?? (/engine\W+(\w+)/.exec(out)?.[1] || '?');
  return { url: server.url, engine, problems, buildNote };
}

/** Share of all CPUs busy over `ms` (Linux /proc/stat), as a percentage; NaN elsewhere. */
async function cpuBusy(ms) {
  const sample = () => {
    try {
      const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
      const n = fields.slice(1, 9).map(Number);
      const total = n.reduce((a, b) => a + b, 0);
      return { total, idle: (n[3] ?? 0) + (n[4] ?? 0) };
    } catch {
      return undefined;
    }
  };
  const a = sample();
  await new Promise((r) => setTimeout(r, ms));
  const b = sample();
  if (!a || !b || b.total === a.total) return Number.NaN;
  return (1 - (b.idle - a.idle) / (b.total - a.total)) * 100;
}

// ---- browser -----------------------------------------------------------------------------------

async function bundlePage() {
  const result = await esbuild.build({
    ...oneFileOptions(),
    entryPoints: [join(ROOT, 'test/bench/net-page.ts')],
    write: false,
    format: 'esm',
  });
  return result.outputFiles[0].text;
}

const PAGE_PATH = '/net-bench';
const PAGE_HTML = '<!doctype html><title>lanparty net bench</title>';
// Cross-origin isolation (COOP + COEP) makes performance.now() precise to 5 µs instead of
// 100 µs: needed for sub-millisecond RTTs.
const PAGE_HEADERS = {
  'content-type': 'text/html',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'require-corp',
};
const INJECT = (script) =>
  `(() => { const s = document.createElement('script'); s.type = 'module'; s.textContent = ${JSON.stringify(script)}; document.head.append(s); })()`;

/**
 * The page (for either driver) is a blank document at <server>/net-bench, fulfilled by the
 * driver's request interception: its origin is the server's (so /ws accepts it) and it is
 * cross-origin isolated. A fulfilled page has no known address, so Chromium's Local Network
 * Access checks would treat it as public and block its connections to 127.0.0.1: its browser
 * context is granted that permission.
 *
 * Playwright driver: a Playwright page. Playwright enables the DevTools Network domain on every
 * page it controls and listens to every WebSocket frame: each relay message is then also copied
 * (base64) to this process, which loads the relay path on a 2-core machine.
 */
async function openPlaywrightPage(url, script, errors) {
  const context = await browser.newContext({ permissions: ['local-network-access'] });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(e.message));
  await page.route(`${url}${PAGE_PATH}`, (route) =>
    route.fulfill({ status: 200, headers: PAGE_HEADERS, body: PAGE_HTML }),
  );
  await page.goto(`${url}${PAGE_PATH}`);
  await page.addScriptTag({ content: script, type: 'module' });
  return { evaluate: (fn, args) => page.evaluate(fn, args) };
}

/** A minimal Chrome DevTools Protocol client over one WebSocket, with flat sessions. */
class Cdp {
  static async connect(wsUrl) {
    const socket = new WebSocket(wsUrl, { perMessageDeflate: false, maxPayload: 1 << 30 });
    await once(socket, 'open');
    return new Cdp(socket);
  }
  constructor(socket) {
    this.socket = socket;
    this.nextId = 1;
    this.calls = new Map();
    this.listeners = new Map();
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.id !== undefined) {
        const call = this.calls.get(msg.id);
        this.calls.delete(msg.id);
        if (msg.error) call?.reject(new Error(`${call.method}: ${msg.error.message}`));
        else call?.resolve(msg.result);
        return;
      }
      for (const handler of this.listeners.get(msg.method) ?? [])
        handler(msg.params, msg.sessionId);
    });
    socket.on('error', () => {}); // 'close' follows, and rejects what is pending
    socket.on('close', () => {
      for (const call of this.calls.values()) call.reject(new Error('DevTools connection closed'));
      this.calls.clear();
    });
  }
  send(method, params = {}, sessionId = undefined) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.calls.set(id, { method, resolve, reject });
      this.socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    });
  }
  on(method, handler) {
    const list = this.listeners.get(method) ?? [];
    list.push(handler);
    this.listeners.set(method, list);
  }
  close() {
    this.socket.close();
  }
}

/**
 * CDP driver: the browser is still launched by Playwright, but the two pages are made over the
 * browser's own DevTools endpoint (loopback), in browser contexts Playwright does not know, so it
 * detaches from them; this driver enables only what it needs to load the page (Page, Fetch),
 * disables that again, and keeps Runtime (evaluate, and uncaught exceptions). No DevTools domain
 * watches the page's network traffic while it is measured.
 */
async function openCdpPage(cdp, url, script, errors) {
  const { browserContextId } = await cdp.send('Target.createBrowserContext', {
    disposeOnDetach: true,
  });
  for (const permissions of [
    ['localNetworkAccess', 'localNetwork', 'loopbackNetwork'],
    ['localNetworkAccess'],
  ]) {
    const ok = await cdp.send('Browser.grantPermissions', { browserContextId, permissions }).then(
      () => true,
      () => false,
    );
    if (ok) break;
  }
  const { targetId } = await cdp.send('Target.createTarget', {
    url: 'about:blank',
    browserContextId,
  });
  const { sessionId } = await cdp.send('Target.attachToTarget', { targetId, flatten: true });
  const send = (method, params) => cdp.send(method, params, sessionId);
  cdp.on('Runtime.exceptionThrown', (p, s) => {
    if (s === sessionId)
      errors.push(p.exceptionDetails.exception?.description ?? p.exceptionDetails.text);
  });
  cdp.on('Fetch.requestPaused', (p, s) => {
    if (s !== sessionId) return;
    send('Fetch.fulfillRequest', {
      requestId: p.requestId,
      responseCode: 200,
      responseHeaders: Object.entries(PAGE_HEADERS).map(([name, value]) => ({ name, value })),
      body: Buffer.from(PAGE_HTML).toString('base64'),
    }).catch((e) => errors.push(e.message));
  });
  let loaded;
  const load = new Promise((resolve) => {
    loaded = resolve;
  });
  cdp.on('Page.loadEventFired', (_p, s) => s === sessionId && loaded());
  await send('Runtime.enable');
  await send('Page.enable');
  await send('Fetch.enable', { patterns: [{ urlPattern: `${url}${PAGE_PATH}` }] });
  await send('Page.navigate', { url: `${url}${PAGE_PATH}` });
  await Promise.race([load, new Promise((r) => setTimeout(r, 10_000))]);
  await send('Fetch.disable');
  await send('Page.disable');
  const evaluate = async (fn, args) => {
    const expression = typeof fn === 'string' ? fn : `(${fn})(${JSON.stringify(args)})`;
    const { result, exceptionDetails } = await send('Runtime.evaluate', {
      expression,
      awaitPromise: true,
      returnByValue: true,
    });
    if (exceptionDetails) {
      throw new Error(exceptionDetails.exception?.description ?? exceptionDetails.text);
    }
    return result.value;
  };
  await evaluate(INJECT(script));
  return { evaluate };
}

/** A page in its own browser context, on the server's origin, with `window.bench`. */
async function openPage(url, script, errors) {
  const page =
    DRIVER === 'cdp'
      ? await openCdpPage(cdp, url, script, errors)
      : await openPlaywrightPage(url, script, errors);
  const end = performance.now() + 10_000;
  while (!(await page.evaluate(() => window.bench !== undefined, []))) {
    if (performance.now() > end) throw new Error(`the bench script did not load: ${errors}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  if (!(await page.evaluate(() => crossOriginIsolated, [])))
    throw new Error('the page is not cross-origin isolated: timers would be coarse');
  return page;
}

// ---- statistics --------------------------------------------------------------------------------

function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? Number.NaN;
}
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : ((sorted[mid - 1] ?? Number.NaN) + sorted[mid]) / 2;
}
const rttStats = (samples) => ({
  p50: quantile(samples, 0.5),
  p99: quantile(samples, 0.99),
  max: Math.max(...samples),
});
const ms = (n) => (Number.isFinite(n) ? (n < 10 ? n.toFixed(2) : n.toFixed(0)) : 'n/a');
const rate = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const verdict = (ok) => (ok ? '**PASS**' : '**MISS**');

// ---- the run -----------------------------------------------------------------------------------

async function main() {
  // Other work on the machine (another benchmark, say) shows in every figure: note it.
  const busyBefore = await cpuBusy(1000);
  const t0 = performance.now();
  const [{ url, engine, problems, buildNote }, script] = await Promise.all([
    startServer(),
    bundlePage(),
  ]);
  const debugPort = DRIVER === 'cdp' ? await freePort() : undefined;
  browser = await chromium.launch({
    executablePath: process.env.CHROME_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      ...(debugPort
        ? [`--remote-debugging-address=127.0.0.1`, `--remote-debugging-port=${debugPort}`]
        : []),
    ],
  });
  if (debugPort) {
    const version = await (await fetch(`http://127.0.0.1:${debugPort}/json/version`)).json();
    cdp = await Cdp.connect(version.webSocketDebuggerUrl);
  }
  const pageErrors = [];
  const hostPage = await openPage(url, script, pageErrors);
  const guestPage = await openPage(url, script, pageErrors);
  const host = (fn, ...args) => hostPage.evaluate(fn, args);
  const guest = (fn, ...args) => guestPage.evaluate(fn, args);
  const code = await host(([u]) => window.bench.hostStart(u), url);

  /** Waits (bounded) until the lobby holds `players` and the host's sessions satisfy `ok`. */
  async function hostUntil(players, ok, label) {
    const end = performance.now() + PHASE_TIMEOUT_MS;
    for (;;) {
      const view = await host(() => window.bench.hostView());
      if (view.players === players && ok(view.kinds)) return view;
      if (performance.now() > end) throw new Error(`timed out waiting for ${label}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
  const leave = async () => {
    await guest(() => window.bench.guestLeave());
    await hostUntil(1, (kinds) => Object.keys(kinds).length === 0, 'the guest to leave');
  };
  const join = (relayOnly) =>
    guest(
      ([u, c, r, t]) => window.bench.guestJoin(u, c, r, t),
      url,
      code,
      relayOnly,
      JOIN_TIMEOUT_MS,
    );

  // 1. Joins: one warm-up (the browser's first RTCPeerConnection), then JOINS measured.
  const cold = await join(false);
  await leave();
  const joins = [];
  for (let i = 0; i < JOINS; i++) {
    joins.push(await join(false));
    await leave();
  }

  // 2 and 3 over the direct link: wait until both sides carry traffic directly.
  const rttRun = async (fn) => {
    await guest(fn, Math.min(200, ROUND_TRIPS), PHASE_TIMEOUT_MS); // warm-up
    return guest(fn, ROUND_TRIPS, PHASE_TIMEOUT_MS);
  };
  const measure = async (label, expectedKind) => {
    const rtt = await rttRun(([n, t]) => window.bench.guestRtt(n, t));
    const throughput = async (reliable, n) => {
      await host(([e]) => window.bench.hostReset(e), reliable ? n : 0);
      return guest(([o]) => window.bench.guestThroughput(o), {
        n,
        reliable,
        batch: BATCH,
        window: WINDOW,
        timeoutMs: PHASE_TIMEOUT_MS,
      });
    };
    await throughput(true, Math.min(5000, MESSAGES)); // warm-up
    const reliable = await throughput(true, MESSAGES);
    const kinds = new Set([...rtt.kinds, ...reliable.kinds]);
    if (kinds.size !== 1 || !kinds.has(expectedKind))
      throw new Error(`${label}: traffic went over ${[...kinds]} instead of ${expectedKind} only`);
    return { ...rttStats(rtt.samples), msgsPerS: (MESSAGES / reliable.ms) * 1000, reliable };
  };
  const direct = await join(false);
  await hostUntil(2, (kinds) => kinds[direct.id] === 'direct', 'the host side to go direct');
  if ((await guest(() => window.bench.guestKind())) !== 'direct')
    throw new Error('the guest is not on the direct link');
  const directRun = await measure('direct', 'direct');

  // Unreliable over direct: same sends; the host's count once it stops growing (≤ 3 s).
  await host(() => window.bench.hostReset(0));
  const unreliableSend = await guest(([o]) => window.bench.guestThroughput(o), {
    n: MESSAGES,
    reliable: false,
    batch: BATCH,
    window: WINDOW,
    timeoutMs: PHASE_TIMEOUT_MS,
  });
  if (unreliableSend.kinds.length !== 1 || unreliableSend.kinds[0] !== 'direct')
    throw new Error(`unreliable: traffic went over ${unreliableSend.kinds}`);
  let counts = await host(() => window.bench.hostCounts());
  for (let settled = 0, waited = 0; settled < 4 && waited < 3000; waited += 50) {
    await new Promise((r) => setTimeout(r, 50));
    const next = await host(() => window.bench.hostCounts());
    settled = next.unreliable === counts.unreliable ? settled + 1 : 0;
    counts = next;
  }
  const unreliable = {
    delivered: counts.unreliable,
    stale: counts.staleUnreliable,
    msgsPerS: counts.spanMs > 0 ? (counts.unreliable / counts.spanMs) * 1000 : Number.NaN,
    offeredPerS: (MESSAGES / unreliableSend.sentMs) * 1000,
  };
  await leave();

  // The same over the relay, for a relay-only guest.
  await join(true);
  const relayRun = await measure('relay', 'relay');
  await leave();

  // Baseline: a bare RTCDataChannel between the same two pages (no simple-peer, no Session).
  const offer = await guest(([t]) => window.bench.rawOffer(t), JOIN_TIMEOUT_MS);
  const answer = await host(([o, t]) => window.bench.rawAnswer(o, t), offer, JOIN_TIMEOUT_MS);
  await guest(([a, t]) => window.bench.rawAccept(a, t), answer, JOIN_TIMEOUT_MS);
  const rawRun = rttStats(await rttRun(([n, t]) => window.bench.rawRtt(n, t)));
  await host(() => window.bench.closeAll());
  await guest(() => window.bench.closeAll());
  const totalS = (performance.now() - t0) / 1000;

  // ---- report ----------------------------------------------------------------------------------
  const first = joins.map((j) => j.firstMs);
  const welcome = joins.map((j) => j.welcomeMs);
  const directTimes = joins.map((j) => j.directMs ?? Number.POSITIVE_INFINITY);
  const upgraded = joins.filter((j) => j.directMs !== null).length;
  const firstKinds = [...new Set(joins.map((j) => j.firstKind))].join(', ');
  const joinRow = (label, values, target) => {
    const under = values.filter((x) => x < target).length;
    return `| ${label} | ${ms(median(values))} | ${ms(Math.min(...values))} | ${ms(Math.max(...values))} | < ${target} ms | ${verdict(median(values) < target)} | ${verdict(under === values.length)} (${under}/${values.length}) |`;
  };
  const ratio = (a, b) => `${(a / b).toFixed(2)}×`;
  const cpu = os.cpus()[0]?.model.trim() ?? 'unknown';
  const lines = [
    '# lanparty browser networking benchmark',
    '',
    '| | |',
    '|---|---|',
    `| Machine | ${cpu}, ${os.cpus().length} cores, ${os.platform()} ${os.release()}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB |`,
    `| Node | ${process.version} |`,
    `| Chromium | ${browser.version()} (headless, \`--no-sandbox --disable-gpu --disable-background-networking\`) |`,
    `| Server | \`dist/server/main.js\` on 127.0.0.1, uWebSockets.js engine: ${engine}; message-rate limits raised${buildNote ? `; ${buildNote}` : ''} |`,
    `| Command | \`${COMMAND}\` |`,
    `| Pages driven by | ${DRIVER === 'cdp' ? 'raw DevTools protocol (Runtime.evaluate only while measuring)' : 'Playwright (its Network domain sees every WebSocket frame: slows the relay)'} |`,
    `| Date | ${new Date().toISOString()}, run took ${totalS.toFixed(1)} s |`,
    `| CPU busy in the second before the run | ${Number.isFinite(busyBefore) ? `${busyBefore.toFixed(0)}%` : 'n/a'} |`,
    '',
    ...(busyBefore > BUSY_WARN_PERCENT
      ? [
          `**Warning: the machine was already ${busyBefore.toFixed(0)}% busy before the run; every figure below is disturbed by that other work.**`,
          '',
        ]
      : []),
    `Loopback only; ${MESSAGE_BYTES}-byte messages; host and guest are two pages in separate browser contexts.`,
    `Joins: ${JOINS} measured after 1 warm-up, each a new guest (SignalingClient + PeerNetwork + DirectTransport), timed on the guest from constructing its SignalingClient.`,
    `RTT: ${ROUND_TRIPS} sequential reliable echoes after 200 warm-up, guest clock (cross-origin isolated: 5 µs timer).`,
    `Throughput: ${MESSAGES.toLocaleString('en-US')} messages one way (guest → host) after a 5,000 warm-up, ${BATCH} per task, at most ${WINDOW} unacknowledged (reliable), timed from the first send to the host's "all arrived" reply.`,
    '',
    '## Join',
    '',
    '| Measure | median | min | max | target | median | every join |',
    '|---|---:|---:|---:|---|---|---|',
    joinRow(
      `join → first message from the host (carried by: ${firstKinds})`,
      first,
      TARGETS.firstMs,
    ),
    joinRow(
      `join → guest traffic on the direct link (${upgraded}/${JOINS} upgraded within ${JOIN_TIMEOUT_MS / 1000} s)`,
      directTimes,
      TARGETS.directMs,
    ),
    `| join → welcome from the server | ${ms(median(welcome))} | ${ms(Math.min(...welcome))} | ${ms(Math.max(...welcome))} | | | |`,
    '',
    `Each join, ms to first message / to direct: ${joins.map((j) => `${ms(j.firstMs)}/${ms(j.directMs ?? Number.NaN)}`).join(', ')}.`,
    `Warm-up join (not in the figures): ${ms(cold.firstMs)} / ${ms(cold.directMs ?? Number.NaN)}.`,
    '',
    '## Round trips and throughput',
    '',
    '| Link | RTT p50 (ms) | RTT p99 (ms) | RTT max (ms) | reliable msgs/s |',
    '|---|---:|---:|---:|---:|',
    `| direct (WebRTC data channel via simple-peer + Session) | ${ms(directRun.p50)} | ${ms(directRun.p99)} | ${ms(directRun.max)} | ${rate(directRun.msgsPerS)} |`,
    `| relay (WebSocket through the server + Session) | ${ms(relayRun.p50)} | ${ms(relayRun.p99)} | ${ms(relayRun.max)} | ${rate(relayRun.msgsPerS)} |`,
    `| **ratio relay / direct** | ${ratio(relayRun.p50, directRun.p50)} | ${ratio(relayRun.p99, directRun.p99)} | | ${ratio(relayRun.msgsPerS, directRun.msgsPerS)} |`,
    `| baseline: bare RTCDataChannel, same pages | ${ms(rawRun.p50)} | ${ms(rawRun.p99)} | ${ms(rawRun.max)} | |`,
    '',
    `Target: direct RTT p99 < ${TARGETS.directRttP99Ms} ms: ${verdict(directRun.p99 < TARGETS.directRttP99Ms)} (${ms(directRun.p99)} ms).`,
    '',
    '## Unreliable over direct',
    '',
    '| | |',
    '|---|---:|',
    `| delivered / sent | ${unreliable.delivered.toLocaleString('en-US')} / ${MESSAGES.toLocaleString('en-US')} (${((unreliable.delivered / MESSAGES) * 100).toFixed(1)}%) |`,
    `| delivered msgs/s (first to last arrival, host clock) | ${rate(unreliable.msgsPerS)} |`,
    `| offered msgs/s (handed to the session) | ${rate(unreliable.offeredPerS)} |`,
    `| discarded as stale (arrived after a newer one) | ${unreliable.stale.toLocaleString('en-US')} |`,
    '',
  ];
  if (pageErrors.length > 0) lines.push(`Page errors: ${pageErrors.slice(0, 5).join('; ')}`, '');
  if (problems.length > 0) lines.push(`Server warnings: ${problems.slice(0, 5).join('; ')}`, '');
  if (process.env.NET_BENCH_DEBUG)
    console.error(
      JSON.stringify({ direct: directRun.reliable, relay: relayRun.reliable, unreliableSend }),
    );
  const report = lines.join('\n');
  console.log(report);
  if (!opts['no-write']) writeFileSync(RESULTS, report);
}

try {
  await main();
} catch (error) {
  console.error(`net bench failed: ${error?.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
