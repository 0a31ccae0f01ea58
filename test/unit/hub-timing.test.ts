import { describe, expect, it } from 'vitest';
import { CloseCode } from '../../shared/protocol/close-codes.ts';
import { type Conn, HubHarness } from '../support/hub-harness.ts';

/**
 * The Hub's clocks — heartbeats, seat grace, host migration, empty lobbies — on fake time, at
 * their exact edges: a tick before each deadline nothing happens, a tick after it does. The
 * same behaviour over real sockets is smoke-tested in test/server (lobby-flow, bad-input).
 */
const TIMINGS = {
  heartbeatIntervalMs: 1_000,
  heartbeatTimeoutMs: 3_000,
  graceMs: 10_000,
  hostMigrationMs: 1_500,
  emptyLobbyGraceMs: 5_000,
};
const TICK = 250;

function welcomeOf(conn: Conn) {
  const welcome = HubHarness.messages(conn, 'welcome').at(-1);
  if (!welcome) throw new Error(`no welcome: ${JSON.stringify(conn.port.received)}`);
  return welcome;
}

/** A host (answering heartbeats, so its lobby is established) and `guests` joined players. */
function party(h: HubHarness, guests: number) {
  const host = h.connect('10.0.0.1') as Conn;
  h.send(host, { type: 'create', name: 'Ada' });
  h.hub.control(host.peer);
  const { lobby } = welcomeOf(host);
  const joined = Array.from({ length: guests }, (_, i) => {
    const conn = h.connect(`10.0.1.${i + 1}`) as Conn;
    h.send(conn, { type: 'join', code: lobby.code, name: `Guest ${i + 1}` });
    const w = welcomeOf(conn);
    return { conn, id: w.you, token: w.token };
  });
  return { host, code: lobby.code, hostId: welcomeOf(host).you, guests: joined };
}

/** Keeps `conns` alive as real browsers do: each answers the hub's pings with a pong. */
function advanceAnswering(h: HubHarness, ms: number, conns: readonly Conn[]) {
  const end = h.time + ms;
  while (h.time < end) {
    h.advance(Math.min(TICK, end - h.time), TICK);
    for (const c of conns) if (c.port.pings > 0 && !c.port.closed) h.hub.control(c.peer);
  }
}

const playerIds = (conn: Conn) => conn.port.lastLobby?.players.map((p) => p.id) ?? [];

