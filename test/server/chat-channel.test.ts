import { afterEach, describe, expect, it } from 'vitest';
import { encodeInputs } from '../../shared/sim/engine-frames.ts';
import { ChatChannel } from '../../web/chat/chat-channel.ts';
import { CHAT_FRAME, decodeFromHost, encodeSay } from '../../web/chat/chat-frames.ts';
import { CHAT_RATE } from '../../web/chat/chat-room.ts';
import { GameRunner } from '../../web/game/game-runner.ts';
import { PeerNetwork } from '../../web/net/peer-network.ts';
import type { Hello } from '../../web/net/signaling-client.ts';
import { type DotsInput, type DotsState, dots } from '../support/dots-game.ts';
import { nodeClock, nodeSignalingClient } from '../support/node-page.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { until } from '../support/server-process.mjs';

/**
 * Chat and spectating with the browser's own code in Node — signaling client, PeerNetwork on
 * relay links through the real server, ChatChannel, GameRunner — so the host's checks are seen
 * from the wire: what each player receives, what a bad or flooding sender gets back.
 */
let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

function player(server: TestServer, hello: Hello) {
  const client = nodeSignalingClient(server.baseUrl, hello);
  const network = new PeerNetwork({ client });
  const chat = new ChatChannel({ client, network });
  let runner: GameRunner<DotsState, DotsInput> | undefined;
  const p = {
    client,
    network,
    chat,
    texts: () => chat.lines.map((l) => (l.name === undefined ? l.text : `${l.name}: ${l.text}`)),
    get runner() {
      return runner;
    },
    run() {
      runner = new GameRunner({ game: dots, find: () => dots, client, network, clock: nodeClock });
      return runner;
    },
    close() {
      runner?.dispose();
      chat.dispose();
      network.close();
      client.close();
    },
  };
  cleanup.push(() => p.close());
  return p;
}

async function party(server: TestServer) {
  const ada = player(server, { type: 'create', name: 'Ada' });
  await until(() => ada.client.lobby !== undefined);
  const code = ada.client.lobby?.code ?? '';
  const bea = player(server, { type: 'join', code, name: 'Bea' });
  const cy = player(server, { type: 'join', code, name: 'Cy' });
  await until(() => ada.network.info().length === 2 && ada.chat.lines.length === 2);
  await until(() => bea.network.session(ada.client.lobby?.hostId ?? 0) !== undefined);
  return { ada, bea, cy, code };
}

