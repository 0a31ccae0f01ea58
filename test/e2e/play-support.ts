import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContextOptions, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import WebSocket from 'ws';
import {
  CHROME,
  createLobby,
  type E2eServer,
  freePort,
  joinByLink,
  launchBrowser,
  newPlayer,
  type Player,
  startServer,
} from './support.ts';

/**
 * Helpers for the play scenarios (issue 6): players that join through the UI, a started game,
 * the HUD and scoreboard read back as text, and scripted key presses.
 */

/** `expect.poll` with room for a loaded 2-core machine (its default gives up after 1 s). */
export const poll = <T>(read: () => T | Promise<T>, timeout = 10_000) =>
  expect.poll(read, { timeout, interval: 100 });

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A player in the game, with the name it joined under. */
export interface Named extends Player {
  readonly name: string;
}

/**
 * Makes every RTCPeerConnection of the page relay-only with no TURN server: it gathers no
 * candidate at all, so this browser can never connect directly (see FACTS: "no direct path").
 */
export const NO_DIRECT_PATH = `(() => {
  const Native = window.RTCPeerConnection;
  function RelayOnly(config = {}, ...rest) {
    return new Native({ ...config, iceTransportPolicy: 'relay' }, ...rest);
  }
  RelayOnly.prototype = Native.prototype;
  Object.setPrototypeOf(RelayOnly, Native);
  window.RTCPeerConnection = RelayOnly;
})();`;

/** The host, in its own context, creates a lobby (at `url` + `search`); returns it and the link. */
export async function hostLobby(
  browser: Browser,
  url: string,
  { name = 'Hana', search = '', initScript = '' } = {},
): Promise<{ host: Named; link: string }> {
  const player = await newPlayer(browser);
  if (initScript) await player.page.context().addInitScript(initScript);
  const link = await createLobby(player.page, `${url}/${search}`, name);
  expect(link).toMatch(/\/l\/[A-Z0-9]+$/);
  return { host: { ...player, name }, link };
}

/** A guest, in its own context, opens the link and joins; resolves once it is in (lobby or game). */
export async function joinGuest(
  browser: Browser,
  link: string,
  name: string,
  options: { context?: BrowserContextOptions; initScript?: string } = {},
): Promise<Named> {
  const player = await newPlayer(browser, options.context);
  if (options.initScript) await player.page.context().addInitScript(options.initScript);
  await joinByLink(player.page, link, name);
  // The lobby; or, when the game already runs, the game itself.
  await player.page
    .getByTestId('share-link')
    .or(player.page.getByTestId('timer'))
    .waitFor({ timeout: 15_000 });
  return { ...player, name };
}

/** The Players list of the lobby screen; `entry(name)` is one player's row. */
export const players = (page: Page) => page.getByRole('list', { name: 'Players' });
export const entry = (page: Page, name: string) =>
  players(page).getByRole('listitem').filter({ hasText: name });

/** The host presses "Start game" once every guest is listed and connected; all see the HUD. */
export async function startGame(host: Named, guests: readonly Named[]): Promise<void> {
  for (const g of guests) {
    await poll(() => entry(host.page, g.name).textContent(), 15_000).toMatch(/direct|turn|relay/);
  }
  await host.page.getByRole('button', { name: 'Start game' }).click();
  await Promise.all([host, ...guests].map((p) => waitForGame(p.page)));
}

/** The game view with a live HUD (the first state has arrived). */
export async function waitForGame(page: Page, timeout = 15_000): Promise<void> {
  await page.getByTestId('timer').waitFor({ timeout });
}

/** The HUD timer as seconds left in the current round (negative: the scoreboard is showing). */
export async function roundLeft(page: Page): Promise<number> {
  const text = (await page.getByTestId('timer').textContent({ timeout: 5_000 })) ?? '';
  const n = Number(/(\d+)/.exec(text)?.[1]);
  return text.startsWith('Next round') ? -1 : n;
}

/** The connection chip's round-trip time in ms (guests; "relay · 3 ms"), if shown yet. */
export async function chipRtt(page: Page): Promise<number | undefined> {
  const text = (await page.getByTestId('connection').textContent({ timeout: 5_000 })) ?? '';
  const m = /(\d+) ms/.exec(text);
  return m ? Number(m[1]) : undefined;
}

