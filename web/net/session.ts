import { decodeFrame, encodeFrame, encodePing, FRAME_HEADER_BYTES, FrameKind } from './frames.ts';
import {
  Emitter,
  type Link,
  type LinkStatus,
  type SendOptions,
  type Transport,
  type TransportKind,
  type Unsubscribe,
} from './link.ts';

/** Timers, injected so the session runs on fake time in tests. */
export interface Clock {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const browserClock: Clock = {
  now: () => performance.now(),
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

/** Every timing and size limit of a session, by name. */
export const SESSION_LIMITS = {
  /** How often liveness is checked (and pings and acks are due). */
  CHECK_INTERVAL_MS: 100,
  /** Pings on every open transport: RTT and liveness. */
  PING_INTERVAL_MS: 250,
  /**
   * A direct transport silent this long is suspect: everything sent goes over the relay as
   * well, so a path that is dying costs no visible freeze. In a game both sides send every
   * 16–33 ms, so a healthy path is never this quiet; a false alarm only costs copies, which the
   * receiver drops (sequence numbers).
   */
  DIRECT_SUSPECT_AFTER_MS: 200,
  /**
   * A direct transport silent this long is dead: traffic moves to the relay. It is kept and
   * probed, and takes the traffic back as soon as it answers again (a path that returns).
   */
  DIRECT_DEAD_AFTER_MS: 500,
  /** A dead direct transport silent this long is closed, and a new attempt planned. */
  DIRECT_GIVE_UP_AFTER_MS: 20_000,
  /** A direct attempt that is not answering after this long is abandoned and retried. */
  DIRECT_CONNECT_TIMEOUT_MS: 5000,
  /** Backoff between direct attempts (doubling, with jitter). */
  DIRECT_RETRY_MIN_MS: 1000,
  DIRECT_RETRY_MAX_MS: 30_000,
  /** Silence on every transport for this long means the peer is gone. */
  GONE_AFTER_MS: 5000,
  /** Acknowledge after this many reliable messages, or at the next ping tick. */
  ACK_EVERY: 32,
  /** Reliable messages kept for retransmission until acknowledged; beyond, the session fails. */
  MAX_UNACKED: 65_536,
  /** Out-of-order reliable messages held while waiting for a gap to fill. */
  MAX_REORDER: 4096,
  /**
   * Bytes of out-of-order reliable messages held. Honest traffic holds a few KB at most (a gap
   * is filled by the next retransmission); a peer that sends far ahead of a gap it never fills
   * would pin memory for the session's life, so past this its session fails ('reorder_overflow')
   * and starts over.
   */
  MAX_REORDER_BYTES: 1_048_576,
  /** Largest message a game may send (fits a relay frame and a data-channel message). */
  MAX_MESSAGE_BYTES: 60_000,
} as const;
/** Round-trip samples the reported RTT is the median of. */
const RTT_SAMPLES = 7;

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export type SessionLimits = { -readonly [K in keyof typeof SESSION_LIMITS]: number };

/** Why a session closed itself: the peer sent more out of order than it may, or acked too little. */
export type SessionFailure = 'reorder_overflow' | 'unacked_overflow';

export interface SessionOptions {
  /** The path through the server's relay to this peer; always there, used at once. */
  readonly relay: Transport;
  /**
   * Opens a new direct (WebRTC) attempt. Given on the side that initiates; the other side
   * hands in the attempts it answers with `adoptDirect`. Absent with relay-only.
   */
  readonly connectDirect?: () => Transport;
  readonly clock?: Clock;
  readonly limits?: Partial<SessionLimits>;
  readonly random?: () => number;
}

/** Why frames from the peer were rejected, counted. */
export interface SessionStats {
  rejectedFrames: number;
  duplicates: number;
  staleUnreliable: number;
  /** Frames addressed to a previous instance of this page. */
  staleFrames: number;
  switches: number;
  directAttempts: number;
}

interface TransportState {
  readonly transport: Transport;
  readonly since: number;
  lastHeard: number;
  answered: boolean;
  rtt: number | undefined;
  readonly samples: number[];
  nextPing: number;
  pingDueAt: number;
  readonly pings: Map<number, number>;
  readonly unsubscribe: Unsubscribe[];
}

/**
 * The link to one peer. It starts on the relay at once, so play never waits for ICE; tries a
 * direct transport in parallel; moves traffic to it once it answers; falls back to the relay
 * when it fails or goes silent; and retries direct with backoff. Reliable messages carry
 * sequence numbers and acks, and unacknowledged ones are re-sent on every switch, so none is
 * lost, duplicated or reordered; unreliable ones are never delivered after newer ones.
 */
export class Session implements Link {
  readonly stats: SessionStats = {
    rejectedFrames: 0,
    duplicates: 0,
    staleUnreliable: 0,
    staleFrames: 0,
    switches: 0,
    directAttempts: 0,
  };
  private readonly limits: SessionLimits;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly relay: TransportState;
  private direct: TransportState | undefined;
  private active: TransportState;
  private statusValue: LinkStatus = 'connecting';
  private readonly messages = new Emitter<[Uint8Array, SendOptions]>();
  private readonly statuses = new Emitter<[LinkStatus]>();
  private readonly kinds = new Emitter<[TransportKind]>();
  private readonly resets = new Emitter<[]>();
  private readonly rtts = new Emitter<[number]>();
  /** This session's instance (1-65535), sent in pings; and the peer's, 0 until known. */
  private readonly instance: number;
  private peerInstance = 0;
  private readonly ticker: unknown;

