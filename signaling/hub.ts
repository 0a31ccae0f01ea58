import { CloseCode } from '../shared/protocol/close-codes.ts';
import { normalizeLobbyCode } from '../shared/protocol/lobby-code.ts';
import { readRelayHeader, stampRelaySender } from '../shared/protocol/relay-frame.ts';
import {
  type ClientMessage,
  type DecodeError,
  decodeClientMessage,
  type ErrorCode,
  type ErrorReply,
  encodeSignalFrom,
  type JoinRefusal,
  type LinkKind,
  type ServerMessage,
  signalDataText,
} from '../shared/protocol/signaling.ts';
import {
  createBucket,
  isFull,
  MILLI,
  type RateLimit,
  refilledMilli,
  type TokenBucket,
  take,
  takeBytes,
} from '../shared/rate-limit.ts';
import { assertNever } from '../shared/result.ts';
import type { Config } from './config.ts';
import { type LobbyDirectory, LobbyEntry, MemoryDirectory } from './directory.ts';
import { iceServersFor, iceSetup } from './ice-servers.ts';
import type { Lobby, Seat } from './lobby.ts';
import {
  lobbyCodeFor,
  newHostKey,
  newLobbySecret,
  newResumeToken,
  ownerToken,
  provesOwnership,
  sameSecret,
  storedTag,
  tokenTag,
} from './secrets.ts';
import { Stats } from './stats.ts';

/**
 * What the hub needs from a socket. The uWS edge implements it (tests use a fake); every method is a
 * no-op once the socket has closed (uWS aborts the process on use of a closed socket).
 */
export interface SocketPort {
  sendText(text: string): void;
  sendBinary(bytes: Uint8Array): void;
  bufferedAmount(): number;
  ping(): void;
  close(code: number, reason: string): void;
}

/**
 * One connection, from open to close. An edge may make its socket objects peers themselves
 * (`app.ts`: one object per connection instead of a peer and a socket wrapper); `Hub.open`
 * makes one around a separate `SocketPort` (tests, players on other nodes). The hub sets the
 * times and buckets when it admits the peer.
 */
export abstract class Peer {
  abstract readonly port: SocketPort;
  openedAt = 0;
  /** When the connection last sent anything (a message, a ping or a pong). */
  lastSeen = 0;
  lastPing = 0;
  strikes = 0;
  /**
   * The yes-or-no states below (`closed`, `closing`, `elsewhere`, and the edge's own), as bits
   * of one small integer: one field instead of one per state (memory per connection).
   */
  private flags = 0;
  /**
   * Thousandths of a token left in this connection's message bucket at `lastSeen`: every message
   * takes a token, so the bucket was last updated when the connection was last heard. Buckets
   * are whole-number fields here, not `TokenBucket` objects (see `refilledMilli`).
   */
  messageMilliTokens = 0;
  /** Thousandths of a token left at `controlTokensAt` for WebSocket pings and pongs. */
  controlMilliTokens = 0;
  controlTokensAt = 0;
  /**
   * What this connection may still send to each receiver that is behind: relayed bytes and
   * signals. Made on need; most connections never need it.
   */
  budgets: SendBudgets | undefined = undefined;
  entry: LobbyEntry<Peer> | undefined = undefined;
  seatId = 0;

  constructor(
    /**
     * The client's address. The hub replaces it with its address table's copy at `admit`, so
     * that every connection from one address shares one string (memory per connection).
     */
    public ip: string,
    /** Origin the browser used, for share links when no public URL is configured. */
    readonly baseUrl: string,
    /** The `lobby` shard from the WebSocket URL: a lobby this peer creates gets a code starting with it (see `lobbyCodeFor`). */
    readonly shard: string | undefined,
  ) {}

  /** The hub has seen the connection close. */
  get closed(): boolean {
    return this.hasFlag(CLOSED);
  }
  set closed(on: boolean) {
    this.setFlag(CLOSED, on);
  }
  /** The page said it is closing, not reloading (`closing`): a host is replaced as it closes. */
  get closing(): boolean {
    return this.hasFlag(CLOSING);
  }
  set closing(on: boolean) {
    this.setFlag(CLOSING, on);
  }
  /**
   * Seated in a lobby another node owns (see `Federation`): this node keeps only the socket's
   * limits and heartbeat, so it is not dropped for never saying hello.
   */
  get elsewhere(): boolean {
    return this.hasFlag(ELSEWHERE);
  }
  set elsewhere(on: boolean) {
    this.setFlag(ELSEWHERE, on);
  }

  /** Bits from `EDGE_FLAG` up are the edge's own (see `flags`). */
  protected hasFlag(bit: number): boolean {
    return (this.flags & bit) !== 0;
  }
  protected setFlag(bit: number, on: boolean): void {
    this.flags = on ? this.flags | bit : this.flags & ~bit;
  }
}

const CLOSED = 1;
const CLOSING = 2;
const ELSEWHERE = 4;
/** The first bit of `Peer`'s flags an edge may use for itself. */
export const EDGE_FLAG = 8;

/** What one connection may still send to receivers that are behind (see `Peer.budgets`). */
interface SendBudgets {
  relay: WeakMap<Peer, TokenBucket> | undefined;
  signal: WeakMap<Peer, TokenBucket> | undefined;
}

/** `sender`'s budget of one kind toward `target`, made full on first need. */
function budgetToward(
  sender: Peer,
  kind: keyof SendBudgets,
  target: Peer,
  rate: number,
  burst: number,
  now: number,
): TokenBucket {
  sender.budgets ??= { relay: undefined, signal: undefined };
  sender.budgets[kind] ??= new WeakMap();
  const byTarget = sender.budgets[kind];
  let budget = byTarget.get(target);
  if (budget === undefined) {
    budget = createBucket(rate, burst, now);
    byTarget.set(target, budget);
  }
  return budget;
}

/** A peer around a separate socket object. */
class PortPeer extends Peer {
  constructor(
    readonly port: SocketPort,
    ip: string,
    baseUrl: string,
    shard: string | undefined,
  ) {
    super(ip, baseUrl, shard);
  }
}

