import type { IceServer, LobbyView, SignalPayload } from '../../shared/protocol/signaling.ts';
import { Emitter, type Transport, type TransportKind, type Unsubscribe } from './link.ts';
import { RelayTransport } from './relay-transport.ts';
import {
  browserClock,
  type Clock,
  Session,
  type SessionFailure,
  type SessionLimits,
} from './session.ts';

export const NETWORK_LIMITS = {
  /**
   * Direct attempts a peer may start towards this browser per minute. Each one costs an
   * RTCPeerConnection, and Chromium counts those until they are garbage-collected, not until
   * closed: 500 at most per page, after which no new one can be made for anyone. An honest
   * guest's backoff makes about 6 a minute at worst; offers past the cap are ignored (that
   * attempt times out and the guest stays on the relay).
   */
  DIRECT_ATTEMPTS_PER_MINUTE: 10,
} as const;

import type { SignalingClient } from './signaling-client.ts';

/** A direct transport that takes the peer's signals (DirectTransport in the browser). */
export interface SignalledTransport extends Transport {
  signal(data: SignalPayload): void;
}
export type DirectFactory = (options: {
  readonly initiator: boolean;
  readonly iceServers: readonly IceServer[];
  readonly sendSignal: (data: SignalPayload) => void;
}) => SignalledTransport;

export interface NetworkOptions {
  readonly client: SignalingClient;
  /** Makes direct transports; absent (or `relayOnly`) keeps every link on the relay. */
  readonly direct?: DirectFactory;
  /** The user's "relay only" setting, for strict networks. */
  readonly relayOnly?: boolean;
  readonly clock?: Clock;
  readonly limits?: Partial<SessionLimits>;
}

/** What the UI shows per peer. */
export interface PeerInfo {
  readonly id: number;
  readonly kind: TransportKind;
  readonly rtt: number | undefined;
  /** False as soon as the server says the peer's socket closed, or its session went silent. */
  readonly present: boolean;
}

interface PeerEntry {
  session: Session;
  direct: SignalledTransport | undefined;
  attempt: number;
  present: boolean;
  /** When this peer's recent direct attempts began (answering side), oldest first. */
  readonly attemptTimes: number[];
}

/** What peers did that this browser refused, counted. */
export interface NetworkStats {
  /** Sessions a peer made fail (see `SessionFailure`); each started over. */
  failures: number;
  /** Direct attempts ignored for coming too often. */
  refusedAttempts: number;
}

/**
 * The sessions of this browser: the host holds one per guest, a guest one to the host. Guests
 * initiate direct attempts (numbered, so late signals of an old attempt are ignored); the host
 * answers each new attempt with a fresh transport.
 */
export class PeerNetwork {
  private readonly peers = new Map<number, PeerEntry>();
  /** The host the sessions were made for: who initiates direct attempts depends on it. */
  private hostId: number | undefined;
  private readonly off: Unsubscribe[];
  private readonly added = new Emitter<[number, Session]>();
  private readonly removed = new Emitter<[number]>();
  private readonly changed = new Emitter<[]>();
  private readonly failed = new Emitter<[number, SessionFailure]>();
  readonly stats: NetworkStats = { failures: 0, refusedAttempts: 0 };

  constructor(private readonly options: NetworkOptions) {
    const { client } = options;
    this.off = [
      client.onLobby((lobby) => this.sync(lobby)),
      client.onSignal((from, data, attempt) => this.signal(from, data, attempt)),
    ];
    if (client.lobby) this.sync(client.lobby);
  }

  /** The session to a peer (for a guest: the host's id). */
  session(id: number): Session | undefined {
    return this.peers.get(id)?.session;
  }

  info(): PeerInfo[] {
    return [...this.peers].map(([id, p]) => ({
      id,
      kind: p.session.kind,
      rtt: p.session.rtt,
      present: p.present && p.session.status !== 'closed',
    }));
  }

  onPeer(handler: (id: number, session: Session) => void): Unsubscribe {
    return this.added.on(handler);
  }
  onPeerRemoved(handler: (id: number) => void): Unsubscribe {
    return this.removed.on(handler);
  }
  /** A peer made its session fail (it sent more than a session holds): reported, then re-synced. */
  onFailure(handler: (id: number, failure: SessionFailure) => void): Unsubscribe {
    return this.failed.on(handler);
  }
  /** Any change worth redrawing: a peer's kind, presence, a new or removed peer. */
  onChange(handler: () => void): Unsubscribe {
    return this.changed.on(handler);
  }

  close(): void {
    for (const off of this.off) off();
    for (const id of [...this.peers.keys()]) this.remove(id);
  }

