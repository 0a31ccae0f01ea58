// End-to-end benchmark (issue 6): the production build served by the real server, real Chromium
// players driven through the UI by playwright-core, on loopback. Not a test: it prints figures,
// and PASS/MISS against the target.
//
//   node test/bench/e2e.mjs [--joins 10] [--players 8] [--seconds 10] [--no-write]
//
//   1. join: with a game already running (a host and one guest), a new guest opens the share
//      link (`--joins` times, after one unreported warm-up; each in a fresh browser context, so
//      with an empty cache, like a new player). Its name is remembered (as after a first visit),
//      so opening the link joins at once. Measured in the guest's page, from the navigation's
//      start (performance.now()): the first animation frame in which the game view has a game
//      state to draw (its first rendered game frame, ±1 frame), and the first frame in which its
//      connection chip says "direct". Each guest then presses Leave.
//   2. round: `--players` players (a host and players−1 guests, each in its own context) play a
//      round with scripted key presses; over `--seconds`, per guest: snapshots/s (the game
//      view's read-only `stats` counter) and bytes/s received on its WebRTC connection
//      (`RTCPeerConnection.getStats()`: data-channel payload, and the DTLS transport, which adds
//      SCTP/DTLS framing), and the host's total bytes/s sent. The pages are small (480×270)
//      so that eight software-rendered canvases do not take both cores from the network.
//
// Writes the report to test/bench/E2E-RESULTS.md too (unless --no-write).
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from 'playwright-core';
import {
  buildIfNeeded,
  ROOT,
  SHARED_ADDRESS_FLAGS,
  startServerProcess,
} from '../support/server-process.mjs';

const RESULTS = join(ROOT, 'test/bench/E2E-RESULTS.md');
const CHROME = process.env.CHROME_PATH ?? '/usr/bin/chromium';
/** Hard bound on the whole run, whatever happens. */
const WATCHDOG_MS = 170_000;
const TARGET_FIRST_FRAME_MS = 1000;
/** Above this share of CPU in use before the run, the report says its figures are disturbed. */
const BUSY_WARN_PERCENT = 20;

const { values: opts } = parseArgs({
  options: {
    joins: { type: 'string', default: '10' },
    players: { type: 'string', default: '8' },
    seconds: { type: 'string', default: '10' },
    'no-write': { type: 'boolean', default: false },
  },
});
const JOINS = Number(opts.joins);
const PLAYERS = Number(opts.players);
const SECONDS = Number(opts.seconds);

const log = (...args) => console.error('[e2e-bench]', ...args);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const watchdog = setTimeout(() => {
  console.error(`[e2e-bench] watchdog: the run took over ${WATCHDOG_MS / 1000} s; giving up`);
  process.exit(2);
}, WATCHDOG_MS);

/** Page-side probe, installed before the app runs: marks the first game frame and direct link. */
const PROBE = (name) => `(() => {
  try { localStorage.setItem('lanparty.name', ${JSON.stringify(name)}); } catch {}
  const marks = (window.__lpMarks = {});
  const tick = () => {
    const game = document.querySelector('lp-app')?.shadowRoot?.querySelector('lp-game');
    if (game && marks.frame === undefined && game.stats?.tick !== undefined) marks.frame = performance.now();
    const chip = game?.shadowRoot?.querySelector('[data-testid="connection"]');
    if (chip && marks.direct === undefined && (chip.textContent ?? '').startsWith('direct')) marks.direct = performance.now();
    if (marks.frame === undefined || marks.direct === undefined) requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
})();`;

/** Keeps every RTCPeerConnection of the page, for getStats(). */
const TRACK_PEER_CONNECTIONS = `(() => {
  const Native = window.RTCPeerConnection;
  const all = (window.__lpPcs = []);
  function Tracked(...args) { const pc = new Native(...args); all.push(pc); return pc; }
  Tracked.prototype = Native.prototype;
  Object.setPrototypeOf(Tracked, Native);
  window.RTCPeerConnection = Tracked;
})();`;

