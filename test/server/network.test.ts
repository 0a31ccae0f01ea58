import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { PeerNetwork } from '../../web/net/peer-network.ts';
import type { Session } from '../../web/net/session.ts';
import type { Hello } from '../../web/net/signaling-client.ts';
import { nodeSignalingClient } from '../support/node-page.ts';
import { startTestServer, type TestServer } from '../support/server.ts';
import { freePort, until } from '../support/server-process.mjs';

/** The browser client, driven in Node with the `ws` package as its WebSocket. */
const client = (server: TestServer, hello: Hello) => nodeSignalingClient(server.baseUrl, hello);

const u32 = (i: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, i);
  return b;
};
const readU32 = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength).getUint32(0);

let cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.reverse()) await fn();
  cleanup = [];
});

async function setUp(port?: number) {
  const server = await startTestServer(port === undefined ? {} : { port });
  cleanup.push(() => server.close());
  const hostClient = client(server, { type: 'create', name: 'Host' });
  cleanup.push(() => hostClient.close());
  await until(() => hostClient.lobby !== undefined);
  const guestClient = client(server, {
    type: 'join',
    code: hostClient.lobby?.code ?? '',
    name: 'Guest',
  });
  cleanup.push(() => guestClient.close());
  const host = new PeerNetwork({ client: hostClient });
  const guest = new PeerNetwork({ client: guestClient });
  cleanup.push(
    () => host.close(),
    () => guest.close(),
  );
  await until(() => guest.session(1) !== undefined && host.session(2) !== undefined);
  return { server, hostClient, guestClient, host, guest };
}

describe('PeerNetwork over the real server (relay)', () => {
  it('host and guest get a session to each other at once, on the relay, with RTT', async () => {
    const { host, guest } = await setUp();
    const got: number[] = [];
    host.session(2)?.onMessage((b) => got.push(readU32(b)));
    guest.session(1)?.send(u32(42), { reliable: true });
    await until(() => got.length === 1);
    expect(got).toEqual([42]);
    await until(() => (guest.session(1)?.rtt ?? -1) >= 0);
    expect(guest.info()).toEqual([
      { id: 1, kind: 'relay', rtt: expect.any(Number), present: true },
    ]);
  });

  it('a server restart mid-stream loses nothing: clients resume, the host re-claims, 3,000 messages arrive once, in order', async () => {
    const port = await freePort();
    const { server, host, guest, hostClient, guestClient } = await setUp(port);
    const got: number[] = [];
    const toHost = guest.session(1) as Session;
    host.session(2)?.onMessage((b) => got.push(readU32(b)));
    let restarted: TestServer | undefined;
    for (let i = 0; i < 3000; i++) {
      toHost.send(u32(i), { reliable: true });
      if (i === 1000) {
        await server.close();
        restarted = await startTestServer({ port });
        cleanup.push(() => restarted?.close());
      }
      if (i % 50 === 0) await new Promise((r) => setTimeout(r, 5));
    }
    await until(() => got.length === 3000, 15_000);
    expect(got).toEqual(Array.from({ length: 3000 }, (_, i) => i));
    expect(hostClient.state.kind).toBe('open');
    expect(guestClient.state.kind).toBe('open');
    expect(guestClient.you).toBe(2);
    expect(hostClient.lobby?.players.map((p) => [p.id, p.connected])).toEqual([
      [1, true],
      [2, true],
    ]);
  });

  it('the host learns within 2 s that a guest vanished without closing', async () => {
    const { host, guestClient } = await setUp();
    const socket = (guestClient as unknown as { socket: WebSocket }).socket;
    const t0 = Date.now();
    socket.terminate();
    guestClient.close();
    await until(() => host.info()[0]?.present === false, 3000);
    expect(Date.now() - t0).toBeLessThan(2000);
  });
});

describe('a page that reloads', () => {
  it('takes its seat back from what it saved, and the host sees it return', async () => {
    const { server, hostClient, guestClient, host } = await setUp();
    const saved = guestClient.seat;
    expect(saved?.you).toBe(2);
    // The page goes away without a word, and a new page starts from the saved seat.
    (guestClient as unknown as { socket: WebSocket }).socket.terminate();
    guestClient.close();
    await until(() => host.info()[0]?.present === false);
    const reloaded = nodeSignalingClient(
      server.baseUrl,
      { type: 'join', code: hostClient.lobby?.code ?? '', name: 'ignored' },
      saved,
    );
    cleanup.push(() => reloaded.close());
    await until(() => reloaded.state.kind === 'open');
    expect(reloaded.you).toBe(2);
    expect(reloaded.lobby?.players.map((p) => p.name)).toEqual(['Host', 'Guest']);
    await until(() => host.info()[0]?.present === true);
  });
});
