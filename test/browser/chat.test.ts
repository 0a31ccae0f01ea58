/// <reference types="mocha" />
import { sendKeys } from '@web/test-runner-commands';
import { expect } from 'chai';
import type { LobbyView } from '../../shared/protocol/signaling.ts';
import type { ChatLine } from '../../web/chat/chat-frames.ts';
import type { LpChat } from '../../web/components/lp-chat.ts';
import { watchKeyboard } from '../../web/games/tag/keyboard-input.ts';
import '../../web/components/lp-chat.ts';
import { auditBothSchemes, focused, mount, query } from '../support/component-page.ts';
import '../../web/components/lp-lobby.ts';

/**
 * The chat panel and the spectator's side of the lobby in real Chromium, with real key presses:
 * Enter opens, Esc closes, game keys never reach the chat while it is closed and typing never
 * reaches the game's key listener while it is open; new messages are said in a live region;
 * names and texts are text; axe-core finds nothing in either colour scheme.
 */
const input = (el: LpChat) => query<HTMLInputElement>(el, 'input[aria-label=Message]');
const settle = async (el: LpChat) => {
  await el.updateComplete;
  await new Promise((r) => requestAnimationFrame(r));
};

const LINES: ChatLine[] = [
  { seq: 0, text: 'Bea joined' },
  {
    seq: 1,
    from: 2,
    name: '<img src=x onerror=alert(1)>',
    text: '<b>hi</b> & <script>bad()</script>',
  },
];

describe('lp-chat', () => {
  it('Enter opens it and focuses the field; game keys pressed while closed never end up in it; Esc closes it', async () => {
    const el = await mount('lp-chat', { lines: LINES });
    (document.activeElement as HTMLElement | null)?.blur();
    expect(input(el)).to.equal(null);
    // Closed: arrow keys and WASD go to the game, and there is no field to type into.
    await sendKeys({ type: 'wasd' });
    await sendKeys({ press: 'ArrowLeft' });
    await sendKeys({ press: 'Enter' });
    await settle(el);
    expect(el.open).to.equal(true);
    expect(focused()).to.equal(input(el));
    expect(input(el)?.value).to.equal('');
    await sendKeys({ press: 'Escape' });
    await settle(el);
    expect(el.open).to.equal(false);
    expect(input(el)).to.equal(null);
    // Focus goes back to the toggle, from where the game's keys work again.
    expect(focused()?.textContent?.trim()).to.equal('Chat');
  });

  it('typing in the open chat never reaches the game; Enter sends and clears; Esc closes and keeps an unsent draft', async () => {
    const el = await mount('lp-chat', { lines: LINES, open: true });
    const steering: unknown[] = [];
    const stop = watchKeyboard(window, (i) => steering.push(i));
    const sent: string[] = [];
    el.addEventListener('lp-chat-send', (e) => sent.push(e.detail.text));
    try {
      input(el)?.focus();
      await sendKeys({ type: 'wasd ' });
      await sendKeys({ down: 'ArrowUp' });
      await sendKeys({ up: 'ArrowUp' });
      await sendKeys({ press: 'Enter' });
      await settle(el);
      expect(sent).to.deep.equal(['wasd']);
      expect(input(el)?.value).to.equal('');
      expect(steering).to.deep.equal([]);
      await sendKeys({ press: 'Escape' });
      await settle(el);
      expect(el.open).to.equal(false);
      // Closed again: the same keys steer.
      await sendKeys({ down: 'ArrowUp' });
      await sendKeys({ up: 'ArrowUp' });
      expect(steering.length).to.be.greaterThan(0);
      // What was typed and not sent is there again at the next opening.
      await sendKeys({ press: 'Enter' });
      await settle(el);
      await sendKeys({ type: 'half a thought' });
      await sendKeys({ press: 'Escape' });
      await settle(el);
      await sendKeys({ press: 'Enter' });
      await settle(el);
      expect(input(el)?.value).to.equal('half a thought');
      expect(sent).to.deep.equal(['wasd']);
    } finally {
      stop();
    }
  });

  it('Enter on a button is the button’s, not the chat’s', async () => {
    const el = await mount('lp-chat', { lines: LINES });
    const other = document.createElement('button');
    other.textContent = 'Start game';
    let clicks = 0;
    other.addEventListener('click', () => clicks++);
    document.body.append(other);
    try {
      other.focus();
      await sendKeys({ press: 'Enter' });
      await settle(el);
      expect(clicks).to.equal(1);
      expect(el.open).to.equal(false);
    } finally {
      other.remove();
    }
  });

  it('names and messages are text, never markup; a refusal is said', async () => {
    const el = await mount('lp-chat', { lines: LINES, open: true, refusal: 'muted' });
    const item = query(el, 'li[data-seq="1"]');
    expect(item?.textContent?.replace(/\s+/g, ' ').trim()).to.equal(
      '<img src=x onerror=alert(1)>: <b>hi</b> & <script>bad()</script>',
    );
    expect(item?.querySelector('img, b, script')).to.equal(null);
    expect(query(el, '[data-testid=chat-refusal]')?.textContent).to.equal(
      'You are muted: nobody sees your messages.',
    );
    await auditBothSchemes(el);
  });

  it('the host mutes a player from the chat (mid-game, away from the lobby); guests have no such list', async () => {
    const el = await mount('lp-chat', {
      lines: LINES,
      open: true,
      people: [
        { id: 2, name: 'Bea' },
        { id: 5, name: 'Wes' },
      ],
      muted: new Set([5]),
    });
    const seen: unknown[] = [];
    el.addEventListener('lp-mute', (e) => seen.push(e.detail));
    query<HTMLElement>(el, 'summary')?.click();
    await settle(el);
    const boxes = [
      ...(el.shadowRoot?.querySelectorAll<HTMLInputElement>('label.mute input') ?? []),
    ];
    expect(boxes.map((b) => [b.parentElement?.textContent?.trim(), b.checked])).to.deep.equal([
      ['Mute Bea', false],
      ['Mute Wes', true],
    ]);
    boxes[0]?.click();
    expect(seen).to.deep.equal([{ id: 2, muted: true }]);
    await auditBothSchemes(el);
    el.people = [];
    await settle(el);
    expect(query(el, 'details')).to.equal(null);
  });

  it('new messages are announced in a live region (history and system lines are not), open or closed', async () => {
    const el = await mount('lp-chat', { lines: LINES, historyUpTo: 1 });
    const live = () => query(el, '[aria-live=polite]')?.textContent ?? '';
    expect(live()).to.equal('');
    el.lines = [...LINES, { seq: 2, text: 'Cy joined' }];
    await settle(el);
    expect(live()).to.equal('');
    el.lines = [...el.lines, { seq: 3, from: 3, name: 'Cy', text: 'hello' }];
    await settle(el);
    expect(live()).to.equal('Cy: hello');
    // This player's own message is not read back to it.
    el.you = 4;
    el.lines = [...el.lines, { seq: 4, from: 4, name: 'Dee', text: 'mine' }];
    await settle(el);
    expect(live()).to.equal('Cy: hello');
    // The toggle counts what came while closed.
    expect(query(el, 'button')?.textContent?.replace(/\s+/g, ' ').trim()).to.equal('Chat (1 new)');
    await auditBothSchemes(el);
    el.open = true;
    await settle(el);
    await auditBothSchemes(el);
    // A new panel (the lobby became the game view) does not say the old lines again.
    const again = await mount('lp-chat', { lines: el.lines, overGame: true });
    expect(query(again, '[aria-live=polite]')?.textContent).to.equal('');
  });
});