  /** Keeps one session per peer this browser talks to, following the lobby. */
  private sync(lobby: LobbyView): void {
    const me = this.options.client.you;
    if (me === undefined) return;
    if (this.hostId !== undefined && this.hostId !== lobby.hostId) {
      // Host migration: every link is to the wrong peer or in the wrong role. Start them all
      // over, relay first, as at a join.
      for (const id of [...this.peers.keys()]) this.remove(id);
    }
    this.hostId = lobby.hostId;
    const wanted = lobby.players.filter(
      (p) => p.id !== me && (me === lobby.hostId || p.id === lobby.hostId),
    );
    for (const player of wanted) {
      // A session that gave up (5 s of silence everywhere) is replaced once the peer is back.
      const old = this.peers.get(player.id);
      if (old && old.session.status === 'closed' && player.connected) this.remove(player.id);
      const entry = this.peers.get(player.id) ?? this.add(player.id, me !== lobby.hostId);
      if (entry.present !== player.connected) {
        entry.present = player.connected;
        this.changed.emit();
      }
    }
    for (const id of [...this.peers.keys()]) {
      if (!wanted.some((p) => p.id === id)) this.remove(id);
    }
  }

  private add(id: number, initiator: boolean): PeerEntry {
    const { client, direct, relayOnly } = this.options;
    // Made before the session: the session may open its first direct attempt while being built.
    const attempts: Pick<PeerEntry, 'attempt' | 'direct'> = { attempt: 0, direct: undefined };
    const connect =
      initiator && direct && !relayOnly
        ? () => {
            const attempt = ++attempts.attempt;
            const transport = direct({
              initiator: true,
              iceServers: client.iceServers,
              sendSignal: (data) => client.sendSignal(id, data, attempt),
            });
            attempts.direct = transport;
            return transport;
          }
        : undefined;
    const session = new Session({
      relay: new RelayTransport(client, id),
      ...(connect ? { connectDirect: connect } : {}),
      ...(this.options.clock ? { clock: this.options.clock } : {}),
      ...(this.options.limits ? { limits: this.options.limits } : {}),
    });
    const entry: PeerEntry = Object.assign(attempts, {
      session,
      present: true,
      attemptTimes: [],
    });
    this.peers.set(id, entry);
    session.onKind(() => this.changed.emit());
    // The UI shows each link's round-trip time: a new measure is a change (4 a second per peer).
    session.onRtt(() => this.changed.emit());
    session.onStatus((status) => {
      this.changed.emit();
      const failure = session.failure;
      if (status === 'closed' && failure !== undefined) {
        // Outside the session's own emit: a new session replaces it, and both sides count from
        // zero again (the peer sees a new instance), which re-syncs the game.
        queueMicrotask(() => this.restart(id, session, failure, initiator));
      }
    });
    this.added.emit(id, session);
    this.changed.emit();
    return entry;
  }

  private signal(from: number, data: SignalPayload, attempt: number | undefined): void {
    const entry = this.peers.get(from);
    const { direct, relayOnly, client } = this.options;
    if (entry === undefined || attempt === undefined || !direct) return;
    if (attempt === entry.attempt && entry.direct) {
      entry.direct.signal(data);
      return;
    }
    // A new attempt from the initiating guest (its numbers restart when its page reloads):
    // answer it with a fresh transport. With relay-only set, offers are ignored and the guest's
    // attempt times out.
    if (attempt !== entry.attempt && data.type === 'offer' && !relayOnly) {
      const now = (this.options.clock ?? browserClock).now();
      const times = entry.attemptTimes;
      while (times.length > 0 && now - (times[0] ?? now) >= 60_000) times.shift();
      if (times.length >= NETWORK_LIMITS.DIRECT_ATTEMPTS_PER_MINUTE) {
        this.stats.refusedAttempts++;
        return;
      }
      times.push(now);
      entry.attempt = attempt;
      const transport = direct({
        initiator: false,
        iceServers: client.iceServers,
        sendSignal: (reply) => client.sendSignal(from, reply, attempt),
      });
      entry.direct = transport;
      entry.session.adoptDirect(transport);
      transport.signal(data);
    }
  }

  private restart(id: number, failed: Session, failure: SessionFailure, initiator: boolean): void {
    this.stats.failures++;
    this.failed.emit(id, failure);
    if (this.peers.get(id)?.session !== failed) return;
    this.remove(id);
    this.add(id, initiator);
  }

  private remove(id: number): void {
    const entry = this.peers.get(id);
    if (!entry) return;
    this.peers.delete(id);
    entry.session.close();
    this.removed.emit(id);
    this.changed.emit();
  }
}
