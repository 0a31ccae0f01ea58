import { CloseCode, shouldReconnect } from '../../shared/protocol/close-codes.ts';
import {
  LOBBY_SHARD_LENGTH,
  normalizeLobbyCode,
  randomLobbyShard,
} from '../../shared/protocol/lobby-code.ts';
import {
  encodeRelayFrame,
  readRelayHeader,
  relayPayload,
} from '../../shared/protocol/relay-frame.ts';
import {
  type ClientMessage,
  decodeServerMessage,
  type ErrorReply,
  type IceServer,
  type LinkKind,
  type LobbyView,
  type SignalPayload,
} from '../../shared/protocol/signaling.ts';
import { PROTOCOL_VERSION, WS_PATH } from '../../shared/protocol/version.ts';
import { Emitter, type Unsubscribe } from './link.ts';

/** What the client is doing, for the UI. */
export type SignalingState =
  | { readonly kind: 'connecting' }
  | { readonly kind: 'open' }
  | {
      readonly kind: 'reconnecting';
      readonly attempt: number;
      readonly retryInMs: number;
      readonly reason: string;
    }
  | {
      readonly kind: 'closed';
      readonly code: number;
      readonly reason: string;
      readonly cause: CloseCause;
    };

/**
 * Why the client stopped for good: the page closed it, the server closed the connection (the
 * close code says why), or the lobby is gone (the seat could not be resumed within
 * `RESUME_WINDOW_MS`).
 */
export type CloseCause = 'page' | 'server' | 'lobby-gone';

/** How to enter a lobby the first time. */
export type Hello = Extract<ClientMessage, { type: 'create' | 'join' | 'watch' }>;

/** The parts of the browser WebSocket the client uses (the `ws` package fits too, for tests). */
export interface SocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}
export type SocketFactory = (url: string) => SocketLike;

/** One-shot timers, injected (with `now`) so reconnects and refreshes run on fake time in tests. */
export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const browserTimers: Timers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Every timing of the client, by name. */
export const SIGNALING_LIMITS = {
  /**
   * First reconnect delay; doubles each failure up to the maximum. Each wait is drawn between
   * half the delay and the delay ("equal jitter"), so none is ever longer than the maximum: a
   * player is back within a few seconds of the server's return, however long it was away.
   */
  RECONNECT_MIN_MS: 250,
  RECONNECT_MAX_MS: 2500,
  /** After "server restarting" (1001) the server comes back quickly: retry soon. */
  GOING_AWAY_RETRY_MS: 100,
  /**
   * The server answered but does not know our lobby yet (its host has not re-claimed it after a
   * restart) or still holds our seat for a half-open old socket: retry at this pace, not with a
   * growing backoff, so the seat is taken back moments after the host's.
   */
  RESUME_RETRY_MS: 500,
  /** How long a guest keeps trying to resume a seat the server does not know (yet). */
  RESUME_WINDOW_MS: 30_000,
} as const;

/** What a page keeps (in sessionStorage) to take its seat back after a reload. */
export interface SavedSeat {
  readonly lobby: LobbyView;
  readonly you: number;
  readonly token: string;
  readonly hostKey?: string | undefined;
  /** For a host that took over (host migration): its generation and server-signed owner token. */
  readonly generation?: number | undefined;
  readonly owner?: string | undefined;
}

export interface SignalingClientOptions {
  /** The page origin or server base URL (http/https); the WebSocket URL is derived from it. */
  readonly server: string;
  readonly hello: Hello;
  /** A seat this page held before it reloaded: resumed (or re-claimed) instead of `hello`. */
  readonly saved?: SavedSeat | undefined;
  readonly socket?: SocketFactory;
  readonly random?: () => number;
  /** Wall-clock time (TURN credentials expire at a Unix time): `Date.now` by default. */
  readonly now?: () => number;
  readonly timers?: Timers;
}

const OPEN = 1;

/**
 * The browser's connection to the signaling server: enters the lobby, keeps the lobby view,
 * relays WebRTC signals and data-relay frames, and survives drops — it reconnects with backoff
 * and jitter and resumes its seat with its token (the host re-claims its lobby after a server
 * restart). Everything that arrives is validated before use.
 */
