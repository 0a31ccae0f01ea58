import { afterEach, describe, expect, it } from 'vitest';
import { GameRunner } from '../../web/game/game-runner.ts';
import { PeerNetwork } from '../../web/net/peer-network.ts';
import type { Hello, SavedSeat } from '../../web/net/signaling-client.ts';
import { type DotsInput, type DotsState, dots } from '../support/dots-game.ts';
import { nodeClock, nodeSignalingClient } from '../support/node-page.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { until } from '../support/server-process.mjs';

/**
 * The browser's side of host migration with everything real but the page: the signaling client
 * (over `ws`), the PeerNetwork (relay links through the real server) and the GameRunner, in Node.
 */
let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

function player(server: TestServer, hello: Hello, saved?: SavedSeat) {
  const client = nodeSignalingClient(server.baseUrl, hello, saved);
  const network = new PeerNetwork({ client });
  let runner: GameRunner<DotsState, DotsInput> | undefined;
  const p = {
    client,
    network,
    get runner() {
      return runner;
    },
    run(seed?: number) {
      runner = new GameRunner({
        game: dots,
        client,
        network,
        clock: nodeClock,
        ...(seed === undefined ? {} : { seed }),
      });
      return runner;
    },
    /** The tab closes: no leave, the socket just goes. */
    close() {
      runner?.dispose();
      network.close();
      client.close();
    },
  };
  cleanup.push(() => p.close());
  return p;
}

describe('host migration in the browser code (real server, relay links)', () => {
  it('a guest takes over from its last authoritative state, the other follows it, the old host comes back as a guest', async () => {
    const server = await startTestServer({
      hostMigrationMs: 200,
      lobbySecret: 'test lobby secret, long enough',
    });
    cleanup.push(() => server.close());
    const ada = player(server, { type: 'create', name: 'Ada' });
    await until(() => ada.client.lobby !== undefined);
    const code = ada.client.lobby?.code ?? '';
    const bea = player(server, { type: 'join', code, name: 'Bea' });
    await until(() => bea.client.lobby !== undefined);
    const cy = player(server, { type: 'join', code, name: 'Cy' });
    await until(() => ada.client.lobby?.players.length === 3);
    await until(() => ada.network.info().length === 2 && cy.network.info().length === 1);

    const host = ada.run(7);
    const [b, c] = [bea.run(), cy.run()];
    await until(() => b.guest !== undefined && c.guest !== undefined);
    // (Input set before the first snapshot is dropped with the game it was for.)
    b.setInput({ dx: 1, dy: 0 });
    c.setInput({ dx: 0, dy: 1 });
    await until(() => (c.guest?.authoritative?.tick ?? 0) > 60);
    const adaSeat = ada.client.seat;
    const tickAtClose = host.host?.state.tick ?? 0;
    const cyBefore = c.guest?.authoritative?.dots.find((d) => d.id === 3);

    ada.close();
    // Nothing reported about links here: the guest seated first (Bea) takes over.
    await until(() => b.host !== undefined, 5000);
    expect(bea.client.isHost).toBe(true);
    expect(bea.client.seat).toMatchObject({ generation: 1, owner: expect.any(String) });
    // It carried on from the game it had: same tick range, Ada's player still there (her seat
    // is held), nobody moved back.
    const start = b.host?.state;
    expect(start?.tick ?? 0).toBeGreaterThanOrEqual(tickAtClose - 4);
    expect(start?.dots.map((d) => d.id)).toEqual([1, 2, 3]);
    // Cy follows Bea: a new loop on Bea's snapshots, still steering.
    await until(() => c.loops >= 2 && c.guest?.authoritative !== undefined, 5000);
    await until(() => (c.guest?.authoritative?.tick ?? 0) > (start?.tick ?? 0) + 30);
    const cyAfter = c.guest?.authoritative?.dots.find((d) => d.id === 3);
    expect(cyAfter?.y ?? 0).toBeGreaterThan(cyBefore?.y ?? 0);
    expect(b.host?.stats.rejectedFrames).toBe(0);

    // Ada's page comes back (a reload with her saved seat): her key is refused, she resumes
    // her seat as a guest and plays on Bea's game.
    if (adaSeat === undefined) throw new Error('no seat');
    const back = player(server, { type: 'join', code, name: 'Ada' }, adaSeat);
    await until(() => back.client.state.kind === 'open');
    expect(back.client.you).toBe(1);
    expect(back.client.isHost).toBe(false);
    expect(back.client.seat?.hostKey).toBeUndefined();
    const a = back.run();
    await until(() => a.guest?.authoritative !== undefined);
    expect(a.host).toBeUndefined();
    expect(a.guest?.authoritative?.dots.map((d) => d.id)).toEqual([1, 2, 3]);
  }, 20_000);
});