/** Share of all CPUs busy over `ms` (Linux /proc/stat), as a percentage; NaN elsewhere. */
async function cpuBusy(ms) {
  const sample = () => {
    try {
      const n = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1, 9);
      const v = n.map(Number);
      return { total: v.reduce((a, b) => a + b, 0), idle: v[3] + v[4] };
    } catch {
      return undefined;
    }
  };
  const a = sample();
  await sleep(ms);
  const b = sample();
  if (!a || !b || b.total === a.total) return Number.NaN;
  return (1 - (b.idle - a.idle) / (b.total - a.total)) * 100;
}

async function newPage(browser, viewport, initScripts = []) {
  const context = await browser.newContext({ viewport });
  for (const script of initScripts) await context.addInitScript(script);
  return context.newPage();
}

async function createLobby(page, url, name) {
  await page.goto(url);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create lobby' }).click();
  await page.getByTestId('share-link').waitFor();
  return (await page.getByTestId('share-link').textContent()) ?? '';
}

async function joinByLink(page, link, name) {
  await page.goto(link);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Join' }).click();
  await page.getByTestId('share-link').or(page.getByTestId('timer')).waitFor({ timeout: 15_000 });
}

async function startGame(host, guests) {
  const list = host.getByRole('list', { name: 'Players' });
  for (const name of guests) {
    const row = list.getByRole('listitem').filter({ hasText: name });
    for (let i = 0; i < 100 && !/direct/.test((await row.textContent()) ?? ''); i++)
      await sleep(100);
  }
  await host.getByRole('button', { name: 'Start game' }).click();
  await host.getByTestId('timer').waitFor({ timeout: 15_000 });
}

