/// <reference types="mocha" />
import { executeServerCommand } from '@web/test-runner-commands';
import { expect } from 'chai';
import { DirectTransport } from '../../web/net/direct-transport.ts';
import { type DirectFactory, PeerNetwork } from '../../web/net/peer-network.ts';
import type { Session } from '../../web/net/session.ts';
import { type Hello, SignalingClient } from '../../web/net/signaling-client.ts';

/**
 * Browser networking in real Chromium against the real server the test runner started: real
 * WebSockets, real RTCPeerConnections over loopback. Each peer is its own SignalingClient and
 * PeerNetwork, as in its own tab.
 */
let serverUrl: string;
before(async () => {
  serverUrl = (await executeServerCommand<{ url: string }, undefined>('lanparty-server')).url;
});

const pageErrors: string[] = [];
window.addEventListener('error', (e) => pageErrors.push(e.message));
window.addEventListener('unhandledrejection', (e) => pageErrors.push(String(e.reason)));

interface Peer {
  readonly client: SignalingClient;
  readonly net: PeerNetwork;
  readonly transports: DirectTransport[];
}

let peers: Peer[] = [];
afterEach(() => {
  for (const p of peers) {
    p.net.close();
    p.client.close();
  }
  peers = [];
});

function peer(hello: Hello, options: { relayOnly?: boolean; noDirectPath?: boolean } = {}): Peer {
  const client = new SignalingClient({ server: serverUrl, hello });
  const transports: DirectTransport[] = [];
  const direct: DirectFactory = (o) => {
    const t = new DirectTransport({
      ...o,
      // No TURN server and relay-only ICE: no candidate at all, so never a direct path.
      ...(options.noDirectPath ? { iceTransportPolicy: 'relay' as const } : {}),
    });
    transports.push(t);
    return t;
  };
  const net = new PeerNetwork({ client, direct, relayOnly: options.relayOnly ?? false });
  const p = { client, net, transports };
  peers.push(p);
  return p;
}

async function until(what: () => boolean, timeoutMs: number, label: string): Promise<void> {
  const end = performance.now() + timeoutMs;
  while (!what()) {
    if (performance.now() > end)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${label}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A host and one guest, each with a session to the other. */
async function hostAndGuest(guestOptions: Parameters<typeof peer>[1] = {}) {
  const host = peer({ type: 'create', name: 'Host' });
  await until(() => host.client.lobby !== undefined, 5000, 'the lobby');
  const guest = peer(
    { type: 'join', code: host.client.lobby?.code ?? '', name: 'Guest' },
    guestOptions,
  );
  await until(
    () => guest.net.session(1) !== undefined && host.net.session(2) !== undefined,
    5000,
    'sessions',
  );
  return {
    host,
    guest,
    toGuest: host.net.session(2) as Session,
    toHost: guest.net.session(1) as Session,
  };
}

const u32 = (i: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, i);
  return b;
};
const readU32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0);

/** Collects reliable sequence numbers; checks exactly-once, in order, as they come. */
function sequenceCheck(session: Session) {
  const got: number[] = [];
  let unreliable = 0;
  session.onMessage((bytes, { reliable }) => {
    if (reliable) got.push(readU32(bytes));
    else unreliable++;
  });
  return {
    got,
    unreliable: () => unreliable,
    assertExactlyOnceInOrder(n: number) {
      expect(got.length, 'messages received').to.equal(n);
      for (let i = 0; i < n; i++) if (got[i] !== i) expect.fail(`message ${i} is ${got[i]}`);
    },
  };
}

/** Sends n numbered reliable messages, `perTick` every 5 ms, noting the transport kinds used. */
async function stream(
  session: Session,
  n: number,
  perTick: number,
  during?: (i: number) => Promise<void> | void,
) {
  const kinds = new Set<string>();
  for (let i = 0; i < n; i++) {
    session.send(u32(i), { reliable: true });
    kinds.add(session.kind);
    if (i % perTick === perTick - 1) {
      await during?.(i);
      await new Promise((r) => setTimeout(r, 5));
    }
  }
  return kinds;
}

