import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes.ts';
import { formatLobbyCode } from '../../shared/protocol/lobby-code.ts';
import { lobbyWith, startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
beforeEach(async () => {
  server = await startTestServer({ graceMs: 600 });
});
afterEach(() => server.close());

describe('lobbies over a real server', () => {
  it('create gives the host a 13-character code, a share link, a token and a host key', async () => {
    const host = await server.connect();
    host.send({ type: 'create', name: '  Ada  ' });
    const w = await host.next('welcome');
    expect(w.lobby.code).toMatch(/^[0-9A-HJKMNP-TV-Z]{13}$/);
    expect(w.lobby.link).toBe(`${server.baseUrl}/l/${w.lobby.code}`);
    expect(w.you).toBe(w.lobby.hostId);
    expect(w.token.length).toBeGreaterThanOrEqual(22);
    expect(w.hostKey?.length).toBeGreaterThanOrEqual(32);
    expect(w.lobby.players).toEqual([
      { id: w.you, name: 'Ada', connected: true, tag: expect.any(String) },
    ]);
    expect(w.lobby.capacity).toBe(8);
    // The built-in STUN server, on the HTTP port's number over UDP.
    expect(w.iceServers).toEqual([{ urls: `stun:127.0.0.1:${server.port}` }]);
  });

  it('join by code (as typed, in any case, with dashes) and everyone gets the player list', async () => {
    const { host, code } = await lobbyWith(server, 0);
    const guest = await server.connect();
    guest.send({ type: 'join', code: formatLobbyCode(code).toLowerCase(), name: 'Bob' });
    const w = await guest.next('welcome');
    expect(w.hostKey).toBeUndefined();
    expect(w.lobby.players.map((p) => p.name)).toEqual(['Host', 'Bob']);
    expect(w.lobby.players.every((p) => p.tag === undefined)).toBe(true);
    const update = await host.next('lobby');
    expect(update.lobby.players.map((p) => [p.name, p.connected])).toEqual([
      ['Host', true],
      ['Bob', true],
    ]);
    expect(update.lobby.players.every((p) => typeof p.tag === 'string')).toBe(true);
  });

  it('makes names unique and cuts them to the limit', async () => {
    const { code } = await lobbyWith(server, 0);
    const names = [];
    for (const name of ['host', 'Host', 'x'.repeat(100), ' \t Zoë\n ', 'Ｂｅａ']) {
      const c = await server.connect();
      c.send({ type: 'join', code, name });
      names.push((await c.next('welcome')).lobby.players.at(-1)?.name);
    }
    expect(names).toEqual(['host 2', 'Host 3', 'x'.repeat(24), 'Zoë', 'Bea']);
  });

  it('an empty name is refused with name_invalid', async () => {
    const { code } = await lobbyWith(server, 0);
    const c = await server.connect();
    c.send({ type: 'join', code, name: ' \u200b\t ' });
    expect(await c.next('error')).toMatchObject({ code: 'name_invalid', field: 'name' });
  });

  it('no such lobby, a malformed code, a full and a locked lobby are all join_refused', async () => {
    const { host, code } = await lobbyWith(server, 0);
    const c = await server.connect();
    c.send({ type: 'join', code: '0000000000000', name: 'x' });
    expect(await c.next('error')).toMatchObject({ code: 'join_refused', reason: 'unavailable' });
    c.send({ type: 'join', code: 'not a code', name: 'x' });
    expect(await c.next('error')).toMatchObject({ code: 'join_refused', reason: 'unavailable' });
    host.send({ type: 'lock', locked: true });
    expect((await host.next('lobby')).lobby.locked).toBe(true);
    c.send({ type: 'join', code, name: 'x' });
    expect(await c.next('error')).toMatchObject({ code: 'join_refused', reason: 'locked' });
  });

  it('capacity: the host may ask for up to the maximum; the lobby refuses once full', async () => {
    const host = await server.connect();
    host.send({ type: 'create', name: 'H', capacity: 2 });
    const { lobby } = await host.next('welcome');
    expect(lobby.capacity).toBe(2);
    const a = await server.connect();
    a.send({ type: 'join', code: lobby.code, name: 'A' });
    await a.next('welcome');
    const b = await server.connect();
    b.send({ type: 'join', code: lobby.code, name: 'B' });
    expect(await b.next('error')).toMatchObject({ code: 'join_refused', reason: 'full' });
  });

  it('leave: a guest leaves, the others are told, the socket closes normally', async () => {
    const { host, guests } = await lobbyWith(server, 2);
    const [a, b] = guests;
    a?.client.send({ type: 'leave' });
    expect((await a?.client.closeInfo())?.code).toBe(CloseCode.NORMAL);
    expect((await host.next('lobby')).lobby.players.map((p) => p.name)).toEqual([
      'Host',
      'Guest 2',
    ]);
    expect((await b?.client.next('lobby'))?.lobby.players).toHaveLength(2);
  });

  it('kick and lock are for the host only', async () => {
    const { host, guests } = await lobbyWith(server, 2);
    const [a, b] = guests;
    a?.client.send({ type: 'kick', id: b?.id });
    expect(await a?.client.next('error')).toMatchObject({ code: 'not_host', ref: 'kick' });
    a?.client.send({ type: 'lock', locked: true });
    expect(await a?.client.next('error')).toMatchObject({ code: 'not_host', ref: 'lock' });
    host.send({ type: 'kick', id: b?.id });
    expect(await b?.client.closeInfo()).toEqual({
      code: CloseCode.KICKED,
      reason: 'removed by the host',
    });
    expect((await host.next('lobby')).lobby.players.map((p) => p.name)).toEqual([
      'Host',
      'Guest 1',
    ]);
    host.send({ type: 'kick', id: 999 });
    expect(await host.next('error')).toMatchObject({ code: 'unknown_target', ref: 'kick' });
  });

  it('the host leaving a lobby with no guest ends it (with guests, one takes over: migration.test.ts)', async () => {
    const { host, guests, code } = await lobbyWith(server, 1);
    guests[0]?.client.send({ type: 'leave' });
    await host.next('lobby');
    host.send({ type: 'leave' });
    expect(await host.closeInfo()).toEqual({
      code: CloseCode.LOBBY_CLOSED,
      reason: 'host left',
    });
    const c = await server.connect();
    c.send({ type: 'join', code, name: 'late' });
    expect(await c.next('error')).toMatchObject({ code: 'join_refused', reason: 'unavailable' });
  });

  it('a dropped guest keeps its seat, resumes with a rotated token; old token and double use refused', async () => {
    const { host, guests, code } = await lobbyWith(server, 1);
    const guest = guests[0];
    if (!guest) throw new Error('no guest');
    guest.client.terminate();
    expect((await host.next('lobby')).lobby.players[1]).toMatchObject({
      id: guest.id,
      connected: false,
    });

    const back = await server.connect();
    back.send({ type: 'resume', code, token: guest.token });
    const w = await back.next('welcome');
    expect(w.you).toBe(guest.id);
    expect(w.token).not.toBe(guest.token);
    expect((await host.next('lobby')).lobby.players[1]).toMatchObject({
      id: guest.id,
      connected: true,
    });

    const replay = await server.connect();
    replay.send({ type: 'resume', code, token: guest.token });
    expect(await replay.next('error')).toMatchObject({ code: 'resume_refused' });
    replay.send({ type: 'resume', code, token: w.token });
    expect(await replay.next('error')).toMatchObject({ code: 'seat_in_use' });
  });

  it('a seat is given up after the grace period; the host not coming back ends the lobby', async () => {
    const { host, guests, code } = await lobbyWith(server, 2);
    guests[0]?.client.terminate();
    await host.next('lobby');
    const after = await host.next('lobby', 2000);
    expect(after.lobby.players.map((p) => p.name)).toEqual(['Host', 'Guest 2']);
    const c = await server.connect();
    c.send({ type: 'resume', code, token: guests[0]?.token });
    expect(await c.next('error')).toMatchObject({ code: 'resume_refused' });

    host.terminate();
    expect(await guests[1]?.client.closeInfo(3000)).toEqual({
      code: CloseCode.LOBBY_CLOSED,
      reason: 'host did not come back',
    });
  });

  it('messages that need a lobby are refused before joining, and a second join is refused', async () => {
    const c = await server.connect();
    for (const msg of [
      { type: 'leave' },
      { type: 'lock', locked: true },
      { type: 'kick', id: 1 },
      { type: 'signal', to: 1, data: { type: 'renegotiate', renegotiate: true } },
    ]) {
      c.send(msg);
      expect(await c.next('error')).toMatchObject({ code: 'not_in_lobby', ref: msg.type });
    }
    c.send({ type: 'create', name: 'A' });
    await c.next('welcome');
    c.send({ type: 'create', name: 'A' });
    expect(await c.next('error')).toMatchObject({ code: 'already_in_lobby' });
  });

  it('join attempts are rate-limited per address, whatever the code', async () => {
    await server.close();
    server = await startTestServer({ joinsPerMinute: 3 });
    const { code } = await lobbyWith(server, 0);
    const c = await server.connect();
    for (let i = 0; i < 3; i++) {
      c.send({ type: 'join', code: '0000000000000', name: 'x' });
      expect(await c.next('error')).toMatchObject({ code: 'join_refused' });
    }
    c.send({ type: 'join', code, name: 'x' });
    expect(await c.next('error')).toMatchObject({ code: 'join_rate_limited', ref: 'join' });
  });

  it('capacity above the maximum is an invalid field; over the lobby limit the server is full', async () => {
    await server.close();
    server = await startTestServer({ maxLobbies: 1, maxLobbyCapacity: 4 });
    const a = await server.connect();
    a.send({ type: 'create', name: 'A', capacity: 5 });
    expect(await a.next('error')).toMatchObject({ code: 'invalid_field', field: 'capacity' });
    a.send({ type: 'create', name: 'A', capacity: 4 });
    await a.next('welcome');
    const b = await server.connect();
    b.send({ type: 'create', name: 'B' });
    expect(await b.next('error')).toMatchObject({ code: 'server_full', ref: 'create' });
  });
});

describe('link reports from the host', () => {
  it('every member sees each guest’s link as the host reports it; unchanged reports send nothing', async () => {
    const { host, welcome, guests } = await lobbyWith(server, 2);
    const [a, b] = guests;
    if (!a || !b) throw new Error('no guests');
    host.send({
      type: 'links',
      links: [
        { id: a.id, kind: 'direct' },
        { id: b.id, kind: 'relay' },
      ],
    });
    const seen = (await b.client.next('lobby')).lobby.players;
    expect(seen.find((p) => p.id === a.id)?.link).toBe('direct');
    expect(seen.find((p) => p.id === b.id)?.link).toBe('relay');
    expect(seen.find((p) => p.id === welcome.you)?.link).toBeUndefined();
    await a.client.next('lobby');
    await host.next('lobby');
    // The same report again changes nothing, so nobody is sent anything.
    host.send({ type: 'links', links: [{ id: a.id, kind: 'direct' }] });
    host.send({ type: 'links', links: [{ id: a.id, kind: 'turn' }] });
    expect((await b.client.next('lobby')).lobby.players.find((p) => p.id === a.id)?.link).toBe(
      'turn',
    );
    expect(server.hub.linkCounts()).toEqual({ direct: 0, turn: 1, relay: 1 });
  });

  it('a dropped guest’s link is forgotten; reports about it or about strangers → unknown_target', async () => {
    const { host, guests } = await lobbyWith(server, 2);
    const [a, b] = guests;
    if (!a || !b) throw new Error('no guests');
    host.send({ type: 'links', links: [{ id: a.id, kind: 'direct' }] });
    await b.client.next('lobby');
    a.client.ws.terminate();
    const afterDrop = await b.client.next('lobby');
    expect(afterDrop.lobby.players.find((p) => p.id === a.id)).toMatchObject({
      connected: false,
    });
    expect(afterDrop.lobby.players.find((p) => p.id === a.id)?.link).toBeUndefined();
    host.send({
      type: 'links',
      links: [
        { id: a.id, kind: 'relay' },
        { id: 999, kind: 'relay' },
        { id: b.id, kind: 'relay' },
      ],
    });
    expect(await host.next('error')).toMatchObject({
      code: 'unknown_target',
      ref: 'links',
      message: `no connected guest ${a.id}, 999 in this lobby`,
    });
    // The known guest's report still counted.
    expect(server.hub.linkCounts()).toEqual({ direct: 0, turn: 0, relay: 1 });
  });

  it('only the host reports links; a bad kind or too many entries is refused with the field', async () => {
    const { host, guests } = await lobbyWith(server, 1);
    const a = guests[0];
    if (!a) throw new Error('no guest');
    a.client.send({ type: 'links', links: [{ id: a.id, kind: 'direct' }] });
    expect(await a.client.next('error')).toMatchObject({ code: 'not_host', ref: 'links' });
    host.send({ type: 'links', links: [{ id: a.id, kind: 'carrier-pigeon' }] });
    expect(await host.next('error')).toMatchObject({
      code: 'invalid_field',
      ref: 'links',
      field: 'links.0.kind',
    });
    host.send({
      type: 'links',
      links: Array.from({ length: 33 }, () => ({ id: a.id, kind: 'direct' })),
    });
    expect(await host.next('error')).toMatchObject({ code: 'too_long', field: 'links' });
    expect(server.hub.linkCounts()).toEqual({ direct: 0, turn: 0, relay: 0 });
  });
});
