import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes.ts';
import { encodeRelayFrame } from '../../shared/protocol/relay-frame.ts';
import { lobbyWith, startTestServer, type TestServer } from '../support/server.ts';

let server: TestServer;
afterEach(() => server.close());

/** A spectator's welcome. */
async function watch(code: string, name = 'Wes') {
  const client = await server.connect();
  client.send({ type: 'watch', code, name });
  return { client, reply: await client.next('welcome') };
}

/** The error a would-be spectator gets. */
async function refused(code: string, name = 'Wes') {
  const client = await server.connect();
  client.send({ type: 'watch', code, name });
  return client.next('error');
}

describe('spectators over a real server', () => {
  it('watch a full, locked lobby: not a seat, listed apart, relays and signals to the host only', async () => {
    server = await startTestServer({ maxSpectators: 2 });
    const host = await server.connect();
    host.send({ type: 'create', name: 'Ada', capacity: 2 });
    const { lobby } = await host.next('welcome');
    const bea = await server.connect();
    bea.send({ type: 'join', code: lobby.code, name: 'Bea' });
    const { you: beaId } = await bea.next('welcome');
    host.send({ type: 'lock', locked: true });
    await host.next('lobby');
    await host.next('lobby');

    const { client: wes, reply } = await watch(lobby.code);
    expect(reply.lobby.players.map((p) => [p.name, p.spectator])).toEqual([
      ['Ada', undefined],
      ['Bea', undefined],
      ['Wes', true],
    ]);
    expect(reply.lobby.capacity).toBe(2);
    expect(reply.lobby.spectating).toBe(true);
    const seen = await host.next('lobby');
    expect(seen.lobby.players.at(-1)).toMatchObject({ name: 'Wes', spectator: true });

    // The host reaches the spectator and back, over the relay; another guest is not reachable.
    wes.sendBinary(encodeRelayFrame(lobby.hostId, new Uint8Array([7])));
    expect([...(await host.nextBinary()).subarray(4)]).toEqual([7]);
    wes.sendBinary(encodeRelayFrame(beaId, new Uint8Array([7])));
    expect((await wes.next('error')).code).toBe('relay_target');

    // A second spectator fits; a third is over --max-spectators; players still are refused.
    expect((await watch(lobby.code, 'Wyn')).reply.type).toBe('welcome');
    expect(await refused(lobby.code, 'Wil')).toMatchObject({
      code: 'join_refused',
      reason: 'spectators_full',
      ref: 'watch',
    });
    const late = await server.connect();
    late.send({ type: 'join', code: lobby.code, name: 'Cy' });
    expect(await late.next('error')).toMatchObject({ code: 'join_refused', reason: 'locked' });
  });

  it('spectators never host: a host leaving with only spectators ends the lobby', async () => {
    server = await startTestServer();
    const { host, code } = await lobbyWith(server, 0);
    const { client: wes } = await watch(code);
    host.send({ type: 'leave' });
    expect((await wes.closeInfo()).code).toBe(CloseCode.LOBBY_CLOSED);
  });

  it('the host turns spectating off: spectators are sent away with 4012 and new ones refused', async () => {
    server = await startTestServer();
    const { host, code, guests } = await lobbyWith(server, 1);
    const { client: wes } = await watch(code);
    await host.next('lobby');
    const guest = guests[0]?.client;
    if (guest === undefined) throw new Error('no guest');
    guest.send({ type: 'spectate', allowed: false });
    expect((await guest.next('error')).code).toBe('not_host');

    host.send({ type: 'spectate', allowed: false });
    const closed = await wes.closeInfo();
    expect(closed).toEqual({
      code: CloseCode.SPECTATING_OFF,
      reason: 'the host turned spectating off',
    });
    const after = await host.next('lobby');
    expect(after.lobby.spectating).toBe(false);
    expect(after.lobby.players.some((p) => p.spectator)).toBe(false);
    expect(await refused(code, 'Wyn')).toMatchObject({
      code: 'join_refused',
      reason: 'no_spectators',
    });
    // Players still join, and the host can let people watch again.
    host.send({ type: 'spectate', allowed: true });
    await host.next('lobby');
    expect((await watch(code, 'Wyn')).reply.type).toBe('welcome');
  });

  it('a spectator resumes its place with its token, still a spectator', async () => {
    server = await startTestServer();
    const { host, code } = await lobbyWith(server, 0);
    const { client: wes, reply } = await watch(code);
    wes.terminate();
    await host.next('lobby');
    const back = await server.connect();
    back.send({ type: 'resume', code, token: reply.token });
    const w = await back.next('welcome');
    expect(w.you).toBe(reply.you);
    expect(w.lobby.players.find((p) => p.id === w.you)?.spectator).toBe(true);
  });

  it('bad watch messages get typed errors', async () => {
    server = await startTestServer();
    const c = await server.connect();
    c.send({ type: 'watch', code: 'x', name: 7 });
    expect(await c.next('error')).toMatchObject({ code: 'invalid_field', field: 'name' });
    c.send({ type: 'spectate', allowed: 'yes' });
    expect(await c.next('error')).toMatchObject({ code: 'invalid_field', field: 'allowed' });
    c.send({ type: 'watch', code: 'NOPE', name: 'Wes' });
    expect(await c.next('error')).toMatchObject({ code: 'join_refused', reason: 'unavailable' });
  });
});