/**
 * What an operator sees at `info`: one event per lobby change and per link-kind change. Codes
 * are shortened (a full code lets anyone join) and nothing secret is included.
 */
export type HubEvent =
  | { readonly event: 'lobby_created'; readonly lobby: string; readonly capacity: number }
  | { readonly event: 'lobby_reclaimed'; readonly lobby: string; readonly seats: number }
  | { readonly event: 'lobby_ended'; readonly lobby: string; readonly reason: string }
  | {
      readonly event: 'player_joined' | 'spectator_joined';
      readonly lobby: string;
      readonly seat: number;
    }
  | { readonly event: 'player_returned'; readonly lobby: string; readonly seat: number }
  | {
      readonly event: 'player_dropped';
      readonly lobby: string;
      readonly seat: number;
      /** Why the connection went: the server's reason for closing it, or how the client left. */
      readonly why: string;
    }
  | {
      readonly event: 'player_left';
      readonly lobby: string;
      readonly seat: number;
      readonly reason: string;
    }
  | {
      readonly event: 'host_migrated';
      readonly lobby: string;
      readonly from: number;
      readonly to: number;
      readonly reason: string;
    }
  | {
      readonly event: 'link_changed';
      readonly lobby: string;
      readonly seat: number;
      readonly from: LinkKind | 'none';
      readonly to: LinkKind;
    };

/** What a refused join or watch says (the `reason` field is what clients act on). */
const JOIN_REFUSAL_TEXT: Record<JoinRefusal, string> = {
  unavailable: 'cannot join this lobby',
  full: 'cannot join this lobby',
  locked: 'cannot join this lobby',
  no_spectators: 'the host does not let anyone watch this lobby',
  spectators_full: 'this lobby has as many spectators as it takes',
};

/** A lobby code as logs show it: enough to tell lobbies apart, not enough to join one. */
export const shortCode = (code: string): string => `${code.slice(0, 4)}…`;

interface AddressState {
  /** The address, the same string as this state's key in `Hub.addresses`. */
  readonly ip: string;
  connections: number;
  /** Open lobbies this address created or re-claimed. */
  lobbies: number;
  /** After a connection from here was cut off for abuse, new ones are refused until then. */
  coolingUntil: number;
  readonly messages: TokenBucket;
  readonly joins: TokenBucket;
  readonly creates: TokenBucket;
  readonly resumes: TokenBucket;
}

/**
 * Everything the signaling server does, without I/O: lobbies, the signal relay, the binary data
 * relay, limits and heartbeats. The uWS edge (`app.ts`) turns socket events into calls here.
 */
export class Hub {
  readonly stats = new Stats();
  private readonly peers = new Set<Peer>();
  private readonly addresses = new Map<string, AddressState>();
  /** UDP port of the built-in STUN server, set by the edge once it is bound; 0: none. */
  stunPort = 0;
  /** Most open WebSockets, set by the edge from `--max-connections` (resolved against the fd limit). */
  maxConnections = Number.POSITIVE_INFINITY;
  /** Signs the ownership of lobbies whose host changed (see `ownerToken`). */
  private readonly lobbySecret: string;
  /** Messages from one connection (see `Peer.messageMilliTokens`). */
  private readonly messageLimit: RateLimit;
  /** WebSocket pings and pongs from one connection (see `Peer.controlMilliTokens`). */
  private readonly controlLimit: RateLimit;
  /** When `tick` last ran, to tell the server's own stalls from its clients' silence. */
  private lastTickAt: number | undefined;

  /** The wall clock when the hub was made: the hub's own times count from here. */
  private readonly epoch: number;
  /**
   * Milliseconds since the hub was made. Every time the hub keeps (per connection, seat, bucket)
   * is one of these: a whole number below 2^31 (for 24 days) is a small integer to V8, stored
   * in its field, while a `Date.now()` value is a 16-byte heap number per field (memory per
   * connection). After 24 days the fields simply become heap numbers. Public for tests, which
   * compare the hub's times with it.
   */
  readonly now: () => number;

  constructor(
    private readonly config: Config,
    wallClock: () => number = Date.now,
    readonly directory: LobbyDirectory<Peer> = new MemoryDirectory<Peer>(),
    /** Lobby and link events, for the log. */
    private readonly events: (event: HubEvent) => void = () => {},
  ) {
    const epoch = wallClock();
    this.epoch = epoch;
    // Rounded down: a difference of two `Date.now()` values is a heap number even when whole.
    this.now = () => Math.floor(wallClock() - epoch);
    this.lobbySecret = config.lobbySecret || newLobbySecret();
    this.messageLimit = { rate: config.connMessageRate, burst: config.connMessageBurst };
    this.controlLimit = { rate: config.controlFrameRate, burst: config.controlFrameRate * 3 };
  }

  /** Connected guests by how they reach their host, as the hosts report it. */
  linkCounts(): Record<LinkKind, number> {
    const counts = { direct: 0, turn: 0, relay: 0 };
    for (const entry of this.directory.values()) {
      for (const seat of entry.seats.values()) {
        if (seat.connected && seat.link !== undefined) counts[seat.link]++;
      }
    }
    return counts;
  }

  get connectionCount(): number {
    return this.peers.size;
  }

  /** Whether a new connection from `ip` is within the per-address cap (checked at upgrade). */
  admits(ip: string): 'ok' | 'too_many_connections' | 'cooling_down' | 'server_busy' {
    if (this.peers.size >= this.maxConnections) return 'server_busy';
    const address = this.addresses.get(ip);
    if (address === undefined) return 'ok';
    if (address.coolingUntil > this.now()) return 'cooling_down';
    return address.connections < this.config.connectionsPerAddress ? 'ok' : 'too_many_connections';
  }

  /** A new connection with its socket `port`. */
  open(port: SocketPort, ip: string, baseUrl: string, shard?: string): Peer {
    return this.admit(new PortPeer(port, ip, baseUrl, shard));
  }

