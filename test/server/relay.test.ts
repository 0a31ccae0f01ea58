import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  encodeRelayFrame,
  readRelayHeader,
  relayPayload,
} from '../../shared/protocol/relay-frame.ts';
import { lobbyWith, startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer();
});
afterEach(() => server.close());

const candidate = {
  type: 'candidate',
  candidate: {
    candidate: 'candidate:1 1 udp 2122260223 10.0.0.2 50000 typ host',
    sdpMid: '0',
    sdpMLineIndex: 0,
  },
};

describe('signal relay', () => {
  it('carries offers, answers and candidates between members, stamped with the real sender', async () => {
    const { host, guests } = await lobbyWith(server, 1);
    const guest = guests[0];
    if (!guest) throw new Error('no guest');
    const offer = { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
    // A forged sender id in the payload is ignored: the server stamps `from` itself.
    host.send({ type: 'signal', to: guest.id, from: 99, data: offer });
    expect(await guest.client.next('signal')).toEqual({ type: 'signal', from: 1, data: offer });
    guest.client.send({ type: 'signal', to: 1, data: { type: 'answer', sdp: 'v=0' } });
    expect(await host.next('signal')).toEqual({
      type: 'signal',
      from: guest.id,
      data: { type: 'answer', sdp: 'v=0' },
    });
    guest.client.send({ type: 'signal', to: 1, data: candidate });
    expect((await host.next('signal')).data).toEqual(candidate);
    guest.client.send({ type: 'signal', to: 1, attempt: 3, data: candidate });
    expect(await host.next('signal')).toEqual({
      type: 'signal',
      from: guest.id,
      attempt: 3,
      data: candidate,
    });
    host.send({ type: 'signal', to: guest.id, data: { type: 'renegotiate', renegotiate: true } });
    expect((await guest.client.next('signal')).data).toEqual({
      type: 'renegotiate',
      renegotiate: true,
    });
  });

  it('guests cannot signal each other: direct links run guest ↔ host only (relay_target, a strike)', async () => {
    const { guests } = await lobbyWith(server, 2);
    const [a, b] = guests;
    a?.client.send({ type: 'signal', to: b?.id, data: candidate });
    expect(await a?.client.next('error')).toEqual({
      type: 'error',
      code: 'relay_target',
      message: 'guests may signal only the host',
      ref: 'signal',
    });
    await new Promise((r) => setTimeout(r, 100));
    expect(b?.client.texts.filter((m) => m.type === 'signal')).toEqual([]);
  });

  it('an unknown, disconnected or own target gets unknown_target', async () => {
    const { host, guests } = await lobbyWith(server, 1);
    host.send({ type: 'signal', to: 42, data: candidate });
    expect(await host.next('error')).toMatchObject({ code: 'unknown_target', ref: 'signal' });
    host.send({ type: 'signal', to: 1, data: candidate });
    expect(await host.next('error')).toMatchObject({ code: 'unknown_target', ref: 'signal' });
    guests[0]?.client.terminate();
    await host.next('lobby');
    host.send({ type: 'signal', to: guests[0]?.id, data: candidate });
    expect(await host.next('error')).toMatchObject({ code: 'unknown_target' });
  });

  it('never crosses lobbies: the same id in another lobby is unreachable', async () => {
    const one = await lobbyWith(server, 0);
    const two = await lobbyWith(server, 1);
    // Seat 2 exists only in lobby two.
    one.host.send({ type: 'signal', to: 2, data: candidate });
    expect(await one.host.next('error')).toMatchObject({ code: 'unknown_target' });
    await new Promise((r) => setTimeout(r, 100));
    expect(two.guests[0]?.client.texts).toEqual([]);
  });
});

describe('data relay (binary)', () => {
  it('forwards frames host→guest and guest→host with the sender stamped in the header', async () => {
    const { host, guests } = await lobbyWith(server, 2);
    const [a, b] = guests;
    if (!a || !b) throw new Error('no guests');
    host.sendBinary(encodeRelayFrame(a.id, new Uint8Array([1, 2, 3])));
    const got = await a.client.nextBinary();
    expect(readRelayHeader(got)).toEqual({
      ok: true,
      value: { peer: 1, droppable: false, control: false },
    });
    expect([...relayPayload(got)]).toEqual([1, 2, 3]);
    // A guest writes the host as target; the host sees the guest's own id, whatever it wrote.
    b.client.sendBinary(encodeRelayFrame(1, new Uint8Array([4]), true));
    const back = await host.nextBinary();
    expect(readRelayHeader(back)).toEqual({
      ok: true,
      value: { peer: b.id, droppable: true, control: false },
    });
    expect(b.client.binaries).toEqual([]);
  });

  it('keeps order and loses nothing over 5,000 reliable frames', async () => {
    const { host, guests } = await lobbyWith(server, 1);
    const guest = guests[0];
    if (!guest) throw new Error('no guest');
    const n = 5000;
    const received: number[] = [];
    host.ws.on('message', (data, isBinary) => {
      if (isBinary) received.push((data as Buffer).readUInt32BE(4));
    });
    const payload = new Uint8Array(96);
    for (let i = 0; i < n; i++) {
      new DataView(payload.buffer).setUint32(0, i);
      guest.client.sendBinary(encodeRelayFrame(1, payload));
    }
    await expect.poll(() => received.length, { timeout: 10_000 }).toBe(n);
    expect(received).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(server.hub.stats.relayFrames).toBe(n);
    expect(server.hub.stats.relayGameBytes).toBe(n * 100);
    expect(server.hub.stats.relayControlBytes).toBe(0);
  });
});
