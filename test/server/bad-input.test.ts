import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode, UpgradeRefusal } from '../../shared/protocol/close-codes.ts';
import {
  encodeRelayFrame,
  RELAY_FRAME_VERSION,
  readRelayHeader,
  relayPayload,
} from '../../shared/protocol/relay-frame.ts';
import { WIRE_LIMITS } from '../../shared/protocol/signaling.ts';
import { PROTOCOL_VERSION } from '../../shared/protocol/version.ts';
import type { Config } from '../../signaling/config.ts';
import { TestClient, UpgradeRefused } from '../support/client.ts';
import { lobbyWith, startTestServer, type TestServer } from '../support/server.ts';

/**
 * Everything a hostile or broken client can send, against a real server on a real socket: each
 * case checks the exact answer (error code and field, close code and reason, or HTTP status).
 */

let server: TestServer | undefined;
const clients: TestClient[] = [];

/** A server with the given limits; it and every client opened through it end after the test. */
async function serve(overrides: Partial<Config> = {}): Promise<TestServer> {
  const s = await startTestServer(overrides);
  server = s;
  const connect = s.connect;
  s.connect = async (options) => {
    const c = await connect(options);
    clients.push(c);
    return c;
  };
  return s;
}

afterEach(async () => {
  for (const c of clients.splice(0)) c.terminate();
  await server?.close();
  server = undefined;
});

/** What a WebSocket client reports when the TCP connection ends without a close frame. */
const ABNORMAL_CLOSURE = 1006;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it holds; the timeout is generous, the machine is shared. */
async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Proves the connection is still usable: a valid create is welcomed. */
async function expectStillOpen(c: TestClient): Promise<void> {
  c.send({ type: 'create', name: 'Still here' });
  const w = await c.next('welcome');
  expect(w.lobby.players.map((p) => p.name)).toEqual(['Still here']);
}

const offer = (sdp: string) => ({ type: 'offer', sdp });
const candidate = (c: string) => ({
  type: 'candidate',
  candidate: { candidate: c, sdpMid: '0', sdpMLineIndex: 0 },
});