  /** A new connection, made by the edge (see `Peer`): its clock and buckets start now. */
  admit<P extends Peer>(peer: P): P {
    const now = this.now();
    peer.openedAt = now;
    peer.lastSeen = now;
    peer.lastPing = now;
    peer.messageMilliTokens = this.messageLimit.burst * MILLI;
    peer.controlMilliTokens = this.controlLimit.burst * MILLI;
    peer.controlTokensAt = now;
    this.peers.add(peer);
    const address = this.address(peer.ip, now);
    address.connections++;
    peer.ip = address.ip;
    return peer;
  }

  /** A text message: JSON, one of the client messages. */
  text(peer: Peer, text: string, size = text.length): void {
    if (this.admitMessage(peer, size)) this.handleText(peer, text);
  }

  /** A text message that `admitMessage` already let through. */
  handleText(peer: Peer, text: string): void {
    this.stats.messagesIn++;
    const decoded = decodeClientMessage(text);
    if (!decoded.ok) return this.offence(peer, decoded.error);
    this.dispatch(peer, decoded.value, text);
  }

  /** A binary message: a data-relay frame, forwarded without being parsed past its header. */
  binary(peer: Peer, frame: Uint8Array): void {
    if (!this.admitMessage(peer, frame.length)) return;
    this.stats.messagesIn++;
    const entry = peer.entry;
    // Our client relays only once seated: a frame before that is a protocol violation.
    if (entry === undefined) {
      return this.offence(peer, {
        code: 'not_in_lobby',
        message: 'join a lobby before relaying',
        ref: 'relay',
      });
    }
    const header = readRelayHeader(frame);
    if (!header.ok) {
      return this.offence(peer, {
        code: 'bad_frame',
        message: `relay frame: ${header.error}`,
        ref: 'relay',
      });
    }
    const { peer: to, droppable, control } = header.value;
    const target = entry.member(to);
    // Checked first: frames still in flight to a player who just went — or to a host that was
    // just replaced (host migration) — are a race, not an offence.
    if (target === undefined || to === peer.seatId) {
      return this.fail(peer, 'unknown_target', `no connected player ${to} in this lobby`, 'relay');
    }
    const hostId = entry.hostId;
    if (peer.seatId !== hostId && to !== hostId) {
      return this.offence(peer, {
        code: 'relay_target',
        message: 'guests may relay only to the host',
        ref: 'relay',
      });
    }
    const buffered = target.port.bufferedAmount();
    // A receiver that keeps up costs nothing more; one that is behind is protected from each
    // sender apart, so a flooder is cut off and never the player it floods.
    if (
      buffered > this.config.relayDropBytes &&
      !this.behind(peer, target, frame, buffered, droppable)
    )
      return;
    stampRelaySender(frame, peer.seatId);
    target.port.sendBinary(frame);
    this.stats.relayFrames++;
    if (control) this.stats.relayControlBytes += frame.length;
    else this.stats.relayGameBytes += frame.length;
  }

  /**
   * A WebSocket ping or pong from the socket: a sign of life, counted as a message, and beyond a
   * small rate of its own a flood (4003). A pong also confirms a new lobby's host.
   */
  control(peer: Peer): void {
    if (peer.closed) return;
    const now = this.now();
    const milli = refilledMilli(
      peer.controlMilliTokens,
      peer.controlTokensAt,
      this.controlLimit,
      now,
    );
    peer.controlTokensAt = now;
    peer.controlMilliTokens = milli >= MILLI ? milli - MILLI : milli;
    if (milli < MILLI) {
      this.stats.reject('control_rate_limited');
      this.cutOff(peer, CloseCode.RATE_LIMITED, 'too many pings or pongs from this connection');
      return;
    }
    if (this.admitMessage(peer, 0)) this.confirm(peer);
  }

  /**
   * The socket closed, for whatever reason (`why`, when the server closed it). Its seat is held
   * for the grace period.
   */
  closed(peer: Peer, why?: string): void {
    if (peer.closed) return;
    peer.closed = true;
    this.peers.delete(peer);
    const address = this.addresses.get(peer.ip);
    if (address) address.connections--;
    const entry = peer.entry;
    if (entry === undefined) return;
    peer.entry = undefined;
    const seat = entry.seats.get(peer.seatId);
    if (seat?.member !== peer) return;
    seat.member = undefined;
    seat.connected = false;
    seat.droppedAt = this.now();
    seat.link = undefined;
    this.events({
      event: 'player_dropped',
      lobby: shortCode(entry.code),
      seat: seat.id,
      why: why ?? (peer.closing ? 'tab closing' : 'connection closed'),
    });
    // A host whose tab closed (it said so) is replaced now: one update says both.
    const handedOver =
      peer.closing &&
      this.config.hostMigrationMs <= this.config.graceMs &&
      seat.id === entry.hostId &&
      this.migrate(entry, 'host closed its tab');
    if (!handedOver) this.broadcast(entry);
  }

  /**
   * Periodic work (every ~250 ms): pings, dropping silent and idle sockets, ending expired
   * seats and lobbies, and forgetting addresses that have gone quiet.
   */
  tick(): void {
    const now = this.now();
    const { heartbeatIntervalMs, heartbeatTimeoutMs, helloTimeoutMs } = this.config;
    // A server that has not run for a while (starved of CPU, a long GC pause) has not read its
    // sockets either, and the event loop runs this timer before it reads them: the silence it
    // would measure now is its own. After such a stall this tick only pings: it drops, expires
    // and hands over nothing, and the sockets are read before the next one.
    const stalled = this.lastTickAt !== undefined && now - this.lastTickAt > heartbeatIntervalMs;
    this.lastTickAt = now;
    for (const peer of this.peers) {
      if (!stalled && now - peer.lastSeen > heartbeatTimeoutMs) {
        this.closePeer(peer, CloseCode.HEARTBEAT_TIMEOUT, 'no heartbeat');
      } else if (
        !stalled &&
        peer.entry === undefined &&
        !peer.elsewhere &&
        now - peer.openedAt > helloTimeoutMs
      ) {
        this.closePeer(peer, CloseCode.HELLO_TIMEOUT, 'no create, join or resume in time');
      } else if (
        now - peer.lastSeen >= heartbeatIntervalMs &&
        now - peer.lastPing >= heartbeatIntervalMs
      ) {
        // Only silent sockets are pinged: one that sent anything lately has shown it is alive,
        // and pinging every socket at once made a burst that delayed everyone's messages.
        peer.lastPing = now;
        peer.port.ping();
      }
    }
    if (!stalled) this.expire(now);
    for (const [ip, address] of this.addresses) {
      const quiet =
        isFull(address.messages, now) &&
        isFull(address.joins, now) &&
        isFull(address.creates, now) &&
        isFull(address.resumes, now) &&
        address.coolingUntil <= now;
      if (address.connections === 0 && address.lobbies === 0 && quiet) {
        this.addresses.delete(ip);
      }
    }
  }

