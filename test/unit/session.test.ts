import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameKind } from '../../web/net/frames.ts';
import { Session } from '../../web/net/session.ts';
import { FakeClock } from '../support/fake-clock.ts';
import { MemoryTransport } from '../support/memory-transport.ts';

/** A guest (initiates direct) and a host session joined by a relay pair, with 5 ms latency. */
function pairOfSessions(
  options: { direct?: boolean; directWorks?: boolean; latencyMs?: number; loss?: number } = {},
) {
  /** The direct path's one-way latency; a test may change it on the way. */
  const directLatency = { ms: 1 };
  const clock = new FakeClock();
  const latency = options.latencyMs ?? 5;
  let seed = 1;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return seed / 2147483647;
  };
  const network = {
    schedule: (fn: () => void) => clock.later(fn, latency),
    loss: options.loss ?? 0,
    random,
  };
  const [relayGuest, relayHost] = MemoryTransport.pair('relay', network);
  const directs: [MemoryTransport, MemoryTransport][] = [];
  const host = new Session({ relay: relayHost, clock, random });
  const guest = new Session({
    relay: relayGuest,
    clock,
    random,
    ...(options.direct === false
      ? {}
      : {
          connectDirect: () => {
            const pair = MemoryTransport.pair('direct', {
              ...network,
              schedule: (fn) => clock.later(fn, directLatency.ms),
            });
            // A path that never works, as with `iceTransportPolicy: 'relay'` and no TURN server.
            if (options.directWorks === false) pair[0].blackhole = true;
            directs.push(pair);
            host.adoptDirect(pair[1]);
            return pair[0];
          },
        }),
  });
  const received = { guest: [] as number[], host: [] as number[] };
  guest.onMessage(
    (b, o) => o.reliable && received.guest.push(new DataView(b.buffer, b.byteOffset).getUint32(0)),
  );
  host.onMessage(
    (b, o) => o.reliable && received.host.push(new DataView(b.buffer, b.byteOffset).getUint32(0)),
  );
  return { clock, guest, host, directs, directLatency, relayGuest, relayHost, received };
}