export class SignalingClient {
  you: number | undefined;
  lobby: LobbyView | undefined;
  iceServers: IceServer[] = [];
  /** Server messages that failed validation, and relay frames with a bad header. */
  rejected = 0;
  private stateValue: SignalingState = { kind: 'connecting' };
  private socket: SocketLike | undefined;
  private token: string | undefined;
  private hostKey: string | undefined;
  private generation: number | undefined;
  private owner: string | undefined;
  private failures = 0;
  private resumeRefusedSince: number | undefined;
  private retryTimer: unknown;
  private iceTimer: unknown;
  private closedByUser = false;
  private readonly socketFactory: SocketFactory;
  private readonly random: () => number;
  /** The shard a new lobby is asked for, kept across retries (see `shard`). */
  private newShard: string | undefined;
  private readonly now: () => number;
  private readonly timers: Timers;
  private readonly states = new Emitter<[SignalingState]>();
  private readonly lobbies = new Emitter<[LobbyView]>();
  private readonly signals = new Emitter<[number, SignalPayload, number | undefined]>();
  private readonly relays = new Emitter<[number, Uint8Array]>();
  private readonly errors = new Emitter<[ErrorReply]>();

  constructor(private readonly options: SignalingClientOptions) {
    if (options.saved) {
      this.lobby = options.saved.lobby;
      this.token = options.saved.token;
      this.hostKey = options.saved.hostKey;
      this.generation = options.saved.generation;
      this.owner = options.saved.owner;
      this.you = options.saved.you;
    }
    this.socketFactory = options.socket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.random = options.random ?? Math.random;
    this.now = options.now ?? (() => Date.now());
    this.timers = options.timers ?? browserTimers;
    this.connect();
  }

  get state(): SignalingState {
    return this.stateValue;
  }
  /** What to keep to take this seat back after a reload; undefined until seated. */
  get seat(): SavedSeat | undefined {
    return this.lobby && this.token && this.you !== undefined
      ? {
          lobby: this.lobby,
          you: this.you,
          token: this.token,
          hostKey: this.hostKey,
          generation: this.generation,
          owner: this.owner,
        }
      : undefined;
  }
  get isHost(): boolean {
    return this.you !== undefined && this.you === this.lobby?.hostId;
  }

  onState(h: (s: SignalingState) => void): Unsubscribe {
    return this.states.on(h);
  }
  onLobby(h: (lobby: LobbyView) => void): Unsubscribe {
    return this.lobbies.on(h);
  }
  onSignal(
    h: (from: number, data: SignalPayload, attempt: number | undefined) => void,
  ): Unsubscribe {
    return this.signals.on(h);
  }
  onRelay(h: (from: number, payload: Uint8Array) => void): Unsubscribe {
    return this.relays.on(h);
  }
  onError(h: (error: ErrorReply) => void): Unsubscribe {
    return this.errors.on(h);
  }

  sendSignal(to: number, data: SignalPayload, attempt?: number): boolean {
    return this.sendJson({
      type: 'signal',
      to,
      ...(attempt === undefined ? {} : { attempt }),
      data,
    });
  }

  /**
   * A data-relay frame to `to`; droppable ones may be dropped by the server when `to` lags;
   * control ones (pings, acks) are counted apart from game data in the server's metrics.
   */
  sendRelay(to: number, payload: Uint8Array, droppable: boolean, control = false): boolean {
    if (this.stateValue.kind !== 'open' || this.socket?.readyState !== OPEN) return false;
    this.socket.send(encodeRelayFrame(to, payload, droppable, control));
    return true;
  }

  /** The host tells the server how each guest reaches it (see LinksMessage). */
  reportLinks(links: readonly { readonly id: number; readonly kind: LinkKind }[]): boolean {
    return this.sendJson({ type: 'links', links: [...links] });
  }

  kick(id: number): void {
    this.sendJson({ type: 'kick', id });
  }
  lock(locked: boolean): void {
    this.sendJson({ type: 'lock', locked });
  }
  /** Host only: lets people watch, or sends every spectator away. */
  spectate(allowed: boolean): void {
    this.sendJson({ type: 'spectate', allowed });
  }

  /**
   * The page is going away and not being reloaded (see web/app/reload-notice.ts): a host is
   * replaced as soon as its socket closes. The seat is held as after any drop.
   */
  closing(): void {
    this.sendJson({ type: 'closing' });
  }

  /** Leaves the lobby for good (the host leaving ends it). */
  leave(): void {
    this.sendJson({ type: 'leave' });
    this.close();
  }

