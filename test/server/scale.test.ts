import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes.ts';
import { randomLobbyShard } from '../../shared/protocol/lobby-code.ts';
import {
  encodeRelayFrame,
  readRelayHeader,
  relayPayload,
} from '../../shared/protocol/relay-frame.ts';
import { encodeBatch, encodeNodeMessage } from '../../signaling/node-protocol.ts';
import type { Hello } from '../../web/net/signaling-client.ts';
import type { TestClient } from '../support/client.ts';
import {
  Balancer,
  type BalancerKind,
  type Balancing,
  LanpartyNode,
  missingBinary,
  TestCluster,
} from '../support/cluster.ts';
import { nodeSignalingClient } from '../support/node-page.ts';
import { freePort, until } from '../support/server-process.mjs';

/**
 * Several nodes behind a real balancer, sharing lobbies through a real redis-server: everything
 * is a real process on 127.0.0.1 started here (see `test/support/cluster.ts`).
 */
const missing = missingBinary('redis', 'haproxy');

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
  await until(() => to.binaries.length >= n, 5000, `${n} relay frames`);
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

/**
 * One player as the browser runs it: the page's own signaling client (reconnects, resumes, hosts
 * re-claim), relaying a "game" frame to its host (or, for the host, to every guest) every 50 ms.
 */
function player(baseUrl: string, hello: Hello) {
  const client = nodeSignalingClient(baseUrl, hello);
  /** When a game frame last arrived from each seat. */
  const heard = new Map<number, number>();
  client.onRelay((from) => heard.set(from, Date.now()));
  const game = setInterval(() => {
    const lobby = client.lobby;
    if (lobby === undefined || client.you === undefined) return;
    const to = client.isHost
      ? lobby.players.filter((p) => p.id !== client.you && p.connected).map((p) => p.id)
      : [lobby.hostId];
    for (const id of to) client.sendRelay(id, new Uint8Array([1, 2, 3]), false);
  }, 50);
  return {
    client,
    heard,
    close() {
      clearInterval(game);
      client.close();
    },
  };
}
type Player = ReturnType<typeof player>;

/** A host and its guests, all through `baseUrl` (the balancer). */
class Party {
  private constructor(
    readonly host: Player,
    readonly guests: Player[],
  ) {}
  /** The host through `hostUrl`, a guest through each of `guestUrls`. */
  static async open(hostUrl: string, guestUrls: readonly string[]): Promise<Party> {
    const host = player(hostUrl, { type: 'create', name: 'Host' });
    await until(() => host.client.lobby !== undefined, 5000, 'the lobby');
    const code = host.client.lobby?.code ?? '';
    const joined = guestUrls.map((url, i) =>
      player(url, { type: 'join', code, name: `Guest ${i + 1}` }),
    );
    const party = new Party(host, joined);
    await until(() => party.whole(), 10_000, 'the party to be whole');
    return party;
  }
  get code(): string {
    return this.host.client.lobby?.code ?? '';
  }
  /**
   * Everyone is connected and seated in one lobby with the same host, and game frames arrived
   * both ways within the last half second.
   */
  whole(): boolean {
    const lobby = this.host.client.lobby;
    return (
      lobby !== undefined &&
      lobby.players.length === this.guests.length + 1 &&
      lobby.players.every((p) => p.connected) &&
      this.playing()
    );
  }
  /** Like `whole`, but players who joined later (not in this party) do not count. */
  playing(): boolean {
    const { host, guests } = this;
    const now = Date.now();
    const fresh = (p: Player, from: number | undefined) =>
      from !== undefined && now - (p.heard.get(from) ?? 0) < 500;
    return (
      host.client.state.kind === 'open' &&
      host.client.isHost &&
      guests.every(
        (g) =>
          g.client.state.kind === 'open' &&
          g.client.lobby?.hostId === host.client.you &&
          fresh(g, host.client.you) &&
          fresh(host, g.client.you),
      )
    );
  }
  close(): void {
    for (const p of [this.host, ...this.guests]) p.close();
  }
  /** What each player sees, for failure messages. */
  describe(): string {
    return [this.host, ...this.guests]
      .map(
        (p) =>
          `${p.client.you}: ${JSON.stringify(p.client.state)} sees ${JSON.stringify(
            p.client.lobby?.players.map((x) => [x.id, x.connected]),
          )}, heard ${JSON.stringify([...p.heard].map(([id, t]) => [id, Date.now() - t]))}`,
      )
      .join('; ');
  }
}

