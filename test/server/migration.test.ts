import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes.ts';
import type { LobbyView } from '../../shared/protocol/signaling.ts';
import type { TestClient } from '../support/client.ts';
import { lobbyWith, startTestServer, type TestServer } from '../support/server.ts';
import { freePort } from '../support/server-process.mjs';

const SECRET = 'test lobby secret, long enough';
let servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});
async function start(overrides: Parameters<typeof startTestServer>[0] = {}) {
  const s = await startTestServer({
    port: await freePort(),
    lobbySecret: SECRET,
    hostMigrationMs: 300,
    ...overrides,
  });
  servers.push(s);
  return s;
}

/** What a host keeps to re-claim its lobby (as the browser's signaling client builds it). */
function reclaimFrom(
  lobby: LobbyView,
  key: { hostKey?: string | undefined; generation?: number; owner?: string },
) {
  const host = lobby.players.find((p) => p.id === lobby.hostId);
  return {
    type: 'reclaim',
    code: lobby.code,
    hostKey: key.hostKey,
    ...(key.generation === undefined ? {} : { generation: key.generation, owner: key.owner }),
    hostId: lobby.hostId,
    name: host?.name,
    capacity: lobby.capacity,
    locked: lobby.locked,
    seats: lobby.players
      .filter((p) => p.id !== lobby.hostId)
      .map((p) => ({ id: p.id, name: p.name, tag: p.tag })),
  };
}

/** The next lobby update whose host is `hostId`. */
async function lobbyHostedBy(client: TestClient, hostId: number, timeoutMs = 3000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = await client.next('lobby', Math.max(1, deadline - Date.now()));
    if (m.lobby.hostId === hostId) return m.lobby;
  }
}

