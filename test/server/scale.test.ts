import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CloseCode } from '../../shared/protocol/close-codes.ts';
import {
  encodeRelayFrame,
  readRelayHeader,
  relayPayload,
} from '../../shared/protocol/relay-frame.ts';
import { type Hello, SignalingClient, type SocketLike } from '../../web/net/signaling-client.ts';
import { type TestClient, withTimeout } from '../support/client.ts';
import { type LanpartyNode, missingBinary, TestCluster } from '../support/cluster.ts';

/**
 * Several nodes behind a real balancer, sharing lobbies through a real redis-server: everything
 * is a real process on 127.0.0.1 started here (see `test/support/cluster.ts`).
 */
const missing = missingBinary('redis', 'haproxy');

const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000) => {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
};

/** A host with a lobby on `hostNode` and a guest seated through `guestNode`. */
async function crossNodeLobby(hostNode: LanpartyNode, guestNode: LanpartyNode) {
  const host = await connectTo(hostNode);
  host.send({ type: 'create', name: 'Host' });
  const welcome = await host.next('welcome');
  const guest = await connectTo(guestNode);
  guest.send({ type: 'join', code: welcome.lobby.code, name: 'Guest' });
  const joined = await guest.next('welcome');
  return { host, guest, code: welcome.lobby.code, welcome, joined };
}

const clients: TestClient[] = [];
async function connectTo(node: LanpartyNode): Promise<TestClient> {
  const { TestClient } = await import('../support/client.ts');
  const c = await TestClient.connect(node.baseUrl, { origin: node.baseUrl });
  clients.push(c);
  return c;
}

/** Relay frames `from` → `to` numbered 0…n-1; resolves with what `to` received, in order. */
async function relayNumbered(from: TestClient, to: TestClient, toId: number, n: number) {
  for (let i = 0; i < n; i++) {
    const payload = new Uint8Array(4);
    new DataView(payload.buffer).setUint32(0, i);
    from.sendBinary(encodeRelayFrame(toId, payload));
  }
  await until(`${n} relay frames`, () => to.binaries.length >= n);
  // Anything more (a duplicate) would show up here.
  await new Promise((r) => setTimeout(r, 100));
  return to.binaries.splice(0).map((f) => {
    const header = readRelayHeader(f);
    return {
      from: header.ok ? header.value.peer : -1,
      seq: new DataView(relayPayload(f).buffer, relayPayload(f).byteOffset).getUint32(0),
    };
  });
}

describe.skipIf(missing !== undefined)(
  `three nodes, redis and haproxy${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let cluster: TestCluster;
    beforeAll(async () => {
      cluster = await TestCluster.start({ nodes: 3, balancer: 'haproxy', balancing: 'roundrobin' });
    }, 30_000);
    afterAll(async () => {
      for (const c of clients) c.terminate();
      await cluster?.dispose();
    });

    it('a guest on another node than its host joins, signals and relays, exactly once and in order', async () => {
      const [a, b] = cluster.nodes;
      if (!a || !b) throw new Error('nodes');
      const { host, guest, joined, code } = await crossNodeLobby(a, b);
      expect(joined.lobby.code).toBe(code);
      expect((await a.health()).cluster.remotePlayers).toBe(1);
      expect((await b.health()).cluster.routedSockets).toBe(1);
      // The host hears of the guest through the owner's broadcast.
      const seen = await host.next('lobby');
      expect(seen.lobby.players.map((p) => p.name)).toEqual(['Host', 'Guest']);

      // Signals both ways, stamped with the sender's seat whatever the payload says.
      const offer = { type: 'offer', sdp: 'v=0\r\n' };
      guest.send({ type: 'signal', to: 1, from: 7, data: offer });
      expect(await host.next('signal')).toEqual({ type: 'signal', from: joined.you, data: offer });
      host.send({ type: 'signal', to: joined.you, data: { type: 'answer', sdp: 'v=0' } });
      expect((await guest.next('signal')).from).toBe(1);

      const toHost = await relayNumbered(guest, host, 1, 500);
      expect(toHost.map((f) => f.seq)).toEqual([...Array(500).keys()]);
      expect(new Set(toHost.map((f) => f.from))).toEqual(new Set([joined.you]));
      const toGuest = await relayNumbered(host, guest, joined.you, 500);
      expect(toGuest.map((f) => f.seq)).toEqual([...Array(500).keys()]);
      expect(new Set(toGuest.map((f) => f.from))).toEqual(new Set([1]));

      // Leaving crosses nodes too: the guest's socket closes normally, the host sees it go.
      guest.send({ type: 'leave' });
      expect((await guest.closeInfo()).code).toBe(CloseCode.NORMAL);
      const after = await host.next('lobby');
      expect(after.lobby.players.map((p) => p.name)).toEqual(['Host']);
      await until(
        'the owner to forget the remote player',
        async () => (await a.health()).cluster.remotePlayers === 0,
      );
    });
  },
);