  /** Seats and lobbies whose time is up: absent hosts replaced, lost seats and empty lobbies ended. */
  private expire(now: number): void {
    const { heartbeatTimeoutMs, graceMs, emptyLobbyGraceMs } = this.config;
    this.migrateAbsentHosts(now);
    for (const entry of this.directory.values()) {
      const expired = entry.expiredSeats(now, graceMs);
      if (expired.some((s) => s.id === entry.hostId)) {
        this.endLobby(entry, 'host did not come back');
      } else if (
        !entry.hasMembers &&
        // A page that reloads is back within a heartbeat timeout; a create-and-drop flood is not.
        this.emptyFor(entry, now) >= (entry.established ? emptyLobbyGraceMs : heartbeatTimeoutMs)
      ) {
        this.endLobby(entry, entry.established ? 'everyone left' : 'host never settled in');
      } else if (expired.length > 0) {
        for (const seat of expired) {
          entry.removeSeat(seat.id, now);
          this.left(entry, seat.id, 'did not come back');
        }
        this.broadcast(entry);
      }
    }
  }

  /** Shutdown: tell every client the server is going away, so they reconnect and resume. */
  goingAway(): void {
    for (const peer of [...this.peers]) peer.port.close(CloseCode.GOING_AWAY, 'server restarting');
  }

  // ---- messages ----------------------------------------------------------------------------

  /** `text` is what `msg` was decoded from. */
  private dispatch(peer: Peer, msg: ClientMessage, text: string): void {
    switch (msg.type) {
      case 'create':
        return this.create(peer, msg);
      case 'join':
      case 'watch':
        return this.join(peer, msg);
      case 'resume':
        return this.resume(peer, msg);
      case 'reclaim':
        return this.reclaim(peer, msg);
      case 'leave':
        return this.leave(peer);
      case 'closing':
        peer.closing = true;
        return;
      case 'kick':
        return this.kick(peer, msg);
      case 'lock':
        return this.lock(peer, msg);
      case 'spectate':
        return this.spectate(peer, msg);
      case 'links':
        return this.links(peer, msg);
      case 'ice':
        return this.ice(peer);
      case 'signal':
        return this.signal(peer, msg, text);
      default:
        return assertNever(msg);
    }
  }

  private create(peer: Peer, msg: Extract<ClientMessage, { type: 'create' }>): void {
    if (peer.entry) return this.fail(peer, 'already_in_lobby', 'already in a lobby', msg.type);
    if (!this.mayOwnLobby(peer, msg.type)) return;
    if (this.directory.size >= this.config.maxLobbies) {
      return this.fail(
        peer,
        'server_full',
        'this server has too many lobbies; try later',
        msg.type,
      );
    }
    const capacity = msg.capacity ?? this.config.lobbyCapacity;
    if (capacity > this.config.maxLobbyCapacity) {
      return this.fail(
        peer,
        'invalid_field',
        `capacity: at most ${this.config.maxLobbyCapacity}`,
        msg.type,
        'capacity',
      );
    }
    let hostKey = newHostKey();
    while (this.directory.get(lobbyCodeFor(hostKey, peer.shard))) hostKey = newHostKey();
    const entry = new LobbyEntry<Peer>(lobbyCodeFor(hostKey, peer.shard), capacity, 1, {
      hostKey,
      generation: 0,
      owner: undefined,
      baseUrl: this.config.publicUrl || peer.baseUrl,
      ownerAddress: peer.ip,
      established: false,
    });
    const token = newResumeToken();
    const seat = entry.addSeat(msg.name, tokenTag(token), this.config.nameMaxLength);
    if (!seat.ok) return this.nameRefused(peer, msg.type);
    entry.hostId = seat.value.id;
    this.addLobby(entry);
    this.events({ event: 'lobby_created', lobby: shortCode(entry.code), capacity });
    this.seat(peer, entry, seat.value, token);
  }

  /** A player takes a seat (`join`), or a spectator comes to watch (`watch`). */
  private join(peer: Peer, msg: Extract<ClientMessage, { type: 'join' | 'watch' }>): void {
    if (peer.entry) return this.fail(peer, 'already_in_lobby', 'already in a lobby', msg.type);
    if (!take(this.address(peer.ip, this.now()).joins, this.now())) {
      return this.fail(
        peer,
        'join_rate_limited',
        'too many join attempts; wait a minute',
        msg.type,
      );
    }
    const code = normalizeLobbyCode(msg.code);
    // A code that does not parse, a lobby that never existed and one that ended all get the same
    // answer, so answers cannot be used to find codes.
    const entry = code === undefined ? undefined : this.directory.get(code);
    if (entry === undefined) return this.refuseJoin(peer, 'unavailable', msg.type);
    const token = newResumeToken();
    const seat = entry.addSeat(
      msg.name,
      tokenTag(token),
      this.config.nameMaxLength,
      this.now(),
      msg.type === 'watch'
        ? { spectator: true, max: this.config.maxSpectators }
        : { spectator: false },
    );
    if (!seat.ok) {
      switch (seat.error) {
        case 'name_invalid':
          return this.nameRefused(peer, msg.type);
        case 'name_confusable':
          return this.fail(
            peer,
            'name_invalid',
            'name looks like another player’s; choose another',
            msg.type,
            'name',
          );
        case 'ids_exhausted':
          return this.refuseJoin(peer, 'unavailable', msg.type);
        default:
          return this.refuseJoin(peer, seat.error, msg.type);
      }
    }
    this.events({
      event: msg.type === 'watch' ? 'spectator_joined' : 'player_joined',
      lobby: shortCode(entry.code),
      seat: seat.value.id,
    });
    this.seat(peer, entry, seat.value, token);
  }

