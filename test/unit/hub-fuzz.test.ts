import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { encodeRelayFrame } from '../../shared/protocol/relay-frame.ts';
import { type ClientMessage, LINK_KINDS, type LobbyView } from '../../shared/protocol/signaling.ts';
import type { Peer } from '../../signaling/hub.ts';
import { type Conn, HubHarness } from '../support/hub-harness.ts';
import { Rng } from '../support/random.ts';

/**
 * Seeded fuzz of the Hub in this process (no sockets, no timers): simulated clients connect,
 * send plausible and junk messages in random order, read their messages at random moments,
 * drop, and live through server restarts (hosts re-claim, guests resume). After every step the
 * invariants below are checked, so a failure names its seed and step and replays exactly with
 * `HUB_FUZZ_SEED=<n> npx vitest run test/unit/hub-fuzz.test.ts`.
 */
const PINNED_SEEDS = [1, 2, 0xc0ffee, 20_261_127];
const SEEDS = process.env.HUB_FUZZ_SEED ? [Number(process.env.HUB_FUZZ_SEED) >>> 0] : PINNED_SEEDS;
const STEPS_PER_SEED = 25_000;
const CLIENTS = 24;
const ADDRESSES = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];

/** A simulated browser: what it has learned from the messages it has read so far. */
interface Sim {
  readonly name: string;
  readonly ip: string;
  conn: Conn | undefined;
  /** How many of its connection's messages it has read. */
  read: number;
  code?: string;
  token?: string;
  hostKey?: string | undefined;
  /** A host that took over (host migration): its generation and owner token. */
  generation?: number | undefined;
  owner?: string | undefined;
  you?: number;
  view?: LobbyView;
}

class Fuzz {
  readonly h: HubHarness;
  readonly sims: Sim[];
  private readonly rng: Rng;
  readonly codes: string[] = [];
  /** Host migrations seen by the clients (`promoted` read). */
  promotions = 0;
  /** The last step moved time on (the hub's periodic work ran at the current time). */
  ticked = false;
  step = 0;
  /**
   * Lobbies the last step could have changed (the acting client's, before and after); undefined
   * after steps that touch every lobby (time, restarts).
   */
  touched: Set<Peer['entry']> | undefined;

  constructor(seed: number) {
    this.rng = new Rng(seed);
    this.h = new HubHarness({
      maxLobbies: 12,
      maxLobbyCapacity: 6,
      lobbyCapacity: 4,
      connectionsPerAddress: 8,
      graceMs: 5_000,
      hostMigrationMs: 1_500,
      // The same across restarts, so a host that took over can re-claim.
      lobbySecret: 'fuzz lobby secret, long enough',
      joinsPerMinute: 600,
      // Limits that cut a connection off are exercised elsewhere; here they would only end
      // the run early for the address that earned them.
      maxStrikes: 1_000_000,
      abuseCooldownMs: 0,
    });
    this.sims = Array.from({ length: CLIENTS }, (_, i) => ({
      name: `P${i}`,
      ip: ADDRESSES[i % ADDRESSES.length] as string,
      conn: undefined,
      read: 0,
    }));
  }

  open(s: Sim): Conn | undefined {
    return s.conn && s.conn.port.closed === undefined ? s.conn : undefined;
  }

  /** The client reads what has arrived and learns from it. */
  readAll(s: Sim): void {
    const conn = s.conn;
    if (!conn) return;
    for (; s.read < conn.port.received.length; s.read++) {
      const m = conn.port.received[s.read];
      if (m === undefined || m instanceof Uint8Array) continue;
      if (m.type === 'welcome') {
        s.you = m.you;
        s.token = m.token;
        s.code = m.lobby.code;
        s.view = m.lobby;
        // As the browser: a guest's welcome has no key (a replaced host comes back a guest).
        s.hostKey = m.hostKey;
        s.generation = m.generation;
        s.owner = m.owner;
        if (!this.codes.includes(m.lobby.code)) this.codes.push(m.lobby.code);
        if (this.codes.length > 32) this.codes.shift();
      } else if (m.type === 'lobby') {
        s.view = m.lobby;
      } else if (m.type === 'promoted') {
        this.promotions++;
        s.hostKey = m.hostKey;
        s.generation = m.generation;
        s.owner = m.owner;
      }
    }
  }