/**
 * Milliseconds from `disrupt` until every party is whole again (polled every 25 ms), after at
 * least one was seen broken; a failure after `timeoutMs`.
 */
async function wholeAgain(
  parties: readonly Party[],
  disrupt: () => unknown,
  timeoutMs: number,
): Promise<number> {
  const start = Date.now();
  void disrupt();
  await until(() => parties.some((p) => !p.whole()), 5000, 'a lobby to be broken');
  await until(() => parties.every((p) => p.whole()), timeoutMs, 'every lobby whole again');
  return Date.now() - start;
}

/** A failed wait, with what the client did receive (and how it closed). */
const explain = (what: string, client: TestClient) => async (error: Error) => {
  const closed = await Promise.race([client.closed, Promise.resolve(undefined)]);
  throw new Error(
    `${what}: ${error.message}; got ${JSON.stringify(client.texts)}, closed ${JSON.stringify(closed)}`,
  );
};

/**
 * 50 lobbies of a host and a guest, created and joined through a balancer (the clients put the
 * lobby shard in `lobby=` as the page does), each relaying a few frames both ways.
 */
async function fiftyLobbies(cluster: TestCluster, kind: BalancerKind, balancing: Balancing) {
  const balancer = await Balancer.start(
    kind,
    balancing,
    cluster.nodes.map((n) => n.port),
  );
  const opened: TestClient[] = [];
  try {
    const lobbies = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const host = await balancer.connect(randomLobbyShard(Math.random));
        opened.push(host);
        host.send({ type: 'create', name: 'Host' });
        const { lobby } = await host.next('welcome', 5000).catch(explain('create', host));
        const guest = await balancer.connect(lobby.code.slice(0, 2));
        opened.push(guest);
        guest.send({ type: 'join', code: lobby.code, name: 'Guest' });
        const joined = await guest.next('welcome', 5000).catch(explain('join', guest));
        const toHost = await relayNumbered(guest, host, 1, 5);
        const toGuest = await relayNumbered(host, guest, joined.you, 5);
        expect(toHost).toEqual([0, 1, 2, 3, 4].map((seq) => ({ from: joined.you, seq })));
        expect(toGuest).toEqual([0, 1, 2, 3, 4].map((seq) => ({ from: 1, seq })));
        return lobby.code;
      }),
    );
    expect(new Set(lobbies).size).toBe(50);
    const health = await Promise.all(cluster.nodes.map((n) => n.health()));
    return {
      lobbiesPerNode: health.map((h) => h.lobbies),
      routedSockets: health.reduce((sum, h) => sum + h.cluster.routedSockets, 0),
    };
  } finally {
    for (const c of opened) c.terminate();
    await balancer.stop();
  }
}