/**
 * The connection chip's round-trip times, read in the page every 100 ms for `ms` (in the page,
 * so a busy test process does not thin out the samples).
 */
export async function rttSeries(page: Page, ms: number): Promise<number[]> {
  return page.getByTestId('connection').evaluate(
    (chip, duration) =>
      new Promise<number[]>((resolve) => {
        const samples: number[] = [];
        const timer = setInterval(() => {
          const m = /(\d+) ms/.exec(chip.textContent ?? '');
          if (m) samples.push(Number(m[1]));
        }, 100);
        setTimeout(() => {
          clearInterval(timer);
          resolve(samples);
        }, duration);
      }),
    ms,
  );
}

/** The connection kind the HUD shows for the link to the host: "direct", "relay" or "host". */
export async function chipKind(page: Page): Promise<string> {
  const text = (await page.getByTestId('connection').textContent({ timeout: 5_000 })) ?? '';
  return text.split(' ')[0] ?? '';
}

/** Read-only counters of the game view (see `LpGame.stats`). */
export const gameStats = (page: Page) =>
  page.locator('lp-game').evaluate((el) => (el as HTMLElement & { stats: GameStats }).stats);
export interface GameStats {
  readonly snapshots: number;
  readonly tick: number | undefined;
  /** Game loops the page started: a host change starts a new one. */
  readonly loops: number;
  /** This page runs the authoritative game. */
  readonly hosting: boolean;
}

/**
 * The lines of the scoreboard showing now, or of the next one, "(you)" taken out: read in the
 * page the moment it shows (see `firstScoreboard`), since a loaded test process reading it in
 * several round trips once found it gone, the next round started, and read no lines.
 */
export async function scoreboard(page: Page, timeout = 60_000): Promise<readonly string[]> {
  return (await firstScoreboard(page, timeout)).lines;
}

/** A scoreboard as a page showed it: its title, winner sentence and lines, "(you)" taken out. */
export interface Board {
  readonly title: string;
  readonly summary: string;
  readonly lines: readonly string[];
}

/**
 * The first end-of-round scoreboard `page` shows, read inside the page the moment it appears
 * (every 20 ms). A scoreboard shows for a few seconds only: a test process slowed down by a
 * loaded machine, reading it with several round trips, could miss it or read half of it and
 * then the next round's. Start it before the round can end; it rejects after `timeout` ms.
 */
export function firstScoreboard(page: Page, timeout = 60_000): Promise<Board> {
  return page.evaluate(
    (ms) =>
      new Promise<Board>((resolve, reject) => {
        const started = Date.now();
        const timer = setInterval(() => {
          const game = document.querySelector('lp-app')?.shadowRoot?.querySelector('lp-game');
          const dialog = game?.shadowRoot?.querySelector('[role=dialog]');
          const text = (el: Element | null | undefined) =>
            (el?.textContent ?? '').replace(' (you)', '').trim();
          if (dialog) {
            clearInterval(timer);
            resolve({
              title: text(dialog.querySelector('h2')),
              summary: text(dialog.querySelector('[data-testid=board-summary]')),
              lines: [...dialog.querySelectorAll('li')].map(text),
            });
          } else if (Date.now() - started > ms) {
            clearInterval(timer);
            reject(new Error(`no scoreboard within ${ms} ms`));
          }
        }, 20);
      }),
    timeout,
  );
}

const KEYS = ['ArrowRight', 'ArrowDown', 'ArrowLeft', 'ArrowUp'];

/**
 * Scripted play: each player holds an arrow key for a moment (`keyboard.down`/`up`), then the
 * next one, for `ms`. Different players start on different keys so they move apart and meet.
 */
export async function play(pages: readonly Page[], ms: number): Promise<void> {
  const end = Date.now() + ms;
  await Promise.all(
    pages.map(async (page, i) => {
      let k = i * 2;
      while (Date.now() < end && !page.isClosed()) {
        const key = KEYS[k++ % KEYS.length] as string;
        await page.keyboard.down(key).catch(() => {});
        await page.waitForTimeout(Math.min(350 + i * 60, Math.max(0, end - Date.now())));
        await page.keyboard.up(key).catch(() => {});
      }
    }),
  );
}