  private resume(peer: Peer, msg: Extract<ClientMessage, { type: 'resume' }>): void {
    if (peer.entry) return this.fail(peer, 'already_in_lobby', 'already in a lobby', msg.type);
    if (!take(this.address(peer.ip, this.now()).resumes, this.now())) {
      return this.fail(peer, 'rate_limited', 'too many resume attempts; wait a little', msg.type);
    }
    const code = normalizeLobbyCode(msg.code);
    const entry = code === undefined ? undefined : this.directory.get(code);
    const seat = entry?.seatByTag(tokenTag(msg.token));
    if (entry === undefined || seat === undefined) {
      return this.fail(
        peer,
        'resume_refused',
        'no seat for this token (expired, or already used)',
        msg.type,
      );
    }
    this.reseat(peer, entry, seat, msg.type);
  }

  private reclaim(peer: Peer, msg: Extract<ClientMessage, { type: 'reclaim' }>): void {
    if (peer.entry) return this.fail(peer, 'already_in_lobby', 'already in a lobby', msg.type);
    const code = normalizeLobbyCode(msg.code);
    const generation = msg.generation ?? 0;
    if (
      code === undefined ||
      !provesOwnership(this.lobbySecret, code, msg.hostKey, generation, msg.owner)
    ) {
      return this.fail(peer, 'reclaim_refused', 'host key does not match this lobby', msg.type);
    }
    const existing = this.directory.get(code);
    if (existing && !this.isCurrentHostKey(existing, msg.hostKey, generation)) {
      if (generation > existing.generation) return this.supersede(peer, existing, msg);
      // The key was good once, but the lobby has had another host since (a migration).
      return this.fail(peer, 'reclaim_refused', 'this lobby has another host now', msg.type);
    }
    if (existing) {
      if (!take(this.address(peer.ip, this.now()).resumes, this.now())) {
        return this.fail(peer, 'rate_limited', 'too many resume attempts; wait a little', msg.type);
      }
      const hostSeat = existing.seats.get(existing.hostId);
      if (hostSeat) return this.reseat(peer, existing, hostSeat, msg.type);
      return this.fail(peer, 'reclaim_refused', 'lobby has no host seat', msg.type);
    }
    if (!this.mayOwnLobby(peer, msg.type)) return;
    if (this.directory.size >= this.config.maxLobbies) {
      return this.fail(
        peer,
        'server_full',
        'this server has too many lobbies; try later',
        msg.type,
      );
    }
    const now = this.now();
    const { nameMaxLength } = this.config;
    const capacity = Math.min(msg.capacity, this.config.maxLobbyCapacity);
    const entry = new LobbyEntry<Peer>(code, capacity, msg.hostId, {
      hostKey: msg.hostKey,
      generation,
      owner: generation === 0 ? undefined : msg.owner,
      baseUrl: this.config.publicUrl || peer.baseUrl,
      ownerAddress: peer.ip,
      // Re-claimed by a host that ran this lobby before the restart: no heartbeat needed.
      established: true,
    });
    entry.locked = msg.locked;
    entry.spectating = msg.spectating ?? true;
    const token = newResumeToken();
    const hostSeat = entry.restoreSeat(msg.hostId, msg.name, tokenTag(token), nameMaxLength, now);
    if (hostSeat === undefined) return this.nameRefused(peer, msg.type);
    this.restoreSeats(entry, msg.seats, now);
    hostSeat.connected = true;
    this.addLobby(entry);
    this.events({ event: 'lobby_reclaimed', lobby: shortCode(code), seats: entry.seats.size });
    this.seat(peer, entry, hostSeat, token);
  }

  private leave(peer: Peer): void {
    const entry = peer.entry;
    if (entry === undefined) return this.fail(peer, 'not_in_lobby', 'not in a lobby', 'leave');
    if (peer.seatId === entry.hostId) return this.hostLeaves(peer, entry);
    entry.removeSeat(peer.seatId, this.now());
    this.left(entry, peer.seatId, 'left');
    this.unseat(peer, CloseCode.NORMAL, 'left the lobby');
    this.broadcast(entry);
  }

  private kick(peer: Peer, msg: Extract<ClientMessage, { type: 'kick' }>): void {
    const entry = this.hostEntry(peer, msg.type);
    if (entry === undefined) return;
    if (msg.id === peer.seatId || !entry.seats.has(msg.id)) {
      return this.fail(peer, 'unknown_target', `no other player ${msg.id} in this lobby`, msg.type);
    }
    const target = entry.member(msg.id);
    entry.removeSeat(msg.id, this.now());
    this.left(entry, msg.id, 'kicked');
    if (target) this.unseat(target, CloseCode.KICKED, 'removed by the host');
    this.broadcast(entry);
  }

  private lock(peer: Peer, msg: Extract<ClientMessage, { type: 'lock' }>): void {
    const entry = this.hostEntry(peer, msg.type);
    if (entry === undefined) return;
    entry.locked = msg.locked;
    this.broadcast(entry);
  }

  /** The host lets people watch, or stops it: every spectator is sent away, told why (4012). */
  private spectate(peer: Peer, msg: Extract<ClientMessage, { type: 'spectate' }>): void {
    const entry = this.hostEntry(peer, msg.type);
    if (entry === undefined) return;
    entry.spectating = msg.allowed;
    if (!msg.allowed) {
      for (const id of entry.spectatorIds()) {
        const target = entry.member(id);
        entry.removeSeat(id, this.now());
        this.left(entry, id, 'spectating turned off');
        if (target) this.unseat(target, CloseCode.SPECTATING_OFF, 'the host turned spectating off');
      }
    }
    this.broadcast(entry);
  }

