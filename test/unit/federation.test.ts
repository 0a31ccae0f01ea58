import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes.ts';
import { encodeRelayFrame } from '../../shared/protocol/relay-frame.ts';
import type { ClientMessage, ServerMessage } from '../../shared/protocol/signaling.ts';
import { defaultConfig } from '../../signaling/config.ts';
import { Federation, SharedDirectory } from '../../signaling/federation.ts';
import { Hub, type Peer } from '../../signaling/hub.ts';
import { encodeBatch, encodeNodeMessage } from '../../signaling/node-protocol.ts';
import { FakePort, HubHarness } from '../support/hub-harness.ts';
import { MemoryBus, settle } from '../support/memory-cluster.ts';

/**
 * The routing layer in this process: two (or three) Hubs, each with its Federation, joined by an
 * in-memory bus instead of Redis, on a clock that moves only when told. The real-Redis and
 * real-balancer scenarios are in test/server/scale.test.ts; these pin the rules one by one.
 */
const OPTIONS = {
  nodeTimeoutMs: 3000,
  beatIntervalMs: 1000,
  refreshMs: 5000,
  maxPayload: 70_000,
  rejoinMs: 3000,
};

class EdgePort extends FakePort {
  onClose = () => {};
  override close(code: number, reason: string): void {
    const first = this.closed === undefined;
    super.close(code, reason);
    if (first) this.onClose();
  }
}

class Node {
  readonly hub: Hub;
  readonly federation: Federation;
  constructor(
    readonly id: string,
    bus: MemoryBus,
    clock: { time: number },
  ) {
    const cluster = bus.node(id);
    this.hub = new Hub(
      defaultConfig({ logLevel: 'silent' }),
      () => clock.time,
      new SharedDirectory<Peer>(cluster),
    );
    this.federation = new Federation(this.hub, cluster, OPTIONS, () => clock.time);
  }
  connect(ip = '10.0.0.1') {
    const port = new EdgePort();
    const peer = this.hub.open(port, ip, 'http://lanparty.test');
    // As the uWS edge does: a socket's close reaches the federation.
    port.onClose = () => this.federation.closed(peer);
    return { port, ip, peer };
  }
  send(conn: { peer: Peer }, message: ClientMessage) {
    const text = JSON.stringify(message);
    this.federation.text(conn.peer, text, text.length);
  }
}

function cluster(ids = ['a', 'b']) {
  const bus = new MemoryBus();
  const clock = { time: 1_000_000 };
  const nodes = ids.map((id) => new Node(id, bus, clock));
  /**
   * Moves time on, running every node's periodic work every 250 ms; the clients in `alive` answer
   * their node's pings (the fake sockets do not).
   */
  const advance = async (ms: number, alive: { node: Node; peer: Peer }[] = []) => {
    const end = clock.time + ms;
    while (clock.time < end) {
      clock.time = Math.min(end, clock.time + 250);
      for (const c of alive) c.node.federation.control(c.peer);
      for (const n of nodes) {
        n.hub.tick();
        n.federation.tick();
      }
      await settle();
    }
  };
  return { bus, clock, nodes: nodes as [Node, Node, ...Node[]], advance };
}

/** The last message of `type` a fake socket got. */
const last = <T extends ServerMessage['type']>(port: FakePort, type: T) =>
  port.received
    .filter(
      (m): m is Extract<ServerMessage, { type: T }> =>
        !(m instanceof Uint8Array) && m.type === type,
    )
    .at(-1);

