import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  e2eSuite,
  entry,
  gameStats,
  hostLobby,
  joinGuest,
  poll,
  startGame,
} from './play-support.ts';
import { newPlayer } from './support.ts';

/**
 * Chat and spectators, end to end (issue 15): one party, its browsers shared by the steps, in
 * real Chromium through the production build. Chat goes over the peer links (a relay guest's
 * too); the host mutes, names stay text; a spectator is sent away when the host turns watching
 * off, and another one watches the locked lobby's running game, with its chat, and cannot steer.
 */
// One party for the whole file: its players stay open from step to step.
const e2e = e2eSuite({ closeAfterEach: false });
const { track } = e2e;

/** The chat's lines as this page shows them (opening the panel first). */
async function chatLines(page: Page): Promise<string[]> {
  await openChat(page);
  return page.getByRole('list', { name: 'Chat messages' }).getByRole('listitem').allTextContents();
}

async function openChat(page: Page): Promise<void> {
  const toggle = page.getByRole('button', { name: /^Chat/ });
  if (await toggle.isVisible()) await toggle.click();
  await page.getByRole('textbox', { name: 'Message' }).waitFor();
}

/** Sends a message: opens the chat, types, and presses Enter in the field. */
async function say(page: Page, text: string): Promise<void> {
  await openChat(page);
  await page.getByRole('textbox', { name: 'Message' }).fill(text);
  await page.keyboard.press('Enter');
}

describe('chat and spectators (real Chromium, production build)', () => {
  it('chat reaches everyone over the relay, mutes hold, names are text; spectators watch a locked running game and are sent away when the host says so', async () => {
    const { host, link } = await hostLobby(e2e.browser, e2e.server.url);
    track(host);
    const html = '<b>Bo</b>';
    const [rey, bo] = await Promise.all([
      joinGuest(e2e.browser, `${link}?relay=1`, 'Rey').then(track),
      joinGuest(e2e.browser, link, html).then(track),
    ]);
    await poll(() => entry(host.page, 'Rey').textContent(), 15_000).toContain('relay');

    // A message from the guest on the relay reaches the host and the other guest.
    await say(rey.page, 'hello from the relay');
    for (const p of [host, bo, rey])
      await poll(() => chatLines(p.page)).toContain('Rey: hello from the relay');
    // The name with HTML is shown as its characters, never as markup.
    await say(bo.page, 'hi <i>all</i>');
    await poll(() => chatLines(host.page)).toContain(`${html}: hi <i>all</i>`);
    expect(await host.page.locator('lp-chat li b, lp-chat li i').count()).toBe(0);

    // The host mutes Bo: Bo is told, and its messages reach no one.
    await host.page.getByRole('button', { name: `Mute ${html}` }).click();
    await poll(() => bo.page.getByTestId('chat-refusal').textContent()).toContain('muted');
    await say(bo.page, 'can anyone hear me');
    await say(rey.page, 'after the mute');
    for (const p of [host, rey])
      await poll(() => chatLines(p.page)).toContain('Rey: after the mute');
    for (const p of [host, rey, bo])
      expect((await chatLines(p.page)).join('\n')).not.toContain('can anyone hear me');

    // A spectator by choice; the host turns spectating off and the spectator is told why.
    const vi = track({ ...(await newPlayer(e2e.browser)), name: 'Vi' });
    await vi.page.goto(link);
    await vi.page.getByLabel('Name').fill('Vi');
    await vi.page.getByRole('button', { name: 'Watch' }).click();
    const watching = host.page.getByRole('list', { name: 'Spectators' });
    await poll(() => watching.textContent()).toContain('Vi');
    await poll(() => chatLines(host.page)).toContain('Vi is watching');
    await host.page.getByRole('button', { name: 'Turn spectating off' }).click();
    await vi.page.getByRole('heading', { name: 'The host turned spectating off' }).waitFor();
    await host.page.getByRole('button', { name: 'Allow spectators' }).click();
    // Vi's name is remembered now: a share link with `?watch` makes it a spectator at once.
    await vi.page.goto(`${link}?watch`);
    await vi.page.getByText('You are watching').waitFor({ timeout: 15_000 });
    await poll(() => watching.textContent()).toContain('Vi');

    // Locked and running: a late visitor is offered to watch, and watches.
    await host.page.getByRole('button', { name: 'Lock lobby' }).click();
    await startGame(host, [rey, bo]);
    const wes = track({ ...(await newPlayer(e2e.browser)), name: 'Wes' });
    await wes.page.goto(link);
    await wes.page.getByLabel('Name').fill('Wes');
    await wes.page.getByRole('button', { name: 'Join' }).click();
    await wes.page.getByRole('heading', { name: 'This lobby is locked' }).waitFor();
    await wes.page.getByRole('button', { name: 'Watch instead' }).click();
    await wes.page.getByTestId('watching').waitFor({ timeout: 15_000 });
    // The history came with it: the relay guest's lines, none of the muted player's.
    const history = (await chatLines(wes.page)).join('\n');
    expect(history).toContain('Rey: hello from the relay');
    expect(history).not.toContain('can anyone hear me');

    // The game moves on the spectator's screen; its keys steer nothing (it has no player), and
    // its HUD speaks of no player of its own (no "Score 0"), only of the game.
    const before = (await gameStats(wes.page)).tick ?? 0;
    await poll(async () => (await gameStats(wes.page)).tick ?? 0).toBeGreaterThan(before + 30);
    await wes.page.getByTestId('timer').waitFor();
    expect(await wes.page.getByTestId('score').count()).toBe(0);
    await wes.page.keyboard.press('Escape');
    await wes.page.keyboard.down('ArrowRight');
    await wes.page.waitForTimeout(300);
    await wes.page.keyboard.up('ArrowRight');
    const seated = await host.page.locator('lp-game').evaluate((el) => {
      const g = el as HTMLElement & {
        runner: { game: { players(s: unknown): number[] }; view(now: number): unknown };
      };
      return g.runner.game.players(g.runner.view(performance.now()));
    });
    const wesId = await wes.page
      .locator('lp-game')
      .evaluate((el) => (el as HTMLElement & { you: number }).you);
    expect(seated).toHaveLength(3);
    expect(seated).not.toContain(wesId);
    const refusedInputs = await host.page
      .locator('lp-game')
      .evaluate(
        (el) =>
          (el as HTMLElement & { runner: { host: { stats: { spectatorInputs: number } } } }).runner
            .host.stats.spectatorInputs,
      );
    expect(refusedInputs).toBe(0);

    // Chat in the game reaches the spectator, and the spectator's reaches the players.
    await say(rey.page, 'in game now');
    await poll(() => chatLines(wes.page)).toContain('Rey: in game now');
    await say(wes.page, 'nice moves');
    await poll(() => chatLines(host.page)).toContain('Wes: nice moves');
    for (const p of [host, rey, bo, wes]) expect(p.problems).toEqual([]);
  }, 120_000);
});