  /** One random action by one random client, or by time. */
  act(): string {
    this.touched = undefined;
    this.ticked = false;
    const r = this.rng.next();
    if (r < 0.04) {
      const ms = this.rng.chance(0.1) ? 2_000 + this.rng.int(6_000) : this.rng.int(400);
      this.h.advance(ms);
      this.ticked = ms > 0;
      return `advance ${ms}`;
    }
    if (r < 0.045) return this.restart();
    const s = this.rng.pick(this.sims) as Sim;
    this.touched = new Set();
    if (r < 0.2) {
      this.readAll(s);
      return `${s.name} reads`;
    }
    const conn = this.open(s);
    if (!conn) {
      const c = this.h.connect(s.ip);
      if (c) {
        s.conn = c;
        s.read = 0;
      }
      return `${s.name} connects${c ? '' : ' (refused)'}`;
    }
    if (r < 0.23) {
      this.touched = new Set([conn.peer.entry]);
      this.h.drop(conn);
      return `${s.name} drops`;
    }
    if (r < 0.25) {
      conn.port.buffered = this.rng.chance(0.5) ? 0 : this.rng.int(8_000_000);
      return `${s.name} buffers ${conn.port.buffered}`;
    }
    if (r < 0.26) {
      // WebSocket pings or pongs, now and then a burst of them (past the control rate: 4003).
      const n = this.rng.chance(0.9) ? 1 : 40;
      this.touched = new Set([conn.peer.entry]);
      for (let i = 0; i < n; i++) this.h.hub.control(conn.peer);
      return `${s.name} pings ×${n}`;
    }
    const before = this.snapshot();
    const entryBefore = conn.peer.entry;
    const what = this.sendSomething(s, conn);
    this.touched = new Set([entryBefore, conn.peer.entry]);
    this.checkIsolation(s, conn, before, what);
    return `${s.name} ${what.label}`;
  }

  private sendSomething(s: Sim, conn: Conn): { label: string; relayTo?: number } {
    const id = () =>
      this.rng.chance(0.8) ? (this.rng.pick(s.view?.players ?? [])?.id ?? 1) : 1 + this.rng.int(40);
    const code = () =>
      this.rng.chance(0.85) ? (this.rng.pick(this.codes) ?? 'X') : 'NOPE0000000000';
    // Look-alikes too ("Аda" with a Cyrillic А, "Ｂea" in full width): refused or normalised.
    const name =
      this.rng.pick([
        'Ada',
        'ada',
        ' Bea ',
        'Cy',
        '\u200b',
        'Zoë',
        'x'.repeat(40),
        '\u0410da',
        '\uff22ea',
        'C\u3164y',
      ]) ?? 'A';
    let msg: ClientMessage | string;
    switch (this.rng.int(14)) {
      case 0:
        msg = {
          type: 'create',
          name,
          ...(this.rng.chance(0.3) ? { capacity: 2 + this.rng.int(8) } : {}),
        };
        break;
      case 1:
        msg = { type: this.rng.chance(0.5) ? 'watch' : 'join', code: code(), name };
        break;
      case 2:
        msg = { type: 'join', code: code(), name };
        break;
      case 3:
        msg = { type: 'resume', code: s.code ?? code(), token: s.token ?? 'nope' };
        break;
      case 4:
        if (s.hostKey !== undefined && s.code !== undefined && s.view && s.you !== undefined) {
          msg = this.reclaimOf(s);
          break;
        }
        msg = { type: 'leave' };
        break;
      case 5:
        msg = { type: 'kick', id: id() };
        break;
      case 6:
        msg = this.rng.chance(0.7)
          ? { type: 'lock', locked: this.rng.chance(0.5) }
          : { type: 'spectate', allowed: this.rng.chance(0.6) };
        break;
      case 7:
        msg = {
          type: 'links',
          links: (s.view?.players ?? []).map((p) => ({
            id: p.id,
            kind: this.rng.pick(LINK_KINDS) ?? 'relay',
          })),
        };
        break;
      case 8:
      case 9:
        msg = {
          type: 'signal',
          to: id(),
          attempt: this.rng.int(5),
          data: { type: 'offer', sdp: 'v=0' },
        };
        break;
      case 10:
      case 11: {
        const to = id();
        const frame = encodeRelayFrame(
          to,
          new Uint8Array(this.rng.int(64)),
          this.rng.chance(0.5),
          this.rng.chance(0.3),
        );
        this.h.sendBinary(conn, frame);
        return { label: `relays to ${to}`, relayTo: to };
      }
      case 12:
        msg =
          this.rng.pick(['{', '[]', '{"type":"create"}', '{"type":"join","code":1}', 'null']) ?? '';
        break;
      default:
        if (this.rng.chance(0.5)) {
          this.h.sendBinary(
            conn,
            new Uint8Array(this.rng.int(6)).map(() => this.rng.int(256)),
          );
          return { label: 'sends a junk frame' };
        }
        msg = { type: this.rng.pick(['leave', 'ice', 'closing'] as const) ?? 'ice' };
    }
    this.h.send(conn, msg);
    return { label: `sends ${typeof msg === 'string' ? JSON.stringify(msg) : msg.type}` };
  }