const sorted = (v) => [...v].sort((a, b) => a - b);
const median = (v) => {
  const s = sorted(v);
  return s.length === 0 ? Number.NaN : (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2;
};
const fmt = (n, digits = 0) => (Number.isFinite(n) ? n.toFixed(digits) : '–');

/** 1. Time to first game frame and to a direct link, for guests joining a running game. */
async function joins(browser, url) {
  const host = await newPage(browser, { width: 800, height: 450 });
  const link = await createLobby(host, `${url}/?round=600`, 'Host');
  const seed = await newPage(browser, { width: 800, height: 450 });
  await joinByLink(seed, link, 'Seed');
  await startGame(host, ['Seed']);
  await seed.getByTestId('timer').waitFor({ timeout: 15_000 });
  const results = [];
  for (let i = 0; i <= JOINS; i++) {
    const name = `Guest ${i}`;
    const page = await newPage(browser, { width: 800, height: 450 }, [PROBE(name)]);
    await page.goto(link);
    let marks = {};
    for (let t = 0; t < 200 && (marks.frame === undefined || marks.direct === undefined); t++) {
      await sleep(50);
      marks = await page.evaluate(() => window.__lpMarks ?? {});
    }
    if (marks.frame === undefined) throw new Error(`${name} never drew a game frame`);
    if (i > 0) results.push(marks);
    log(
      `join ${i === 0 ? 'warm-up' : i}: first frame ${fmt(marks.frame)} ms, direct ${fmt(marks.direct)} ms`,
    );
    // Leave through the UI: the seat is free again at once.
    await page.getByRole('button', { name: 'Leave' }).click();
    await page.getByRole('button', { name: 'Create lobby' }).waitFor({ timeout: 5_000 });
    await page.context().close();
  }
  await host.context().close();
  await seed.context().close();
  return results;
}

/** Sums the bytes of every live RTCPeerConnection of a page. */
function rtcBytes(page) {
  return page.evaluate(async () => {
    const totals = { dcIn: 0, dcOut: 0, wireIn: 0, wireOut: 0 };
    for (const pc of window.__lpPcs ?? []) {
      if (pc.connectionState === 'closed') continue;
      const stats = await pc.getStats();
      stats.forEach((r) => {
        if (r.type === 'data-channel') {
          totals.dcIn += r.bytesReceived ?? 0;
          totals.dcOut += r.bytesSent ?? 0;
        } else if (r.type === 'transport') {
          totals.wireIn += r.bytesReceived ?? 0;
          totals.wireOut += r.bytesSent ?? 0;
        }
      });
    }
    return totals;
  });
}

const snapshots = (page) =>
  page
    .locator('lp-game')
    .evaluate((el) => ({ snapshots: el.stats.snapshots, at: performance.now() }));

/** 2. A round with PLAYERS browsers: snapshots/s and bandwidth per guest. */
async function round(browser, url) {
  const viewport = { width: 480, height: 270 };
  const host = await newPage(browser, viewport, [TRACK_PEER_CONNECTIONS]);
  const link = await createLobby(host, `${url}/?round=120`, 'Host');
  const guests = [];
  for (let i = 1; i < PLAYERS; i++) {
    const page = await newPage(browser, viewport, [TRACK_PEER_CONNECTIONS]);
    await joinByLink(page, link, `P${i}`);
    guests.push(page);
  }
  await startGame(
    host,
    guests.map((_, i) => `P${i + 1}`),
  );
  for (const g of guests) await g.getByTestId('timer').waitFor({ timeout: 15_000 });
  // Everybody moves: scripted key presses, a new direction every half second.
  let playing = true;
  const keys = ['ArrowRight', 'ArrowDown', 'ArrowLeft', 'ArrowUp'];
  const players = [host, ...guests].map(async (page, i) => {
    for (let k = i; playing; k++) {
      await page.keyboard.down(keys[k % 4]);
      await sleep(500);
      await page.keyboard.up(keys[k % 4]);
    }
  });
  await sleep(2000);
  const read = () =>
    Promise.all(guests.map(async (g) => ({ ...(await snapshots(g)), ...(await rtcBytes(g)) })));
  const [before, hostBefore] = await Promise.all([read(), rtcBytes(host)]);
  const t0 = performance.now();
  await sleep(SECONDS * 1000);
  const [after, hostAfter] = await Promise.all([read(), rtcBytes(host)]);
  const elapsed = (performance.now() - t0) / 1000;
  const kinds = await Promise.all(
    guests.map(
      async (g) => ((await g.getByTestId('connection').textContent()) ?? '').split(' ')[0],
    ),
  );
  playing = false;
  await Promise.all(players);
  const perGuest = after.map((a, i) => {
    const b = before[i];
    return {
      kind: kinds[i],
      snapshotsPerSecond: ((a.snapshots - b.snapshots) * 1000) / (a.at - b.at),
      dcInKBps: (a.dcIn - b.dcIn) / 1024 / elapsed,
      wireInKBps: (a.wireIn - b.wireIn) / 1024 / elapsed,
      wireOutKBps: (a.wireOut - b.wireOut) / 1024 / elapsed,
    };
  });
  const hostOut = {
    dcOutKBps: (hostAfter.dcOut - hostBefore.dcOut) / 1024 / elapsed,
    wireOutKBps: (hostAfter.wireOut - hostBefore.wireOut) / 1024 / elapsed,
  };
  for (const p of [host, ...guests]) await p.context().close();
  return { perGuest, hostOut, elapsed };
}

function machine(browserVersion) {
  let distro = '';
  try {
    distro = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'))?.[1] ?? '';
  } catch {}
  const cpus = os.cpus();
  return [
    `${cpus[0]?.model ?? 'unknown CPU'} × ${cpus.length}`,
    `${Math.round(os.totalmem() / 2 ** 30)} GiB RAM`,
    `${distro || os.type()} (${os.release()})`,
    `Node ${process.version}`,
    `Chromium ${browserVersion} (headless, --disable-gpu)`,
  ].join(', ');
}

async function main() {
  buildIfNeeded();
  const busyBefore = await cpuBusy(1000);
  const server = await startServerProcess({
    // The benchmark joins more often than a person would: not the join limiter's business.
    flags: SHARED_ADDRESS_FLAGS,
  });
  const browser = await chromium.launch({
    executablePath: CHROME,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  try {
    log(`server ${server.url}; ${JOINS} joins, then a round with ${PLAYERS} players`);
    const joined = await joins(browser, server.url);
    const played = await round(browser, server.url);
    const frames = joined.map((m) => m.frame);
    const directs = joined.map((m) => m.direct).filter((v) => v !== undefined);
    const g = played.perGuest;
    const avg = (f) => g.reduce((a, p) => a + f(p), 0) / g.length;
    const report = [
      '# lanparty end-to-end benchmark',
      '',
      `Command: \`node test/bench/e2e.mjs${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}\` — ${new Date().toISOString().slice(0, 10)}`,
      '',
      `Machine: ${machine(browser.version())}. Loopback only; the production build served by \`node dist/server/main.js\`; players are Chromium pages (playwright-core), each in its own browser context.`,
      ...(busyBefore > BUSY_WARN_PERCENT
        ? [
            '',
            `**Warning: the machine was already ${busyBefore.toFixed(0)}% busy before the run; every figure below is disturbed by that other work.**`,
          ]
        : []),
      '',
      '## A guest opens the share link of a running game',
      '',
      `${JOINS} guests after one warm-up, each a fresh browser context (empty cache) whose name is remembered; from the navigation's start in the guest's page.`,
      '',
      '| Measure | median | min | max | target | result |',
      '|---|---:|---:|---:|---:|---|',
      `| first rendered game frame (incl. page load) | ${fmt(median(frames))} ms | ${fmt(Math.min(...frames))} ms | ${fmt(Math.max(...frames))} ms | < ${TARGET_FIRST_FRAME_MS} ms | ${median(frames) < TARGET_FIRST_FRAME_MS ? 'PASS' : 'MISS'} |`,
      `| direct link to the host (${directs.length}/${joined.length} got one) | ${fmt(median(directs))} ms | ${fmt(Math.min(...directs))} ms | ${fmt(Math.max(...directs))} ms | | |`,
      '',
      `Every join, first frame / direct (ms): ${joined.map((m) => `${fmt(m.frame)}/${fmt(m.direct)}`).join(', ')}`,
      '',
      `## A round with ${PLAYERS} players`,
      '',
      `${PLAYERS} pages (480×270) in one Chromium, everybody moving (scripted key presses); measured over ${played.elapsed.toFixed(1)} s. Snapshots: the guest's game-view counter; bytes: \`RTCPeerConnection.getStats()\` (data channel: payload; transport: with SCTP/DTLS framing, without UDP/IP headers).`,
      '',
      '| Guest | link | snapshots/s | received KB/s (data channel) | received KB/s (transport) | sent KB/s (transport) |',
      '|---|---|---:|---:|---:|---:|',
      ...g.map(
        (p, i) =>
          `| P${i + 1} | ${p.kind} | ${fmt(p.snapshotsPerSecond, 1)} | ${fmt(p.dcInKBps, 2)} | ${fmt(p.wireInKBps, 2)} | ${fmt(p.wireOutKBps, 2)} |`,
      ),
      `| **mean** | | **${fmt(
        avg((p) => p.snapshotsPerSecond),
        1,
      )}** | **${fmt(
        avg((p) => p.dcInKBps),
        2,
      )}** | **${fmt(
        avg((p) => p.wireInKBps),
        2,
      )}** | **${fmt(
        avg((p) => p.wireOutKBps),
        2,
      )}** |`,
      '',
      `Host: sends ${fmt(played.hostOut.dcOutKBps, 1)} KB/s on its data channels in all (${fmt(played.hostOut.wireOutKBps, 1)} KB/s with transport framing) to ${g.length} guests.`,
      '',
    ].join('\n');
    console.log(report);
    if (!opts['no-write']) {
      writeFileSync(RESULTS, report);
      log(`written to ${RESULTS}`);
    }
  } finally {
    await browser.close();
    await server.stop();
    clearTimeout(watchdog);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