describe('browser networking in Chromium', function () {
  this.timeout(60_000);

  it('(a) a direct link opens and carries reliable and unreliable messages both ways', async () => {
    const { toGuest, toHost } = await hostAndGuest();
    await until(
      () => toHost.kind === 'direct' && toGuest.kind === 'direct',
      10_000,
      'a direct link',
    );
    const atHost = sequenceCheck(toGuest);
    const atGuest = sequenceCheck(toHost);
    for (let i = 0; i < 200; i++) {
      toHost.send(u32(i), { reliable: true });
      toGuest.send(u32(i), { reliable: true });
      toHost.send(u32(i), { reliable: false });
    }
    await until(
      () => atHost.got.length === 200 && atGuest.got.length === 200,
      10_000,
      'the messages',
    );
    atHost.assertExactlyOnceInOrder(200);
    atGuest.assertExactlyOnceInOrder(200);
    await until(() => atHost.unreliable() > 0, 5000, 'unreliable messages');
    expect(toHost.rtt).to.be.a('number');
    expect(toHost.rtt).to.be.below(50);
  });

  it('(b) a forced-relay guest plays entirely over the relay', async () => {
    const { guest, toGuest, toHost } = await hostAndGuest({ relayOnly: true });
    const atHost = sequenceCheck(toGuest);
    await stream(toHost, 500, 50);
    await until(() => atHost.got.length === 500, 10_000, 'the messages');
    atHost.assertExactlyOnceInOrder(500);
    await new Promise((r) => setTimeout(r, 1500));
    expect(toHost.kind).to.equal('relay');
    expect(toGuest.kind).to.equal('relay');
    expect(guest.transports).to.have.length(0);
    expect(toHost.stats.directAttempts).to.equal(0);
  });

  it('(c) a guest that can never connect directly starts on the relay and stays there without errors', async () => {
    const errorsBefore = pageErrors.length;
    const { guest, toGuest, toHost } = await hostAndGuest({ noDirectPath: true });
    const atGuest = sequenceCheck(toHost);
    const kinds = await stream(toGuest, 300, 30);
    await until(() => atGuest.got.length === 300, 10_000, 'the messages');
    atGuest.assertExactlyOnceInOrder(300);
    expect([...kinds]).to.deep.equal(['relay']);
    await until(() => guest.transports.length >= 1, 5000, 'a direct attempt');
    await new Promise((r) => setTimeout(r, 2000));
    expect(toHost.kind).to.equal('relay');
    expect(toHost.status).to.equal('open');
    expect(pageErrors.slice(errorsBefore)).to.deep.equal([]);
  });

  it('(d) relay → direct in the middle of 10,000 sequenced reliable messages: all exactly once, in order', async () => {
    const { toGuest, toHost } = await hostAndGuest();
    const atHost = sequenceCheck(toGuest);
    expect(toHost.kind).to.equal('relay');
    const kinds = await stream(toHost, 10_000, 100);
    await until(() => atHost.got.length === 10_000, 20_000, 'all messages');
    atHost.assertExactlyOnceInOrder(10_000);
    expect([...kinds]).to.include.members(['relay', 'direct']);
  });

  it('(e) a direct path cut mid-game (UDP dropped for 3 s): snapshots keep coming (longest gap ≤ 500 ms), reliable messages exactly once, in order; the direct link is back within 3.5 s of the path returning', async function () {
    // The cut is real: every UDP packet on loopback is dropped (iptables), so it needs root.
    const probe = await executeServerCommand<{ ok: boolean; reason?: string }, undefined>(
      'block-udp',
    );
    await executeServerCommand('unblock-udp');
    if (!probe?.ok) {
      console.warn(`skipping (e): cannot cut UDP: ${probe?.reason}`);
      this.skip();
    }
    const { toGuest, toHost } = await hostAndGuest();
    await until(
      () => toHost.kind === 'direct' && toGuest.kind === 'direct',
      10_000,
      'a direct link',
    );
    const atGuest = sequenceCheck(toHost);
    // A game's traffic: 30 snapshots a second from the host, 60 inputs a second from the guest.
    const snapshotsAt: number[] = [];
    toHost.onMessage((_, { reliable }) => {
      if (!reliable) snapshotsAt.push(performance.now());
    });
    const snapshots = setInterval(() => toGuest.send(u32(0), { reliable: false }), 33);
    const inputs = setInterval(() => toHost.send(u32(0), { reliable: false }), 16);
    let cutAt = 0;
    let fellBackAt = 0;
    toGuest.onKind((k) => {
      if (k === 'relay' && fellBackAt === 0) fellBackAt = performance.now();
    });
    let restoredAt = 0;
    try {
      await new Promise((r) => setTimeout(r, 500));
      await executeServerCommand('block-udp');
      cutAt = performance.now();
      // Reliable game messages (events) across the cut: a few hundred, as a game sends.
      await stream(toGuest, 300, 5);
      await new Promise((r) => setTimeout(r, 3000 - (performance.now() - cutAt)));
    } finally {
      await executeServerCommand('unblock-udp');
      restoredAt = performance.now();
    }
    try {
      await until(
        () => toHost.kind === 'direct' && toGuest.kind === 'direct',
        10_000,
        'the direct link to return',
      );
      const backAfter = performance.now() - restoredAt;
      await until(() => atGuest.got.length === 300, 20_000, 'all messages');
      atGuest.assertExactlyOnceInOrder(300);
      expect(fellBackAt, 'fell back to the relay').to.be.above(0);
      expect(fellBackAt - cutAt, 'ms from cut to relay').to.be.at.most(750);
      const during = snapshotsAt.filter((t) => t > cutAt - 100);
      const gaps = during.slice(1).map((t, i) => t - (during[i] ?? t));
      expect(during.length, 'snapshots during and after the cut').to.be.above(60);
      const long = gaps.flatMap((g, i) =>
        g > 150 ? [`${Math.round(g)} ms after t=${Math.round((during[i] ?? 0) - cutAt)}`] : [],
      );
      expect(
        Math.max(...gaps),
        `longest gap between snapshots (ms); gaps over 150 ms: ${long.join(', ')}; path back at ${Math.round(restoredAt - cutAt)}, relay at ${Math.round(fellBackAt - cutAt)}`,
      ).to.be.at.most(500);
      // The data channel's SCTP doubles its retransmission timer at every loss during the cut
      // (about 0.4, 0.8, 1.6, 3.2 s apart), and nothing goes through until its next expiry after
      // the path returns: 0.1–2.8 s measured after this 3 s cut (a probe on the same channel
      // cannot beat that). 3.5 s covers the doubling after a 3 s cut.
      console.log(`(e) direct again ${Math.round(backAfter)} ms after the path returned`);
      expect(backAfter, 'ms from the path returning to the direct link').to.be.at.most(3500);
    } finally {
      clearInterval(snapshots);
      clearInterval(inputs);
    }
  });

  it('(f) the server restarts mid-stream: direct links carry data throughout; clients resume their seats', async () => {
    const { host, guest, toGuest, toHost } = await hostAndGuest();
    await until(
      () => toHost.kind === 'direct' && toGuest.kind === 'direct',
      10_000,
      'a direct link',
    );
    const atHost = sequenceCheck(toGuest);
    const states: string[] = [];
    guest.client.onState((s) => states.push(s.kind));
    const kinds = await stream(toHost, 4000, 40, async (i) => {
      if (i === 999) await executeServerCommand('lanparty-restart');
    });
    await until(() => atHost.got.length === 4000, 20_000, 'all messages');
    atHost.assertExactlyOnceInOrder(4000);
    expect([...kinds]).to.deep.equal(['direct']);
    expect(states).to.include('reconnecting');
    await until(
      () => host.client.state.kind === 'open' && guest.client.state.kind === 'open',
      15_000,
      'both back',
    );
    await until(
      () =>
        host.client.lobby?.players.every((p) => p.connected) === true &&
        host.client.lobby.players.length === 2,
      15_000,
      'the whole lobby',
    );
    expect(guest.client.you).to.equal(2);
    expect(host.client.you).to.equal(1);
  });

  it('(g) malformed and oversized frames sent to a peer are rejected and counted, with no crash', async () => {
    const { guest, toGuest, toHost } = await hostAndGuest();
    await until(
      () => toHost.kind === 'direct' && guest.transports.some((t) => t.status === 'open'),
      10_000,
      'a direct link',
    );
    const atHost = sequenceCheck(toGuest);
    const direct = guest.transports.find((t) => t.status === 'open') as DirectTransport;
    // An unknown frame kind, and an ACK with a payload (ACKs have none).
    const junk = [new Uint8Array([200, 1, 2, 3, 4, 5]), new Uint8Array([3, 0, 0, 0, 1, 9])];
    for (const bytes of junk) {
      direct.send(bytes, { reliable: true });
      guest.client.sendRelay(1, bytes, false);
    }
    // Too short for a header (only the relay carries an empty message), and too large.
    guest.client.sendRelay(1, new Uint8Array(0), false);
    direct.send(new Uint8Array(100_000).fill(1), { reliable: true });
    await until(() => toGuest.stats.rejectedFrames >= 6, 5000, 'six rejected frames');
    await new Promise((r) => setTimeout(r, 300));
    expect(toGuest.stats.rejectedFrames).to.equal(6);
    toHost.send(u32(0), { reliable: true });
    await until(() => atHost.got.length === 1, 5000, 'a good message after the junk');
    expect(toGuest.status).to.equal('open');
  });
});