  private reclaimOf(s: Sim): ClientMessage {
    const view = s.view as LobbyView;
    return {
      type: 'reclaim',
      code: s.code as string,
      hostKey: s.hostKey as string,
      ...(s.generation === undefined ? {} : { generation: s.generation, owner: s.owner }),
      hostId: view.hostId,
      name: view.players.find((p) => p.id === view.hostId)?.name ?? 'Host',
      capacity: view.capacity,
      locked: view.locked,
      seats: view.players
        .filter((p) => p.id !== view.hostId && p.tag !== undefined)
        .map((p) => ({ id: p.id, name: p.name, tag: p.tag as string })),
    };
  }

  /** A new server process: every socket is gone; clients reconnect and hosts re-claim. */
  private restart(): string {
    this.h.restart();
    for (const s of this.sims) {
      this.readAll(s);
      if (s.conn) s.conn.port.closed ??= { code: 1001, reason: 'server restarting' };
    }
    // Hosts first, as their pages retry sooner; then everyone resumes.
    for (const s of this.sims.filter((x) => x.hostKey !== undefined && x.view?.hostId === x.you)) {
      const conn = this.h.connect(s.ip);
      if (!conn) continue;
      s.conn = conn;
      s.read = 0;
      this.h.send(conn, this.reclaimOf(s));
    }
    return 'server restarts';
  }

  private snapshot(): Map<Sim, { length: number; entry: Peer['entry']; seat: number }> {
    const m = new Map<Sim, { length: number; entry: Peer['entry']; seat: number }>();
    for (const s of this.sims) {
      const c = s.conn;
      if (c) m.set(s, { length: c.port.received.length, entry: c.peer.entry, seat: c.peer.seatId });
    }
    return m;
  }

  /**
   * After one client's message: whoever else heard anything shared a lobby with it (before or
   * after); every relayed frame and signal carries the sender's own seat id.
   */
  private checkIsolation(
    s: Sim,
    conn: Conn,
    before: ReturnType<Fuzz['snapshot']>,
    what: { relayTo?: number },
  ): void {
    const mine = before.get(s);
    const myLobbies = new Set([mine?.entry, conn.peer.entry].filter((e) => e !== undefined));
    for (const other of this.sims) {
      if (other === s || !other.conn) continue;
      const was = before.get(other);
      const fresh = other.conn.port.received.slice(was?.length ?? 0);
      if (fresh.length === 0) continue;
      const shared = [was?.entry, other.conn.peer.entry].some(
        (e) => e !== undefined && myLobbies.has(e),
      );
      if (!shared) throw new Error(`${other.name} heard from ${s.name} across lobbies`);
      for (const m of fresh) {
        if (m instanceof Uint8Array) {
          if (what.relayTo === undefined)
            throw new Error(`${other.name} got a frame nobody relayed`);
          if (HubHarness.stampOf(m) !== mine?.seat)
            throw new Error(`frame to ${other.name} not stamped with ${s.name}'s seat`);
        } else if (m.type === 'signal' && m.from !== mine?.seat) {
          throw new Error(`signal to ${other.name} not stamped with ${s.name}'s seat`);
        }
      }
    }
  }