  // Sending.
  private nextSeq = 0;
  private readonly unacked: { seq: number; frame: Uint8Array }[] = [];
  private nextUnreliable = 0;
  // Receiving.
  private expected = 0;
  private readonly reorder = new Map<number, Uint8Array>();
  private reorderBytes = 0;
  private failureValue: SessionFailure | undefined;
  private lastUnreliable = -1;
  private unackedReceived = 0;
  // Direct attempts (initiating side).
  private retryAt: number | undefined;
  private retryDelay: number;

  constructor(private readonly options: SessionOptions) {
    this.limits = { ...SESSION_LIMITS, ...options.limits };
    this.clock = options.clock ?? browserClock;
    this.random = options.random ?? Math.random;
    this.retryDelay = this.limits.DIRECT_RETRY_MIN_MS;
    this.instance = 1 + Math.floor(this.random() * 0xffff);
    this.relay = this.watch(options.relay);
    this.active = this.relay;
    this.ticker = this.clock.setInterval(() => this.tick(), this.limits.CHECK_INTERVAL_MS);
    if (options.connectDirect) this.retryAt = this.clock.now();
    this.tick();
  }

  get kind(): TransportKind {
    return this.active.transport.kind;
  }
  get status(): LinkStatus {
    return this.statusValue;
  }
  get rtt(): number | undefined {
    return this.active.rtt;
  }
  /** Why this session closed itself, if it did. */
  get failure(): SessionFailure | undefined {
    return this.failureValue;
  }
  /** Reliable messages sent and not yet acknowledged by the peer. */
  get pending(): number {
    return this.unacked.length;
  }

  onMessage(handler: (bytes: Uint8Array, options: SendOptions) => void): Unsubscribe {
    return this.messages.on(handler);
  }
  onStatus(handler: (status: LinkStatus) => void): Unsubscribe {
    return this.statuses.on(handler);
  }
  onReset(handler: () => void): Unsubscribe {
    return this.resets.on(handler);
  }
  /** Fires when traffic moves between relay and direct. */
  onKind(handler: (kind: TransportKind) => void): Unsubscribe {
    return this.kinds.on(handler);
  }
  /** Fires when the round-trip time over the transport in use is measured again (each pong). */
  onRtt(handler: (rtt: number) => void): Unsubscribe {
    return this.rtts.on(handler);
  }

  send(payload: Uint8Array, { reliable }: SendOptions): void {
    if (this.statusValue === 'closed') return;
    if (payload.length > this.limits.MAX_MESSAGE_BYTES) {
      throw new RangeError(
        `message of ${payload.length} bytes exceeds ${this.limits.MAX_MESSAGE_BYTES}`,
      );
    }
    if (!reliable) {
      this.sendFrame(
        encodeFrame(FrameKind.UNRELIABLE, this.peerInstance, this.nextUnreliable++, payload),
        false,
      );
      return;
    }
    if (this.unacked.length >= this.limits.MAX_UNACKED) {
      this.failureValue = 'unacked_overflow';
      this.finish();
      return;
    }
    const frame = encodeFrame(FrameKind.RELIABLE, this.peerInstance, this.nextSeq, payload);
    this.unacked.push({ seq: this.nextSeq++, frame });
    this.sendFrame(frame, true);
  }

  /** Takes a direct transport the peer initiated (the answering side), replacing any older one. */
  adoptDirect(transport: Transport): void {
    this.dropDirect(false);
    this.direct = this.watch(transport);
    this.stats.directAttempts++;
  }

  close(): void {
    this.finish();
  }

  // ---- internals -------------------------------------------------------------------------------

  private watch(transport: Transport): TransportState {
    const now = this.clock.now();
    const state: TransportState = {
      transport,
      since: now,
      lastHeard: now,
      answered: false,
      rtt: undefined,
      samples: [],
      nextPing: 1,
      pingDueAt: now,
      pings: new Map(),
      unsubscribe: [],
    };
    state.unsubscribe.push(
      transport.onMessage((bytes) => this.receive(state, bytes)),
      transport.onStatus((status) => this.transportStatus(state, status)),
    );
    const onKind = transport.onKind?.(() => {
      if (state === this.active) this.kinds.emit(transport.kind);
    });
    if (onKind) state.unsubscribe.push(onKind);
    return state;
  }

