/// <reference types="mocha" />
import { executeServerCommand, sendKeys, setViewport } from '@web/test-runner-commands';
import { expect } from 'chai';
import type { LobbyView } from '../../shared/protocol/signaling.ts';
import type { Problem } from '../../web/app/play-session.ts';
import type { LpGame } from '../../web/components/lp-game.ts';
import type { LpNotice, NoticeAction } from '../../web/components/lp-notice.ts';
import { GameRunner } from '../../web/game/game-runner.ts';
import { games } from '../../web/games/registry.ts';
import { gameModule as tag } from '../../web/games/tag/module.ts';
import { createTag, type TagInput, type TagState } from '../../web/games/tag/sim/index.ts';
import { DirectTransport } from '../../web/net/direct-transport.ts';
import type { PeerInfo } from '../../web/net/peer-network.ts';
import { PeerNetwork } from '../../web/net/peer-network.ts';
import { SignalingClient } from '../../web/net/signaling-client.ts';
import '../../web/components/lp-game.ts';
import '../../web/components/lp-home.ts';
import '../../web/components/lp-lobby.ts';
import '../../web/components/lp-notice.ts';
import { $, audit, auditBothSchemes, focused, mount } from '../support/component-page.ts';

/**
 * Each Lit component on its own, in real Chromium with real DOM: properties in, rendered output
 * and events out, real key presses (through the browser, not synthetic events), and an axe-core
 * audit in the light and the dark colour scheme.
 */

/** Every event of these types the element sends, in order. */
function record(el: HTMLElement, ...types: string[]): { type: string; detail: unknown }[] {
  const seen: { type: string; detail: unknown }[] = [];
  for (const type of types)
    el.addEventListener(type, (e) => seen.push({ type, detail: (e as CustomEvent).detail }));
  return seen;
}

const $$ = (el: Element, selector: string) => [
  ...(el.shadowRoot?.querySelectorAll<HTMLElement>(selector) ?? []),
];
/** A button by its accessible name (its aria-label, else its text). */
function button(el: Element, name: string): HTMLButtonElement {
  const found = $$(el, 'button').find(
    (b) => (b.getAttribute('aria-label') ?? b.textContent ?? '').trim() === name,
  );
  if (!found) throw new Error(`no button "${name}" in ${el.localName}`);
  return found as HTMLButtonElement;
}
const buttonNames = (el: Element) =>
  $$(el, 'button').map((b) => (b.getAttribute('aria-label') ?? b.textContent ?? '').trim());
const textOf = (el: Element) => (el.shadowRoot?.textContent ?? '').replace(/\s+/g, ' ').trim();