  /** What must hold after every step. */
  checkInvariants(everything: boolean): void {
    const { hub, config } = this.h;
    let open = 0;
    for (const s of this.sims) {
      const c = s.conn;
      if (!c || c.port.closed) continue;
      open++;
      const entry = c.peer.entry;
      if (entry === undefined) continue;
      if (hub.directory.get(entry.code) !== entry)
        throw new Error(`${s.name} is in a lobby the directory lost`);
      if (entry.member(c.peer.seatId) !== c.peer)
        throw new Error(`${s.name} is not its seat's member`);
      const seat = entry.seats.get(c.peer.seatId);
      if (!seat?.connected) throw new Error(`${s.name}'s seat is missing or marked away`);
      // Every member has been sent the lobby as it is now. Lobbies the step did not touch are
      // compared every few steps only: cheap, and still total.
      if (!everything && this.touched !== undefined && !this.touched.has(entry)) continue;
      const isHost = c.peer.seatId === entry.hostId;
      const expected = entry.view(`${entry.baseUrl}/l/${entry.code}`, isHost);
      if (!isDeepStrictEqual(c.port.lastLobby, expected)) {
        expect(c.port.lastLobby, `${s.name}'s last lobby`).toEqual(expected);
      }
    }
    if (hub.connectionCount !== open)
      throw new Error(`hub counts ${hub.connectionCount} connections, ${open} are open`);
    if (hub.directory.size > config.maxLobbies) throw new Error('more lobbies than allowed');
    const seats = new Set<string>();
    const connOf = new Map<Peer, Conn>();
    for (const s of this.sims) if (s.conn) connOf.set(s.conn.peer, s.conn);
    for (const lobby of hub.directory.values()) {
      if (lobby.playerCount > lobby.capacity || lobby.capacity > config.maxLobbyCapacity)
        throw new Error(`lobby over capacity: ${lobby.playerCount}/${lobby.capacity}`);
      if (lobby.spectatorCount > config.maxSpectators)
        throw new Error(`too many spectators: ${lobby.spectatorCount}`);
      if (!lobby.spectating && lobby.spectatorCount > 0)
        throw new Error('spectators in a lobby that turned spectating off');
      if (!lobby.seats.has(lobby.hostId)) throw new Error('a lobby without its host seat');
      if (lobby.seats.get(lobby.hostId)?.spectator) throw new Error('a spectator hosts');
      // Host migration: once the hub's periodic work ran, a host away longer than the wait with
      // a guest connected to take over has been replaced; no one but the host holds its key.
      const host = lobby.seats.get(lobby.hostId);
      if (
        this.ticked &&
        host !== undefined &&
        !host.connected &&
        this.h.hub.now() - host.droppedAt >= config.hostMigrationMs &&
        lobby.successor() !== undefined
      )
        throw new Error(`lobby ${lobby.code} kept an absent host with a guest to take over`);
      for (const { id, member } of lobby.seats.values()) {
        if (member === undefined) continue;
        if (id !== lobby.hostId && connOf.get(member)?.port.hostKeys.has(lobby.hostKey))
          throw new Error(`guest ${id} holds the host's current key`);
      }
      for (const { id, member } of lobby.seats.values()) {
        if (member === undefined) {
          if (lobby.seats.get(id)?.connected) throw new Error(`seat ${id} is connected to no one`);
          continue;
        }
        if (member.entry !== lobby || member.closed)
          throw new Error(`member ${id} is not in the lobby it is listed in`);
        const key = `${member.ip}/${id}/${lobby.code}`;
        if (seats.has(key)) throw new Error('a seat with two members');
        seats.add(key);
      }
    }
    const perAddress = new Map<string, number>();
    for (const s of this.sims)
      if (this.open(s)) perAddress.set(s.ip, (perAddress.get(s.ip) ?? 0) + 1);
    for (const [ip, n] of perAddress)
      if (n > config.connectionsPerAddress) throw new Error(`${n} connections from ${ip}`);
  }
}

describe('the Hub under a seeded in-process fuzz', () => {
  for (const seed of SEEDS) {
    it(`seed ${seed}: ${STEPS_PER_SEED} steps, the invariants checked after every step`, () => {
      const fuzz = new Fuzz(seed);
      const trail: string[] = [];
      let welcomes = 0;
      for (fuzz.step = 0; fuzz.step < STEPS_PER_SEED; fuzz.step++) {
        const what = fuzz.act();
        trail.push(what);
        if (trail.length > 12) trail.shift();
        try {
          fuzz.checkInvariants(fuzz.step % 32 === 0);
        } catch (error) {
          throw new Error(
            `seed ${seed}, step ${fuzz.step} (${what}): ${(error as Error).message}\nlast steps:\n  ${trail.join('\n  ')}`,
          );
        }
      }
      for (const s of fuzz.sims)
        welcomes += s.conn ? HubHarness.messages(s.conn, 'welcome').length : 0;
      // The run did reach the interesting states, not only refusals.
      expect(fuzz.codes.length).toBeGreaterThan(5);
      expect(welcomes).toBeGreaterThan(0);
      expect(fuzz.promotions, 'host migrations').toBeGreaterThan(0);
      // ~1.5 s a seed on a quiet machine; room for a loaded one.
    }, 60_000);
  }
});
