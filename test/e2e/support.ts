import { type Browser, type BrowserContextOptions, chromium, type Page } from 'playwright-core';
import {
  freePort,
  ROOT,
  type ServerProcess,
  SHARED_ADDRESS_FLAGS,
  startServerProcess,
} from '../support/server-process.mjs';

/**
 * End-to-end helpers: the production build served by the real server (a child process, as
 * `npm start` runs it) and real Chromium browsers driven by playwright-core.
 */
export { freePort, ROOT };
export const CHROME = process.env.CHROME_PATH ?? '/usr/bin/chromium';

export type E2eServer = ServerProcess;

/** Where the server runs: by default on 127.0.0.1 of this machine. */
export interface ServerPlace {
  /**
   * A network namespace to run it in (`ip netns exec`, root only; see test/support/netns.ts):
   * it then listens on 0.0.0.0 of that namespace.
   */
  readonly netns?: string;
  /** The address players use (default 127.0.0.1); with `netns`, one of the namespace's. */
  readonly address?: string;
}

/**
 * Starts `node dist/server/main.js` on a fixed free port (dist/ is built by vitest's setup), on
 * 127.0.0.1 or inside a network namespace.
 */
export function startServer(
  flags: readonly string[] = [],
  place: ServerPlace = {},
): Promise<E2eServer> {
  return startServerProcess({
    // One line per lobby and link event: what a failed test prints (see `e2eSuite`).
    logLevel: 'info',
    flags: [...SHARED_ADDRESS_FLAGS, ...flags],
    ...(place.address === undefined ? {} : { address: place.address }),
    // `ip netns exec` execs (same pid), so signals sent to the child reach the server itself.
    ...(place.netns === undefined
      ? {}
      : { host: '0.0.0.0', prefix: ['ip', 'netns', 'exec', place.netns] }),
  });
}

/** Chromium's flags in every test (root needs `--no-sandbox`; see FACTS.md "Browsers"). */
export const CHROME_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];

/** Launches Chromium (or a wrapper script that execs it, e.g. inside a network namespace). */
export function launchBrowser(executablePath: string = CHROME): Promise<Browser> {
  return chromium.launch({ executablePath, args: [...CHROME_ARGS] });
}

export interface Player {
  readonly page: Page;
  /** Console errors and warnings, and uncaught exceptions, seen so far. */
  readonly problems: string[];
}

/** A player in its own browser context (its own storage, like its own browser). */
export async function newPlayer(
  browser: Browser,
  options: BrowserContextOptions = {},
): Promise<Player> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return { page, problems };
}

/** Creates a lobby through the UI; returns its share link. */
export async function createLobby(page: Page, url: string, name: string): Promise<string> {
  await page.goto(url);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Create lobby' }).click();
  await page.getByTestId('share-link').waitFor();
  return (await page.getByTestId('share-link').textContent()) ?? '';
}

/** Opens a share link and joins with a name, through the UI. */
export async function joinByLink(page: Page, link: string, name: string): Promise<void> {
  await page.goto(link);
  await page.getByLabel('Name').fill(name);
  await page.getByRole('button', { name: 'Join' }).click();
}

/**
 * Watches the game view's snapshot counter for `ms`, in the page (every 5 ms, so a busy test
 * process does not blur it): how many snapshots arrived and the longest time without one. A
 * page whose own thread was held up (a loaded machine deschedules it; its 5 ms timer then runs
 * late) could not take snapshots meanwhile: `longestGapMs` leaves those stalls out, so it is what
 * the network did, and `stalledMs` says how much was left out of that gap.
 */
export async function snapshotGaps(
  page: Page,
  ms: number,
): Promise<{
  readonly snapshots: number;
  readonly longestGapMs: number;
  /** When the longest gap began, in ms from the start of watching. */
  readonly longestGapAt: number;
  /** The page's own stalls inside the longest gap, left out of it. */
  readonly stalledMs: number;
}> {
  return page.locator('lp-game').evaluate(
    (el, duration) =>
      new Promise<{
        snapshots: number;
        longestGapMs: number;
        longestGapAt: number;
        stalledMs: number;
      }>((resolve) => {
        /** A timer this late means the page's thread did not run: a stall, not the network. */
        const STALL_MS = 50;
        const count = () => (el as HTMLElement & { stats: { snapshots: number } }).stats.snapshots;
        const start = performance.now();
        const first = count();
        let last = first;
        let lastAt = start;
        let tickAt = start;
        let stalled = 0;
        let longest = 0;
        let longestAt = 0;
        let longestStalled = 0;
        const gap = (now: number) => {
          if (now - lastAt - stalled > longest) {
            longest = now - lastAt - stalled;
            longestAt = lastAt - start;
            longestStalled = stalled;
          }
        };
        const timer = setInterval(() => {
          const now = performance.now();
          if (now - tickAt > STALL_MS) stalled += now - tickAt;
          tickAt = now;
          const n = count();
          if (n !== last) {
            gap(now);
            last = n;
            lastAt = now;
            stalled = 0;
          }
        }, 5);
        setTimeout(() => {
          clearInterval(timer);
          gap(performance.now());
          resolve({
            snapshots: last - first,
            longestGapMs: Math.round(longest),
            longestGapAt: Math.round(longestAt),
            stalledMs: Math.round(longestStalled),
          });
        }, duration);
      }),
    ms,
  );
}