/** Polls `read` until it differs from its first value (the HUD is moving); returns both. */
export async function moves<T>(read: () => Promise<T>, timeout = 5_000): Promise<[T, T]> {
  const first = await read();
  let last = first;
  await poll(async () => (last = await read()), timeout).not.toEqual(first);
  return [first, last];
}

/** Closes every player's context, ignoring ones already gone. */
export async function closeAll(players: readonly (Player | undefined)[]): Promise<void> {
  await Promise.all(
    players.map((p) =>
      p?.page
        .context()
        .close()
        .catch(() => {}),
    ),
  );
}

/** The end of a server's log, short enough to read in a CI report. */
function lastLines(log = '', count = 80): string {
  return log.trimEnd().split('\n').slice(-count).join('\n');
}

/** What `e2eSuite` gives a test file. */
export interface E2eSuite {
  /** One Chromium for the file. */
  readonly browser: Browser;
  /** One server for the file (the default flags, plus the suite's). */
  readonly server: E2eServer;
  /** Keeps a player to close after the test (or after the file: `closeAfterEach: false`). */
  track<T extends Named>(player: T): T;
  /** A server of the test's own (other flags, or killed on purpose), stopped after the test. */
  ownServer(flags?: string[]): Promise<E2eServer>;
}

/**
 * The scaffolding of an e2e file, in its hooks: one browser and one server for the file, the
 * players a test tracked closed after it (or after the file, for steps that share a party), and
 * the servers a test started of its own stopped after it.
 */