describe('messages the server cannot decode are answered, and the connection stays open', () => {
  it.each([
    ['not JSON at all', '{not json'],
    ['an empty text frame', ''],
    ['truncated JSON', '{"type":"create","name":"a"'],
    ['JSON with a trailing comma', '{"type":"leave",}'],
  ])('malformed JSON (%s) → malformed_json', async (_, text) => {
    const c = await (await serve()).connect();
    c.send(text);
    expect(await c.next('error')).toEqual({
      type: 'error',
      code: 'malformed_json',
      message: 'message is not valid JSON',
    });
    await expectStillOpen(c);
  });

  it.each([
    ['an array', '[{"type":"create","name":"a"}]'],
    ['a number', '42'],
    ['a string', '"create"'],
    ['null', 'null'],
    ['a boolean', 'true'],
  ])('a JSON non-object (%s) → malformed_json', async (_, text) => {
    const c = await (await serve()).connect();
    c.send(text);
    expect(await c.next('error')).toEqual({
      type: 'error',
      code: 'malformed_json',
      message: 'message must be a JSON object',
    });
    await expectStillOpen(c);
  });

  it.each([
    ['an unknown name', { type: 'hello' }, 'unknown message type "hello"'],
    ['no type at all', { name: 'a' }, 'unknown message type undefined'],
    ['a number', { type: 5 }, 'unknown message type 5'],
    ['an inherited property name', { type: 'toString' }, 'unknown message type "toString"'],
    ['__proto__', { type: '__proto__' }, 'unknown message type "__proto__"'],
    ['another case', { type: 'CREATE', name: 'a' }, 'unknown message type "CREATE"'],
  ])('an unknown type (%s) → unknown_type', async (_, msg, message) => {
    const c = await (await serve()).connect();
    c.send(msg);
    expect(await c.next('error')).toEqual({ type: 'error', code: 'unknown_type', message });
    await expectStillOpen(c);
  });

  it('a deeply nested type (a stack-overflow bait well under the frame limit) → unknown_type', async () => {
    const s = await serve();
    const c = await s.connect();
    // Each under the default 64 KiB frame limit.
    for (const [open, close, depth, kind] of [
      ['[', ']', 30_000, 'array'],
      ['{"a":', '}', 10_000, 'object'],
    ] as const) {
      c.send(`{"type":${open.repeat(depth)}1${close.repeat(depth)}}`);
      expect(await c.next('error')).toEqual({
        type: 'error',
        code: 'unknown_type',
        message: `unknown message type ${kind}`,
      });
    }
    expect(s.hub.stats.rejected.get('internal_error')).toBeUndefined();
    await expectStillOpen(c);
  });

  it.each([
    ['create: name is a number', { type: 'create', name: 5 }, 'create', 'name'],
    ['create: name missing', { type: 'create' }, 'create', 'name'],
    [
      'create: capacity is a string',
      { type: 'create', name: 'a', capacity: 'x' },
      'create',
      'capacity',
    ],
    ['create: capacity below 2', { type: 'create', name: 'a', capacity: 1 }, 'create', 'capacity'],
    [
      'create: capacity not whole',
      { type: 'create', name: 'a', capacity: 2.5 },
      'create',
      'capacity',
    ],
    [
      'create: capacity over the wire limit',
      { type: 'create', name: 'a', capacity: 1e9 },
      'create',
      'capacity',
    ],
    ['join: code is null', { type: 'join', code: null, name: 'a' }, 'join', 'code'],
    ['resume: token is an object', { type: 'resume', code: 'x', token: {} }, 'resume', 'token'],
    ['kick: id 0', { type: 'kick', id: 0 }, 'kick', 'id'],
    ['lock: locked is a string', { type: 'lock', locked: 'yes' }, 'lock', 'locked'],
    ['signal: to -1', { type: 'signal', to: -1, data: offer('v=0') }, 'signal', 'to'],
    [
      'signal: to over 16 bits',
      { type: 'signal', to: 0x10000, data: offer('v=0') },
      'signal',
      'to',
    ],
    [
      'signal: sdp is a number',
      { type: 'signal', to: 1, data: { type: 'offer', sdp: 5 } },
      'signal',
      'data.sdp',
    ],
    [
      'signal: unknown data type',
      { type: 'signal', to: 1, data: { type: 'bogus' } },
      'signal',
      'data.type',
    ],
    [
      'signal: candidate line is a number',
      { type: 'signal', to: 1, data: { type: 'candidate', candidate: { candidate: 7 } } },
      'signal',
      'data.candidate.candidate',
    ],
    [
      'reclaim: a seat tag is a number',
      {
        type: 'reclaim',
        code: 'x',
        hostKey: 'k',
        hostId: 1,
        name: 'h',
        capacity: 4,
        locked: false,
        seats: [{ id: 2, name: 'g', tag: 7 }],
      },
      'reclaim',
      'seats.0.tag',
    ],
  ])('a wrong field type (%s) → invalid_field with its path', async (_, msg, ref, field) => {
    const c = await (await serve()).connect();
    c.send(msg);
    expect(await c.next('error')).toEqual({
      type: 'error',
      code: 'invalid_field',
      message: expect.stringMatching(new RegExp(`^${ref}: ${field.replace(/\./g, '\\.')}: `)),
      ref,
      field,
    });
    await expectStillOpen(c);
  });

  it.each([
    ['create: name', { type: 'create', name: 'n'.repeat(WIRE_LIMITS.NAME + 1) }, 'create', 'name'],
    [
      'join: name',
      { type: 'join', code: 'x', name: 'n'.repeat(WIRE_LIMITS.NAME + 1) },
      'join',
      'name',
    ],
    [
      'signal: sdp',
      { type: 'signal', to: 1, data: offer('s'.repeat(WIRE_LIMITS.SDP + 1)) },
      'signal',
      'data.sdp',
    ],
    [
      'signal: candidate line',
      { type: 'signal', to: 1, data: candidate('c'.repeat(WIRE_LIMITS.CANDIDATE + 1)) },
      'signal',
      'data.candidate.candidate',
    ],
    [
      'reclaim: more seats than a lobby can have (players and spectators)',
      {
        type: 'reclaim',
        code: 'x',
        hostKey: 'k',
        hostId: 1,
        name: 'h',
        capacity: 4,
        locked: false,
        seats: Array.from({ length: WIRE_LIMITS.PLAYERS + WIRE_LIMITS.SPECTATORS + 1 }, (_, i) => ({
          id: i + 2,
          name: 'g',
          tag: 't',
        })),
      },
      'reclaim',
      'seats',
    ],
  ])('an oversized value (%s) → too_long with its path', async (_, msg, ref, field) => {
    const c = await (await serve()).connect();
    c.send(msg);
    expect(await c.next('error')).toEqual({
      type: 'error',
      code: 'too_long',
      message: expect.stringMatching(new RegExp(`^${ref}: ${field.replace(/\./g, '\\.')}: `)),
      ref,
      field,
    });
    await expectStillOpen(c);
  });

  it('values exactly at the wire limits are accepted (name cut to the configured length)', async () => {
    const s = await serve();
    const { host, guests } = await lobbyWith(s, 1);
    const guest = guests[0];
    if (!guest) throw new Error('no guest');
    const sdp = 's'.repeat(WIRE_LIMITS.SDP);
    host.send({ type: 'signal', to: guest.id, data: offer(sdp) });
    expect(await guest.client.next('signal')).toEqual({
      type: 'signal',
      from: 1,
      data: offer(sdp),
    });
    const c = await s.connect();
    c.send({ type: 'create', name: 'n'.repeat(WIRE_LIMITS.NAME) });
    const w = await c.next('welcome');
    expect(w.lobby.players[0]?.name).toBe('n'.repeat(s.config.nameMaxLength));
  });
});

