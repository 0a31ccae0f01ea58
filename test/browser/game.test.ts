/// <reference types="mocha" />
import { executeServerCommand } from '@web/test-runner-commands';
import { expect } from 'chai';
import { GameRunner } from '../../web/game/game-runner.ts';
import { GameRegistry, games } from '../../web/games/registry.ts';
import { createTag, type TagInput, type TagState } from '../../web/games/tag/sim/index.ts';
import { DirectTransport } from '../../web/net/direct-transport.ts';
import { PeerNetwork } from '../../web/net/peer-network.ts';
import { type Hello, SignalingClient } from '../../web/net/signaling-client.ts';
import { dots } from '../support/dots-game.ts';
import { dotsModule } from '../support/dots-module.ts';

/**
 * The engine end to end in real Chromium, through the real server: a host and two guests (one
 * forced onto the relay) play a short round of Tag with scripted inputs, then compare scores.
 */
let serverUrl = '';
before(async () => {
  serverUrl = (await executeServerCommand<{ url: string }, undefined>('lanparty-server')).url;
});

async function until(what: () => boolean, timeoutMs: number, label: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!what()) {
    if (performance.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Player {
  client: SignalingClient;
  net: PeerNetwork;
  runner?: GameRunner<TagState, TagInput>;
}

function player(hello: Hello, relayOnly = false): Player {
  const client = new SignalingClient({ server: serverUrl, hello });
  const net = new PeerNetwork({ client, relayOnly, direct: (o) => new DirectTransport(o) });
  return { client, net };
}

/** Each player wanders its own way, changing direction every half second. */
function script(id: number, t: number): TagInput {
  const phase = Math.floor(t / 500) + id * 3;
  const angle = ((phase * 2654435761) % 360) * (Math.PI / 180);
  return { dx: Math.round(Math.cos(angle) * 127), dy: Math.round(Math.sin(angle) * 127) };
}

describe('Tag over the network in Chromium', function () {
  this.timeout(60_000);
  const players: Player[] = [];
  const others: { dispose(): void }[] = [];
  after(() => {
    for (const r of others) r.dispose();
    for (const p of players) {
      p.runner?.dispose();
      p.net.close();
      p.client.close();
    }
  });

  it('a host and two guests (one on the relay) play a round with scripted inputs and end with identical scores', async () => {
    const game = createTag({ roundSeconds: 8, scoreboardSeconds: 60 });
    const host = player({ type: 'create', name: 'Host' });
    players.push(host);
    await until(() => host.client.lobby !== undefined, 5000, 'the lobby');
    const code = host.client.lobby?.code ?? '';
    const direct = player({ type: 'join', code, name: 'Direct' });
    const relay = player({ type: 'join', code, name: 'Relay' }, true);
    players.push(direct, relay);
    await until(
      () =>
        host.net.info().length === 2 &&
        direct.net.session(1) !== undefined &&
        relay.net.session(1) !== undefined,
      5000,
      'sessions',
    );
    await until(() => direct.net.session(1)?.kind === 'direct', 10_000, 'the direct link');

    for (const p of players)
      p.runner = new GameRunner({ game, client: p.client, network: p.net, seed: 42 });
    const started = performance.now();
    const drive = setInterval(() => {
      for (const p of players)
        p.runner?.setInput(script(p.client.you ?? 0, performance.now() - started));
    }, 16);
    try {
      await until(
        () => host.runner?.host?.state.phase === 'scoreboard',
        20_000,
        'the end of the round',
      );
    } finally {
      clearInterval(drive);
    }
    const final = host.runner?.host?.state as TagState;
    expect(final.lastRound.map((r) => r.id).sort()).to.deep.equal([1, 2, 3]);
    expect(final.lastRound.reduce((n, r) => n + r.score, 0)).to.be.above(0);
    for (const guest of [direct, relay]) {
      await until(
        () => guest.runner?.guest?.authoritative?.phase === 'scoreboard',
        5000,
        'the scoreboard at a guest',
      );
      expect(
        guest.runner?.guest?.authoritative?.lastRound,
        `scores at guest ${guest.client.you}`,
      ).to.deep.equal(final.lastRound);
      const view = guest.runner?.view(performance.now());
      expect(view?.players.map((p) => p.id)).to.deep.equal([1, 2, 3]);
    }
    expect(relay.net.session(1)?.kind).to.equal('relay');
    expect(direct.net.session(1)?.kind).to.equal('direct');
    expect(host.runner?.host?.stats.rejectedFrames).to.equal(0);
    expect(direct.runner?.guest?.stats.snapshots).to.be.above(150);
  });

  it("guests load the host's game by the id in its full snapshot; a page without that game knows which and plays nothing", async () => {
    const host = player({ type: 'create', name: 'Host' });
    players.push(host);
    await until(() => host.client.lobby !== undefined, 5000, 'the lobby');
    const code = host.client.lobby?.code ?? '';
    const current = player({ type: 'join', code, name: 'Current' });
    const stale = player({ type: 'join', code, name: 'Stale' }, true);
    const cut = player({ type: 'join', code, name: 'Cut' }, true);
    players.push(current, stale, cut);
    await until(
      () => [current, stale, cut].every((p) => p.net.session(1) !== undefined),
      5000,
      'sessions',
    );
    // The current page has Dots (its module loads when the snapshot names it); the stale one not.
    const withDots = new GameRegistry({
      ...games.loaders,
      dots: async () => ({ gameModule: dotsModule }),
    });
    const hostRunner = new GameRunner({ game: dots, client: host.client, network: host.net });
    const currentRunner = new GameRunner({
      find: (id) => withDots.find(id),
      client: current.client,
      network: current.net,
    });
    const staleRunner = new GameRunner({
      find: (id) => games.find(id),
      client: stale.client,
      network: stale.net,
    });
    // A page whose chunk for the game cannot be fetched (the server was updated under it).
    const gone = new GameRegistry({
      dots: () => Promise.reject(new TypeError('Failed to fetch dynamically imported module')),
    });
    const cutRunner = new GameRunner({
      find: (id) => gone.find(id),
      client: cut.client,
      network: cut.net,
    });
    others.push(hostRunner, currentRunner, staleRunner, cutRunner);
    let told = 0;
    staleRunner.onChange(() => told++);
    await until(() => currentRunner.guest?.authoritative !== undefined, 10_000, 'the dots state');
    expect(currentRunner.game?.id).to.equal('dots');
    await until(() => staleRunner.unknownGame !== undefined, 10_000, 'the unknown game');
    expect(staleRunner.unknownGame).to.equal('dots');
    expect(staleRunner.guest).to.equal(undefined);
    expect(staleRunner.view(performance.now())).to.equal(undefined);
    expect(told).to.be.at.least(1);
    await until(() => cutRunner.unknownGame !== undefined, 10_000, 'the missing chunk');
    expect(cutRunner.unknownGame).to.equal('dots');
    expect(cutRunner.guest).to.equal(undefined);
  });
});