  /** Fresh ICE servers for a seated player (new TURN credentials for its next attempts). */
  private ice(peer: Peer): void {
    if (peer.entry === undefined) return this.fail(peer, 'not_in_lobby', 'not in a lobby', 'ice');
    this.send(peer, { type: 'ice', iceServers: this.iceServersFor(peer, peer.seatId) });
  }

  /** The host reports how its guests are linked to it; changes go to everyone and the log. */
  private links(peer: Peer, msg: Extract<ClientMessage, { type: 'links' }>): void {
    const entry = this.hostEntry(peer, msg.type);
    if (entry === undefined) return;
    let changed = false;
    const unknown: number[] = [];
    for (const { id, kind } of msg.links) {
      const seat = entry.seats.get(id);
      // A guest that just left or dropped: the report raced the lobby change.
      if (seat === undefined || id === entry.hostId || !seat.connected) {
        unknown.push(id);
        continue;
      }
      if (seat.link === kind) continue;
      this.events({
        event: 'link_changed',
        lobby: shortCode(entry.code),
        seat: id,
        from: seat.link ?? 'none',
        to: kind,
      });
      seat.link = kind;
      changed = true;
    }
    if (changed) this.broadcast(entry);
    if (unknown.length > 0) {
      this.fail(
        peer,
        'unknown_target',
        `no connected guest ${unknown.join(', ')} in this lobby`,
        msg.type,
      );
    }
  }

  private signal(peer: Peer, msg: Extract<ClientMessage, { type: 'signal' }>, text: string): void {
    const entry = peer.entry;
    if (entry === undefined) return this.fail(peer, 'not_in_lobby', 'not in a lobby', msg.type);
    const hostId = entry.hostId;
    // Direct links run between a guest and the host only: nothing in the design lets a guest
    // signal another guest, so a guest cannot load another guest's page with offers.
    if (peer.seatId !== hostId && msg.to !== hostId) {
      return this.offence(peer, {
        code: 'relay_target',
        message: 'guests may signal only the host',
        ref: msg.type,
      });
    }
    const target = entry.member(msg.to);
    if (target === undefined || msg.to === peer.seatId) {
      return this.fail(
        peer,
        'unknown_target',
        `no connected player ${msg.to} in this lobby`,
        msg.type,
      );
    }
    const { signalRate, signalBurst } = this.config;
    const budget = budgetToward(peer, 'signal', target, signalRate, signalBurst, this.now());
    if (!take(budget, this.now())) {
      this.stats.reject('signal_flood');
      return this.cutOff(peer, CloseCode.FLOODING_PEER, 'too many signals to one player');
    }
    // The sender is stamped from the connection, never taken from the payload.
    const dataText = signalDataText(text, msg) ?? JSON.stringify(msg.data);
    target.port.sendText(encodeSignalFrom(peer.seatId, msg.attempt, dataText));
    this.stats.signals++;
  }

  // ---- seats and lobbies ---------------------------------------------------------------------

  /** Binds a connection to a seat, welcomes it and tells the others. */
  private seat(peer: Peer, entry: LobbyEntry<Peer>, seat: Seat<Peer>, token: string): void {
    peer.entry = entry;
    peer.seatId = seat.id;
    seat.member = peer;
    const isHost = seat.id === entry.hostId;
    if (!isHost) entry.established = true;
    this.send(peer, {
      type: 'welcome',
      you: seat.id,
      token,
      ...(isHost ? { hostKey: entry.hostKey } : {}),
      ...(isHost && entry.owner !== undefined
        ? { generation: entry.generation, owner: entry.owner }
        : {}),
      iceServers: this.iceServersFor(peer, seat.id),
      lobby: entry.view(this.link(entry), isHost),
    });
    this.broadcast(entry, peer);
  }

  /** Resume: a fresh token replaces the old one, which is then worthless. */
  private reseat(peer: Peer, entry: LobbyEntry<Peer>, seat: Seat<Peer>, ref: string): void {
    if (seat.connected) {
      return this.fail(peer, 'seat_in_use', 'this seat is connected elsewhere', ref);
    }
    const token = newResumeToken();
    seat.tag = tokenTag(token);
    seat.connected = true;
    this.events({ event: 'player_returned', lobby: shortCode(entry.code), seat: seat.id });
    this.seat(peer, entry, seat, token);
  }

  // ---- host migration ------------------------------------------------------------------------

  /** The host left on purpose: a guest takes over at once; with no guest the lobby ends. */
  private hostLeaves(peer: Peer, entry: LobbyEntry<Peer>): void {
    if (entry.successor() === undefined) return this.endLobby(entry, 'host left');
    const hostId = entry.hostId;
    entry.removeSeat(hostId, this.now());
    this.left(entry, hostId, 'left');
    this.unseat(peer, CloseCode.NORMAL, 'left the lobby');
    this.migrate(entry, 'host left');
  }

  /**
   * Hosts whose connection closed or was lost (half-open sockets are dropped by the heartbeat)
   * and who stayed away `hostMigrationMs`: a reload or a blip comes back within it and keeps
   * the role. A lobby with no connected guest waits for its host until the grace period ends.
   */
  private migrateAbsentHosts(now: number): void {
    for (const entry of [...this.directory.values()]) {
      const host = entry.seats.get(entry.hostId);
      if (host === undefined || host.connected) continue;
      if (now - host.droppedAt < this.config.hostMigrationMs) continue;
      if (entry.successor() !== undefined) this.migrate(entry, 'host away');
    }
  }

  /**
   * Hands the lobby to the guest `Lobby.successor` picks: it gets a fresh host key and a signed
   * owner token (`promoted`), then everyone gets one `lobby` update naming it. The old key stops
   * working here at once (see `isCurrentHostKey`); the old host's seat, if still held, is an
   * ordinary guest seat from now on.
   */
  private migrate(entry: LobbyEntry<Peer>, reason: string): boolean {
    const next = entry.successor();
    const target = next?.member;
    if (next === undefined || target === undefined) return false;
    const from = entry.hostId;
    this.stats.hostMigrations++;
    entry.generation++;
    entry.hostKey = newHostKey();
    entry.owner = ownerToken(this.lobbySecret, entry.code, entry.generation, entry.hostKey);
    entry.hostId = next.id;
    // Links were measured to the old host; the new one reports its own.
    for (const seat of entry.seats.values()) seat.link = undefined;
    this.events({
      event: 'host_migrated',
      lobby: shortCode(entry.code),
      from,
      to: next.id,
      reason,
    });
    this.send(target, {
      type: 'promoted',
      hostKey: entry.hostKey,
      generation: entry.generation,
      owner: entry.owner,
    });
    this.broadcast(entry);
    return true;
  }

