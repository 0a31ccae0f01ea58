import { readdirSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { AxeResults } from 'axe-core';
import type { Browser, BrowserContextOptions, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { formatLobbyCode } from '../../shared/protocol/lobby-code.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.ts';
import {
  createLobby,
  type E2eServer,
  joinByLink,
  launchBrowser,
  newPlayer,
  type Player,
  ROOT,
  startServer,
} from './support.ts';

/**
 * The UI as players see it: the production build served by the real server, several real
 * Chromium contexts (each its own browser profile). Every error state comes from its real
 * trigger; every screen is audited with axe-core; screenshots land in docs/screenshots/.
 */

const DESKTOP: BrowserContextOptions = { viewport: { width: 1280, height: 800 } };
const PHONE: BrowserContextOptions = {
  viewport: { width: 390, height: 844 },
  deviceScaleFactor: 2,
  isMobile: true,
  hasTouch: true,
};
const SHOTS = join(ROOT, 'docs/screenshots');
const AXE = createRequire(import.meta.url).resolve('axe-core');
/** Every test here makes many joins from 127.0.0.1: lift the per-address limit (30 a minute). */
const SERVER_FLAGS = ['--joins-per-minute', '10000'];
/** A 2-core machine running several browsers at once: generous waits. */
const WAIT = 15_000;

let browser: Browser;
let server: E2eServer;
/** Servers of one test (another configuration, or stopped and killed on purpose). */
let extraServers: E2eServer[] = [];
let players: Player[] = [];

beforeAll(async () => {
  [browser, server] = await Promise.all([launchBrowser(), startServer(SERVER_FLAGS)]);
  await mkdir(SHOTS, { recursive: true });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
}, 30_000);

afterEach(async () => {
  await Promise.all(players.map((p) => p.page.context().close()));
  await Promise.all(extraServers.map((s) => s.stop()));
  players = [];
  extraServers = [];
}, 30_000);

/** A player in a fresh context; `name` is remembered beforehand (as after an earlier visit). */
async function player(
  options: BrowserContextOptions & { name?: string; init?: () => void } = {},
): Promise<Player> {
  const { name, init, ...context } = options;
  const p = await newPlayer(browser, { ...DESKTOP, ...context });
  if (name !== undefined)
    await p.page.addInitScript((n) => localStorage.setItem('lanparty.name', n), name);
  if (init) await p.page.addInitScript(init);
  players.push(p);
  return p;
}

async function extraServer(flags: string[]): Promise<E2eServer> {
  const s = await startServer([...SERVER_FLAGS, ...flags]);
  extraServers.push(s);
  return s;
}

const heading = (page: Page, name: string) => page.getByRole('heading', { name, exact: true });
const button = (page: Page, name: string) => page.getByRole('button', { name, exact: true });
/** Waits for a locator to show; on a timeout, the error tells what the page showed instead. */
async function visible(locator: Locator, timeout = WAIT): Promise<void> {
  try {
    await locator.waitFor({ state: 'visible', timeout });
  } catch (error) {
    const shown = await screenText(locator.page()).catch(() => '(page gone)');
    throw new Error(`${(error as Error).message}\nThe page showed: ${shown}`);
  }
}
/** All text of the page, through shadow roots. */
const screenText = (page: Page) =>
  page.evaluate(() => {
    const walk = (node: Node): string =>
      node.nodeType === Node.TEXT_NODE
        ? (node.textContent ?? '')
        : [...((node as Element).shadowRoot?.childNodes ?? []), ...node.childNodes]
            .map(walk)
            .join(' ');
    return walk(document.body).replace(/\s+/g, ' ').trim();
  });
const gone = (locator: Locator, timeout = WAIT) => locator.waitFor({ state: 'hidden', timeout });
/** What a locator's element says, spaces collapsed. */
const text = async (locator: Locator) =>
  ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();

/** The lobby code of a share link. */
const codeOf = (link: string) => new URL(link).pathname.split('/').pop() ?? '';
const lobbyTitle = (link: string) => `Lobby ${formatLobbyCode(codeOf(link))} — lanparty`;

/** Waits until the page's player list shows exactly these names. */
async function playersAre(page: Page, names: string[]): Promise<void> {
  const list = page.getByRole('list', { name: 'Players' });
  await expect
    .poll(async () => (await list.getByRole('listitem').allInnerTexts()).map(firstWord), {
      timeout: WAIT,
    })
    .toEqual(names);
}
const firstWord = (s: string) => s.trim().split(/\s+/)[0] ?? '';

/**
 * Runs axe-core (every rule it runs by default: WCAG 2 A/AA and best practices, none excluded)
 * on the page as it is now, through its shadow roots; returns the violations, one line each.
 */
let axeText: string | undefined;
const axeSource = () => {
  axeText ??= readFileSync(AXE, 'utf8');
  return axeText;
};
async function audit(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the page's CSP (rightly) refuses an inline script
  // tag, and axe is not one of its own scripts.
  await page.evaluate(axeSource());
  return page.evaluate(async () => {
    const { axe } = globalThis as unknown as {
      axe: { run(context: Document, options: object): Promise<AxeResults> };
    };
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map(
      (v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => JSON.stringify(n.target)).join(', ')}`,
    );
  });
}

async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  // Nothing wider than the screen (a phone at 390 px scrolls only vertically).
  expect(
    await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth),
    `${name}: horizontal overflow`,
  ).toBeLessThanOrEqual(0);
  // Caret blinking and fonts settling are the only motion on these screens.
  await page.evaluate(() => document.fonts.ready);
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage, caret: 'hide' });
}

/** The element that really has focus, through shadow roots, with its outline. */
function focused(page: Page) {
  return page.evaluate(() => {
    let el: Element | null = document.activeElement;
    while (el?.shadowRoot?.activeElement) el = el.shadowRoot.activeElement;
    if (!el) return undefined;
    const style = getComputedStyle(el);
    return {
      tag: el.tagName.toLowerCase(),
      // Enough of an accessible name for these controls: aria-label, a <label>, or the text.
      text: (
        el.getAttribute('aria-label') ??
        (el as HTMLInputElement).labels?.[0]?.textContent ??
        el.textContent ??
        ''
      ).trim(),
      outline: `${style.outlineStyle} ${style.outlineWidth}`,
    };
  });
}

/** Presses Tab until the focused control's name is `name` (at most 20 times). */
async function tabTo(page: Page, name: string): Promise<void> {
  for (let i = 0; i < 20; i++) {
    await page.keyboard.press('Tab');
    const f = await focused(page);
    if (f?.text === name) {
      // The focus ring is visible: a solid outline at least 2 px wide.
      expect(f.outline).toMatch(/^solid [2-9]/);
      return;
    }
  }
  throw new Error(`Tab never reached "${name}"`);
}

/** The first non-internal IPv4 address: opening the app there is a plain-http LAN page. */
function lanAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces()))
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return undefined;
}

describe('the UI in real Chromium, through the real server', () => {
  it('share link: asks only for a name (or none when remembered), lands in that lobby; titles and back/forward follow', async () => {
    const host = await player();
    await host.page.goto(server.url);
    expect(await host.page.title()).toBe('lanparty');
    const link = await createLobby(host.page, server.url, 'Ada');
    expect(new URL(host.page.url()).pathname).toBe(`/l/${codeOf(link)}`);
    expect(await host.page.title()).toBe(lobbyTitle(link));
    expect(await text(host.page.getByTestId('code'))).toBe(formatLobbyCode(codeOf(link)));

    // A new player opens the link: only a name is asked for.
    const bea = await player();
    await bea.page.goto(link);
    await visible(bea.page.getByLabel('Name'));
    expect(await text(bea.page.getByText('Joining lobby'))).toBe(
      `Joining lobby ${formatLobbyCode(codeOf(link))}`,
    );
    expect(await button(bea.page, 'Create lobby').count()).toBe(0);
    expect(await bea.page.getByLabel('Code').count()).toBe(0);
    expect(await bea.page.title()).toBe('lanparty');
    await bea.page.getByLabel('Name').fill('Bea');
    await button(bea.page, 'Join').click();
    await playersAre(bea.page, ['Ada', 'Bea']);
    expect(await text(bea.page.getByTestId('share-link'))).toBe(link);
    expect(await bea.page.title()).toBe(lobbyTitle(link));
    // The host hears about it in its live region.
    await expect.poll(() => text(host.page.getByTestId('announcer'))).toBe('Bea joined');

    // A player whose name is remembered goes straight in.
    const cy = await player({ name: 'Cy' });
    await cy.page.goto(link);
    await playersAre(cy.page, ['Ada', 'Bea', 'Cy']);
    expect(await cy.page.getByLabel('Name').count()).toBe(0);
    await playersAre(host.page, ['Ada', 'Bea', 'Cy']);

    // Back goes to the start page (the host's seat is kept), forward takes it back.
    await host.page.goBack();
    await visible(button(host.page, 'Create lobby'));
    expect(new URL(host.page.url()).pathname).toBe('/');
    expect(await host.page.title()).toBe('lanparty');
    // Back within the host-migration wait (1.5 s): still the host, and nobody was told a thing.
    await host.page.goForward();
    await playersAre(host.page, ['Ada', 'Bea', 'Cy']);
    expect(await host.page.title()).toBe(lobbyTitle(link));
    await visible(button(host.page, 'Start game'));
    expect(await bea.page.getByTestId('host-change').count()).toBe(0);
    expect(await bea.page.getByRole('status').filter({ hasText: /host/ }).count()).toBe(0);

    // A guest leaving is announced too.
    await button(cy.page, 'Leave').click();
    await visible(button(cy.page, 'Create lobby'));
    await expect.poll(() => text(host.page.getByTestId('announcer'))).toBe('Cy left');

    // The game has its own title.
    await button(host.page, 'Start game').click();
    await expect.poll(() => host.page.title(), { timeout: WAIT }).toBe('Playing Tag — lanparty');
    await expect.poll(() => bea.page.title(), { timeout: WAIT }).toBe('Playing Tag — lanparty');
    for (const p of [host, bea, cy]) expect(p.problems).toEqual([]);
  }, 60_000);

  it('"Copy link" puts the link on the clipboard, and falls back where the Clipboard API is missing', async () => {
    const host = await player({ permissions: ['clipboard-read', 'clipboard-write'] });
    const link = await createLobby(host.page, server.url, 'Ada');
    await button(host.page, 'Copy link').click();
    await expect.poll(() => text(host.page.getByTestId('copy-status'))).toBe('Link copied.');
    expect(await host.page.evaluate(() => navigator.clipboard.readText())).toBe(link);

    // A plain-http LAN address is not a secure context: no navigator.clipboard at all. Where
    // this machine has no LAN address, the same is made by removing the API.
    const lan = lanAddress();
    const lanServer = lan ? await extraServer(['--host', '0.0.0.0']) : server;
    const origin = lan ? `http://${lan}:${lanServer.port}` : server.url;
    const guest = await player({
      ...(lan
        ? {}
        : { init: () => Object.defineProperty(navigator, 'clipboard', { value: undefined }) }),
    });
    const lanLink = await createLobby(guest.page, origin, 'Bea');
    expect(await guest.page.evaluate(() => typeof navigator.clipboard)).toBe('undefined');
    await button(guest.page, 'Copy link').click();
    await expect.poll(() => text(guest.page.getByTestId('copy-status'))).toBe('Link copied.');
    // What was copied, read back from a secure page of the same browser profile.
    await guest.page.context().grantPermissions(['clipboard-read'], { origin: lanServer.url });
    const reader = await guest.page.context().newPage();
    await reader.goto(lanServer.url);
    expect(await reader.evaluate(() => navigator.clipboard.readText())).toBe(lanLink);
    expect(host.problems).toEqual([]);
    expect(guest.problems).toEqual([]);
  }, 60_000);

  describe('every error state, from its real trigger, with a way forward', () => {
    it('lobby not found: a share link to no lobby; "Back to start"', async () => {
      const p = await player({ name: 'Bea' });
      for (const path of ['/l/0000-0000-00000', '/l/not-a-code']) {
        await p.page.goto(`${server.url}${path}`);
        await visible(heading(p.page, 'Lobby not found'));
        expect(await text(p.page.getByRole('alert'))).toContain('The link may be mistyped');
        await button(p.page, 'Back to start').click();
        await visible(button(p.page, 'Create lobby'));
        expect(new URL(p.page.url()).pathname).toBe('/');
      }
    }, 30_000);

    it('full: a third player on a server with two seats per lobby; "Try again" once there is room', async () => {
      const small = await extraServer(['--lobby-capacity', '2']);
      const host = await player();
      const link = await createLobby(host.page, small.url, 'Ada');
      const bea = await player({ name: 'Bea' });
      await bea.page.goto(link);
      await playersAre(bea.page, ['Ada', 'Bea']);
      const cy = await player({ name: 'Cy' });
      await cy.page.goto(link);
      await visible(heading(cy.page, 'This lobby is full'));
      await button(bea.page, 'Leave').click();
      await playersAre(host.page, ['Ada']);
      await button(cy.page, 'Try again').click();
      await playersAre(cy.page, ['Ada', 'Cy']);
    }, 30_000);

    it('locked: the host presses "Lock lobby"; a newcomer is refused until it is unlocked', async () => {
      const host = await player();
      const link = await createLobby(host.page, server.url, 'Ada');
      await button(host.page, 'Lock lobby').click();
      await visible(button(host.page, 'Unlock lobby'));
      await visible(host.page.getByRole('heading', { name: 'Players 1/8 · locked' }));
      const bea = await player({ name: 'Bea' });
      await bea.page.goto(link);
      await visible(heading(bea.page, 'This lobby is locked'));
      await button(host.page, 'Unlock lobby').click();
      await visible(button(host.page, 'Lock lobby'));
      await button(bea.page, 'Try again').click();
      await playersAre(bea.page, ['Ada', 'Bea']);
    }, 30_000);

    it('kicked: the host presses "Kick Bea"; "Back to start"', async () => {
      const host = await player();
      const link = await createLobby(host.page, server.url, 'Ada');
      const bea = await player({ name: 'Bea' });
      await bea.page.goto(link);
      await playersAre(host.page, ['Ada', 'Bea']);
      await button(host.page, 'Kick Bea').click();
      await visible(heading(bea.page, 'You were removed from the lobby'));
      await playersAre(host.page, ['Ada']);
      await button(bea.page, 'Back to start').click();
      await visible(button(bea.page, 'Create lobby'));
      expect(new URL(bea.page.url()).pathname).toBe('/');
    }, 30_000);

    it('the host presses "Leave": a guest hosts at once, says so, and has the host controls', async () => {
      const host = await player();
      const link = await createLobby(host.page, server.url, 'Ada');
      const bea = await player({ name: 'Bea' });
      await bea.page.goto(link);
      const cy = await player({ name: 'Cy' });
      await cy.page.goto(link);
      await playersAre(host.page, ['Ada', 'Bea', 'Cy']);
      // Ada picks Light cycles; both guests are told.
      await host.page.getByRole('radio', { name: 'Light cycles' }).check();
      const pick = (p: Player) => text(p.page.getByRole('status', { name: 'Game' }));
      for (const p of [bea, cy])
        await expect.poll(() => pick(p), { timeout: WAIT }).toBe('Light cycles · Speed 15 cells/s');
      const t0 = Date.now();
      await button(host.page, 'Leave').click();
      await visible(button(bea.page, 'Lock lobby'), 3000);
      const ms = Date.now() - t0;
      console.log(`the new host had the host controls ${ms} ms after the host pressed Leave`);
      expect(ms).toBeLessThan(3000);
      await visible(button(host.page, 'Create lobby'));
      // Bea was seated first: she hosts; the badge moved; Cy is told, and Bea too.
      await playersAre(bea.page, ['Bea', 'Cy']);
      await expect
        .poll(() => text(bea.page.getByTestId('host-change')))
        .toBe('Ada left — you are hosting now');
      await expect
        .poll(() => text(cy.page.getByTestId('host-change')))
        .toBe('Ada left — Bea is hosting now');
      await expect
        .poll(() => text(cy.page.getByTestId('announcer')))
        .toBe('Ada left — Bea is hosting now');
      await expect
        .poll(() =>
          text(
            cy.page
              .getByRole('list', { name: 'Players' })
              .getByRole('listitem')
              .filter({ hasText: 'Bea' })
              .locator('.badge'),
          ),
        )
        .toBe('host');
      expect(await button(cy.page, 'Lock lobby').count()).toBe(0);
      // The new host carries on with the pick it was told, and tells the guest so.
      expect(await bea.page.getByRole('radio', { name: 'Light cycles' }).isChecked()).toBe(true);
      await expect.poll(() => pick(cy), { timeout: WAIT }).toBe('Light cycles · Speed 15 cells/s');
      // The notice goes after a few seconds; nothing else changed.
      await expect
        .poll(() => bea.page.getByTestId('host-change').count(), { timeout: 10_000 })
        .toBe(0);
      for (const p of [bea, cy]) expect(p.problems).toEqual([]);
    }, 30_000);

    it('host left: with migration off (--host-migration-ms over --grace-ms) the host closes its tab; guests see it', async () => {
      const own = await extraServer(['--grace-ms', '7000', '--host-migration-ms', '60000']);
      const host = await player();
      const link = await createLobby(host.page, own.url, 'Ada');
      const bea = await player({ name: 'Bea' });
      await bea.page.goto(link);
      await playersAre(host.page, ['Ada', 'Bea']);
      const t0 = Date.now();
      await host.page.close();
      // A moment away is a reload or a blip: nothing is said. After 4 s, a banner with a way out.
      const away = bea.page.getByRole('status').filter({ hasText: 'The host left' });
      await visible(away, 9000);
      const awayMs = Date.now() - t0;
      expect(awayMs).toBeGreaterThanOrEqual(4000);
      // When the grace period ends, the server ends the lobby and the page says so.
      await visible(heading(bea.page, 'The host left'), 8000);
      console.log(
        `host away banner after ${awayMs} ms, "The host left" ${Date.now() - t0} ms after the host's tab closed`,
      );
      await expect.poll(() => text(bea.page.getByTestId('announcer'))).toContain('The host left');
      await button(bea.page, 'Back to start').click();
      await visible(button(bea.page, 'Create lobby'));
    }, 30_000);

    it('server unreachable: a countdown while it retries, then it recovers; connection lost: a banner, then the lobby is whole', async () => {
      const flaky = await extraServer([]);
      const host = await player();
      await host.page.goto(flaky.url);
      await host.page.getByLabel('Name').fill('Ada');
      await flaky.stop();
      await button(host.page, 'Create lobby').click();
      await visible(heading(host.page, 'Cannot reach the server'));
      const alert = host.page.getByRole('alert');
      expect(await text(alert)).toMatch(/Retrying in \d+ s/);
      expect(await button(host.page, 'Back to start').count()).toBe(1);
      // The countdown moves: within a few seconds another figure shows.
      const first = await text(alert);
      await expect.poll(() => text(alert), { timeout: WAIT }).not.toBe(first);
      await flaky.restart();
      await visible(host.page.getByTestId('share-link'), 20_000);
      const link = (await text(host.page.getByTestId('share-link'))).trim();

      const bea = await player({ name: 'Bea' });
      await bea.page.goto(link);
      await playersAre(host.page, ['Ada', 'Bea']);
      // Killed mid-lobby, as a crash would; everyone sees the banner, the lobby stays in view.
      await flaky.kill();
      for (const p of [host, bea]) {
        await visible(p.page.getByText(/^Connection lost\. Reconnecting in \d+ s…$/));
        await visible(p.page.getByTestId('share-link'));
      }
      await flaky.restart();
      for (const p of [host, bea]) {
        await gone(p.page.getByText(/^Connection lost/), 20_000);
        await playersAre(p.page, ['Ada', 'Bea']);
        await gone(p.page.getByText('reconnecting…'));
      }
      expect(await text(bea.page.getByTestId('share-link'))).toBe(link);
    }, 60_000);

    it('protocol version mismatch: the server closes with 4001; "Reload" loads the current app', async () => {
      const host = await player();
      const link = await createLobby(host.page, server.url, 'Ada');
      const bea = await player({ name: 'Bea' });
      // An older app: the same bundle asking for another protocol version on the WebSocket URL.
      const assets = join(ROOT, 'dist/web/assets');
      const bundle = readdirSync(assets).find((f) => /^app-\w+\.js$/.test(f)) ?? '';
      const source = readFileSync(join(assets, bundle), 'utf8');
      const built = `?v=\${${PROTOCOL_VERSION}}`;
      expect(source.split(built).length - 1, `the bundle builds the URL with ${built}`).toBe(1);
      const old = source.replace(built, `?v=\${${PROTOCOL_VERSION + 100}}`);
      await bea.page.route(`**/assets/${bundle}`, (route) =>
        route.fulfill({ contentType: 'text/javascript; charset=utf-8', body: old }),
      );
      await bea.page.goto(link);
      await visible(heading(bea.page, 'lanparty was updated'));
      await bea.page.unroute(`**/assets/${bundle}`);
      await button(bea.page, 'Reload').click();
      await playersAre(bea.page, ['Ada', 'Bea']);
      await playersAre(host.page, ['Ada', 'Bea']);
    }, 30_000);

    it('WebRTC unavailable: a note in the lobby, and the player plays over the relay', async () => {
      const host = await player({ name: 'Ada' });
      const link = await createLobby(host.page, server.url, 'Ada');
      const bea = await player({
        name: 'Bea',
        init: () => {
          const w = window as unknown as Record<string, unknown>;
          delete w.RTCPeerConnection;
          delete w.webkitRTCPeerConnection;
        },
      });
      await bea.page.goto(link);
      await visible(bea.page.getByRole('note'));
      expect(await text(bea.page.getByRole('note'))).toContain('This browser has no WebRTC');
      await expect
        .poll(() => text(host.page.locator('li', { hasText: 'Bea' })), { timeout: WAIT })
        .toMatch(/relay · \d+ ms/);
      await button(host.page, 'Start game').click();
      const connection = bea.page.getByTestId('connection');
      await visible(connection);
      await expect.poll(() => text(connection), { timeout: WAIT }).toMatch(/^relay · \d+ ms$/);
      // Playing: the host's state keeps arriving (the round clock runs down).
      const timer = bea.page.getByTestId('timer');
      const before = await text(timer);
      await expect.poll(() => text(timer), { timeout: WAIT }).not.toBe(before);
      expect(bea.problems).toEqual([]);
    }, 30_000);

    it('name rejected: only zero-width characters pass the page but not the server; "Change name"', async () => {
      const host = await player();
      const link = await createLobby(host.page, server.url, 'Ada');
      const bea = await player();
      await joinByLink(bea.page, link, '\u200b\u200b\u200b');
      await visible(heading(bea.page, 'Name not accepted'));
      await button(bea.page, 'Change name').click();
      await bea.page.getByLabel('Name').fill('Bea');
      await button(bea.page, 'Join').click();
      await playersAre(host.page, ['Ada', 'Bea']);
    }, 30_000);
  });

  it('keyboard only: the start page and the lobby work with Tab, Enter and Space, focus visible', async () => {
    const host = await player({ permissions: ['clipboard-read', 'clipboard-write'] });
    await host.page.goto(server.url);
    await tabTo(host.page, 'Name');
    await host.page.keyboard.type('Ada');
    await tabTo(host.page, 'Create lobby');
    await host.page.keyboard.press('Enter');
    await visible(host.page.getByTestId('share-link'));
    const link = (await text(host.page.getByTestId('share-link'))).trim();
    await tabTo(host.page, 'Copy link');
    await host.page.keyboard.press('Space');
    await expect.poll(() => text(host.page.getByTestId('copy-status'))).toBe('Link copied.');

    // A guest joins by typing the code in any form on the start page.
    const bea = await player();
    await bea.page.goto(server.url);
    await tabTo(bea.page, 'Name');
    await bea.page.keyboard.type('Bea');
    const messy = codeOf(link)
      .toLowerCase()
      .replace(/^(....)(....)/, '$1 $2-');
    await tabTo(bea.page, 'Code');
    await bea.page.keyboard.type(messy);
    await tabTo(bea.page, 'Join');
    await bea.page.keyboard.press('Enter');
    await playersAre(bea.page, ['Ada', 'Bea']);

    await tabTo(host.page, 'Lock lobby');
    await host.page.keyboard.press('Space');
    await visible(button(host.page, 'Unlock lobby'));
    await tabTo(host.page, 'Kick Bea');
    await host.page.keyboard.press('Enter');
    await visible(heading(bea.page, 'You were removed from the lobby'));
    await tabTo(bea.page, 'Back to start');
    await bea.page.keyboard.press('Enter');
    await visible(button(bea.page, 'Create lobby'));
    await tabTo(host.page, 'Leave');
    await host.page.keyboard.press('Enter');
    await visible(button(host.page, 'Create lobby'));
    expect(host.problems).toEqual([]);
    expect(bea.problems).toEqual([]);
  }, 45_000);

  it('every screen passes axe-core, at desktop and phone sizes; screenshots for the README', async () => {
    const host = await player(DESKTOP);
    const bea = await player(PHONE);
    const cy = await player(DESKTOP);

    // Home.
    await host.page.goto(`${server.url}/?round=5`);
    await bea.page.goto(server.url);
    await visible(button(host.page, 'Create lobby'));
    await visible(button(bea.page, 'Create lobby'));
    for (const name of ['Create lobby', 'Join'])
      expect(await button(host.page, name).count(), name).toBe(1);
    expect(await audit(host.page)).toEqual([]);
    expect(await audit(bea.page)).toEqual([]);
    await shot(host.page, 'home-desktop');
    await shot(bea.page, 'home-phone');

    // Lobby with three players, Bea (phone) on the relay.
    await host.page.getByLabel('Name').fill('Ada');
    await button(host.page, 'Create lobby').click();
    await visible(host.page.getByTestId('share-link'));
    const link = (await text(host.page.getByTestId('share-link'))).trim();
    await joinByLink(bea.page, `${link}?relay=1`, 'Bea');
    await joinByLink(cy.page, link, 'Cy');
    await playersAre(host.page, ['Ada', 'Bea', 'Cy']);
    const row = (name: string) => host.page.locator('li', { hasText: name });
    await expect.poll(() => text(row('Bea')), { timeout: WAIT }).toMatch(/relay · \d+ ms/);
    await expect.poll(() => text(row('Cy')), { timeout: WAIT }).toMatch(/direct · \d+ ms/);
    await visible(bea.page.getByRole('note'));
    // Guests see the host's pick (here Tag with the host's `?round=5`).
    await expect
      .poll(() => text(bea.page.getByRole('status', { name: 'Game' })), { timeout: WAIT })
      .toBe('Tag · Round length 5 s');
    for (const name of ['Copy link', 'Start game', 'Leave', 'Lock lobby', 'Kick Bea', 'Kick Cy'])
      expect(await button(host.page, name).count(), name).toBe(1);
    expect(await audit(host.page)).toEqual([]);
    expect(await audit(bea.page)).toEqual([]);
    await shot(host.page, 'lobby-desktop');
    await shot(bea.page, 'lobby-phone');

    // The game, then the scoreboard after the 5 s round the host's `?round=5` asked for.
    await button(host.page, 'Start game').click();
    for (const p of [host, bea, cy]) await visible(p.page.getByTestId('timer'));
    await expect.poll(() => text(bea.page.getByTestId('connection'))).toMatch(/^relay/);
    // Cy runs down and left for a moment (by keyboard), so the picture is not only the spawn.
    await cy.page.keyboard.down('ArrowDown');
    await cy.page.keyboard.down('ArrowLeft');
    await cy.page.waitForTimeout(700);
    await cy.page.keyboard.up('ArrowDown');
    await cy.page.keyboard.up('ArrowLeft');
    expect(await audit(host.page)).toEqual([]);
    await shot(host.page, 'game-desktop', false);
    await shot(bea.page, 'game-phone', false);
    for (const p of [host, bea]) await visible(heading(p.page, 'Round 1 — scores'), WAIT);
    expect(await audit(bea.page)).toEqual([]);
    await shot(host.page, 'scoreboard-desktop', false);
    await shot(bea.page, 'scoreboard-phone', false);

    // The host leaves: Cy (direct, where Bea is on the relay) hosts, and says so over the game.
    await button(host.page, 'Leave').click();
    for (const p of [bea, cy]) await visible(p.page.getByTestId('host-change'));
    expect(await text(cy.page.getByTestId('host-change'))).toBe('Ada left — you are hosting now');
    expect(await text(bea.page.getByTestId('host-change'))).toBe('Ada left — Cy is hosting now');
    expect(await audit(cy.page)).toEqual([]);
    expect(await audit(bea.page)).toEqual([]);
    await shot(cy.page, 'host-change-desktop', false);
    await shot(bea.page, 'host-change-phone', false);

    // No console errors or warnings anywhere on the way.
    for (const p of [host, bea, cy]) expect(p.problems).toEqual([]);
  }, 90_000);

  it('Light cycles: the game picker and the game pass axe-core at desktop and phone sizes; screenshots', async () => {
    const host = await player(DESKTOP);
    const bea = await player(PHONE);
    const cy = await player(DESKTOP);
    const solo = await player(PHONE);

    // The picker, as a host on a phone sees it (a lobby of its own).
    await solo.page.goto(server.url);
    await solo.page.getByLabel('Name').fill('Dee');
    await button(solo.page, 'Create lobby').click();
    await visible(solo.page.getByRole('radio', { name: 'Light cycles' }));
    await solo.page.getByRole('radio', { name: 'Light cycles' }).check();
    await visible(solo.page.getByText('Light cycles is for 2–16 players: 1 is here.'));
    expect(await button(solo.page, 'Start game').isDisabled()).toBe(true);
    expect(await audit(solo.page)).toEqual([]);
    await shot(solo.page, 'picker-phone');

    // The host picks Light cycles by keyboard: Tab to the game radio, arrow to the next game.
    await host.page.goto(`${server.url}/?speed=10`);
    await host.page.getByLabel('Name').fill('Ada');
    await button(host.page, 'Create lobby').click();
    await visible(host.page.getByTestId('share-link'));
    const link = (await text(host.page.getByTestId('share-link'))).trim();
    await tabTo(host.page, 'Tag');
    await host.page.keyboard.press('ArrowDown');
    expect(await host.page.getByRole('radio', { name: 'Light cycles' }).isChecked()).toBe(true);
    await joinByLink(bea.page, `${link}?relay=1`, 'Bea');
    await joinByLink(cy.page, link, 'Cy');
    await playersAre(host.page, ['Ada', 'Bea', 'Cy']);
    await expect
      .poll(() => text(host.page.locator('li', { hasText: 'Bea' })), { timeout: WAIT })
      .toMatch(/relay · \d+ ms/);
    expect(await audit(host.page)).toEqual([]);
    await shot(host.page, 'picker-desktop');
    // The guest on the phone was told the pick in its lobby, before the start.
    await expect
      .poll(() => text(bea.page.getByRole('status', { name: 'Game' })), { timeout: WAIT })
      .toBe('Light cycles · Speed 10 cells/s');
    expect(await audit(bea.page)).toEqual([]);
    await shot(bea.page, 'picked-guest-phone');

    await button(host.page, 'Start game').click();
    for (const p of [host, bea, cy]) await visible(p.page.getByTestId('riders'));
    for (const p of [host, bea, cy])
      expect(await p.page.getByRole('img').getAttribute('aria-label')).toBe(
        'Light cycles arena: turn with the arrow keys or WASD, or swipe on a touch screen',
      );
    // Riding: Cy turns twice, so the trails bend; the phone player swipes once.
    await expect
      .poll(() => text(cy.page.getByTestId('timer')), { timeout: WAIT })
      .toMatch(/^Riding/);
    await cy.page.keyboard.press('ArrowDown');
    await cy.page.waitForTimeout(400);
    await cy.page.keyboard.press('ArrowLeft');
    await cy.page.waitForTimeout(300);
    // Pictures first, while everyone still rides; the audits take a few seconds.
    await Promise.all([
      shot(host.page, 'light-cycles-desktop', false),
      shot(bea.page, 'light-cycles-phone', false),
    ]);
    expect(await audit(host.page)).toEqual([]);
    expect(await audit(bea.page)).toEqual([]);
    await visible(bea.page.getByRole('dialog', { name: /Round \d+ — scores/ }), 30_000);
    expect(await audit(bea.page)).toEqual([]);
    await shot(bea.page, 'light-cycles-scoreboard-phone', false);
    for (const p of [host, bea, cy, solo]) expect(p.problems).toEqual([]);
  }, 90_000);
  it('chat and spectators: axe-core clean at desktop and phone sizes; screenshots', async () => {
    const host = await player(DESKTOP);
    const bea = await player(PHONE);
    const wes = await player(DESKTOP);
    const vi = await player(PHONE);
    const link = await createLobby(host.page, server.url, 'Ada');
    await joinByLink(bea.page, link, 'Bea');
    await playersAre(host.page, ['Ada', 'Bea']);
    // Vi chooses to watch, until the host turns spectating off; then Wes watches.
    const watch = async (p: Player, name: string) => {
      await p.page.goto(link);
      await p.page.getByLabel('Name').fill(name);
      await button(p.page, 'Watch').click();
      await visible(p.page.getByText('You are watching'));
    };
    await watch(vi, 'Vi');
    const spectators = host.page.getByRole('list', { name: 'Spectators' });
    await expect.poll(() => text(spectators), { timeout: WAIT }).toContain('Vi');
    await button(host.page, 'Turn spectating off').click();
    await visible(heading(vi.page, 'The host turned spectating off'));
    expect(await audit(vi.page)).toEqual([]);
    await shot(vi.page, 'spectating-off-phone');
    await button(host.page, 'Allow spectators').click();
    await watch(wes, 'Wes');
    await expect.poll(() => text(spectators), { timeout: WAIT }).toContain('Wes');

    // A few lines: typed with the keyboard (Enter opens the chat, Enter sends).
    const openChat = async (p: Player) => {
      const toggle = p.page.getByRole('button', { name: /^Chat( \(\d+ new\))?$/ });
      if (await toggle.isVisible()) await toggle.click();
    };
    const say = async (p: Player, line: string) => {
      await openChat(p);
      await p.page.getByRole('textbox', { name: 'Message' }).fill(line);
      await p.page.keyboard.press('Enter');
    };
    await say(host, 'Welcome! Tag starts in a minute.');
    await say(bea, 'ready when you are!');
    await say(wes, '<b>just watching</b> from the couch');
    const lines = async (p: Player) => {
      await openChat(p);
      return p.page
        .getByRole('list', { name: 'Chat messages' })
        .getByRole('listitem')
        .allTextContents();
    };
    await expect
      .poll(() => lines(host), { timeout: WAIT })
      .toContain('Wes: <b>just watching</b> from the couch');
    await expect
      .poll(() => lines(bea), { timeout: WAIT })
      .toContain('Wes: <b>just watching</b> from the couch');
    for (const p of [host, bea, wes]) expect(await audit(p.page)).toEqual([]);
    await shot(host.page, 'chat-lobby-desktop');
    await shot(bea.page, 'chat-lobby-phone');

    // In the game: the spectator's view (no input, "watching"), the chat over the game.
    await button(host.page, 'Start game').click();
    for (const p of [host, bea, wes]) await visible(p.page.getByTestId('timer'));
    await visible(wes.page.getByTestId('watching'));
    await say(bea, 'here I come');
    await expect.poll(() => lines(wes), { timeout: WAIT }).toContain('Bea: here I come');
    await bea.page.keyboard.press('Escape');
    await bea.page.keyboard.down('ArrowDown');
    await bea.page.waitForTimeout(600);
    await bea.page.keyboard.up('ArrowDown');
    await say(bea, 'gg');
    await expect.poll(() => lines(wes), { timeout: WAIT }).toContain('Bea: gg');
    for (const p of [bea, wes]) expect(await audit(p.page)).toEqual([]);
    await shot(wes.page, 'spectator-desktop', false);
    await shot(bea.page, 'chat-game-phone', false);
    for (const p of [host, bea, wes, vi]) expect(p.problems).toEqual([]);
  }, 90_000);
});