describe('several nodes, in memory', () => {
  it('a guest on node b is served by node a, stamped and isolated as a local one', async () => {
    const {
      nodes: [a, b],
    } = cluster();
    const host = a.connect();
    a.send(host, { type: 'create', name: 'Host' });
    const code = host.port.lastLobby?.code ?? '';
    const guest = b.connect();
    b.send(guest, { type: 'join', code, name: 'Guest' });
    await settle();
    expect(last(guest.port, 'welcome')).toMatchObject({ you: 2, lobby: { code } });
    expect(host.port.lastLobby?.players.map((p) => p.name)).toEqual(['Host', 'Guest']);
    expect([a.federation.remoteCount, b.federation.routedCount]).toEqual([1, 1]);
    // A forged sender is overwritten by the owner, whatever the socket's node forwarded.
    b.federation.binary(guest.peer, encodeRelayFrame(1, new Uint8Array([7])));
    await settle();
    expect(HubHarness.stampOf(host.port.received.at(-1) as Uint8Array)).toBe(2);
    a.hub.binary(host.peer, encodeRelayFrame(2, new Uint8Array([8])));
    await settle();
    expect(HubHarness.stampOf(guest.port.received.at(-1) as Uint8Array)).toBe(1);
    b.send(guest, { type: 'leave' });
    await settle();
    expect(guest.port.closed?.code).toBe(CloseCode.NORMAL);
    expect([a.federation.remoteCount, b.federation.routedCount]).toEqual([0, 0]);
  });

  it('the owner dies silently: its players elsewhere are told to come back (1001) within the node timeout', async () => {
    const {
      bus,
      nodes: [a, b],
      advance,
    } = cluster();
    const host = a.connect();
    a.send(host, { type: 'create', name: 'Host' });
    const guest = b.connect();
    b.send(guest, { type: 'join', code: host.port.lastLobby?.code ?? '', name: 'Guest' });
    await settle();
    bus.kill('a');
    const alive = [{ node: b, peer: guest.peer }];
    await advance(2500, alive);
    expect(guest.port.closed).toBeUndefined();
    await advance(1500, alive);
    expect(guest.port.closed?.code).toBe(CloseCode.GOING_AWAY);
    expect(b.federation.stats.ownerLost).toBe(1);
  });

  it('a claim left by a dead node: the host re-claims here and the guest follows', async () => {
    const {
      bus,
      nodes: [a, b],
    } = cluster();
    const host = a.connect();
    a.send(host, { type: 'create', name: 'Host' });
    const welcome = last(host.port, 'welcome');
    if (welcome === undefined) throw new Error('no welcome');
    const guest = a.connect();
    a.send(guest, { type: 'join', code: welcome.lobby.code, name: 'Guest' });
    const guestWelcome = last(guest.port, 'welcome');
    if (guestWelcome === undefined) throw new Error('no welcome');
    bus.kill('a');
    const lobby = host.port.lastLobby;
    if (lobby === undefined) throw new Error('no lobby');
    const back = b.connect();
    b.send(back, {
      type: 'reclaim',
      code: lobby.code,
      hostKey: welcome.hostKey ?? '',
      hostId: 1,
      name: 'Host',
      capacity: lobby.capacity,
      locked: false,
      seats: lobby.players
        .filter((p) => p.id !== 1)
        .map((p) => ({ id: p.id, name: p.name, tag: p.tag ?? '' })),
    });
    await settle();
    expect(last(back.port, 'welcome')).toMatchObject({ you: 1, lobby: { code: lobby.code } });
    expect(bus.owners.get(lobby.code)).toBe('b');
    const again = b.connect();
    b.send(again, { type: 'resume', code: lobby.code, token: guestWelcome.token });
    await settle();
    expect(last(again.port, 'welcome')).toMatchObject({ you: 2 });
  });

  it('Redis away: a lobby elsewhere is cluster_unavailable; just after it returns too (claims are being renewed); then found', async () => {
    const {
      bus,
      nodes: [a, b],
      advance,
    } = cluster();
    const host = a.connect();
    a.send(host, { type: 'create', name: 'Host' });
    const code = host.port.lastLobby?.code ?? '';
    bus.up = false;
    bus.owners.clear();
    await advance(500);
    const early = b.connect();
    b.send(early, { type: 'join', code, name: 'Early' });
    await settle();
    expect(last(early.port, 'error')).toMatchObject({ code: 'cluster_unavailable', ref: 'join' });
    // A lobby on this node is not affected.
    const local = a.connect();
    a.send(local, { type: 'join', code, name: 'Local' });
    expect(last(local.port, 'welcome')).toMatchObject({ you: 2 });
    bus.up = true;
    const soon = b.connect();
    b.send(soon, { type: 'join', code, name: 'Soon' });
    await settle();
    expect(last(soon.port, 'error')).toMatchObject({ code: 'cluster_unavailable' });
    await advance(250);
    expect(bus.owners.get(code)).toBe('a');
    b.send(soon, { type: 'join', code, name: 'Soon' });
    await settle();
    expect(last(soon.port, 'welcome')).toMatchObject({ lobby: { code } });
    // A code nobody holds is "unavailable", as on one node, once the window has passed.
    await advance(3000);
    const stranger = b.connect();
    b.send(stranger, { type: 'join', code: '0000000000000', name: 'Nobody' });
    await settle();
    expect(last(stranger.port, 'error')).toMatchObject({
      code: 'join_refused',
      reason: 'unavailable',
    });
  });

  it('draining gives up every claim first and turns newcomers from other nodes away', async () => {
    const {
      bus,
      nodes: [a, b],
    } = cluster();
    const host = a.connect();
    a.send(host, { type: 'create', name: 'Host' });
    const code = host.port.lastLobby?.code ?? '';
    await a.federation.drain();
    expect(bus.owners.has(code)).toBe(false);
    const late = b.connect();
    b.send(late, { type: 'join', code, name: 'Late' });
    await settle();
    expect(last(late.port, 'error')).toMatchObject({ code: 'join_refused' });
  });

  it('junk from the bus is dropped and counted, never thrown', async () => {
    const {
      bus,
      nodes: [a],
    } = cluster();
    const port = bus.node('x');
    for (const bytes of [
      Buffer.from('junk'),
      encodeBatch([Buffer.from('junk')]),
      encodeBatch([encodeNodeMessage({ k: 'o.text', from: 'x', conn: 99 }, 'hi')]),
      encodeBatch([encodeNodeMessage({ k: 'c.bin', from: 'x', conn: 5 }, new Uint8Array(3))]),
      encodeBatch([encodeNodeMessage({ k: 'c.pong', from: 'a', conn: 1 })]),
    ])
      await port.send('a', bytes);
    await settle();
    expect(a.federation.stats.rejected).toBe(5);
  });
});