  /**
   * After a restart, a host that was replaced before it (its page kept the old key) may re-claim
   * the lobby first; the newer owner's re-claim then takes the lobby back, and the older one is
   * an ordinary guest from then on (it hears so in the `lobby` update).
   */
  private supersede(
    peer: Peer,
    entry: LobbyEntry<Peer>,
    msg: Extract<ClientMessage, { type: 'reclaim' }>,
  ): void {
    const now = this.now();
    const { nameMaxLength } = this.config;
    const seat =
      entry.seats.get(msg.hostId) ??
      entry.restoreSeat(msg.hostId, msg.name, '', nameMaxLength, now);
    if (seat === undefined) {
      return this.fail(peer, 'reclaim_refused', 'no seat for this host in the lobby', msg.type);
    }
    if (seat.connected) {
      return this.fail(peer, 'seat_in_use', 'this seat is connected elsewhere', msg.type);
    }
    this.restoreSeats(entry, msg.seats, now);
    const from = entry.hostId;
    entry.generation = msg.generation ?? 0;
    entry.hostKey = msg.hostKey;
    entry.owner = msg.owner;
    entry.hostId = seat.id;
    for (const s of entry.seats.values()) s.link = undefined;
    this.events({
      event: 'host_migrated',
      lobby: shortCode(entry.code),
      from,
      to: seat.id,
      reason: 'newer owner re-claimed',
    });
    this.reseat(peer, entry, seat, msg.type);
  }

  /** The seats a re-claiming host remembers; spectators within `--max-spectators`. */
  private restoreSeats(
    lobby: Lobby,
    seats: Extract<ClientMessage, { type: 'reclaim' }>['seats'],
    now: number,
  ): void {
    const { nameMaxLength, maxSpectators } = this.config;
    for (const s of seats) {
      const spectator = s.spectator === true;
      if (spectator && lobby.spectatorCount >= maxSpectators) continue;
      lobby.restoreSeat(s.id, s.name, storedTag(s.tag), nameMaxLength, now, spectator);
    }
  }

  /** Whether a re-claim for a lobby this server holds comes from its current host. */
  private isCurrentHostKey(entry: LobbyEntry<Peer>, hostKey: string, generation: number): boolean {
    return generation === entry.generation && sameSecret(hostKey, entry.hostKey);
  }

  private unseat(peer: Peer, code: number, reason: string): void {
    const entry = peer.entry;
    const seat = entry?.seats.get(peer.seatId);
    if (seat?.member === peer) seat.member = undefined;
    peer.entry = undefined;
    this.closePeer(peer, code, reason);
  }

  private addLobby(entry: LobbyEntry<Peer>): void {
    this.directory.add(entry);
    this.address(entry.ownerAddress, this.now()).lobbies++;
  }

  private endLobby(entry: LobbyEntry<Peer>, reason: string): void {
    if (this.directory.get(entry.code) !== entry) return;
    this.directory.delete(entry.code);
    const owner = this.addresses.get(entry.ownerAddress);
    if (owner) owner.lobbies--;
    this.events({ event: 'lobby_ended', lobby: shortCode(entry.code), reason });
    // `values` is a copy: unseating changes the seats.
    for (const { member } of entry.seats.values())
      if (member !== undefined) this.unseat(member, CloseCode.LOBBY_CLOSED, reason);
  }

  /** Sends the lobby to every connected member (the host's copy with the seats' tags). */
  private broadcast(entry: LobbyEntry<Peer>, except?: Peer): void {
    const link = this.link(entry);
    let forHost: string | undefined;
    let forGuests: string | undefined;
    for (const { id, member } of entry.seats.values()) {
      if (member === undefined || member === except) continue;
      if (id === entry.hostId) {
        forHost ??= JSON.stringify({ type: 'lobby', lobby: entry.view(link, true) });
        member.port.sendText(forHost);
      } else {
        forGuests ??= JSON.stringify({ type: 'lobby', lobby: entry.view(link, false) });
        member.port.sendText(forGuests);
      }
    }
  }

  private left(entry: LobbyEntry<Peer>, seat: number, reason: string): void {
    this.events({ event: 'player_left', lobby: shortCode(entry.code), seat, reason });
  }

  private iceServersFor(peer: Peer, seatId: number) {
    const setup = iceSetup(this.config, this.stunPort);
    // TURN credentials carry a real expiry time.
    return iceServersFor(setup, { baseUrl: peer.baseUrl, id: seatId }, this.epoch + this.now());
  }

  private hostEntry(peer: Peer, ref: string): LobbyEntry<Peer> | undefined {
    const entry = peer.entry;
    if (entry === undefined) {
      this.fail(peer, 'not_in_lobby', 'not in a lobby', ref);
      return undefined;
    }
    if (peer.seatId !== entry.hostId) {
      this.fail(peer, 'not_host', 'only the host can do this', ref);
      return undefined;
    }
    return entry;
  }

  private link(entry: LobbyEntry<Peer>): string {
    return `${entry.baseUrl}/l/${entry.code}`;
  }

  // ---- limits and errors -----------------------------------------------------------------------

  /** Per-address limits on lobbies: how many open at once, and how many made per minute. */
  private mayOwnLobby(peer: Peer, ref: string): boolean {
    const address = this.address(peer.ip, this.now());
    if (address.lobbies >= this.config.lobbiesPerAddress) {
      this.fail(peer, 'rate_limited', 'too many open lobbies from this address', ref);
      return false;
    }
    if (!take(address.creates, this.now())) {
      this.fail(peer, 'rate_limited', 'too many lobbies created; wait a minute', ref);
      return false;
    }
    return true;
  }