async function until(what: () => boolean, timeoutMs: number, label: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!what()) {
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms: ${label}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('lp-home', () => {
  it('asks for a name, offers "Create lobby" and "Join" by code; emits lp-create', async () => {
    const el = await mount('lp-home', { name: 'Ada' });
    expect($(el, 'h1').textContent).to.equal('lanparty');
    expect($<HTMLInputElement>(el, 'input[name=name]').value).to.equal('Ada');
    expect(buttonNames(el)).to.deep.equal(['Create lobby', 'Join']);
    const seen = record(el, 'lp-create', 'lp-join');
    button(el, 'Create lobby').click();
    expect(seen).to.deep.equal([{ type: 'lp-create', detail: { name: 'Ada' } }]);
    await auditBothSchemes(el);
  });

  it('joins by a code typed in any case, with spaces and dashes', async () => {
    const el = await mount('lp-home');
    const seen = record(el, 'lp-create', 'lp-join');
    const name = $<HTMLInputElement>(el, 'input[name=name]');
    name.value = '  Bea ';
    name.dispatchEvent(new InputEvent('input'));
    $<HTMLInputElement>(el, '#code').value = 'abcd efgh-jkmnp';
    button(el, 'Join').click();
    expect(seen).to.deep.equal([
      { type: 'lp-join', detail: { name: 'Bea', code: 'ABCDEFGHJKMNP' } },
    ]);
  });

  it('an invalid code, or no name, shows an error and emits nothing', async () => {
    const el = await mount('lp-home', { name: 'Bea' });
    const seen = record(el, 'lp-create', 'lp-join');
    $<HTMLInputElement>(el, '#code').value = 'abcd-efgh';
    button(el, 'Join').click();
    await el.updateComplete;
    expect($(el, '[role=alert]').textContent).to.contain('A lobby code has 13 letters and digits');
    expect(focused()).to.equal($(el, '#code'));

    el.name = '   ';
    await el.updateComplete;
    button(el, 'Create lobby').click();
    await el.updateComplete;
    expect($(el, '[role=alert]').textContent).to.equal('Enter your name first.');
    expect(focused()).to.equal($(el, 'input[name=name]'));
    expect(seen).to.deep.equal([]);
  });

  it('opened from a share link it asks only for the name', async () => {
    const el = await mount('lp-home', { code: 'ABCDEFGHJKMNP' });
    expect(textOf(el)).to.contain('Joining lobby ABCD-EFGH-JKMNP');
    expect(buttonNames(el)).to.deep.equal(['Join', 'Watch']);
    expect($$(el, '#code')).to.have.length(0);
    const seen = record(el, 'lp-join');
    const name = $<HTMLInputElement>(el, 'input[name=name]');
    name.focus();
    await sendKeys({ type: 'Cy' });
    await sendKeys({ press: 'Enter' });
    expect(seen).to.deep.equal([
      { type: 'lp-join', detail: { name: 'Cy', code: 'ABCDEFGHJKMNP' } },
    ]);
    await auditBothSchemes(el);
  });

  it('works by keyboard alone, with a visible focus ring', async () => {
    const el = await mount('lp-home');
    const seen = record(el, 'lp-create');
    $<HTMLInputElement>(el, 'input[name=name]').focus();
    await sendKeys({ type: 'Dee' });
    await sendKeys({ press: 'Tab' });
    const create = button(el, 'Create lobby');
    expect(focused()).to.equal(create);
    expect(getComputedStyle(create).outlineStyle).to.equal('solid');
    expect(Number.parseFloat(getComputedStyle(create).outlineWidth)).to.be.at.least(2);
    await sendKeys({ press: 'Space' });
    expect(seen).to.deep.equal([{ type: 'lp-create', detail: { name: 'Dee' } }]);
  });
});

const LINK = 'http://192.168.1.20:8080/l/ABCDEFGHJKMNP';
const lobbyView = (over: Partial<LobbyView> = {}): LobbyView => ({
  code: 'ABCDEFGHJKMNP',
  link: LINK,
  hostId: 1,
  locked: false,
  capacity: 8,
  players: [
    { id: 1, name: 'Ada', connected: true },
    { id: 2, name: 'Bea', connected: true },
    { id: 3, name: 'Cy', connected: true },
    { id: 4, name: 'Dee', connected: false },
  ],
  ...over,
});
const PEERS: PeerInfo[] = [
  { id: 2, kind: 'relay', rtt: 12.4, present: true },
  { id: 3, kind: 'direct', rtt: 3.6, present: true },
];
const row = (el: Element, name: string) => {
  const found = $$(el, 'li').find((li) => li.textContent?.includes(name));
  if (!found) throw new Error(`no player ${name}`);
  return found.textContent?.replace(/\s+/g, ' ').trim() ?? '';
};

describe('lp-lobby', () => {
  it('shows the code, the share link with its QR code, and every player with badges and connection', async () => {
    const el = await mount('lp-lobby', { lobby: lobbyView(), you: 1, peers: PEERS });
    expect($(el, '[data-testid=code]').textContent).to.equal('ABCD-EFGH-JKMNP');
    expect($(el, '[data-testid=share-link]').textContent).to.equal(LINK);
    expect($(el, 'svg.qr').getAttribute('aria-label')).to.equal('QR code of the share link');
    expect($(el, '#players-title').textContent).to.equal('Players 4/8');
    expect(row(el, 'Ada')).to.equal('Ada host you');
    expect(row(el, 'Bea')).to.match(/^Bea relay · 12 ms Mute Kick$/);
    expect(row(el, 'Cy')).to.match(/^Cy direct · 4 ms Mute Kick$/);
    expect(row(el, 'Dee')).to.match(/^Dee reconnecting… Mute Kick$/);
    expect($(el, '[data-kind=relay]').textContent).to.contain('relay');
    expect(buttonNames(el)).to.include.members([
      'Copy link',
      'Kick Bea',
      'Kick Cy',
      'Kick Dee',
      'Start game',
      'Lock lobby',
      'Leave',
    ]);
    // Pings move: a new peers array re-renders.
    el.peers = [{ id: 2, kind: 'direct', rtt: 40, present: true }];
    await el.updateComplete;
    expect(row(el, 'Bea')).to.match(/^Bea direct · 40 ms Mute Kick$/);
    await auditBothSchemes(el);
  });

  it("the host's controls emit lp-start, lp-kick, lp-lock and lp-leave", async () => {
    const el = await mount('lp-lobby', { lobby: lobbyView(), you: 1, peers: PEERS });
    const seen = record(el, 'lp-start', 'lp-kick', 'lp-lock', 'lp-leave');
    button(el, 'Start game').click();
    button(el, 'Kick Cy').click();
    button(el, 'Lock lobby').click();
    el.lobby = lobbyView({ locked: true });
    await el.updateComplete;
    expect($(el, '#players-title').textContent).to.equal('Players 4/8 · locked');
    button(el, 'Unlock lobby').click();
    button(el, 'Leave').click();
    expect(seen.map((e) => e.type)).to.deep.equal([
      'lp-start',
      'lp-kick',
      'lp-lock',
      'lp-lock',
      'lp-leave',
    ]);
    expect(seen[1]?.detail).to.deep.equal({ id: 3 });
    expect(seen[2]?.detail).to.deep.equal({ locked: true });
    expect(seen[3]?.detail).to.deep.equal({ locked: false });
  });

  it('guests see no host controls, their connection to the host, and the relay note', async () => {
    const note = 'Relay only is on: you play through the server instead of connecting directly.';
    const el = await mount('lp-lobby', {
      lobby: lobbyView(),
      you: 2,
      peers: [{ id: 1, kind: 'relay', rtt: 20, present: true }],
      relayNote: note,
    });
    expect(buttonNames(el)).to.deep.equal(['Copy link', 'Leave']);
    expect(textOf(el)).to.contain('Waiting for the host to start');
    expect(row(el, 'Ada')).to.equal('Ada host relay · 20 ms');
    expect(row(el, 'Bea')).to.equal('Bea you');
    expect($(el, '[role=note]').textContent).to.equal(note);
    const seen = record(el, 'lp-leave');
    button(el, 'Leave').click();
    expect(seen).to.have.length(1);
    await auditBothSchemes(el);
  });

  it('a guest sees the other guests’ links as the host reported them, and a TURN path as "turn"', async () => {
    const lobby = lobbyView();
    const reported = {
      ...lobby,
      players: lobby.players.map((p) => (p.id === 3 ? { ...p, link: 'relay' as const } : p)),
    };
    const el = await mount('lp-lobby', {
      lobby: reported,
      you: 2,
      peers: [{ id: 1, kind: 'turn', rtt: 41, present: true }],
    });
    expect(row(el, 'Ada')).to.equal('Ada host turn · 41 ms');
    expect($(el, '[data-kind=turn]').textContent).to.equal('turn · 41 ms');
    expect($(el, `[data-player="3"] [data-kind=relay]`).textContent).to.equal('relay');
    await auditBothSchemes(el);
  });

  it('"Copy link" copies the link and says so, or says it could not', async () => {
    const el = await mount('lp-lobby', { lobby: lobbyView(), you: 1, peers: PEERS });
    const execCommand = document.execCommand;
    try {
      let copied = '';
      Object.defineProperty(navigator, 'clipboard', {
        configurable: true,
        value: {
          writeText: async (t: string) => {
            copied = t;
          },
        },
      });
      button(el, 'Copy link').click();
      await until(() => textOf(el).includes('Link copied.'), 2000, 'the confirmation');
      expect(copied).to.equal(LINK);
      expect($(el, '[role=status]').textContent).to.equal('Link copied.');

      // No Clipboard API (a plain-http LAN page) and no copy command either: say so.
      Object.defineProperty(navigator, 'clipboard', { configurable: true, value: undefined });
      document.execCommand = () => false;
      button(el, 'Copy link').click();
      await until(() => textOf(el).includes('Could not copy'), 2000, 'the failure');
    } finally {
      // The page's own Clipboard API (on Navigator.prototype) shows through again.
      delete (navigator as unknown as Record<string, unknown>).clipboard;
      document.execCommand = execCommand;
    }
  });

  it('lobby buttons work by keyboard: Tab to "Lock lobby", Space; Tab to "Turn spectating off", Enter; Tab to "Leave", Enter', async () => {
    const el = await mount('lp-lobby', { lobby: lobbyView(), you: 1, peers: PEERS });
    const seen = record(el, 'lp-lock', 'lp-spectate', 'lp-leave');
    button(el, 'Start game').focus();
    await sendKeys({ press: 'Tab' });
    expect(focused()).to.equal(button(el, 'Lock lobby'));
    expect(getComputedStyle(button(el, 'Lock lobby')).outlineStyle).to.equal('solid');
    await sendKeys({ press: 'Space' });
    await sendKeys({ press: 'Tab' });
    expect(focused()).to.equal(button(el, 'Turn spectating off'));
    await sendKeys({ press: 'Enter' });
    await sendKeys({ press: 'Tab' });
    expect(focused()).to.equal(button(el, 'Leave'));
    await sendKeys({ press: 'Enter' });
    expect(seen.map((e) => e.type)).to.deep.equal(['lp-lock', 'lp-spectate', 'lp-leave']);
  });
});

describe('lp-lobby: the game picker', () => {
  const choice = (game: string, settings: Record<string, number>) => ({ game, settings });
  const radios = (el: Element) => $$(el, 'input[type=radio]') as HTMLInputElement[];
  // The picker shows the games whose modules have loaded (the host's page loads them all).
  before(() => games.loadAll());

  it('the host picks a game with the arrow keys and its settings; guests see no picker', async () => {
    const el = await mount('lp-lobby', {
      lobby: lobbyView(),
      you: 1,
      peers: PEERS,
      games: games.loaded,
      choice: choice('tag', { round: 90 }),
    });
    expect($(el, '#game-title').textContent).to.equal('Game');
    // Every game of the registry, in its order (Tag, the default, then Light cycles: a game
    // added later only lengthens the list).
    const names = radios(el).map((r) => r.labels?.[0]?.textContent?.trim());
    expect(names).to.deep.equal(games.loaded.map((g) => g.name));
    expect(names.slice(0, 2)).to.deep.equal(['Tag', 'Light cycles']);
    // Each described by its player range and what it is about.
    const about = radios(el).map(
      (r) => $(el, `#${r.getAttribute('aria-describedby')}`).textContent,
    );
    expect(about.length).to.equal(games.loaded.length);
    expect(about.slice(0, 2)).to.deep.equal([
      `1–16 players. ${games.get('tag')?.summary}`,
      `2–16 players. ${games.get('light-cycles')?.summary}`,
    ]);
    expect(radios(el).map((r) => r.checked)).to.deep.equal(games.loaded.map((_, i) => i === 0));
    const round = $<HTMLSelectElement>(el, 'select');
    expect(round.labels?.[0]?.textContent).to.match(/^Round length/);
    expect(round.value).to.equal('90');
    const seen = record(el, 'lp-pick');
    // Keyboard: focus the checked radio, the arrow key moves to the next game.
    radios(el)[0]?.focus();
    await sendKeys({ press: 'ArrowDown' });
    expect(focused()).to.equal(radios(el)[1]);
    expect(seen.at(-1)?.detail).to.deep.equal({ game: 'light-cycles', settings: {} });
    el.choice = choice('light-cycles', { speed: 15 });
    await el.updateComplete;
    const speed = $<HTMLSelectElement>(el, 'select');
    expect(speed.labels?.[0]?.textContent).to.match(/^Speed/);
    expect([...speed.options].map((o) => o.textContent)).to.deep.equal([
      '10 cells/s',
      '15 cells/s',
      '20 cells/s',
    ]);
    speed.value = '20';
    speed.dispatchEvent(new Event('change'));
    expect(seen.at(-1)?.detail).to.deep.equal({ game: 'light-cycles', settings: { speed: 20 } });
    // A value from the page address outside the usual choices is shown too.
    el.choice = choice('tag', { round: 5 });
    await el.updateComplete;
    expect($<HTMLSelectElement>(el, 'select').value).to.equal('5');
    await auditBothSchemes(el);

    const guest = await mount('lp-lobby', {
      lobby: lobbyView(),
      you: 2,
      peers: PEERS,
      games: games.loaded,
      choice: choice('tag', {}),
    });
    expect(radios(guest)).to.have.length(0);
  });

  it('a guest sees the host\'s pick (game and settings) as a status named "Game", updated on every change', async () => {
    const el = await mount('lp-lobby', {
      lobby: lobbyView(),
      you: 2,
      peers: PEERS,
      games: games.loaded,
      choice: undefined,
    });
    const status = $(el, '[data-testid=game-choice]');
    expect(status.getAttribute('role')).to.equal('status');
    // Its accessible name is the section's heading.
    expect($(el, `#${status.getAttribute('aria-labelledby')}`).textContent).to.equal('Game');
    expect(status.textContent).to.equal('Waiting for the host to pick…');
    el.choice = choice('light-cycles', { speed: 10 });
    await el.updateComplete;
    expect(status.textContent).to.equal('Light cycles · Speed 10 cells/s');
    expect($(el, '.picked-about').textContent).to.equal(
      `2–16 players. ${games.get('light-cycles')?.summary}`,
    );
    await auditBothSchemes(el);
    el.choice = choice('tag', { round: 30 });
    await el.updateComplete;
    // The same element: a screen reader hears the change.
    expect($(el, '[data-testid=game-choice]')).to.equal(status);
    expect(status.textContent).to.equal('Tag · Round length 30 s');
    // A game this page does not have (an older page): said, with what to do.
    el.choice = choice('pong', {});
    await el.updateComplete;
    expect(status.textContent).to.equal('"pong", which this page does not have: reload to play it');
    expect(radios(el)).to.have.length(0);
    expect(button(el, 'Leave')).to.exist;
  });

  it('"Start game" is disabled, and says why, when the lobby does not fit the game', async () => {
    const alone = lobbyView({ players: [{ id: 1, name: 'Ada', connected: true }] });
    const el = await mount('lp-lobby', {
      lobby: alone,
      you: 1,
      peers: [],
      games: games.loaded,
      choice: choice('light-cycles', { speed: 15 }),
    });
    expect(button(el, 'Start game').disabled).to.equal(true);
    expect($(el, '#start-note').textContent).to.equal(
      'Light cycles is for 2–16 players: 1 is here.',
    );
    await auditBothSchemes(el);
    el.choice = choice('tag', { round: 90 });
    await el.updateComplete;
    expect(button(el, 'Start game').disabled).to.equal(false);
    expect($(el, '#start-note').textContent).to.equal('');
  });
});

describe('lp-notice', () => {
  const now = 1_000_000;
  const cases: [Problem, string, [NoticeAction, string][]][] = [
    [{ kind: 'not-found' }, 'Lobby not found', [['home', 'Back to start']]],
    [
      { kind: 'full' },
      'This lobby is full',
      [
        ['watch', 'Watch instead'],
        ['retry', 'Try again'],
        ['home', 'Back to start'],
      ],
    ],
    [
      { kind: 'locked' },
      'This lobby is locked',
      [
        ['watch', 'Watch instead'],
        ['retry', 'Try again'],
        ['home', 'Back to start'],
      ],
    ],
    [
      { kind: 'spectating-off' },
      'The host turned spectating off',
      [
        ['retry', 'Join as a player'],
        ['home', 'Back to start'],
      ],
    ],
    [{ kind: 'kicked' }, 'You were removed from the lobby', [['home', 'Back to start']]],
    [{ kind: 'host-left' }, 'The host left', [['home', 'Back to start']]],
    [{ kind: 'lobby-gone' }, 'The lobby is gone', [['home', 'Back to start']]],
    [
      { kind: 'version' },
      'lanparty was updated',
      [
        ['reload', 'Reload'],
        ['home', 'Back to start'],
      ],
    ],
    [{ kind: 'name', message: 'Choose a name.' }, 'Name not accepted', [['rename', 'Change name']]],
    [
      { kind: 'unreachable', retryAt: now + 3200, reason: 'connection lost (1006)' },
      'Cannot reach the server',
      [['home', 'Back to start']],
    ],
    [{ kind: 'reconnecting', retryAt: now + 900, reason: 'x' }, 'Connection lost', []],
    [{ kind: 'error', message: 'boom' }, 'Something went wrong', [['home', 'Back to start']]],
  ];

  for (const [problem, title, actions] of cases) {
    it(`${problem.kind}: "${title}"${actions.map(([, l]) => `, "${l}"`).join('')}`, async () => {
      const el: LpNotice = await mount('lp-notice', { problem, now });
      expect($(el, 'h1').textContent).to.equal(title);
      expect($(el, '[role=alert]').getAttribute('aria-labelledby')).to.equal('notice-title');
      expect(buttonNames(el)).to.deep.equal(actions.map(([, label]) => label));
      const seen = record(el, 'lp-action');
      for (const [, label] of actions) button(el, label).click();
      expect(seen.map((e) => e.detail)).to.deep.equal(actions.map(([action]) => ({ action })));
    });
  }

  it('the retry countdown follows the clock', async () => {
    const problem: Problem = { kind: 'unreachable', retryAt: now + 3200, reason: 'refused' };
    const el = await mount('lp-notice', { problem, now });
    expect(textOf(el)).to.contain('Retrying in 4 s (refused).');
    el.now = now + 2500;
    await el.updateComplete;
    expect(textOf(el)).to.contain('Retrying in 1 s (refused).');
    await auditBothSchemes(el);
  });
});

describe('lp-game', function () {
  this.timeout(30_000);
  let client: SignalingClient | undefined;
  let network: PeerNetwork | undefined;
  let runner: GameRunner<TagState, TagInput> | undefined;
  afterEach(async () => {
    runner?.dispose();
    network?.close();
    client?.close();
    await setViewport({ width: 800, height: 600 });
  });

  it('renders the arena canvas and a Leave button that emits lp-leave', async () => {
    const el: LpGame = await mount('lp-game', { module: tag, you: 1, peers: [] });
    const canvas = $(el, 'canvas');
    expect(canvas.getAttribute('role')).to.equal('img');
    expect(canvas.getAttribute('aria-label')).to.contain('arrow keys');
    expect(textOf(el)).to.contain('Starting…');
    const seen = record(el, 'lp-leave');
    button(el, 'Leave').click();
    expect(seen).to.have.length(1);
  });

  it('listens to the keys only while it is in the page, and again when it comes back', async () => {
    const inputs: unknown[] = [];
    // Only what the view asks of a runner: no state to draw, inputs recorded.
    const recorder = {
      view: () => undefined,
      setInput: (input: unknown) => inputs.push(input),
    } as unknown as GameRunner<TagState, TagInput>;
    const el: LpGame = await mount('lp-game', { runner: recorder, module: tag, you: 1, peers: [] });
    const press = async () => {
      await sendKeys({ down: 'ArrowRight' });
      await sendKeys({ up: 'ArrowRight' });
    };
    await press();
    expect(inputs).to.have.length(2);
    el.remove();
    await press();
    expect(inputs, 'keys while out of the page').to.have.length(2);
    document.body.append(el);
    await el.updateComplete;
    await press();
    expect(inputs).to.deep.equal([
      { dx: 127, dy: 0 },
      { dx: 0, dy: 0 },
      { dx: 127, dy: 0 },
      { dx: 0, dy: 0 },
    ]);
  });

  it('with a real game: the HUD, steering turned with the arena on a tall screen, then the scoreboard', async () => {
    const { url } = await executeServerCommand<{ url: string }, undefined>('lanparty-server');
    client = new SignalingClient({ server: url, hello: { type: 'create', name: 'Ada' } });
    const c = client;
    network = new PeerNetwork({ client, relayOnly: true, direct: (o) => new DirectTransport(o) });
    await until(() => c.state.kind === 'open', 10_000, 'the lobby');
    runner = new GameRunner({
      game: createTag({ roundSeconds: 2, scoreboardSeconds: 30 }),
      client,
      network,
      seed: 7,
    });
    const inputs: TagInput[] = [];
    const setInput = runner.setInput.bind(runner);
    runner.setInput = (input) => {
      inputs.push(input);
      setInput(input);
    };
    const { lobby, you } = client;
    if (!lobby || you === undefined) throw new Error('not seated');
    const el = await mount('lp-game', { runner, module: tag, lobby, you, peers: [] });
    await until(() => $$(el, '[data-testid=timer]').length > 0, 5000, 'the HUD');
    expect($(el, '[data-testid=score]').textContent).to.match(/^Score \d+$/);
    expect($(el, '[data-testid=timer]').textContent?.trim()).to.match(/^Time left \d s$/);
    expect($(el, '[data-testid=it]').textContent).to.match(/^(You are it!|Waiting for players)$/);
    expect($(el, '[data-testid=connection]').textContent).to.equal('host');

    // Landscape: the arrow keys steer as they point.
    await sendKeys({ down: 'ArrowRight' });
    await sendKeys({ up: 'ArrowRight' });
    // Portrait: the arena is drawn turned a quarter, so screen-right is world-up.
    await setViewport({ width: 360, height: 740 });
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    await sendKeys({ down: 'ArrowRight' });
    await sendKeys({ up: 'ArrowRight' });
    expect(inputs).to.deep.equal([
      { dx: 127, dy: 0 },
      { dx: 0, dy: 0 },
      { dx: 0, dy: -127 },
      { dx: 0, dy: 0 },
    ]);

    await until(() => $$(el, '[role=dialog]').length > 0, 10_000, 'the scoreboard');
    expect($(el, '#board-title').textContent).to.equal('Round 1 — scores');
    expect(textOf(el)).to.match(/Ada \(you\): \d+ s/);
    expect($(el, '[data-testid=timer]').textContent).to.match(/^Next round \d+ s$/);
    expect(await audit(el)).to.deep.equal([]);

    // A player who is no longer in the lobby (a host replaced by migration) keeps its name.
    el.lobby = { ...lobby, players: [] };
    await new Promise((r) => setTimeout(r, 600));
    expect(textOf(el)).to.match(/Ada \(you\): \d+ s/);
    expect(textOf(el)).not.to.contain('Player 1');
  });
});