describe('repeated offences and oversized frames close the connection', () => {
  it('maxStrikes invalid messages → 4002; errors that are not offences do not count', async () => {
    const s = await serve({ maxStrikes: 3 });
    const c = await s.connect();
    // Wrong-state requests are honest mistakes, not strikes.
    for (let i = 0; i < 5; i++) c.send({ type: 'leave' });
    for (let i = 0; i < 5; i++) expect((await c.next('error')).code).toBe('not_in_lobby');
    c.send('{oops');
    c.send({ type: 'nope' });
    expect((await c.next('error')).code).toBe('malformed_json');
    expect((await c.next('error')).code).toBe('unknown_type');
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    c.send({ type: 'create', name: 7 });
    // The third offence is still answered, then the connection is closed.
    expect(await c.next('error')).toMatchObject({ code: 'invalid_field', field: 'name' });
    expect(await c.closeInfo()).toEqual({
      code: CloseCode.TOO_MANY_BAD_MESSAGES,
      reason: '3 invalid messages',
    });
    expect(s.hub.connectionCount).toBe(0);
  });

  it('bad binary frames are offences too: maxStrikes of them → 4002', async () => {
    const s = await serve({ maxStrikes: 2 });
    const { host } = await lobbyWith(s, 0);
    host.sendBinary(new Uint8Array([RELAY_FRAME_VERSION]));
    host.sendBinary(new Uint8Array([RELAY_FRAME_VERSION]));
    expect(await host.next('error')).toMatchObject({ code: 'bad_frame' });
    expect(await host.next('error')).toMatchObject({ code: 'bad_frame' });
    expect(await host.closeInfo()).toEqual({
      code: CloseCode.TOO_MANY_BAD_MESSAGES,
      reason: '2 invalid messages',
    });
  });

  it('a frame over maxFrameBytes → 1009 with the limit in the reason; one at the limit is read', async () => {
    const s = await serve({ maxFrameBytes: 1024 });
    const c = await s.connect();
    // Exactly at the limit: decoded, and refused only for its content.
    const atLimit = JSON.stringify({ type: 'create', name: '' });
    c.send(atLimit.replace('""', `"${'n'.repeat(1024 - atLimit.length)}"`));
    expect(await c.next('error')).toMatchObject({ code: 'too_long', field: 'name' });
    c.send('x'.repeat(1025));
    expect(await c.closeInfo()).toEqual({
      code: CloseCode.MESSAGE_TOO_BIG,
      reason: 'message over 1024 bytes',
    });
    expect(s.hub.stats.rejected.get('message_too_big')).toBe(1);
    await until(() => s.hub.connectionCount === 0, 'the server to forget the connection');
  });

  it('a binary frame over maxFrameBytes → 1009 too, and nothing is relayed', async () => {
    const s = await serve({ maxFrameBytes: 1024 });
    const { host, guests } = await lobbyWith(s, 1);
    host.sendBinary(encodeRelayFrame(guests[0]?.id ?? 0, new Uint8Array(1024)));
    expect(await host.closeInfo()).toEqual({
      code: CloseCode.MESSAGE_TOO_BIG,
      reason: 'message over 1024 bytes',
    });
    await until(() => s.hub.connectionCount === 1, 'the server to forget the host');
    expect(guests[0]?.client.binaries).toEqual([]);
  });

  // Beyond twice the limit uWS 20.30 drops the TCP connection as soon as it reads the frame
  // header, with no close frame: the client sees 1006.
  it('a frame over twice maxFrameBytes → the socket is cut (1006 at the client)', async () => {
    const s = await serve({ maxFrameBytes: 1024 });
    const c = await s.connect();
    c.send('x'.repeat(2049));
    expect(await c.closeInfo()).toEqual({ code: ABNORMAL_CLOSURE, reason: '' });
    expect(s.hub.stats.messagesIn).toBe(0);
    await until(() => s.hub.connectionCount === 0, 'the server to forget the connection');
  });
});