export function e2eSuite(
  options: { serverFlags?: readonly string[]; closeAfterEach?: boolean } = {},
): E2eSuite {
  const { serverFlags = [], closeAfterEach = true } = options;
  let browser: Browser | undefined;
  let server: E2eServer | undefined;
  const open: (Named | undefined)[] = [];
  const own: E2eServer[] = [];
  beforeAll(async () => {
    [browser, server] = await Promise.all([launchBrowser(), startServer(serverFlags)]);
  });
  afterAll(async () => {
    await closeAll(open.splice(0));
    await browser?.close();
    await server?.stop();
  });
  let logFrom = 0;
  beforeEach(() => {
    logFrom = server?.output().length ?? 0;
  });
  afterEach(async ({ task }) => {
    // What the servers said during a failed test: which players dropped and why, hand-overs.
    if (task.result?.state === 'fail') {
      const logs = [server?.output().slice(logFrom), ...own.map((s) => s.output())];
      console.log(`server log during "${task.name}":\n${logs.map(lastLines).join('\n---\n')}`);
    }
    if (closeAfterEach) await closeAll(open.splice(0));
    await Promise.all(own.splice(0).map((s) => s.stop()));
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the e2e ${what} is not started yet (beforeAll)`);
    return value;
  };
  return {
    get browser() {
      return started(browser, 'browser');
    },
    get server() {
      return started(server, 'server');
    },
    track(player) {
      open.push(player);
      return player;
    },
    async ownServer(flags = []) {
      const s = await startServer(flags);
      own.push(s);
      return s;
    },
  };
}

export const median = (values: readonly number[]): number => {
  const s = [...values].sort((a, b) => a - b);
  return s.length === 0
    ? Number.NaN
    : ((s[(s.length - 1) >> 1] as number) + (s[s.length >> 1] as number)) / 2;
};

/**
 * The seat this tab holds (what a reload takes back): the player id and name kept in the tab's
 * sessionStorage for the lobby in its address bar.
 */
export async function seatOf(page: Page): Promise<{ id: number; name: string } | undefined> {
  return page.evaluate(() => {
    const code = location.pathname.split('/').pop() ?? '';
    const raw = sessionStorage.getItem(`lanparty.seat.${code}`);
    if (raw === null) return undefined;
    const seat = JSON.parse(raw) as {
      you: number;
      lobby: { players: { id: number; name: string }[] };
    };
    return { id: seat.you, name: seat.lobby.players.find((p) => p.id === seat.you)?.name ?? '' };
  });
}

/**
 * Lets a test black-hole this page's WebRTC data channels (nothing sent, nothing delivered), as
 * a real network drop would. `context.setOffline` alone cuts HTTP and WebSockets but leaves
 * WebRTC alone in Chromium, so an "offline" player would otherwise play on over its direct link.
 */
export const CUTTABLE_DATA_CHANNELS = `(() => {
  const proto = RTCDataChannel.prototype;
  const onmessage = Object.getOwnPropertyDescriptor(proto, 'onmessage');
  const send = proto.send;
  const cut = () => globalThis.__lanpartyTestOffline === true;
  Object.defineProperty(proto, 'onmessage', {
    configurable: true,
    enumerable: onmessage.enumerable,
    get() { return onmessage.get.call(this); },
    set(fn) {
      onmessage.set.call(this, typeof fn === 'function'
        ? function (event) { if (!cut()) return fn.call(this, event); }
        : fn);
    },
  });
  proto.send = function (data) { if (!cut()) return send.call(this, data); };
})();`;

/** The player's whole network goes away (or comes back): HTTP, WebSockets and WebRTC. */
export async function setNetwork(page: Page, online: boolean): Promise<void> {
  await Promise.all([
    page.context().setOffline(!online),
    page.evaluate((off) => {
      (globalThis as { __lanpartyTestOffline?: boolean }).__lanpartyTestOffline = off;
    }, !online),
  ]);
}

/**
 * Whether the app's service worker controls the page: then it can tell its reload from its tab
 * closing (web/app/reload-notice.ts), and a closing host is handed over at once.
 */
export const reloadsKnown = (page: Page) =>
  page.evaluate(() => navigator.serviceWorker?.controller != null);

/** The banners and status lines the page shows (role=status), as text. */
export const statuses = (page: Page) => page.getByRole('status').allTextContents();

/**
 * A Chromium started by hand with a DevTools port, for a host whose tab must REALLY go to the
 * background (see ../shared/FACTS.md: Playwright keeps its pages visible). Playwright drives its
 * UI over CDP and then lets go; opening another tab through the DevTools HTTP API hides it, and
 * the raw protocol reads the page's state while hidden.
 */
export interface HandChromium {
  readonly cdpUrl: string;
  /** The first page's target id and a raw-protocol evaluate on it (works while it is hidden). */
  evaluate(targetUrlPart: string, expression: string): Promise<unknown>;
  /** Opens about:blank in a new tab, in front: the other tabs are hidden. Returns its id. */
  newTab(): Promise<string>;
  closeTab(id: string): Promise<void>;
  close(): Promise<void>;
}

export async function handChromium(): Promise<HandChromium> {
  const port = await freePort();
  const profile = mkdtempSync(join(tmpdir(), 'lanparty-host-'));
  const chrome = spawn(
    CHROME,
    [
      `--remote-debugging-port=${port}`,
      '--headless=new',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      'about:blank',
    ],
    { detached: true, stdio: 'ignore' },
  );
  const base = `http://127.0.0.1:${port}`;
  const json = async (path: string, method = 'GET') =>
    (await fetch(`${base}${path}`, { method })).json() as Promise<unknown>;
  let up = false;
  for (let i = 0; i < 100 && !up; i++) {
    up = await json('/json/version').then(
      () => true,
      () => sleep(100).then(() => false),
    );
  }
  if (!up) throw new Error('Chromium did not open its DevTools port');
  return {
    cdpUrl: base,
    async evaluate(targetUrlPart, expression) {
      const targets = (await json('/json/list')) as {
        type: string;
        url: string;
        webSocketDebuggerUrl: string;
      }[];
      const target = targets.find((t) => t.type === 'page' && t.url.includes(targetUrlPart));
      if (!target) throw new Error(`no page at ${targetUrlPart}`);
      const ws = new WebSocket(target.webSocketDebuggerUrl);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      try {
        const reply = await new Promise<{
          result?: { result?: { value?: unknown }; exceptionDetails?: unknown };
        }>((resolve) => {
          ws.on('message', (data) => {
            const msg = JSON.parse(String(data)) as { id?: number };
            if (msg.id === 1) resolve(msg as never);
          });
          ws.send(
            JSON.stringify({
              id: 1,
              method: 'Runtime.evaluate',
              params: { expression, awaitPromise: true, returnByValue: true },
            }),
          );
        });
        if (reply.result?.exceptionDetails)
          throw new Error(`page error: ${JSON.stringify(reply.result.exceptionDetails)}`);
        return reply.result?.result?.value;
      } finally {
        ws.close();
      }
    },
    async newTab() {
      return ((await json('/json/new?about:blank', 'PUT')) as { id: string }).id;
    },
    async closeTab(id) {
      await fetch(`${base}/json/close/${id}`);
    },
    async close() {
      if (chrome.exitCode === null && chrome.signalCode === null) {
        const exited = once(chrome, 'exit');
        // The whole process group: renderers and helpers too, so the profile is left alone.
        process.kill(-(chrome.pid ?? 0), 'SIGKILL');
        await exited;
      }
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/**
 * A bad client: `play-flooder.mjs`, a plain `ws` script that floods the server with junk (random
 * binary frames) as fast as it can from its own loopback address, 127.0.0.2 (players are on
 * 127.0.0.1: a stranger is on another address than the players). Cut off, it comes back after
 * `pauseMs` and floods again, until `ms` have passed. It runs in its own process at the lowest
 * CPU priority: on this one machine it must not take the players' CPU, as an attacker on another
 * machine would not. Returns the server's close codes (HTTP statuses for refused upgrades), the
 * frames sent and the connections opened.
 */
export async function flood(
  serverUrl: string,
  ms: number,
  pauseMs: number,
  address = '127.0.0.2',
): Promise<{ codes: number[]; sent: number; connections: number }> {
  const child = spawn(
    'nice',
    [
      '-n',
      '19',
      process.execPath,
      join(import.meta.dirname, 'play-flooder.mjs'),
      serverUrl,
      String(ms),
      String(pauseMs),
      address,
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.on('data', (chunk) => {
    out += chunk;
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`flooder exited with ${code}: ${out}`);
  return JSON.parse(out) as { codes: number[]; sent: number; connections: number };
}

/** The host picks a game by its name in the lobby's picker (a radio button). */
export async function pickGame(host: Named, name: string): Promise<void> {
  await host.page.getByRole('radio', { name }).check();
}

/**
 * Light cycles, scripted: reads this page's own view of the game (the lp-game element's runner)
 * and presses the arrow key that keeps its cycle riding longest — straight on while the way is
 * clear, else towards the side with more room — every 40 ms, until the round is over.
 */
export async function rideToSurvive(page: Page, ms: number): Promise<void> {
  const end = Date.now() + ms;
  const keys = ['ArrowUp', 'ArrowRight', 'ArrowDown', 'ArrowLeft'];
  while (Date.now() < end && !page.isClosed()) {
    const dir = await page
      .locator('lp-game')
      .evaluate((el) => {
        type Cycle = { id: number; status: string; x: number; y: number; dir: number };
        type State = {
          phase: string;
          cols: number;
          rows: number;
          board: Uint8Array;
          cycles: Cycle[];
        };
        const game = el as HTMLElement & {
          you: number;
          runner?: { view(now: number): State | undefined };
        };
        const s = game.runner?.view(performance.now());
        const me = s?.cycles.find((c) => c.id === game.you);
        if (!s || !me || s.phase === 'scoreboard' || me.status !== 'riding') return -2;
        const ray = (dir: number) => {
          const dx = [0, 1, 0, -1][dir] ?? 0;
          const dy = [-1, 0, 1, 0][dir] ?? 0;
          let n = 0;
          for (let x = me.x + dx, y = me.y + dy; n < 200; n++, x += dx, y += dy)
            if (x < 0 || y < 0 || x >= s.cols || y >= s.rows || s.board[y * s.cols + x]) break;
          return n;
        };
        if (ray(me.dir) > 5) return -1;
        const left = (me.dir + 3) % 4;
        const right = (me.dir + 1) % 4;
        return ray(left) >= ray(right) ? left : right;
      })
      .catch(() => -1);
    if (dir === -2) return;
    if (dir >= 0) await page.keyboard.press(keys[dir] as string);
    await sleep(40);
  }
}
