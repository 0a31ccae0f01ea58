import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes.ts';
import type { LobbyView } from '../../shared/protocol/signaling.ts';
import { lobbyWith, startTestServer, type TestServer } from '../support/server.ts';
import { freePort } from '../support/server-process.mjs';

let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
/**
 * Starts a server on a fixed port, as a real deployment does: uSockets sets SO_REUSEADDR only for
 * a fixed port, so the restarted server can listen while the old connections are in TIME_WAIT.
 */
async function start(port?: number): Promise<TestServer> {
  const s = await startTestServer({ port: port ?? (await freePort()) });
  servers.push(s);
  return s;
}

/** What a host keeps to re-claim its lobby: the code, its key, and the seats with their tags. */
function reclaimFrom(lobby: LobbyView, hostKey: string) {
  const host = lobby.players.find((p) => p.id === lobby.hostId);
  return {
    type: 'reclaim',
    code: lobby.code,
    hostKey,
    hostId: lobby.hostId,
    name: host?.name,
    capacity: lobby.capacity,
    locked: lobby.locked,
    seats: lobby.players
      .filter((p) => p.id !== lobby.hostId)
      .map((p) => ({ id: p.id, name: p.name, tag: p.tag })),
  };
}

describe('a lobby survives a server restart', () => {
  it('the host re-claims it under the same code and the guests come back to their seats', async () => {
    const first = await start();
    const { host, welcome, guests, code } = await lobbyWith(first, 2);
    host.send({ type: 'lock', locked: true });
    const hostView = (await host.next('lobby')).lobby;
    const hostKey = welcome.hostKey ?? '';

    await first.close();
    for (const c of [host, ...guests.map((g) => g.client)]) {
      expect((await c.closeInfo()).code).toBe(CloseCode.GOING_AWAY);
    }

    const second = await start(first.port);
    // A guest that is quicker than its host is told to try again (the client retries).
    const early = await second.connect();
    early.send({ type: 'resume', code, token: guests[0]?.token });
    expect(await early.next('error')).toMatchObject({ code: 'resume_refused' });

    const host2 = await second.connect();
    host2.send(reclaimFrom(hostView, hostKey));
    const back = await host2.next('welcome');
    expect(back.you).toBe(welcome.you);
    expect(back.lobby.code).toBe(code);
    expect(back.lobby.locked).toBe(true);
    expect(back.hostKey).toBe(hostKey);
    expect(back.lobby.players.map((p) => [p.id, p.name, p.connected])).toEqual([
      [1, 'Host', true],
      [2, 'Guest 1', false],
      [3, 'Guest 2', false],
    ]);

    for (const g of guests) {
      const c = await second.connect();
      c.send({ type: 'resume', code, token: g.token });
      const w = await c.next('welcome');
      expect(w.you).toBe(g.id);
      expect(w.token).not.toBe(g.token);
    }
    await expect
      .poll(() => host2.texts.filter((m) => m.type === 'lobby').at(-1))
      .toMatchObject({
        lobby: { players: [{ connected: true }, { connected: true }, { connected: true }] },
      });

    // The lobby is whole again: unlocked, a newcomer joins by the same link.
    host2.send({ type: 'lock', locked: false });
    const late = await second.connect();
    await new Promise((r) => setTimeout(r, 50));
    late.send({ type: 'join', code, name: 'Late' });
    expect((await late.next('welcome')).lobby.players.map((p) => p.id)).toEqual([1, 2, 3, 4]);
  });

  it('a wrong host key cannot re-claim, and a guest cannot take the host seat', async () => {
    const first = await start();
    const { host, welcome, code } = await lobbyWith(first, 1);
    const view = await (async () => {
      host.send({ type: 'lock', locked: false });
      return (await host.next('lobby')).lobby;
    })();
    await first.close();
    const second = await start(first.port);
    const thief = await second.connect();
    thief.send(reclaimFrom(view, 'A'.repeat(43)));
    expect(await thief.next('error')).toMatchObject({ code: 'reclaim_refused' });
    const owner = await second.connect();
    owner.send(reclaimFrom(view, welcome.hostKey ?? ''));
    expect((await owner.next('welcome')).lobby.code).toBe(code);
    // Re-claim while the host seat is connected is a second concurrent use.
    const again = await second.connect();
    again.send(reclaimFrom(view, welcome.hostKey ?? ''));
    expect(await again.next('error')).toMatchObject({ code: 'seat_in_use' });
  });

  it('a host that kept whole-hash tags (from a server before tags were cut) brings its guests back', async () => {
    const first = await start();
    const { host, welcome, guests, code } = await lobbyWith(first, 1);
    host.send({ type: 'lock', locked: false });
    const view = (await host.next('lobby')).lobby;
    const guest = guests[0];
    expect(view.players.find((p) => p.id === guest?.id)?.tag).toHaveLength(22);
    await first.close();
    const second = await start(first.port);
    const owner = await second.connect();
    const reclaim = reclaimFrom(view, welcome.hostKey ?? '');
    // What an older server handed out: the whole SHA-256, of which the tag is the first 16 bytes.
    const wholeHash = createHash('sha256')
      .update(`lanparty resume v1\0${guest?.token}`)
      .digest('base64url');
    owner.send({ ...reclaim, seats: reclaim.seats.map((s) => ({ ...s, tag: wholeHash })) });
    await owner.next('welcome');
    const back = await second.connect();
    back.send({ type: 'resume', code, token: guest?.token });
    expect((await back.next('welcome')).you).toBe(guest?.id);
  });

  it('a host whose connection dropped (no restart) re-claims its own seat with the key', async () => {
    const server = await start();
    const { host, welcome, guests } = await lobbyWith(server, 1);
    host.terminate();
    await guests[0]?.client.next('lobby');
    const back = await server.connect();
    back.send({
      type: 'reclaim',
      code: welcome.lobby.code,
      hostKey: welcome.hostKey,
      hostId: 1,
      name: 'Host',
      capacity: 8,
      locked: false,
      seats: [],
    });
    const w = await back.next('welcome');
    expect(w.you).toBe(1);
    expect(w.lobby.players).toHaveLength(2);
  });

  it('a second server on a port in use fails to start instead of sharing the port', async () => {
    const first = await start();
    await expect(startTestServer({ port: first.port })).rejects.toThrow(
      /cannot listen on 127.0.0.1:\d+/,
    );
  });
});