describe('rate and connection limits', () => {
  it('a flood over the per-connection rate → 4003', async () => {
    const s = await serve({ connMessageRate: 1, connMessageBurst: 5 });
    const c = await s.connect();
    for (let i = 0; i < 8; i++) c.send({ type: 'leave' });
    expect(await c.closeInfo()).toEqual({
      code: CloseCode.RATE_LIMITED,
      reason: 'too many messages from this connection',
    });
    // The burst was served, nothing after it.
    expect(c.texts.map((m) => m.type === 'error' && m.code)).toEqual(Array(5).fill('not_in_lobby'));
    expect(s.hub.stats.closeCodes.get(CloseCode.RATE_LIMITED)).toBe(1);
  });

  it('several connections of one address, each under its own limit, over the address rate → 4004', async () => {
    const s = await serve({
      connMessageRate: 100,
      connMessageBurst: 100,
      addressMessageRate: 1,
      addressMessageBurst: 10,
    });
    const [a, b, c] = [await s.connect(), await s.connect(), await s.connect()];
    if (!a || !b || !c) throw new Error('no clients');
    for (const early of [a, b]) {
      for (let i = 0; i < 4; i++) early.send({ type: 'leave' });
      for (let i = 0; i < 4; i++) expect((await early.next('error')).code).toBe('not_in_lobby');
    }
    // 8 of the address's 10 are used: the third connection gets two more (a third, if the
    // bucket refilled meanwhile on a slow machine), then is closed, far under its own limit.
    for (let i = 0; i < 6; i++) c.send({ type: 'leave' });
    expect(await c.closeInfo()).toEqual({
      code: CloseCode.ADDRESS_RATE_LIMITED,
      reason: 'too many messages from this address',
    });
    expect(c.texts.length).toBeGreaterThanOrEqual(2);
    expect(c.texts.length).toBeLessThanOrEqual(3);
    expect(a.ws.readyState).toBe(a.ws.OPEN);
    expect(b.ws.readyState).toBe(b.ws.OPEN);
    expect(s.hub.stats.closeCodes.get(CloseCode.RATE_LIMITED)).toBeUndefined();
  });

  it('connections over connectionsPerAddress → upgrade refused with HTTP 429; a slot frees on close', async () => {
    const s = await serve({ connectionsPerAddress: 3 });
    const open = [await s.connect(), await s.connect(), await s.connect()];
    const refused = await s.connect().catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(UpgradeRefused);
    expect((refused as UpgradeRefused).status).toBe(UpgradeRefusal.TOO_MANY_CONNECTIONS);
    // A refused upgrade takes no slot, and a closed connection gives its slot back.
    expect(s.hub.connectionCount).toBe(3);
    open[0]?.close();
    await until(() => s.hub.connectionCount === 2, 'the closed connection to be counted');
    await expectStillOpen(await s.connect());
  });
});