const lobby = (over: Partial<LobbyView> = {}): LobbyView => ({
  code: 'ABCDEFGHJKMNP',
  link: 'http://localhost:8080/l/ABCDEFGHJKMNP',
  hostId: 1,
  locked: true,
  capacity: 2,
  spectating: true,
  players: [
    { id: 1, name: 'Ada', connected: true },
    { id: 2, name: 'Bea', connected: true },
    { id: 5, name: 'Wes', connected: true, spectator: true },
  ],
  ...over,
});

describe('spectators in the lobby', () => {
  it('are listed apart and not counted against the seats; the host can mute, kick and turn watching off', async () => {
    const el = await mount('lp-lobby', { lobby: lobby(), you: 1, peers: [] });
    expect(query(el, '#players-title')?.textContent).to.equal('Players 2/2 · locked');
    const watching = query(el, 'ul[aria-label=Spectators]');
    expect(watching?.textContent).to.contain('Wes');
    expect(query(el, 'ul[aria-label=Players]')?.textContent).not.to.contain('Wes');
    const names = [...(el.shadowRoot?.querySelectorAll('button') ?? [])].map(
      (b) => b.getAttribute('aria-label') ?? b.textContent?.trim(),
    );
    expect(names).to.include.members(['Mute Wes', 'Kick Wes', 'Mute Bea', 'Turn spectating off']);
    const seen: unknown[] = [];
    el.addEventListener('lp-spectate', (e) => seen.push(e.detail));
    el.addEventListener('lp-mute', (e) => seen.push(e.detail));
    [...(el.shadowRoot?.querySelectorAll('button') ?? [])]
      .find((b) => b.textContent?.trim() === 'Turn spectating off')
      ?.click();
    el.shadowRoot?.querySelector<HTMLButtonElement>('button[aria-label="Mute Wes"]')?.click();
    expect(seen).to.deep.equal([{ allowed: false }, { id: 5, muted: true }]);
    el.muted = new Set([5]);
    await el.updateComplete;
    expect(
      el.shadowRoot?.querySelector('button[aria-label="Mute Wes"]')?.getAttribute('aria-pressed'),
    ).to.equal('true');
    await auditBothSchemes(el);
  });

  it('the spectator’s own view: no host controls, told it is watching', async () => {
    const el = await mount('lp-lobby', { lobby: lobby(), you: 5, peers: [] });
    expect(el.shadowRoot?.textContent).to.contain('You are watching');
    expect(el.shadowRoot?.querySelector('button[aria-label^=Kick]')).to.equal(null);
    await auditBothSchemes(el);
  });
});