const msg = (i: number) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setUint32(0, i);
  return b;
};
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('Session', () => {
  it('a peer sending reliable frames far ahead of a gap it never fills: past MAX_REORDER_BYTES the session fails (reorder_overflow) and lets go of them', () => {
    const { clock, host, relayGuest } = pairOfSessions({ direct: false });
    const statuses: string[] = [];
    host.onStatus((s) => statuses.push(s));
    const payload = new Uint8Array(60_000);
    // Sequence 0 never comes: everything from 1 on waits for it.
    for (let seq = 1; seq <= 40 && host.status !== 'closed'; seq++) {
      relayGuest.send(encodeFrame(FrameKind.RELIABLE, 0, seq, payload), { reliable: true });
      clock.advance(6);
    }
    expect(host.failure).toBe('reorder_overflow');
    expect(statuses.at(-1)).toBe('closed');
  });

  it('honest reordering (a gap filled by the next retransmission) stays far below the byte limit', () => {
    const { clock, guest, host, received } = pairOfSessions({ direct: false, loss: 0.2 });
    for (let i = 0; i < 2000; i++) {
      guest.send(msg(i), { reliable: true });
      if (i % 20 === 0) clock.advance(16);
    }
    clock.advance(5000);
    expect(host.failure).toBeUndefined();
    expect(received.host).toEqual(range(2000));
  });

  it('carries messages over the relay at once, before any direct link exists', () => {
    const { clock, guest, host, received } = pairOfSessions({ direct: false });
    guest.send(msg(7), { reliable: true });
    clock.advance(10);
    expect(received.host).toEqual([7]);
    expect(host.kind).toBe('relay');
    expect(guest.status).toBe('open');
  });

  it('moves to the direct link once it answers, and measures RTT there', () => {
    const { clock, guest, host } = pairOfSessions();
    const kinds: string[] = [];
    guest.onKind((k) => kinds.push(k));
    clock.advance(300);
    expect(guest.kind).toBe('direct');
    expect(host.kind).toBe('direct');
    expect(kinds).toEqual(['direct']);
    expect(guest.rtt).toBeGreaterThanOrEqual(1);
    expect(guest.rtt).toBeLessThan(5);
  });

  it('relay → direct in the middle of 10,000 reliable messages: each arrives once, in order', () => {
    const { clock, guest, host, received } = pairOfSessions();
    for (let i = 0; i < 10_000; i++) {
      guest.send(msg(i), { reliable: true });
      if (i % 100 === 0) clock.advance(3);
    }
    clock.advance(500);
    expect(guest.kind).toBe('direct');
    expect(received.host).toEqual(range(10_000));
    expect(host.stats.duplicates).toBeGreaterThan(0);
    expect(guest.pending).toBe(0);
  });

  it('a direct path cut mid-stream: on the relay within 750 ms, nothing lost or doubled; the same link takes over again when the path returns', () => {
    const { clock, guest, host, directs, received } = pairOfSessions();
    clock.advance(300);
    expect(guest.kind).toBe('direct');
    const pair = directs[0];
    if (!pair) throw new Error('no direct attempt');
    let fellBackAt: number | undefined;
    guest.onKind((k) => {
      if (k === 'relay') fellBackAt = clock.now();
    });
    let killedAt = 0;
    for (let i = 0; i < 3000; i++) {
      host.send(msg(i), { reliable: true });
      if (i === 1000) {
        pair[0].blackhole = true;
        killedAt = clock.now();
      }
      if (i % 10 === 0) clock.advance(1);
    }
    clock.advance(2500);
    expect(fellBackAt).toBeDefined();
    expect((fellBackAt ?? 0) - killedAt).toBeLessThanOrEqual(750);
    expect(received.guest).toEqual(range(3000));
    expect(guest.kind).toBe('relay');
    // The path returns: the same transport answers its probes and carries the traffic again.
    pair[0].blackhole = false;
    const returnedAt = clock.now();
    let backAt: number | undefined;
    guest.onKind((k) => {
      if (k === 'direct') backAt ??= clock.now();
    });
    clock.advance(2000);
    expect(directs).toHaveLength(1);
    expect(guest.kind).toBe('direct');
    expect((backAt ?? Infinity) - returnedAt).toBeLessThanOrEqual(500);
    host.send(msg(3000), { reliable: true });
    clock.advance(50);
    expect(received.guest).toEqual(range(3001));
  });

  it('while a direct path is suspect, snapshots also go over the relay: the longest gap on a cut stays under 500 ms', () => {
    const { clock, guest, host, directs, relayHost } = pairOfSessions();
    clock.advance(300);
    const pair = directs[0];
    if (!pair) throw new Error('no direct attempt');
    const arrivals: number[] = [];
    guest.onMessage((_, o) => {
      if (!o.reliable) arrivals.push(clock.now());
    });
    // Snapshots (unreliable frames) the host puts on the relay, before and after the cut.
    const onRelay = { before: 0, after: 0 };
    let cut = false;
    const sendOnRelay = relayHost.send.bind(relayHost);
    relayHost.send = (bytes, options) => {
      if (bytes[0] === FrameKind.UNRELIABLE) onRelay[cut ? 'after' : 'before']++;
      sendOnRelay(bytes, options);
    };
    // 30 snapshots a second from the host, 60 inputs a second from the guest, for 3 s.
    for (let t = 0; t < 3000; t += 1) {
      if (t % 33 === 0) host.send(msg(t), { reliable: false });
      if (t % 16 === 0) guest.send(msg(t), { reliable: false });
      if (t === 1000) {
        pair[0].blackhole = true;
        cut = true;
      }
      clock.advance(1);
    }
    const gaps = arrivals.slice(1).map((at, i) => at - (arrivals[i] ?? at));
    expect(arrivals.length).toBeGreaterThan(80);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(500);
    expect(guest.kind).toBe('relay');
    expect(onRelay.before).toBe(0);
    expect(onRelay.after).toBeGreaterThan(50);
  });

  it('a slow but living direct path that looks suspect: the relay copies are dropped, each message arrives once', () => {
    const { clock, guest, host, directLatency, received } = pairOfSessions();
    clock.advance(300);
    expect(guest.kind).toBe('direct');
    // For a while the path takes 450 ms each way: silent long enough to be suspect, never dead.
    directLatency.ms = 450;
    for (let i = 0; i < 100; i++) {
      host.send(msg(i), { reliable: true });
      if (i === 60) directLatency.ms = 1;
      clock.advance(10);
    }
    clock.advance(1000);
    expect(received.guest).toEqual(range(100));
    expect(guest.stats.duplicates).toBeGreaterThan(0);
    expect(guest.kind).toBe('direct');
  });

  it('a direct path that stays dead is closed after the give-up time and a new attempt is made', () => {
    const { clock, guest, directs } = pairOfSessions();
    clock.advance(300);
    const pair = directs[0];
    if (!pair) throw new Error('no direct attempt');
    pair[0].blackhole = true;
    clock.advance(19_000);
    expect(directs).toHaveLength(1);
    expect(guest.kind).toBe('relay');
    clock.advance(6000);
    expect(directs.length).toBeGreaterThan(1);
    expect(guest.kind).toBe('direct');
  });

  it('stays on the relay for good when direct never answers, retrying with growing delays', () => {
    const { clock, guest, directs } = pairOfSessions({ directWorks: false });
    clock.advance(60_000);
    expect(guest.kind).toBe('relay');
    expect(guest.status).toBe('open');
    // Attempts at 0, then ~5 s timeout + 1, 2, 4, 8, 16 s backoff (jittered): a handful, not hundreds.
    expect(directs.length).toBeGreaterThanOrEqual(3);
    expect(directs.length).toBeLessThanOrEqual(8);
  });

  it('never delivers an unreliable message after a newer one', () => {
    const { clock, guest, host } = pairOfSessions({ direct: false, loss: 0.2 });
    const got: number[] = [];
    host.onMessage(
      (b, o) => !o.reliable && got.push(new DataView(b.buffer, b.byteOffset).getUint32(0)),
    );
    for (let i = 0; i < 500; i++) {
      guest.send(msg(i), { reliable: false });
      clock.advance(i % 3);
    }
    clock.advance(50);
    expect(got.length).toBeGreaterThan(300);
    expect(got.length).toBeLessThan(500);
    expect(got).toEqual([...got].sort((a, b) => a - b));
  });

  it('re-sends what was in flight when the relay comes back after a break', () => {
    const { clock, guest, relayGuest, received } = pairOfSessions({ direct: false });
    relayGuest.setStatus('connecting');
    for (let i = 0; i < 50; i++) guest.send(msg(i), { reliable: true });
    clock.advance(100);
    expect(received.host).toEqual([]);
    relayGuest.setStatus('open');
    clock.advance(100);
    expect(received.host).toEqual(range(50));
  });

  it('rejects malformed frames from the peer with a count, and goes on', () => {
    const { clock, host, relayGuest, received, guest } = pairOfSessions({ direct: false });
    for (const junk of [
      new Uint8Array(0),
      new Uint8Array([9, 0, 0, 0, 0]),
      encodeFrame(FrameKind.ACK, 0, 1, new Uint8Array(3)),
      encodeFrame(FrameKind.RELIABLE, 0, 0, new Uint8Array(70_000)),
    ]) {
      relayGuest.send(junk, { reliable: true });
    }
    clock.advance(10);
    expect(host.stats.rejectedFrames).toBe(4);
    guest.send(msg(1), { reliable: true });
    clock.advance(10);
    expect(received.host).toEqual([1]);
  });

  it('declares the peer gone after 5 s of silence on every transport', () => {
    const { clock, host, relayGuest } = pairOfSessions({ direct: false });
    clock.advance(100);
    relayGuest.blackhole = true;
    const statuses: string[] = [];
    host.onStatus((s) => statuses.push(s));
    clock.advance(4900);
    expect(host.status).toBe('open');
    clock.advance(600);
    expect(statuses).toEqual(['closed']);
  });

  it('refuses a message over the size limit', () => {
    const { guest } = pairOfSessions({ direct: false });
    expect(() => guest.send(new Uint8Array(70_000), { reliable: true })).toThrow(RangeError);
  });

  it('a peer that reloads is a new instance: frames for the old one are dropped, both count afresh', () => {
    const clock = new FakeClock();
    const network = { schedule: (fn: () => void) => clock.later(fn, 20) };
    const [atHost, atGuest] = MemoryTransport.pair('relay', network);
    const host = new Session({ relay: atHost, clock });
    const oldGuest = new Session({ relay: atGuest, clock });
    const resets: number[] = [];
    host.onReset(() => resets.push(clock.now()));
    clock.advance(100);
    for (let i = 0; i < 50; i++) oldGuest.send(msg(i), { reliable: true });
    clock.advance(100);

    // The guest's page reloads (nothing is closed politely): a new session on a new connection
    // to the same host end.
    const newGuest = new Session({ relay: MemoryTransport.rebind(atHost), clock });
    const atNew: number[] = [];
    newGuest.onMessage(
      (b, o) => o.reliable && atNew.push(new DataView(b.buffer, b.byteOffset).getUint32(0)),
    );
    // In flight towards the old page when it went away.
    for (let i = 100; i < 110; i++) host.send(msg(i), { reliable: true });
    clock.advance(100);
    expect(resets).toHaveLength(1);
    for (let i = 0; i < 5; i++) host.send(msg(i), { reliable: true });
    const atHostNow: number[] = [];
    host.onMessage(
      (b, o) => o.reliable && atHostNow.push(new DataView(b.buffer, b.byteOffset).getUint32(0)),
    );
    newGuest.send(msg(7), { reliable: true });
    clock.advance(100);
    expect(atNew).toEqual([0, 1, 2, 3, 4]);
    expect(newGuest.stats.staleFrames).toBeGreaterThan(0);
    expect(atHostNow).toEqual([7]);
  });
});