describe('origins', () => {
  const allowed = 'https://game.example.com';
  const publicUrl = 'https://play.example.com/lanparty';
  const serveWithOrigins = () => serve({ allowedOrigins: [allowed], publicUrl });

  it.each([
    ['a foreign origin', () => 'http://evil.example.com'],
    ['the string "null"', () => 'null'],
    ['a look-alike host suffix', (own: string) => `${own}.evil.com`],
    ['a look-alike port', (own: string) => `${own}1`],
    ['https instead of http', (own: string) => own.replace(/^http:/, 'https:')],
    ['a trailing slash', (own: string) => `${own}/`],
    ['localhost for 127.0.0.1', (own: string) => own.replace('127.0.0.1', 'localhost')],
    ['an allowed origin with a path', () => `${allowed}/x`],
    ['the public URL itself (an origin has no path)', () => publicUrl],
  ])('%s → HTTP 403', async (_, originFor) => {
    const s = await serveWithOrigins();
    const refused = await TestClient.connect(s.baseUrl, { origin: originFor(s.baseUrl) }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(UpgradeRefused);
    expect((refused as UpgradeRefused).status).toBe(UpgradeRefusal.ORIGIN_NOT_ALLOWED);
    expect(s.hub.stats.rejected.get('origin_not_allowed')).toBe(1);
    expect(s.hub.connectionCount).toBe(0);
  });

  it.each([
    ['its own origin', (own: string) => own],
    ['no Origin header (not a browser)', () => undefined],
    ['an origin in allowedOrigins', () => allowed],
    ["the publicUrl's origin", () => new URL(publicUrl).origin],
  ])('%s is accepted', async (_, originFor) => {
    const s = await serveWithOrigins();
    const origin = originFor(s.baseUrl);
    const c = await TestClient.connect(s.baseUrl, origin === undefined ? {} : { origin });
    clients.push(c);
    await expectStillOpen(c);
  });
});

describe('connection lifecycle', () => {
  it.each([
    ['missing', null],
    ['empty', ''],
    ['another version', '999'],
    ['a look-alike', `${PROTOCOL_VERSION}.0`],
  ])('a protocol version that is %s → 4001 naming the version', async (_, version) => {
    const s = await serve();
    const c = await s.connect({ version });
    expect(await c.closeInfo()).toEqual({
      code: CloseCode.PROTOCOL_MISMATCH,
      reason: `server speaks protocol v${PROTOCOL_VERSION}; reload`,
    });
    expect(s.hub.connectionCount).toBe(0);
  });

  it('never creating or joining → 4007 after helloTimeoutMs; a client that created stays', async () => {
    const s = await serve({ helloTimeoutMs: 300 });
    const idle = await s.connect();
    const busy = await s.connect();
    busy.send({ type: 'create', name: 'B' });
    await busy.next('welcome');
    // Errors are not a hello either.
    idle.send({ type: 'leave' });
    expect((await idle.next('error')).code).toBe('not_in_lobby');
    expect(await idle.closeInfo(5000)).toEqual({
      code: CloseCode.HELLO_TIMEOUT,
      reason: 'no create, join or resume in time',
    });
    expect(busy.ws.readyState).toBe(busy.ws.OPEN);
  });

  it('a half-open member (stops answering pings) is dropped: the host sees it within ~2 s', async () => {
    const s = await serve();
    const { host, code } = await lobbyWith(s, 0);
    const mute = await s.connect({ autoPong: false });
    mute.send({ type: 'join', code, name: 'Mute' });
    const { you } = await mute.next('welcome');
    expect((await host.next('lobby')).lobby.players.find((p) => p.id === you)?.connected).toBe(
      true,
    );
    const update = await host.next('lobby', 2500);
    expect(update.lobby.players.find((p) => p.id === you)).toMatchObject({
      name: 'Mute',
      connected: false,
    });
    expect(await mute.closeInfo()).toEqual({
      code: CloseCode.HEARTBEAT_TIMEOUT,
      reason: 'no heartbeat',
    });
    // The host answers pings and stays.
    expect(host.ws.readyState).toBe(host.ws.OPEN);
  });
});

describe('binary relay frames', () => {
  it('before joining → not_in_lobby, and an offence (the client relays only once seated)', async () => {
    const s = await serve({ maxStrikes: 2 });
    const c = await s.connect();
    c.sendBinary(encodeRelayFrame(1, new Uint8Array([1, 2, 3])));
    expect(await c.next('error')).toEqual({
      type: 'error',
      code: 'not_in_lobby',
      message: 'join a lobby before relaying',
      ref: 'relay',
    });
    c.sendBinary(encodeRelayFrame(1, new Uint8Array([1, 2, 3])));
    expect(await c.closeInfo()).toEqual({
      code: CloseCode.TOO_MANY_BAD_MESSAGES,
      reason: '2 invalid messages',
    });
  });

  it('an address cut off for abuse may not reconnect during the cooldown (429), then may', async () => {
    const s = await serve({ maxStrikes: 1, abuseCooldownMs: 400 });
    const c = await s.connect();
    c.send('not json');
    expect((await c.closeInfo()).code).toBe(CloseCode.TOO_MANY_BAD_MESSAGES);
    await expect(s.connect()).rejects.toMatchObject({ status: 429 });
    expect(s.hub.stats.rejected.get('cooling_down')).toBe(1);
    await new Promise((r) => setTimeout(r, 450));
    const again = await s.connect();
    again.send({ type: 'create', name: 'back' });
    expect((await again.next('welcome')).you).toBe(1);
  });

  it.each([
    ['an empty frame', [], 'too_short'],
    ['a header too short', [RELAY_FRAME_VERSION, 0, 0], 'too_short'],
    ['a bad version', [RELAY_FRAME_VERSION + 1, 0, 0, 2, 9], 'bad_version'],
    ['version 0', [0, 0, 0, 2], 'bad_version'],
    ['unknown flag bits', [RELAY_FRAME_VERSION, 0b100, 0, 2, 9], 'bad_flags'],
    ['all flag bits', [RELAY_FRAME_VERSION, 0xff, 0, 2], 'bad_flags'],
  ])('%s → bad_frame; nothing is forwarded', async (_, bytes, why) => {
    const s = await serve();
    const { host, guests } = await lobbyWith(s, 1);
    const guest = guests[0];
    if (!guest) throw new Error('no guest');
    host.sendBinary(new Uint8Array(bytes));
    expect(await host.next('error')).toEqual({
      type: 'error',
      code: 'bad_frame',
      message: `relay frame: ${why}`,
      ref: 'relay',
    });
    // Still open and relaying: a good frame after the bad one arrives, and only it.
    host.sendBinary(encodeRelayFrame(guest.id, new Uint8Array([7])));
    expect([...relayPayload(await guest.client.nextBinary())]).toEqual([7]);
    expect(guest.client.binaries).toEqual([]);
  });

  it('a guest relaying to another guest → relay_target', async () => {
    const s = await serve();
    const { host, guests } = await lobbyWith(s, 2);
    const [a, b] = guests;
    if (!a || !b) throw new Error('no guests');
    a.client.sendBinary(encodeRelayFrame(b.id, new Uint8Array([1])));
    expect(await a.client.next('error')).toEqual({
      type: 'error',
      code: 'relay_target',
      message: 'guests may relay only to the host',
      ref: 'relay',
    });
    a.client.sendBinary(encodeRelayFrame(1, new Uint8Array([2])));
    const got = await host.nextBinary();
    expect(readRelayHeader(got)).toEqual({
      ok: true,
      value: { peer: a.id, droppable: false, control: false },
    });
    expect(b.client.binaries).toEqual([]);
  });

  it.each([
    ['an id no one has', 999],
    ['its own id', 1],
    ['id 0', 0],
  ])('the host relaying to %s → unknown_target', async (_, to) => {
    const s = await serve();
    const { host, guests } = await lobbyWith(s, 1);
    host.sendBinary(encodeRelayFrame(to, new Uint8Array([1])));
    expect(await host.next('error')).toEqual({
      type: 'error',
      code: 'unknown_target',
      message: `no connected player ${to} in this lobby`,
      ref: 'relay',
    });
    host.sendBinary(encodeRelayFrame(guests[0]?.id ?? 0, new Uint8Array([3])));
    expect([...relayPayload((await guests[0]?.client.nextBinary()) ?? new Uint8Array())]).toEqual([
      3,
    ]);
  });
});

describe('a receiver that does not read', () => {
  // Long heartbeats: a paused client cannot answer pings, and this is about its send buffer.
  const slow = { heartbeatIntervalMs: 500, heartbeatTimeoutMs: 60_000 };
  const MB = 1024 * 1024;

  it('is closed with 4005 once its send buffer passes sendLimitBytes; memory stays bounded', async () => {
    const s = await serve({ ...slow, sendLimitBytes: 256 * 1024, relayDropBytes: 64 * 1024 });
    const { host, guests } = await lobbyWith(s, 1);
    const guest = guests[0];
    if (!guest) throw new Error('no guest');
    guest.client.ws.pause();
    const dropped = () =>
      host.texts.some(
        (m) => m.type === 'lobby' && m.lobby.players.some((p) => p.id === guest.id && !p.connected),
      );
    const frame = encodeRelayFrame(guest.id, new Uint8Array(60 * 1024).fill(0x5a));
    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    let sent = 0;
    // Far more than the kernel's socket buffers and the limit: unbounded buffering would show.
    const cap = 256 * MB;
    while (!dropped() && sent < cap) {
      for (let i = 0; i < 16; i++) host.sendBinary(frame);
      sent += 16 * frame.length;
      while (host.ws.bufferedAmount > MB) await sleep(1);
      await sleep(1);
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    expect(dropped()).toBe(true);
    expect(sent).toBeLessThan(cap);
    expect(s.hub.stats.closeCodes.get(CloseCode.SLOW_RECEIVER)).toBe(1);
    expect(s.hub.connectionCount).toBe(1);
    expect(peak - baseline).toBeLessThan(64 * MB);
    // The host carries on; the dropped seat is simply unreachable now.
    host.sendBinary(encodeRelayFrame(guest.id, new Uint8Array([1])));
    expect(await host.next('error')).toMatchObject({ code: 'unknown_target', ref: 'relay' });
  });

  it('droppable frames to a lagging receiver are dropped, reliable ones all delivered in order', async () => {
    const relayDropBytes = 64 * 1024;
    const s = await serve({ ...slow, sendLimitBytes: 16 * MB, relayDropBytes });
    const { host, guests, code } = await lobbyWith(s, 1);
    const guest = guests[0];
    if (!guest) throw new Error('no guest');
    guest.client.ws.pause();
    const unsent = () => s.hub.directory.get(code)?.member(guest.id)?.port.bufferedAmount() ?? 0;
    const frame = (n: number, droppable: boolean) => {
      const payload = new Uint8Array(16 * 1024);
      new DataView(payload.buffer).setUint32(0, n);
      return encodeRelayFrame(guest.id, payload, droppable);
    };
    let reliable = 0;
    // Fill the kernel's buffers until the server itself holds more than relayDropBytes.
    while (unsent() <= relayDropBytes) {
      if (reliable > 64 * 64) throw new Error('the receiver never lagged');
      for (let i = 0; i < 8; i++) host.sendBinary(frame(reliable++, false));
      await until(() => s.hub.stats.relayFrames === reliable, 'the frames to be relayed');
    }
    const DROPPABLE = 20;
    const MORE_RELIABLE = 10;
    for (let i = 0; i < DROPPABLE; i++) host.sendBinary(frame(1_000_000 + i, true));
    for (let i = 0; i < MORE_RELIABLE; i++) host.sendBinary(frame(reliable++, false));
    await until(
      () => s.hub.stats.relayFrames + s.hub.stats.relayDropped === reliable + DROPPABLE,
      'the server to handle every frame',
    );
    expect(s.hub.stats.relayDropped).toBe(DROPPABLE);
    expect(s.hub.stats.relayFrames).toBe(reliable);
    expect(s.hub.stats.closeCodes.get(CloseCode.SLOW_RECEIVER)).toBeUndefined();

    guest.client.ws.resume();
    await until(() => guest.client.binaries.length >= reliable, 'every reliable frame', 15_000);
    const seen = guest.client.binaries.map((f) =>
      new DataView(f.buffer, f.byteOffset + 4, 4).getUint32(0),
    );
    expect(seen).toEqual(Array.from({ length: reliable }, (_, i) => i));
  });
});