describe('hub timing on fake time', () => {
  it('a silent member is pinged after the interval and dropped just past the timeout; a member that answers stays', () => {
    const h = new HubHarness(TIMINGS);
    const { host, guests } = party(h, 1);
    const mute = guests[0]?.conn as Conn;
    advanceAnswering(h, TIMINGS.heartbeatIntervalMs, [host]);
    expect(mute.port.pings).toBe(1);
    advanceAnswering(h, TIMINGS.heartbeatTimeoutMs - TIMINGS.heartbeatIntervalMs - TICK, [host]);
    expect(mute.port.closed).toBeUndefined();
    advanceAnswering(h, 2 * TICK, [host]);
    expect(mute.port.closed).toEqual({ code: CloseCode.HEARTBEAT_TIMEOUT, reason: 'no heartbeat' });
    h.drop(mute);
    expect(host.port.lastLobby?.players.find((p) => p.id === guests[0]?.id)?.connected).toBe(false);
    // The host answered every ping: a whole minute later it is still there.
    advanceAnswering(h, 60_000, [host]);
    expect(host.port.closed).toBeUndefined();
  });

  it('a dropped seat is kept for the grace period: resumed within it, given up after it', () => {
    const h = new HubHarness(TIMINGS);
    const { host, code, guests } = party(h, 1);
    const guest = guests[0] as { conn: Conn; id: number; token: string };
    h.drop(guest.conn);
    advanceAnswering(h, TIMINGS.graceMs - TICK, [host]);
    expect(playerIds(host)).toContain(guest.id);
    const back = h.connect('10.0.1.1') as Conn;
    h.send(back, { type: 'resume', code, token: guest.token });
    const w = welcomeOf(back);
    expect(w.you).toBe(guest.id);

    h.drop(back);
    advanceAnswering(h, TIMINGS.graceMs + TICK, [host]);
    expect(playerIds(host)).not.toContain(guest.id);
    const late = h.connect('10.0.1.1') as Conn;
    h.send(late, { type: 'resume', code, token: w.token });
    expect(HubHarness.messages(late, 'error').at(-1)).toMatchObject({ code: 'resume_refused' });
  });

  it('a host that drops is replaced just after --host-migration-ms, and one back within it stays host', () => {
    const h = new HubHarness(TIMINGS);
    const { host, code, hostId, guests } = party(h, 1);
    const guest = guests[0]?.conn as Conn;
    h.drop(host);
    advanceAnswering(h, TIMINGS.hostMigrationMs - TICK, [guest]);
    expect(guest.port.lastLobby?.hostId).toBe(hostId);
    // Back in time (a reload), with its key: still the host, nothing handed over.
    const reloaded = h.connect('10.0.0.1') as Conn;
    const hostToken = welcomeOf(host).token;
    h.send(reloaded, { type: 'resume', code, token: hostToken });
    expect(welcomeOf(reloaded).you).toBe(hostId);
    advanceAnswering(h, 10_000, [guest, reloaded]);
    expect(guest.port.lastLobby?.hostId).toBe(hostId);
    expect(HubHarness.messages(guest, 'promoted')).toEqual([]);

    h.drop(reloaded);
    advanceAnswering(h, TIMINGS.hostMigrationMs + TICK, [guest]);
    expect(HubHarness.messages(guest, 'promoted')).toHaveLength(1);
    expect(guest.port.lastLobby?.hostId).toBe(guests[0]?.id);
  });

  it('after the server itself stalled, silence is not blamed on the clients: the first tick only pings, the sockets read next count', () => {
    const h = new HubHarness(TIMINGS);
    const { host, guests } = party(h, 2);
    const [talker, mute] = guests.map((g) => g.conn) as [Conn, Conn];
    const hostWasDroppedAt = h.time;
    h.drop(host);
    advanceAnswering(h, TICK, [talker, mute]);
    // The process does not run for 5 s: past the heartbeat timeout and the host's hand-over.
    h.time += 5_000;
    h.hub.tick();
    for (const c of [talker, mute]) expect(c.port.closed).toBeUndefined();
    expect(HubHarness.messages(talker, 'promoted')).toEqual([]);
    expect(h.time - hostWasDroppedAt).toBeGreaterThan(TIMINGS.hostMigrationMs);
    // Then the sockets are read: the talker had spoken during the stall, the mute had not.
    h.hub.control(talker.peer);
    h.advance(TICK);
    expect(talker.port.closed).toBeUndefined();
    expect(mute.port.closed).toEqual({ code: CloseCode.HEARTBEAT_TIMEOUT, reason: 'no heartbeat' });
    // The host's wait was over: the lobby goes to the guest still there.
    expect(HubHarness.messages(talker, 'promoted')).toHaveLength(1);
  });

  it('a lobby with nobody connected is not handed over: it ends after the empty-lobby grace, before the seat grace', () => {
    const h = new HubHarness(TIMINGS);
    const { host, code, guests } = party(h, 1);
    const guest = guests[0] as { conn: Conn; id: number; token: string };
    h.drop(guest.conn);
    h.drop(host);
    advanceAnswering(h, TIMINGS.emptyLobbyGraceMs - TICK, []);
    const probe = h.connect('10.0.2.1') as Conn;
    h.send(probe, { type: 'resume', code, token: guest.token });
    expect(welcomeOf(probe).you).toBe(guest.id);
    h.drop(probe);
    // Nobody connected: the lobby ends after the empty-lobby grace, not the longer seat grace.
    advanceAnswering(h, TIMINGS.emptyLobbyGraceMs + TICK, []);
    const late = h.connect('10.0.2.2') as Conn;
    h.send(late, { type: 'resume', code, token: guest.token });
    expect(HubHarness.messages(late, 'error').at(-1)).toMatchObject({ code: 'resume_refused' });
  });
});