  private transportStatus(state: TransportState, status: LinkStatus): void {
    if (this.statusValue === 'closed') return;
    if (status === 'open') {
      this.ping(state);
      // Frames sent while the relay was down (or in flight when it broke) may be lost.
      if (state === this.active) this.resendUnacked(state);
      this.setStatus('open');
    } else if (status === 'closed' && state === this.direct) {
      this.dropDirect(true);
    }
  }

  private receive(state: TransportState, bytes: Uint8Array): void {
    if (this.statusValue === 'closed') return;
    const decoded =
      bytes.length > FRAME_HEADER_BYTES + this.limits.MAX_MESSAGE_BYTES
        ? ({ ok: false } as const)
        : decodeFrame(bytes);
    if (!decoded.ok) {
      this.stats.rejectedFrames++;
      return;
    }
    const { kind, to, n, payload } = decoded.value;
    if (to !== 0 && to !== this.instance) {
      // Meant for this page's previous life (before a reload): not an error, just late.
      this.stats.staleFrames++;
      return;
    }
    const now = this.clock.now();
    state.lastHeard = now;
    this.setStatus('open');
    switch (kind) {
      case FrameKind.PING: {
        const instance = ((payload[0] ?? 0) << 8) | (payload[1] ?? 0);
        // A peer that started over (a reloaded page): count afresh, both ways.
        if (this.peerInstance !== 0 && instance !== this.peerInstance) this.restart();
        this.peerInstance = instance;
        this.transmitControl(state, encodeFrame(FrameKind.PONG, instance, n));
        return;
      }
      case FrameKind.PONG: {
        const sentAt = state.pings.get(n);
        if (sentAt === undefined) return;
        state.pings.delete(n);
        // The median of the last few samples: one slow answer (a busy page at start-up, a GC
        // pause) does not colour the figure for seconds, as an average would.
        state.samples.push(now - sentAt);
        if (state.samples.length > RTT_SAMPLES) state.samples.shift();
        state.rtt = median(state.samples);
        state.answered = true;
        if (state === this.active) this.rtts.emit(state.rtt);
        if (state === this.direct && this.active === this.relay) {
          this.retryDelay = this.limits.DIRECT_RETRY_MIN_MS;
          this.switchTo(state);
        }
        return;
      }
      case FrameKind.ACK: {
        let drop = 0;
        while (drop < this.unacked.length && (this.unacked[drop]?.seq ?? n) < n) drop++;
        this.unacked.splice(0, drop);
        return;
      }
      case FrameKind.UNRELIABLE:
        if (n <= this.lastUnreliable) {
          this.stats.staleUnreliable++;
          return;
        }
        this.lastUnreliable = n;
        this.messages.emit(payload, { reliable: false });
        return;
      case FrameKind.RELIABLE:
        this.receiveReliable(state, n, payload);
        return;
    }
  }

  private receiveReliable(state: TransportState, seq: number, payload: Uint8Array): void {
    if (seq < this.expected || this.reorder.has(seq)) {
      this.stats.duplicates++;
    } else if (seq > this.expected) {
      if (this.reorderBytes + payload.length > this.limits.MAX_REORDER_BYTES) {
        this.failureValue = 'reorder_overflow';
        this.finish();
        return;
      }
      if (this.reorder.size < this.limits.MAX_REORDER) {
        this.reorder.set(seq, payload.slice());
        this.reorderBytes += payload.length;
      }
    } else {
      this.expected++;
      this.messages.emit(payload, { reliable: true });
      for (
        let next = this.reorder.get(this.expected);
        next;
        next = this.reorder.get(this.expected)
      ) {
        this.reorder.delete(this.expected++);
        this.reorderBytes -= next.length;
        this.messages.emit(next, { reliable: true });
      }
    }
    if (++this.unackedReceived >= this.limits.ACK_EVERY) this.ack(state);
  }

  private ack(state: TransportState): void {
    this.unackedReceived = 0;
    this.transmit(state, encodeFrame(FrameKind.ACK, this.peerInstance, this.expected), true, true);
  }