describe('chat over the peer links (browser code in Node, real server, relay links)', () => {
  it('a guest’s message reaches everyone through the host; a late joiner gets the history; a muted player reaches no one', async () => {
    const server = await startTestServer();
    cleanup.push(() => server.close());
    const { ada, bea, cy, code } = await party(server);
    bea.chat.send('  hello\nall  ');
    for (const p of [ada, bea, cy]) await until(() => p.texts().includes('Bea: hello all'));
    ada.chat.send('welcome');
    await until(() => cy.texts().includes('Ada: welcome'));

    ada.chat.mute(cy.client.you ?? 0, true);
    await until(() => cy.chat.refusal === 'muted');
    cy.chat.send('let me speak');
    bea.chat.send('after');
    await until(() => ada.texts().includes('Bea: after') && cy.texts().includes('Bea: after'));
    for (const p of [ada, bea, cy]) expect(p.texts().join()).not.toContain('let me speak');
    expect(ada.chat.room.stats.muted).toBe(1);

    const dee = player(server, { type: 'join', code, name: 'Dee' });
    await until(() => dee.texts().includes('Bea: after'));
    expect(dee.texts()).toEqual([...ada.texts()]);
    expect(dee.chat.historyUpTo).toBeGreaterThan(0);
    await until(() => ada.texts().at(-1) === 'Dee joined');
  });

  it('bad chat frames at the host get a typed refusal and are counted; a flooder is muted and then not answered, the others keep talking', async () => {
    const server = await startTestServer();
    cleanup.push(() => server.close());
    const { ada, bea, cy } = await party(server);
    const hostId = ada.client.lobby?.hostId ?? 0;
    const toHost = bea.network.session(hostId);
    if (!toHost) throw new Error('no session to the host');
    const refusals: string[] = [];
    toHost.onMessage((bytes) => {
      if (bytes[0] !== CHAT_FRAME) return;
      const msg = decodeFromHost(bytes);
      if (msg.ok && msg.value.type === 'refused') refusals.push(msg.value.reason);
    });
    const raw = (text: string) => new Uint8Array([CHAT_FRAME, ...new TextEncoder().encode(text)]);
    for (const bytes of [
      raw('{"type":"say","text":7}'),
      raw('not json'),
      new Uint8Array([CHAT_FRAME, 0xc3]),
      encodeSay('x'.repeat(201)),
      encodeSay(' \u0000 '),
    ])
      toHost.send(bytes, { reliable: true });
    await until(() => refusals.length === 5);
    expect(refusals).toEqual(['malformed', 'malformed', 'malformed', 'too_long', 'empty']);
    expect(ada.chat.room.stats).toMatchObject({ malformed: 3, too_long: 1, empty: 1 });

    // Junk costs tokens like chat: Bea's burst is spent, so her next message is refused.
    bea.chat.send('one more');
    await until(() => refusals.at(-1) === 'rate_limited');

    // Cy floods: past the burst refused, past FLOOD_STRIKES muted, and after that the host
    // stops answering (its answers stay bounded); only the burst reached anyone.
    const toHostFromCy = cy.network.session(hostId);
    if (!toHostFromCy) throw new Error('no session to the host');
    const told: string[] = [];
    toHostFromCy.onMessage((bytes) => {
      const msg = decodeFromHost(bytes);
      if (msg.ok && msg.value.type === 'refused') told.push(msg.value.reason);
    });
    const flood = CHAT_RATE.BURST + CHAT_RATE.FLOOD_STRIKES + 20;
    for (let i = 0; i < flood; i++) cy.chat.send(`spam ${i}`);
    await until(() => told.at(-1) === 'muted');
    await until(
      () => bea.texts().filter((t) => t.startsWith('Cy: spam')).length === CHAT_RATE.BURST,
    );
    expect(told).toEqual([...Array(CHAT_RATE.FLOOD_STRIKES - 1).fill('rate_limited'), 'muted']);
    expect(ada.chat.room.muted.has(cy.client.you ?? 0)).toBe(true);
    expect(ada.chat.room.stats.muted).toBe(flood - CHAT_RATE.BURST - CHAT_RATE.FLOOD_STRIKES + 1);
    // The others keep talking.
    ada.chat.send('still here');
    await until(() => bea.texts().includes('Ada: still here'));
  });

  it('a spectator receives snapshots and chat; its inputs are refused and counted by the host', async () => {
    const server = await startTestServer();
    cleanup.push(() => server.close());
    const { ada, bea, code } = await party(server);
    const host = ada.run();
    bea.run();
    const wes = player(server, { type: 'watch', code, name: 'Wes' });
    await until(() => wes.client.lobby !== undefined);
    wes.run();
    await until(() => (wes.runner?.snapshots ?? 0) > 10);
    const wesId = wes.client.you ?? 0;
    expect(host.host && dots.players(host.host.state)).not.toContain(wesId);
    expect(host.host?.stats.spectatorInputs).toBe(0);
    // A spectator's page that sends inputs anyway (a modified client): refused, counted.
    wes.network
      .session(ada.client.lobby?.hostId ?? 0)
      ?.send(encodeInputs(0, 1, [new Uint8Array([1, 1])]), {
        reliable: false,
      });
    await until(() => host.host?.stats.spectatorInputs === 1);
    expect(dots.players(host.host?.state as DotsState)).not.toContain(wesId);
    // Its ACKs (in place of inputs) are understood, not counted as bad frames.
    expect(host.host?.stats.rejectedFrames).toBe(0);
    bea.chat.send('hi Wes');
    await until(() => wes.texts().includes('Bea: hi Wes'));
    wes.chat.send('hi all');
    await until(() => bea.texts().includes('Wes: hi all'));
  });

  it('host migration: the new host carries the chat and the mutes on, and a newcomer gets its history', async () => {
    const server = await startTestServer({ hostMigrationMs: 100 });
    cleanup.push(() => server.close());
    const { ada, bea, cy, code } = await party(server);
    ada.chat.send('before the change');
    await until(() => cy.texts().includes('Ada: before the change'));
    ada.chat.mute(cy.client.you ?? 0, true);
    await until(() => bea.chat.room.muted.has(cy.client.you ?? 0));
    ada.client.leave();
    await until(() => bea.client.isHost);
    await until(() => bea.texts().at(-1) === 'Ada left — Bea is hosting now');
    await until(() => cy.texts().at(-1) === 'Ada left — Bea is hosting now');
    expect(cy.texts()).toContain('Ada: before the change');
    // Muted by the old host, still muted under the new one, until the new host says otherwise.
    cy.chat.send('still muted?');
    await until(() => bea.chat.room.stats.muted === 1);
    expect(bea.texts().join('\n')).not.toContain('still muted?');
    bea.chat.mute(cy.client.you ?? 0, false);
    cy.chat.send('hello new host');
    await until(() => bea.texts().includes('Cy: hello new host'));
    const dee = player(server, { type: 'join', code, name: 'Dee' });
    await until(() => dee.texts().includes('Cy: hello new host'));
    expect(dee.texts()).toContain('Ada: before the change');
  });
});