describe.skipIf(missing !== undefined)(
  `three nodes, redis and haproxy${missing ? ` (skipped: ${missing})` : ''}`,
  () => {
    let cluster: TestCluster;
    beforeAll(async () => {
      cluster = await TestCluster.start({ nodes: 3, balancer: 'haproxy', balancing: 'roundrobin' });
    }, 60_000);
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
      // Each node says who it is, how Redis looks to it, and what crossed nodes.
      const metrics = await b.metrics();
      expect(metrics).toContain(`lanparty_node_info{node="${b.id}"} 1`);
      expect(metrics).toContain('lanparty_redis_state{state="up"} 1');
      expect(metrics).toMatch(/lanparty_cluster_messages_out_total [1-9]/);
      expect(metrics).toContain('lanparty_cluster_routed_sockets 1');
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
        async () => (await a.health()).cluster.remotePlayers === 0,
        5000,
        'the owner to forget the remote player',
      );
    });

    it('50 lobbies through HAProxy: round-robin spreads them and crosses nodes; hashing on the lobby keeps each on one node', async () => {
      const rr = await fiftyLobbies(cluster, 'haproxy', 'roundrobin');
      expect(rr.lobbiesPerNode.every((n) => n > 0)).toBe(true);
      expect(rr.routedSockets).toBeGreaterThan(0);
      const hashed = await fiftyLobbies(cluster, 'haproxy', 'hash');
      expect(hashed.lobbiesPerNode.every((n) => n > 0)).toBe(true);
      // Every guest landed on its host's node: nothing crosses Redis.
      expect(hashed.routedSockets).toBe(0);
    }, 30_000);

    it.skipIf(missingBinary('nginx') !== undefined)(
      '50 lobbies through nginx, hashing on the lobby: each on one node',
      async () => {
        const hashed = await fiftyLobbies(cluster, 'nginx', 'hash');
        expect(hashed.lobbiesPerNode.every((n) => n > 0)).toBe(true);
        expect(hashed.routedSockets).toBe(0);
      },
      30_000,
    );

    it('a node SIGKILLed mid-game: every lobby is whole again within 5 s', async () => {
      const parties = await Promise.all(
        Array.from({ length: 6 }, () => {
          const url = cluster.balancer.baseUrl;
          return Party.open(url, [url, url]);
        }),
      );
      const victim = cluster.nodes[0] as LanpartyNode;
      const held = (await victim.health()).connections;
      expect(held).toBeGreaterThan(0);
      const ms = await wholeAgain(parties, () => victim.stop('SIGKILL'), 10_000);
      console.log(`SIGKILL of a node serving ${held} players: every lobby whole after ${ms} ms`);
      expect(ms).toBeLessThan(5000);
      for (const p of parties) p.close();
      await victim.start();
    }, 40_000);

    it('a node drained with SIGTERM: every lobby is whole again within 5 s, no seat lost', async () => {
      const parties = await Promise.all(
        Array.from({ length: 6 }, () => {
          const url = cluster.balancer.baseUrl;
          return Party.open(url, [url, url]);
        }),
      );
      const seats = parties.map((p) => p.host.client.lobby?.players.map((x) => x.id));
      const victim = cluster.nodes[1] as LanpartyNode;
      let drained: Promise<{ code: number | null }> | undefined;
      const ms = await wholeAgain(
        parties,
        () => {
          drained = victim.stop('SIGTERM');
        },
        10_000,
      );
      console.log(`SIGTERM drain: every lobby whole after ${ms} ms`);
      expect(ms).toBeLessThan(5000);
      expect((await drained)?.code).toBe(0);
      expect(parties.map((p) => p.host.client.lobby?.players.map((x) => x.id))).toEqual(seats);
      for (const p of parties) p.close();
      await victim.start();
    }, 40_000);

    it('Redis stopped for 10 s: games on one node go on, cross-node joins fail with cluster_unavailable, and everything works again after', async () => {
      const [a, b] = cluster.nodes as [LanpartyNode, LanpartyNode];
      const local = await Party.open(a.baseUrl, [a.baseUrl]);
      const crossed = await Party.open(a.baseUrl, [b.baseUrl]);
      await cluster.redis.stop();
      const stoppedAt = Date.now();
      try {
        await until(
          async () => {
            const [ha, hb] = await Promise.all([a.health(), b.health()]);
            return ha.redis === 'down' && hb.redis === 'down';
          },
          5000,
          'both nodes to see Redis down',
        );
        // A newcomer joins the lobby on one node; that lobby never notices the outage.
        const late = await connectTo(a);
        late.send({ type: 'join', code: local.code, name: 'Late' });
        expect((await late.next('welcome')).lobby.code).toBe(local.code);
        late.send({ type: 'leave' });
        await until(() => local.whole(), 5000, 'the newcomer gone');
        let localBroken = 0;
        const watch = setInterval(() => {
          if (!local.whole()) localBroken++;
        }, 50);
        // A join through another node cannot find the lobby: a coded error, the socket stays.
        const stranger = await connectTo(b);
        stranger.send({ type: 'join', code: crossed.code, name: 'Stranger' });
        expect(await stranger.next('error')).toMatchObject({
          code: 'cluster_unavailable',
          ref: 'join',
        });
        await new Promise((r) => setTimeout(r, 10_000 - (Date.now() - stoppedAt)));
        clearInterval(watch);
        expect(localBroken).toBe(0);
      } finally {
        await cluster.redis.resume();
      }
      const back = Date.now();
      // A newcomer through the other node again (the page's own retry after the error).
      await until(
        async () => {
          const again = await connectTo(b);
          again.send({ type: 'join', code: crossed.code, name: 'Again' });
          const reply = await Promise.race([again.next('welcome'), again.next('error')]);
          if (reply.type === 'welcome') again.send({ type: 'leave' });
          else again.terminate();
          if (reply.type === 'error') expect(reply.code).toBe('cluster_unavailable');
          return reply.type === 'welcome';
        },
        5000,
        'the cross-node join to work again',
      );
      // The guest served through Redis was told to come back, and did (host on a, guest on b).
      await until(() => crossed.whole(), 5000, 'the cross-node lobby whole again').catch((e) => {
        throw new Error(`${e.message}: ${crossed.describe()}`);
      });
      console.log(`Redis back: cross-node join and lobby whole after ${Date.now() - back} ms`);
      local.close();
      crossed.close();
    }, 40_000);

    it('a node added: the balancer sends players to it, they join lobbies of the old nodes, nothing moves', async () => {
      const url = cluster.balancer.baseUrl;
      const parties = await Promise.all(Array.from({ length: 3 }, () => Party.open(url, [url])));
      const added = new LanpartyNode('n3', await freePort(), ['--redis', cluster.redis.url]);
      await added.start();
      const wider = await Balancer.start('haproxy', 'roundrobin', [
        ...cluster.nodes.map((n) => n.port),
        added.port,
      ]);
      try {
        let broken = 0;
        const watch = setInterval(() => {
          if (!parties.every((p) => p.playing())) broken++;
        }, 50);
        // Eight newcomers through the wider balancer: round-robin puts two on the new node.
        const newcomers: TestClient[] = [];
        for (let i = 0; i < 8; i++) {
          const c = await wider.connect();
          newcomers.push(c);
          c.send({ type: 'join', code: (parties[i % 3] as Party).code, name: `New ${i}` });
          await c.next('welcome');
          c.send({ type: 'leave' });
          await c.closeInfo();
        }
        clearInterval(watch);
        expect(broken).toBe(0);
        expect((await added.health()).cluster.sent).toBeGreaterThan(0);
      } finally {
        await wider.stop();
        await added.stop('SIGKILL');
        for (const p of parties) p.close();
      }
    }, 40_000);

    it('every node restarted: hosts re-claim their lobbies and guests resume, all through the balancer', async () => {
      const url = cluster.balancer.baseUrl;
      const parties = await Promise.all(
        Array.from({ length: 4 }, () => Party.open(url, [url, url])),
      );
      const ms = await wholeAgain(
        parties,
        async () => {
          await Promise.all(cluster.nodes.map((n) => n.stop('SIGTERM')));
          await Promise.all(cluster.nodes.map((n) => n.start()));
        },
        20_000,
      );
      console.log(`every node restarted: every lobby whole after ${ms} ms`);
      expect(parties.map((p) => p.host.client.lobby?.players.map((x) => x.id))).toEqual(
        parties.map(() => [1, 2, 3]),
      );
      for (const p of parties) p.close();
    }, 60_000);

    it('messages between nodes are checked like browser messages: junk on a node channel is dropped and counted', async () => {
      const node = cluster.nodes[2] as LanpartyNode;
      const party = await Party.open(node.baseUrl, [node.baseUrl]);
      const before = (await node.health()).cluster.rejected;
      const redis = new Redis(cluster.redis.url);
      const channel = `lanparty:node:${node.id}`;
      // Batches that do not split, and well-framed batches of messages that must be refused: an
      // owner's message for a socket this node does not hold, a client message for a player it
      // does not serve, one "from" this very node, a header that fails the schema.
      const junk = [
        Buffer.from('not a message'),
        Buffer.from([0xff, 0xff, 1, 2, 3]),
        encodeBatch([
          encodeNodeMessage({ k: 'o.text', from: 'n0', conn: 12345 }, '{"type":"lobby"}'),
        ]),
        encodeBatch([
          encodeNodeMessage({ k: 'c.text', from: 'n0', conn: 777 }, '{"type":"leave"}'),
        ]),
        encodeBatch([encodeNodeMessage({ k: 'o.ping', from: node.id, conn: 1 })]),
        encodeBatch([
          Buffer.concat([
            Buffer.from([0, 70]),
            Buffer.from(JSON.stringify({ k: 'c.open', from: 'x y', conn: 1, ip: '', baseUrl: '' })),
          ]),
        ]),
      ];
      for (const bytes of junk) await redis.publish(channel, bytes);
      await redis.quit();
      await until(
        async () => (await node.health()).cluster.rejected >= before + junk.length,
        5000,
        'every junk message counted',
      );
      expect((await node.health()).status).toBe('ok');
      await until(() => party.whole(), 5000, 'the lobby still whole');
      party.close();
      // The password in the Redis URL never reached a log line.
      for (const n of cluster.nodes) expect(n.output).not.toContain(cluster.redis.password);
    });
  },
);