  private tick(): void {
    if (this.statusValue === 'closed') return;
    const now = this.clock.now();
    const { DIRECT_DEAD_AFTER_MS, DIRECT_GIVE_UP_AFTER_MS, DIRECT_CONNECT_TIMEOUT_MS } =
      this.limits;
    const direct = this.direct;
    if (direct) {
      const silentFor = now - direct.lastHeard;
      if (
        direct.answered
          ? silentFor > DIRECT_GIVE_UP_AFTER_MS
          : now - direct.since > DIRECT_CONNECT_TIMEOUT_MS
      ) {
        this.dropDirect(true);
      } else if (direct.answered && silentFor > DIRECT_DEAD_AFTER_MS && this.active === direct) {
        this.switchTo(this.relay);
      }
    }
    if (this.retryAt !== undefined && now >= this.retryAt && this.direct === undefined) {
      this.retryAt = undefined;
      const connect = this.options.connectDirect;
      if (connect) {
        this.stats.directAttempts++;
        this.direct = this.watch(connect());
      }
    }
    const lastHeard = Math.max(this.relay.lastHeard, this.direct?.lastHeard ?? 0);
    if (this.statusValue === 'open' && now - lastHeard > this.limits.GONE_AFTER_MS) {
      this.finish();
      return;
    }
    for (const state of [this.relay, this.direct]) {
      if (state && now >= state.pingDueAt) this.ping(state);
    }
    if (this.unackedReceived > 0) this.ack(this.active);
  }

  private ping(state: TransportState): void {
    if (state.transport.status !== 'open') return;
    const now = this.clock.now();
    state.pingDueAt = now + this.limits.PING_INTERVAL_MS;
    const id = state.nextPing++;
    state.pings.set(id, now);
    // Unanswered pings are forgotten after a few rounds; they only feed RTT.
    if (state.pings.size > 16) state.pings.delete(state.pings.keys().next().value as number);
    this.transmitControl(state, encodePing(this.peerInstance, id, this.instance));
  }

  /**
   * Pings and pongs: on a direct transport they go unreliable, so a probe never waits behind
   * retransmissions of older data (that would hide a path that has come back); on the relay
   * they must not be dropped.
   */
  private transmitControl(state: TransportState, frame: Uint8Array): void {
    this.transmit(state, frame, state === this.relay, true);
  }

  /**
   * Game data goes on the active transport, and while a direct path is suspect (silent past a
   * missed ping) over the relay too: if the path is dying, the copy arrives without waiting for
   * it to be declared dead; if it is not, the receiver drops the second copy.
   */
  private sendFrame(frame: Uint8Array, reliable: boolean): void {
    const active = this.active;
    this.transmit(active, frame, reliable);
    if (
      active !== this.relay &&
      this.clock.now() - active.lastHeard > this.limits.DIRECT_SUSPECT_AFTER_MS
    ) {
      this.transmit(this.relay, frame, reliable);
    }
  }

  /** The peer is a new instance: nothing in flight will be acknowledged; count from zero. */
  private restart(): void {
    this.nextSeq = 0;
    this.unacked.length = 0;
    this.nextUnreliable = 0;
    this.expected = 0;
    this.reorder.clear();
    this.reorderBytes = 0;
    this.lastUnreliable = -1;
    this.unackedReceived = 0;
    this.resets.emit();
  }

  private switchTo(state: TransportState): void {
    if (this.active === state) return;
    this.active = state;
    this.stats.switches++;
    this.resendUnacked(state);
    this.kinds.emit(state.transport.kind);
  }

  private resendUnacked(state: TransportState): void {
    for (const { frame } of this.unacked) this.transmit(state, frame, true);
  }

  /** Forgets the direct transport; on failure, traffic goes back to the relay and a retry is planned. */
  private dropDirect(failed: boolean): void {
    const direct = this.direct;
    if (direct === undefined) return;
    this.direct = undefined;
    for (const off of direct.unsubscribe) off();
    direct.transport.close();
    if (this.active === direct) this.switchTo(this.relay);
    if (failed && this.options.connectDirect) {
      const jitter = 0.5 + this.random();
      this.retryAt = this.clock.now() + this.retryDelay * jitter;
      this.retryDelay = Math.min(this.retryDelay * 2, this.limits.DIRECT_RETRY_MAX_MS);
    }
  }

  private transmit(
    state: TransportState,
    frame: Uint8Array,
    reliable: boolean,
    control = false,
  ): void {
    if (state.transport.status === 'open') state.transport.send(frame, { reliable, control });
  }

  private setStatus(status: LinkStatus): void {
    if (this.statusValue === status || this.statusValue === 'closed') return;
    this.statusValue = status;
    this.statuses.emit(status);
  }

  private finish(): void {
    if (this.statusValue === 'closed') return;
    this.clock.clearInterval(this.ticker);
    this.dropDirect(false);
    for (const off of this.relay.unsubscribe) off();
    this.relay.transport.close();
    this.statusValue = 'closed';
    // Whatever a peer made us hold goes with the session.
    this.reorder.clear();
    this.reorderBytes = 0;
    this.unacked.length = 0;
    this.statuses.emit('closed');
    this.messages.clear();
    this.statuses.clear();
    this.kinds.clear();
    this.resets.clear();
  }
}