  /** Stops without leaving: the seat is kept for the grace period. */
  close(): void {
    this.closedByUser = true;
    this.timers.clearTimeout(this.retryTimer);
    this.timers.clearTimeout(this.iceTimer);
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      socket.onclose = null;
      socket.close(CloseCode.NORMAL, 'closed by the page');
    }
    this.setState({
      kind: 'closed',
      code: CloseCode.NORMAL,
      reason: 'closed by the page',
      cause: 'page',
    });
  }

  // ---- internals -------------------------------------------------------------------------------

  /**
   * What goes into `lobby=` on the WebSocket URL: the first characters of the lobby's code, so a
   * balancer that hashes on it sends every member of a lobby to the same server node; for a new
   * lobby, random ones, which the server makes its code start with.
   */
  private shard(): string {
    const hello = this.options.hello;
    const code =
      this.lobby?.code ?? (hello.type === 'join' ? normalizeLobbyCode(hello.code) : undefined);
    if (code !== undefined) return code.slice(0, LOBBY_SHARD_LENGTH);
    this.newShard ??= randomLobbyShard(this.random);
    return this.newShard;
  }

  private connect(): void {
    const url = new URL(
      `${WS_PATH}?v=${PROTOCOL_VERSION}&lobby=${this.shard()}`,
      this.options.server,
    );
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    let socket: SocketLike;
    try {
      socket = this.socketFactory(url.toString());
    } catch (error) {
      this.scheduleReconnect(`cannot open a WebSocket: ${(error as Error).message}`);
      return;
    }
    this.socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => socket.send(JSON.stringify(this.hello()));
    socket.onmessage = (event) => this.receive(event.data);
    socket.onerror = () => {};
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (this.closedByUser) return;
      if (
        !shouldReconnect(event.code) ||
        (event.code === CloseCode.NORMAL && this.you === undefined)
      ) {
        this.setState({
          kind: 'closed',
          code: event.code,
          reason: event.reason || 'closed',
          cause: 'server',
        });
        return;
      }
      this.scheduleReconnect(
        event.reason || `connection lost (${event.code})`,
        event.code === CloseCode.GOING_AWAY ? SIGNALING_LIMITS.GOING_AWAY_RETRY_MS : undefined,
      );
    };
  }

  /**
   * First contact enters the lobby; later ones resume the seat. The host re-claims instead: that
   * resumes its seat when the lobby still exists, and re-creates the lobby after a server restart.
   */
  private hello(): ClientMessage {
    const lobby = this.lobby;
    if (this.token === undefined || lobby === undefined) return this.options.hello;
    if (this.hostKey !== undefined && this.isHost) {
      const me = lobby.players.find((p) => p.id === lobby.hostId);
      return {
        type: 'reclaim',
        code: lobby.code,
        hostKey: this.hostKey,
        ...(this.generation === undefined
          ? {}
          : { generation: this.generation, owner: this.owner }),
        hostId: lobby.hostId,
        name: me?.name ?? 'Host',
        capacity: lobby.capacity,
        locked: lobby.locked,
        ...(lobby.spectating === false ? { spectating: false } : {}),
        seats: lobby.players.flatMap((p) =>
          p.id !== lobby.hostId && p.tag !== undefined
            ? [
                {
                  id: p.id,
                  name: p.name,
                  tag: p.tag,
                  ...(p.spectator ? { spectator: true } : {}),
                },
              ]
            : [],
        ),
      };
    }
    return { type: 'resume', code: lobby.code, token: this.token };
  }

  private receive(data: unknown): void {
    if (data instanceof ArrayBuffer) {
      const frame = new Uint8Array(data);
      const header = readRelayHeader(frame);
      if (!header.ok) {
        this.rejected++;
        return;
      }
      this.relays.emit(header.value.peer, relayPayload(frame));
      return;
    }
    const decoded = decodeServerMessage(String(data));
    if (!decoded.ok) {
      this.rejected++;
      return;
    }
    const msg = decoded.value;
    switch (msg.type) {
      case 'welcome':
        this.you = msg.you;
        this.token = msg.token;
        // A guest's welcome has no key: a host replaced while away comes back as a guest.
        this.hostKey = msg.hostKey;
        this.generation = msg.generation;
        this.owner = msg.owner;
        this.setIceServers(msg.iceServers);
        this.failures = 0;
        this.resumeRefusedSince = undefined;
        this.setLobby(msg.lobby);
        this.setState({ kind: 'open' });
        return;
      case 'lobby':
        this.setLobby(msg.lobby);
        return;
      case 'promoted':
        // The server made this guest the host (host migration); the lobby update follows.
        this.hostKey = msg.hostKey;
        this.generation = msg.generation;
        this.owner = msg.owner;
        return;
      case 'signal':
        this.signals.emit(msg.from, msg.data, msg.attempt);
        return;
      case 'ice':
        this.setIceServers(msg.iceServers);
        return;
      case 'error':
        this.onServerError(msg);
        return;
    }
  }

  private onServerError(error: ErrorReply): void {
    if (
      error.code === 'reclaim_refused' &&
      this.hostKey !== undefined &&
      this.token !== undefined &&
      this.stateValue.kind !== 'open'
    ) {
      // Another player hosts this lobby now (a migration while we were away): our key is void,
      // and our seat, if still held, is a guest's. Take it back with the resume token.
      this.dropHostKey();
      this.socket?.send(JSON.stringify(this.hello()));
      return;
    }
    // A resume or re-claim over the address's rate, or while the servers' shared directory is
    // away, is refused for now, not for good: retried.
    const limited =
      (error.code === 'rate_limited' || error.code === 'cluster_unavailable') &&
      (error.ref === 'resume' || error.ref === 'reclaim');
    const refusedResume =
      (error.code === 'resume_refused' || error.code === 'seat_in_use' || limited) &&
      this.token !== undefined;
    if (refusedResume && this.stateValue.kind !== 'open') {
      // After a server restart the lobby is back only once its host re-claims it; a seat still
      // held by our own half-open old socket frees itself within the heartbeat timeout.
      this.resumeRefusedSince ??= this.now();
      if (this.now() - this.resumeRefusedSince > SIGNALING_LIMITS.RESUME_WINDOW_MS) {
        this.setState({
          kind: 'closed',
          code: CloseCode.LOBBY_CLOSED,
          reason: 'the lobby is gone',
          cause: 'lobby-gone',
        });
        this.socket?.close();
        return;
      }
      const socket = this.socket;
      this.socket = undefined;
      if (socket) {
        socket.onclose = null;
        socket.close();
      }
      this.scheduleReconnect(`${error.code}: ${error.message}`, SIGNALING_LIMITS.RESUME_RETRY_MS);
      return;
    }
    this.errors.emit(error);
  }

  /** Reconnects after `base` ms (default: the backoff for this many failures), jittered. */
  private scheduleReconnect(reason: string, base = this.backoff()): void {
    this.timers.clearTimeout(this.retryTimer);
    this.failures++;
    const retryInMs = Math.round(base * (0.5 + this.random() / 2));
    this.setState({ kind: 'reconnecting', attempt: this.failures, retryInMs, reason });
    this.retryTimer = this.timers.setTimeout(() => {
      if (!this.closedByUser) this.connect();
    }, retryInMs);
  }

  private backoff(): number {
    return Math.min(
      SIGNALING_LIMITS.RECONNECT_MIN_MS * 2 ** this.failures,
      SIGNALING_LIMITS.RECONNECT_MAX_MS,
    );
  }

  /** Keeps the ICE servers, and asks for fresh ones before their TURN credentials expire. */
  private setIceServers(servers: IceServer[]): void {
    this.iceServers = servers;
    this.timers.clearTimeout(this.iceTimer);
    const delay = iceRefreshDelayMs(servers, this.now());
    if (delay === undefined) return;
    this.iceTimer = this.timers.setTimeout(() => this.sendJson({ type: 'ice' }), delay);
  }

  private dropHostKey(): void {
    this.hostKey = undefined;
    this.generation = undefined;
    this.owner = undefined;
  }

  private setLobby(lobby: LobbyView): void {
    // Replaced as host (a newer owner re-claimed after a restart): the old key is void.
    if (this.you !== undefined && lobby.hostId !== this.you && this.hostKey !== undefined)
      this.dropHostKey();
    this.lobby = lobby;
    this.lobbies.emit(lobby);
  }

  private sendJson(message: ClientMessage): boolean {
    if (this.stateValue.kind !== 'open' || this.socket?.readyState !== OPEN) return false;
    this.socket.send(JSON.stringify(message));
    return true;
  }

  private setState(state: SignalingState): void {
    this.stateValue = state;
    this.states.emit(state);
  }
}

/** Never ask for fresh ICE servers more often than this, whatever a credential says. */
const ICE_REFRESH_MIN_MS = 30_000;

/**
 * When to ask for fresh ICE servers: at 80% of the life left in the earliest TURN credential
 * (TURN REST API user names start with their expiry in Unix seconds), or undefined when no
 * credential expires.
 */
export function iceRefreshDelayMs(
  servers: readonly IceServer[],
  nowMs: number,
): number | undefined {
  let earliest: number | undefined;
  for (const server of servers) {
    const expiry = Number(/^(\d{9,12}):/.exec(server.username ?? '')?.[1]);
    if (Number.isFinite(expiry) && (earliest === undefined || expiry < earliest)) earliest = expiry;
  }
  if (earliest === undefined) return undefined;
  return Math.max(ICE_REFRESH_MIN_MS, Math.floor((earliest * 1000 - nowMs) * 0.8));
}