describe('host migration', () => {
  it('the host leaving hands the lobby to the guest with the best link; ties go to the longest seated', async () => {
    const server = await start();
    const { host, guests, code } = await lobbyWith(server, 3);
    const [g2, g3, g4] = guests;
    if (!g2 || !g3 || !g4) throw new Error('guests');
    host.send({
      type: 'links',
      links: [
        { id: g2.id, kind: 'relay' },
        { id: g3.id, kind: 'direct' },
        { id: g4.id, kind: 'direct' },
      ],
    });
    await host.next('lobby');
    for (const g of guests) g.client.texts.length = 0;
    host.send({ type: 'leave' });
    expect(await host.closeInfo()).toMatchObject({ code: CloseCode.NORMAL });

    // g3 and g4 are both direct: g3 was seated first. The key message comes before the lobby
    // update that names it.
    await expect
      .poll(() => g3.client.texts.findIndex((m) => m.type === 'lobby' && m.lobby.hostId === g3.id))
      .toBeGreaterThan(g3.client.texts.findIndex((m) => m.type === 'promoted'));
    expect(g3.client.texts.findIndex((m) => m.type === 'promoted')).toBeGreaterThanOrEqual(0);
    const promoted = await g3.client.next('promoted');
    expect(promoted.generation).toBe(1);
    expect(promoted.hostKey).toMatch(/^[\w-]{32}$/);
    expect(promoted.owner).toMatch(/^[\w-]{43}$/);
    for (const g of guests) {
      const view = await lobbyHostedBy(g.client, g3.id);
      expect(view.code).toBe(code);
      expect(view.players.map((p) => p.id)).toEqual([g2.id, g3.id, g4.id]);
      // Links were measured to the old host: the new one reports its own.
      expect(view.players.every((p) => p.link === undefined)).toBe(true);
      // Only the new host's copy carries the seats' tags.
      expect(view.players.some((p) => p.tag !== undefined)).toBe(g === g3);
    }
    // Nobody else ever sees a key.
    for (const g of [g2, g4]) {
      expect(g.client.texts.some((m) => m.type === 'promoted')).toBe(false);
      expect(JSON.stringify(g.client.texts)).not.toContain(promoted.hostKey);
    }
    // The new host has the host's powers; the others still do not.
    g3.client.send({ type: 'lock', locked: true });
    expect((await g3.client.next('lobby')).lobby.locked).toBe(true);
    g2.client.send({ type: 'kick', id: g4.id });
    expect(await g2.client.next('error')).toMatchObject({ code: 'not_host', ref: 'kick' });
    g3.client.send({ type: 'lock', locked: false });
    await g3.client.next('lobby');

    // The same share link still works.
    const late = await server.connect();
    late.send({ type: 'join', code, name: 'Late' });
    const w = await late.next('welcome');
    expect(w.lobby.hostId).toBe(g3.id);
    expect(w.hostKey).toBeUndefined();
    // Operators see it.
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toContain('lanparty_host_migrations_total 1');
  });

  it('a host alone that leaves ends the lobby, as before', async () => {
    const server = await start();
    const { host, guests, code } = await lobbyWith(server, 1);
    guests[0]?.client.send({ type: 'leave' });
    await host.next('lobby');
    host.send({ type: 'leave' });
    expect(await host.closeInfo()).toMatchObject({ code: CloseCode.LOBBY_CLOSED });
    const c = await server.connect();
    c.send({ type: 'join', code, name: 'late' });
    expect(await c.next('error')).toMatchObject({ code: 'join_refused', reason: 'unavailable' });
  });

  it('a host whose connection is lost is replaced after the wait, not before', async () => {
    const server = await start({ hostMigrationMs: 600 });
    const { host, guests } = await lobbyWith(server, 2);
    const [g2, g3] = guests;
    if (!g2 || !g3) throw new Error('guests');
    const t0 = Date.now();
    host.terminate();
    const dropped = await g2.client.next('lobby');
    expect(dropped.lobby.players[0]).toMatchObject({ id: 1, connected: false });
    expect(dropped.lobby.hostId).toBe(1);
    const promoted = await g2.client.next('promoted', 3000);
    const waited = Date.now() - t0;
    expect(promoted.generation).toBe(1);
    expect(waited).toBeGreaterThanOrEqual(600);
    // The hub's tick is 250 ms; the machine is shared: generous.
    expect(waited).toBeLessThan(600 + 1500);
    const view = await lobbyHostedBy(g3.client, g2.id);
    // The old host's seat is kept (as a guest's) for the grace period.
    expect(view.players.map((p) => [p.id, p.connected])).toEqual([
      [1, false],
      [g2.id, true],
      [g3.id, true],
    ]);
  });

  it('a host whose tab says it is closing is replaced as its socket closes: one update, seat held', async () => {
    // A wait far longer than the test: only `closing` can explain a hand-over.
    const server = await start({ hostMigrationMs: 20_000 });
    const { host, guests } = await lobbyWith(server, 2);
    const [g2, g3] = guests;
    if (!g2 || !g3) throw new Error('guests');
    // A guest's `closing` changes nothing for anyone (its seat is held as after any drop).
    g3.client.send({ type: 'closing' });
    host.send({ type: 'closing' });
    await new Promise((r) => setTimeout(r, 200));
    expect(g2.client.texts.some((m) => m.type === 'lobby' || m.type === 'promoted')).toBe(false);
    host.close();
    const promoted = await g2.client.next('promoted', 3000);
    expect(promoted.generation).toBe(1);
    // One update says both: the old host dropped and the new one hosting.
    const view = (await g3.client.next('lobby')).lobby;
    expect(view.hostId).toBe(g2.id);
    expect(view.players.map((p) => [p.id, p.connected])).toEqual([
      [1, false],
      [g2.id, true],
      [g3.id, true],
    ]);
    // `closing` before any lobby is harmless too.
    const again = await server.connect();
    again.send({ type: 'closing' });
    again.send({ type: 'join', code: view.code, name: 'late' });
    expect((await again.next('welcome')).lobby.hostId).toBe(g2.id);
  });

  it('with migration off (a wait above the grace), a closing host is not replaced', async () => {
    const server = await start({ hostMigrationMs: 5_000, graceMs: 1_000 });
    const { host, guests } = await lobbyWith(server, 1);
    host.send({ type: 'closing' });
    host.close();
    const dropped = await guests[0]?.client.next('lobby');
    expect(dropped?.lobby.hostId).toBe(1);
    expect(await guests[0]?.client.closeInfo()).toMatchObject({ code: CloseCode.LOBBY_CLOSED });
    expect(guests[0]?.client.texts.some((m) => m.type === 'promoted')).toBe(false);
  });

  it('a host that reloads within the wait comes back as host with nothing changed', async () => {
    const server = await start({ hostMigrationMs: 1500 });
    const { host, welcome, guests } = await lobbyWith(server, 2);
    host.send({ type: 'lock', locked: false });
    const view = (await host.next('lobby')).lobby;
    host.close();
    await guests[0]?.client.next('lobby');
    await new Promise((r) => setTimeout(r, 300));
    const back = await server.connect();
    back.send(reclaimFrom(view, { hostKey: welcome.hostKey }));
    const w = await back.next('welcome');
    expect(w.you).toBe(1);
    expect(w.lobby.hostId).toBe(1);
    expect(w.hostKey).toBe(welcome.hostKey);
    // Well past the wait: nobody was promoted.
    await new Promise((r) => setTimeout(r, 2000));
    for (const g of guests) {
      expect(g.client.texts.some((m) => m.type === 'promoted')).toBe(false);
      const last = g.client.texts.filter((m) => m.type === 'lobby').at(-1);
      expect(last).toMatchObject({ lobby: { hostId: 1 } });
    }
  });

  it('after a migration the old key is refused; the old host comes back as a guest in its seat', async () => {
    const server = await start();
    const { host, welcome, guests } = await lobbyWith(server, 1);
    const hostView = welcome.lobby;
    host.send({ type: 'lock', locked: false });
    await host.next('lobby');
    host.terminate();
    const g2 = guests[0];
    if (!g2) throw new Error('guest');
    await g2.client.next('promoted', 3000);
    await lobbyHostedBy(g2.client, g2.id);

    const old = await server.connect();
    old.send(reclaimFrom(hostView, { hostKey: welcome.hostKey }));
    expect(await old.next('error')).toMatchObject({
      code: 'reclaim_refused',
      message: 'this lobby has another host now',
    });
    old.send({ type: 'resume', code: hostView.code, token: welcome.token });
    const w = await old.next('welcome');
    expect(w.you).toBe(1);
    expect(w.lobby.hostId).toBe(g2.id);
    expect(w.hostKey).toBeUndefined();
    // A guest now: no host powers.
    old.send({ type: 'lock', locked: true });
    expect(await old.next('error')).toMatchObject({ code: 'not_host' });
  });

  it('the new host re-claims the lobby after a server restart; the old key cannot take it back', async () => {
    const first = await start();
    const { host, welcome, guests, code } = await lobbyWith(first, 2);
    const oldView = welcome.lobby;
    host.send({ type: 'leave' });
    const [g2, g3] = guests;
    if (!g2 || !g3) throw new Error('guests');
    const promoted = await g2.client.next('promoted');
    const newView = await lobbyHostedBy(g2.client, g2.id);

    await first.close();
    const second = await start({ port: first.port });
    const newHost = await second.connect();
    newHost.send(reclaimFrom(newView, promoted));
    const back = await newHost.next('welcome');
    expect(back.you).toBe(g2.id);
    expect(back.lobby.code).toBe(code);
    expect(back.lobby.hostId).toBe(g2.id);
    expect(back).toMatchObject({
      hostKey: promoted.hostKey,
      generation: 1,
      owner: promoted.owner,
    });
    const c3 = await second.connect();
    c3.send({ type: 'resume', code, token: g3.token });
    expect((await c3.next('welcome')).lobby.hostId).toBe(g2.id);

    // The first host's key is from an older generation: refused.
    const old = await second.connect();
    old.send(reclaimFrom(oldView, { hostKey: welcome.hostKey }));
    expect(await old.next('error')).toMatchObject({ code: 'reclaim_refused' });
  });

  it('after a restart, an old host that re-claims first is superseded by the newer owner', async () => {
    const first = await start();
    const { host, welcome, guests, code } = await lobbyWith(first, 1);
    const oldView = welcome.lobby;
    host.send({ type: 'leave' });
    const g2 = guests[0];
    if (!g2) throw new Error('guest');
    const promoted = await g2.client.next('promoted');
    const newView = await lobbyHostedBy(g2.client, g2.id);
    await first.close();

    const second = await start({ port: first.port });
    const old = await second.connect();
    old.send(reclaimFrom(oldView, { hostKey: welcome.hostKey }));
    expect((await old.next('welcome')).lobby.hostId).toBe(1);
    const newHost = await second.connect();
    newHost.send(reclaimFrom(newView, promoted));
    const w = await newHost.next('welcome');
    expect(w.lobby.hostId).toBe(g2.id);
    expect(w.generation).toBe(1);
    expect(await lobbyHostedBy(old, g2.id)).toMatchObject({ code });
    // And the older key is refused from now on.
    old.send({ type: 'lock', locked: true });
    expect(await old.next('error')).toMatchObject({ code: 'not_host' });
  });

  it('refuses forged claims: made-up keys, owner tokens and generations, and guests acting as host', async () => {
    const server = await start();
    const { welcome, guests, code } = await lobbyWith(server, 1);
    const g2 = guests[0];
    if (!g2) throw new Error('guest');
    const view = welcome.lobby;
    const thief = await server.connect();
    // The guest's own token as a key, a made-up owner token, a higher generation.
    for (const key of [
      { hostKey: g2.token },
      { hostKey: g2.token, generation: 1, owner: 'A'.repeat(43) },
      { hostKey: welcome.hostKey, generation: 5, owner: 'A'.repeat(43) },
    ]) {
      thief.send(reclaimFrom(view, key));
      expect(await thief.next('error')).toMatchObject({ code: 'reclaim_refused' });
    }
    // Malformed migration fields are refused like any other field.
    thief.send({ ...reclaimFrom(view, { hostKey: 'x' }), generation: -1 });
    expect(await thief.next('error')).toMatchObject({
      code: 'invalid_field',
      field: 'generation',
    });
    // Only the server sends `promoted`.
    thief.send({ type: 'promoted', hostKey: 'x', generation: 1, owner: 'y' });
    expect(await thief.next('error')).toMatchObject({ code: 'unknown_type' });
    // A guest cannot report links or lock: host-only.
    g2.client.send({ type: 'links', links: [] });
    expect(await g2.client.next('error')).toMatchObject({ code: 'not_host', ref: 'links' });
    // The lobby is unchanged.
    const late = await server.connect();
    late.send({ type: 'join', code, name: 'Late' });
    expect((await late.next('welcome')).lobby.hostId).toBe(1);
  });

  it('without a configured secret, a migrated lobby is not re-claimable after a restart (said in the README)', async () => {
    const first = await start({ lobbySecret: '' });
    const { host, guests } = await lobbyWith(first, 1);
    host.send({ type: 'leave' });
    const g2 = guests[0];
    if (!g2) throw new Error('guest');
    const promoted = await g2.client.next('promoted');
    const view = await lobbyHostedBy(g2.client, g2.id);
    await first.close();
    const second = await start({ port: first.port, lobbySecret: '' });
    const c = await second.connect();
    c.send(reclaimFrom(view, promoted));
    expect(await c.next('error')).toMatchObject({ code: 'reclaim_refused' });
  });
});