  /** How long every member of a lobby has been gone (0 while anyone is connected). */
  private emptyFor(entry: LobbyEntry<Peer>, now: number): number {
    let last = 0;
    for (const seat of entry.seats.values()) {
      if (seat.connected) return 0;
      last = Math.max(last, seat.droppedAt);
    }
    return now - last;
  }

  /**
   * A relay frame for a receiver with more than `relayDropBytes` unsent: droppable frames are
   * dropped; reliable ones are charged to this sender's budget towards this receiver, and a
   * sender past it is cut off (4011). The receiver is closed for slowness (4005) only when its
   * buffer passes the hard limit while this sender is within half its budget, i.e. when it is
   * slow for everyone's traffic, not flooded by one sender. Whether to forward the frame.
   */
  private behind(
    peer: Peer,
    target: Peer,
    frame: Uint8Array,
    buffered: number,
    droppable: boolean,
  ): boolean {
    if (droppable) {
      this.stats.relayDropped++;
      return false;
    }
    const now = this.now();
    const { relayPairRate, relayPairBurst, sendLimitBytes } = this.config;
    const budget = budgetToward(peer, 'relay', target, relayPairRate, relayPairBurst, now);
    if (!takeBytes(budget, frame.length, now)) {
      this.stats.reject('relay_flood');
      this.cutOff(peer, CloseCode.FLOODING_PEER, 'relayed more to one player than it can take');
      return false;
    }
    if (buffered + frame.length > sendLimitBytes) {
      if (budget.tokens < relayPairBurst / 2) {
        this.stats.reject('relay_flood');
        this.cutOff(peer, CloseCode.FLOODING_PEER, 'relayed more to one player than it can take');
      } else {
        this.closePeer(
          target,
          CloseCode.SLOW_RECEIVER,
          'receiver too slow: send buffer over limit',
        );
      }
      return false;
    }
    return true;
  }

  /** A sign of life from a lobby's host establishes the lobby (see `LobbyEntry.established`). */
  private confirm(peer: Peer): void {
    const entry = peer.entry;
    if (entry !== undefined && !entry.established && peer.seatId === entry.hostId) {
      entry.established = true;
    }
  }

  private nameRefused(peer: Peer, ref: string): void {
    this.fail(peer, 'name_invalid', 'name is empty or has invisible characters', ref, 'name');
  }

  /** Size and rate limits for every message, per connection and per address; closes the offender. */
  admitMessage(peer: Peer, size: number): boolean {
    if (peer.closed) return false;
    const now = this.now();
    const milli = refilledMilli(peer.messageMilliTokens, peer.lastSeen, this.messageLimit, now);
    peer.lastSeen = now;
    if (size > this.config.maxFrameBytes) {
      this.stats.reject('message_too_big');
      this.closePeer(
        peer,
        CloseCode.MESSAGE_TOO_BIG,
        `message over ${this.config.maxFrameBytes} bytes`,
      );
      return false;
    }
    peer.messageMilliTokens = milli >= MILLI ? milli - MILLI : milli;
    if (milli < MILLI) {
      this.stats.reject('rate_limited');
      this.cutOff(peer, CloseCode.RATE_LIMITED, 'too many messages from this connection');
      return false;
    }
    if (!take(this.address(peer.ip, now).messages, now)) {
      this.stats.reject('address_rate_limited');
      this.cutOff(peer, CloseCode.ADDRESS_RATE_LIMITED, 'too many messages from this address');
      return false;
    }
    if (peer.entry !== undefined && !peer.entry.established) this.confirm(peer);
    return true;
  }

  private address(ip: string, now: number): AddressState {
    let state = this.addresses.get(ip);
    if (state === undefined) {
      const c = this.config;
      state = {
        ip,
        connections: 0,
        coolingUntil: 0,
        messages: createBucket(c.addressMessageRate, c.addressMessageBurst, now),
        joins: createBucket(c.joinsPerMinute / 60, c.joinsPerMinute, now),
        creates: createBucket(c.createsPerMinute / 60, c.createsPerMinute, now),
        resumes: createBucket(c.resumesPerMinute / 60, c.resumesPerMinute, now),
        lobbies: 0,
      };
      this.addresses.set(ip, state);
    }
    return state;
  }

  /** A protocol violation: answered, counted as a strike, and fatal after `maxStrikes`. */
  private offence(peer: Peer, error: DecodeError | Omit<ErrorReply, 'type'>): void {
    const { code, message, ref, field } = error;
    this.fail(peer, code, message, ref, field);
    if (++peer.strikes >= this.config.maxStrikes) {
      this.cutOff(peer, CloseCode.TOO_MANY_BAD_MESSAGES, `${peer.strikes} invalid messages`);
    }
  }

  /** An error reply to the client (counted by code); the connection stays open. */
  fail(peer: Peer, code: ErrorCode, message: string, ref?: string, field?: string): void {
    this.stats.reject(code);
    this.send(peer, {
      type: 'error',
      code,
      message,
      ...(ref === undefined ? {} : { ref }),
      ...(field === undefined ? {} : { field }),
    });
  }

  private refuseJoin(peer: Peer, reason: JoinRefusal, ref = 'join'): void {
    this.stats.reject('join_refused');
    this.send(peer, {
      type: 'error',
      code: 'join_refused',
      message: JOIN_REFUSAL_TEXT[reason],
      ref,
      reason,
    });
  }

  /**
   * Closes an abusive connection, and refuses new ones from its address for a while: a flooder
   * that reconnects at once would otherwise cost the server an upgrade per attempt.
   */
  private cutOff(peer: Peer, code: number, reason: string): void {
    this.address(peer.ip, this.now()).coolingUntil = this.now() + this.config.abuseCooldownMs;
    this.closePeer(peer, code, reason);
  }

  private closePeer(peer: Peer, code: number, reason: string): void {
    this.stats.closes(code);
    peer.port.close(code, reason);
    // The lobby hears of it now, whatever the transport does with the close handshake.
    this.closed(peer, reason);
  }

  private send(peer: Peer, msg: ServerMessage): void {
    peer.port.sendText(JSON.stringify(msg));
  }
}
