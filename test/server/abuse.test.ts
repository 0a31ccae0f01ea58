import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, UpgradeRefusal } from '../../shared/protocol/close-codes.ts';
import { encodeRelayFrame } from '../../shared/protocol/relay-frame.ts';
import type { Config } from '../../signaling/config.ts';
import { lobbyCodeFor, newHostKey } from '../../signaling/secrets.ts';
import { TestClient, UpgradeRefused } from '../support/client.ts';
import { request } from '../support/http.ts';
import { startTestServer, type TestServer } from '../support/server.ts';

/**
 * Attacks on the fairness of the server, each through a real server on real sockets, as an
 * attacker would script them: one client must not fill the server or knock other players off.
 * Attackers come from their own loopback addresses (127.0.0.x, all loopback on Linux), so their
 * per-address limits and cooldowns do not touch the honest players on 127.0.0.1.
 */

let server: TestServer | undefined;
const clients: TestClient[] = [];

async function serve(overrides: Partial<Config> = {}): Promise<TestServer> {
  server = await startTestServer(overrides);
  return server;
}

/** A client from `from` (default 127.0.0.1), closed after the test. */
async function connect(s: TestServer, from?: string): Promise<TestClient> {
  const c = await s.connect(from === undefined ? {} : { localAddress: from });
  clients.push(c);
  return c;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await server?.close();
  server = undefined;
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A host and its guests, each from the address given (the host's first). */
async function party(s: TestServer, addresses: (string | undefined)[]) {
  const [hostAddress, ...guestAddresses] = addresses;
  const host = await connect(s, hostAddress);
  host.send({ type: 'create', name: 'Host' });
  const welcome = await host.next('welcome');
  const guests = [];
  for (const [i, address] of guestAddresses.entries()) {
    const client = await connect(s, address);
    client.send({ type: 'join', code: welcome.lobby.code, name: `Guest ${i + 1}` });
    guests.push({ client, id: (await client.next('welcome')).you });
  }
  return { host, code: welcome.lobby.code, hostId: welcome.you, guests };
}

/** Stops reading the socket, as a stalled tab would: the server's send buffer to it grows. */
const stopReading = (c: TestClient) =>
  (c.ws as unknown as { _socket: { pause(): void } })._socket.pause();
const startReading = (c: TestClient) =>
  (c.ws as unknown as { _socket: { resume(): void } })._socket.resume();

describe('lobby floods leave room for an honest host', () => {
  it('one address that creates and drops: rate_limited after its creates per minute, dropped lobbies freed within the heartbeat timeout', async () => {
    const s = await serve();
    const answers: string[] = [];
    for (let i = 0; i < 25; i++) {
      const c = await connect(s, '127.0.0.5');
      c.send({ type: 'create', name: 'Flood' });
      const reply = await Promise.race([c.next('welcome'), c.next('error')]);
      answers.push(reply.type === 'welcome' ? 'welcome' : `${reply.code}: ${reply.message}`);
      c.terminate();
    }
    expect(answers.slice(0, 10)).toEqual(Array(10).fill('welcome'));
    // Its creates per minute, or its open lobbies (the dropped ones linger 1.75 s): both 10.
    for (const answer of answers.slice(10))
      expect([
        'rate_limited: too many lobbies created; wait a minute',
        'rate_limited: too many open lobbies from this address',
      ]).toContain(answer);
    // None of them ever answered a heartbeat: each ends a heartbeat timeout after its host
    // dropped, not after the grace periods (30 s, 10 s).
    await until(() => s.hub.directory.size === 0, 'the dropped lobbies to end', 5000);
    const honest = await connect(s);
    honest.send({ type: 'create', name: 'Honest' });
    expect((await honest.next('welcome')).lobby.players[0]?.name).toBe('Honest');
  });

  it('one address keeping its lobbies open: rate_limited past --lobbies-per-address', async () => {
    const s = await serve({ lobbiesPerAddress: 3 });
    for (let i = 0; i < 3; i++) {
      const c = await connect(s, '127.0.0.5');
      c.send({ type: 'create', name: 'Hoarder' });
      await c.next('welcome');
    }
    const c = await connect(s, '127.0.0.5');
    c.send({ type: 'create', name: 'Hoarder' });
    expect(await c.next('error')).toEqual({
      type: 'error',
      code: 'rate_limited',
      message: 'too many open lobbies from this address',
      ref: 'create',
    });
  });

  it('50 addresses filling the server still leave room for an honest host', async () => {
    const s = await serve({ maxLobbies: 600 });
    let welcomed = 0;
    let limited = 0;
    for (let a = 1; a <= 50; a++) {
      for (let i = 0; i < 12; i++) {
        const c = await connect(s, `127.0.1.${a}`);
        c.send({ type: 'create', name: 'Flood' });
        const reply = await Promise.race([c.next('welcome'), c.next('error')]);
        if (reply.type === 'welcome') welcomed++;
        else if (reply.type === 'error' && reply.code === 'rate_limited') limited++;
      }
    }
    expect({ welcomed, limited }).toEqual({ welcomed: 500, limited: 100 });
    expect(s.hub.directory.size).toBe(500);
    const honest = await connect(s, '127.0.2.1');
    honest.send({ type: 'create', name: 'Honest' });
    expect((await honest.next('welcome')).lobby.players[0]?.name).toBe('Honest');
  });

  it('re-claims with self-made host keys (32 seats each) count as creates: rate_limited', async () => {
    const s = await serve();
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) {
      const c = await connect(s, '127.0.0.7');
      const hostKey = newHostKey();
      c.send({
        type: 'reclaim',
        code: lobbyCodeFor(hostKey),
        hostKey,
        hostId: 1,
        name: 'Flood',
        capacity: 32,
        locked: false,
        seats: Array.from({ length: 31 }, (_, j) => ({ id: j + 2, name: `s${j}`, tag: 'x' })),
      });
      const reply = await Promise.race([c.next('welcome'), c.next('error')]);
      answers.push(reply.type === 'welcome' ? 'welcome' : `${reply.code}/${reply.ref}`);
    }
    expect(answers).toEqual([
      ...Array(10).fill('welcome'),
      ...Array(2).fill('rate_limited/reclaim'),
    ]);
    const honest = await connect(s);
    honest.send({ type: 'create', name: 'Honest' });
    await honest.next('welcome');
  });

  it('resumes are rate-limited per address like joins', async () => {
    const s = await serve({ resumesPerMinute: 5 });
    const c = await connect(s, '127.0.0.8');
    const answers: string[] = [];
    for (let i = 0; i < 7; i++) {
      c.send({ type: 'resume', code: 'ABCDEFGHJKMNP', token: 'forged' });
      answers.push((await c.next('error')).code);
    }
    expect(answers).toEqual([...Array(5).fill('resume_refused'), 'rate_limited', 'rate_limited']);
  });

  it('a lobby whose every member is gone ends after --empty-lobby-grace-ms, not the seat grace', async () => {
    const s = await serve({ emptyLobbyGraceMs: 300 });
    const { host, guests } = await party(s, [undefined, undefined]);
    host.terminate();
    guests[0]?.client.terminate();
    await until(() => s.hub.directory.size === 0, 'the empty lobby to end', 3000);
  });
});

describe('receivers are protected from flooding senders', () => {
  it('a guest flooding the host with reliable relay frames is cut off (4011); the host stays, the round goes on', async () => {
    const s = await serve();
    const { host, hostId, guests } = await party(s, [undefined, '127.0.0.9', undefined]);
    const [flooder, honest] = guests;
    if (!flooder || !honest) throw new Error('no guests');
    host.texts.length = 0;
    stopReading(host);
    const frame = encodeRelayFrame(hostId, new Uint8Array(60_000));
    let sent = 0;
    while (sent < 2000 && flooder.client.ws.readyState === flooder.client.ws.OPEN) {
      flooder.client.sendBinary(frame);
      sent++;
      if (sent % 50 === 0) await sleep(1);
    }
    expect(await flooder.client.closeInfo(10_000)).toEqual({
      code: CloseCode.FLOODING_PEER,
      reason: 'relayed more to one player than it can take',
    });
    startReading(host);
    // The host was never closed: it hears the flooder drop, and the honest guest's frames.
    const dropped = await host.next('lobby', 10_000);
    expect(dropped.lobby.players.find((p) => p.id === flooder.id)?.connected).toBe(false);
    const before = host.binaries.length;
    honest.client.sendBinary(encodeRelayFrame(hostId, new Uint8Array([1, 2, 3])));
    await until(() => host.binaries.length > before, 'the honest guest’s frame', 10_000);
    host.binaries.length = 0;
    expect(s.hub.stats.closeCodes.get(CloseCode.SLOW_RECEIVER)).toBeUndefined();
    expect(s.hub.stats.rejected.get('relay_flood')).toBe(1);
    expect(host.ws.readyState).toBe(host.ws.OPEN);
  });

  it('a host flooding a guest is cut off the same way, never the guest', async () => {
    const s = await serve();
    const { host, guests } = await party(s, ['127.0.0.10', undefined]);
    const guest = guests[0];
    if (!guest) throw new Error('no guest');
    stopReading(guest.client);
    const frame = encodeRelayFrame(guest.id, new Uint8Array(60_000));
    for (let sent = 0; sent < 2000 && host.ws.readyState === host.ws.OPEN; sent++) {
      host.sendBinary(frame);
      if (sent % 50 === 0) await sleep(1);
    }
    expect((await host.closeInfo(10_000)).code).toBe(CloseCode.FLOODING_PEER);
    startReading(guest.client);
    await sleep(200);
    expect(guest.client.ws.readyState).toBe(guest.client.ws.OPEN);
    expect(s.hub.stats.closeCodes.get(CloseCode.SLOW_RECEIVER)).toBeUndefined();
  });

  it('a receiver slow for everyone’s traffic (no sender over its budget) is closed with 4005, counted', {
    timeout: 60_000,
  }, async () => {
    const s = await serve({
      sendLimitBytes: 1 << 20,
      relayDropBytes: 64 << 10,
      relayPairBurst: 256 << 10,
      relayPairRate: 16 << 20,
    });
    const { host, hostId, guests } = await party(s, [undefined, undefined, undefined, undefined]);
    stopReading(host);
    const frame = encodeRelayFrame(hostId, new Uint8Array(40_000));
    const closedAtServer = () => s.hub.stats.closeCodes.get(CloseCode.SLOW_RECEIVER) !== undefined;
    // Each guest sends 800 KB/s: far under its pair budget, but the host reads nothing at all.
    const deadline = Date.now() + 30_000;
    // The host still writes (so it passes the heartbeat): it only reads nothing.
    const ping = encodeRelayFrame(guests[0]?.id ?? 0, new Uint8Array(8), false, true);
    while (!closedAtServer() && Date.now() < deadline) {
      for (const g of guests) g.client.sendBinary(frame);
      host.sendBinary(ping);
      await sleep(50);
    }
    // The close frame waits behind everything unsent: the host sees it once it reads again.
    startReading(host);
    expect(await host.closeInfo(10_000)).toEqual({
      code: CloseCode.SLOW_RECEIVER,
      reason: 'receiver too slow: send buffer over limit',
    });
    expect(s.hub.stats.closeCodes.get(CloseCode.SLOW_RECEIVER)).toBe(1);
    for (const g of guests) expect(g.client.ws.readyState).toBe(g.client.ws.OPEN);
  });

  it('a guest flooding the host with signals is cut off (4011) after --signal-burst', async () => {
    const s = await serve({ signalBurst: 20, signalRate: 1 });
    const { host, hostId, guests } = await party(s, [undefined, '127.0.0.11']);
    const flooder = guests[0]?.client;
    if (!flooder) throw new Error('no guest');
    const offer = { type: 'offer', sdp: 'v=0'.padEnd(16_000, 'x') };
    for (let i = 0; i < 40 && flooder.ws.readyState === flooder.ws.OPEN; i++) {
      flooder.send({ type: 'signal', to: hostId, attempt: i, data: offer });
    }
    expect(await flooder.closeInfo()).toEqual({
      code: CloseCode.FLOODING_PEER,
      reason: 'too many signals to one player',
    });
    await until(() => host.texts.filter((m) => m.type === 'signal').length === 20, '20 signals');
    expect(host.ws.readyState).toBe(host.ws.OPEN);
  });

  it('a guest sending offers at another guest is refused (relay_target) and cut off for strikes (4002); the target hears nothing', async () => {
    const s = await serve();
    const { guests } = await party(s, [undefined, '127.0.0.12', undefined]);
    const [flooder, target] = guests;
    if (!flooder || !target) throw new Error('no guests');
    const offer = { type: 'offer', sdp: 'v=0'.padEnd(16_000, 'x') };
    for (let i = 0; i < 20 && flooder.client.ws.readyState === flooder.client.ws.OPEN; i++) {
      flooder.client.send({ type: 'signal', to: target.id, attempt: i, data: offer });
    }
    expect(await flooder.client.closeInfo()).toEqual({
      code: CloseCode.TOO_MANY_BAD_MESSAGES,
      reason: '10 invalid messages',
    });
    expect(flooder.client.texts.filter((m) => m.type === 'error')).toHaveLength(10);
    await sleep(100);
    expect(target.client.texts.filter((m) => m.type === 'signal')).toEqual([]);
    expect(target.client.ws.readyState).toBe(target.client.ws.OPEN);
  });

  it('WebSocket pings count: beyond --control-frame-rate the connection is closed with 4003', async () => {
    const s = await serve();
    const c = await connect(s, '127.0.0.13');
    for (let i = 0; i < 200 && c.ws.readyState === c.ws.OPEN; i++) c.ws.ping();
    expect(await c.closeInfo()).toEqual({
      code: CloseCode.RATE_LIMITED,
      reason: 'too many pings or pongs from this connection',
    });
    expect(s.hub.stats.rejected.get('control_rate_limited')).toBe(1);
  });
});

describe('names and the server’s names', () => {
  it('a name that looks like another player’s, or hides invisible characters, is name_invalid', async () => {
    const s = await serve();
    const { code } = await party(s, [undefined]);
    const alice = await connect(s);
    alice.send({ type: 'join', code, name: 'Alice' });
    await alice.next('welcome');
    for (const [name, message] of [
      ['\u0410lice', 'name looks like another player’s; choose another'],
      ['Ho\u0455t', 'name looks like another player’s; choose another'],
      ['Bob\u3164', 'name is empty or has invisible characters'],
      ['\u115f\u1160', 'name is empty or has invisible characters'],
      ['Al\u200bice', 'name is empty or has invisible characters'],
    ]) {
      const c = await connect(s);
      c.send({ type: 'join', code, name });
      expect(await c.next('error')).toEqual({
        type: 'error',
        code: 'name_invalid',
        message,
        ref: 'join',
        field: 'name',
      });
    }
  });

  it('a WebSocket from a page whose Host and Origin are a foreign name (DNS rebinding) is refused with 403', async () => {
    const s = await serve();
    const port = s.port;
    const evil = `http://rebind.attacker.example:${port}`;
    await expect(
      TestClient.connect(s.baseUrl, {
        origin: evil,
        headers: { host: `rebind.attacker.example:${port}` },
      }),
    ).rejects.toEqual(new UpgradeRefused(UpgradeRefusal.ORIGIN_NOT_ALLOWED));
    expect(s.hub.stats.rejected.get('host_not_allowed')).toBe(1);
    // localhost and addresses are ours.
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`]) {
      const c = await TestClient.connect(s.baseUrl, {
        origin: `http://${host}`,
        headers: { host },
      });
      clients.push(c);
    }
  });

  it('every page carries the security headers (strict CSP, no framing, no referrer, nosniff, Permissions-Policy)', async () => {
    const s = await serve();
    for (const path of ['/', '/l/ABCDEFGHJKMNP', '/l/%']) {
      const r = await request(`${s.baseUrl}${path}`);
      expect(r.status, path).toBe(200);
      const csp = r.headers['content-security-policy'] ?? '';
      for (const directive of [
        "default-src 'self'",
        "script-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
      ])
        expect(csp, path).toContain(directive);
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).not.toContain('unsafe-eval');
      expect(csp).toMatch(/style-src 'self' 'sha256-[A-Za-z0-9+/]+=*'/);
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['permissions-policy']).toContain('camera=()');
    }
    const missing = await request(`${s.baseUrl}/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.headers['referrer-policy']).toBe('no-referrer');
    expect(missing.headers['x-content-type-options']).toBe('nosniff');
  });

  it('beyond --max-connections a WebSocket upgrade gets 503 at once', async () => {
    const s = await serve();
    s.hub.maxConnections = 3;
    for (let i = 0; i < 3; i++) await connect(s, `127.0.3.${i + 1}`);
    await expect(s.connect({ localAddress: '127.0.3.9' })).rejects.toEqual(
      new UpgradeRefused(UpgradeRefusal.SERVER_BUSY),
    );
    expect(s.hub.stats.rejected.get('server_busy')).toBe(1);
  });
});
