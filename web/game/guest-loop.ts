import {
  decodeEngineFrame,
  EngineFrame,
  encodeAck,
  encodeInputs,
  encodeResync,
  fromLowByte,
  type GameEvent,
  isEngineFrame,
  MAX_INPUTS_PER_FRAME,
  NO_BASE,
} from '../../shared/sim/engine-frames.ts';
import type { Game } from '../../shared/sim/game.ts';
import { Emitter, type Link, type Unsubscribe } from '../net/link.ts';
import { FixedStepper } from './fixed-step.ts';

/** Every limit and tuning value of the guest loop, by name. */
export const GUEST_LIMITS = {
  /** Each INPUT frame repeats this many of the latest inputs, so a lost frame loses none. */
  INPUT_REDUNDANCY: 5,
  /** Snapshots kept as delta bases. */
  BASES: 64,
  /** Bounds of the interpolation delay, which adapts to the snapshot rate and jitter. */
  INTERPOLATION_MIN_MS: 40,
  INTERPOLATION_MAX_MS: 300,
  /** A correction is eased out with this half-life, so it never shows as a snap... */
  CORRECTION_HALF_LIFE_MS: 80,
  /** ...unless it is this far (world units): then it is a teleport (respawn) and applied at once. */
  SNAP_DISTANCE: 150,
  /** Inputs not yet confirmed by a snapshot; beyond, the oldest are forgotten. */
  MAX_PENDING_INPUTS: 240,
  /** At most one full-snapshot request per this many milliseconds. */
  RESYNC_INTERVAL_MS: 500,
  /**
   * With no snapshot for this long the host is gone or stalled (a host migration takes 1.5–2 s):
   * this player's prediction stops running ahead, so the new host's state does not pull it back
   * by seconds of movement. Inputs are still sent; a late snapshot replays them all.
   */
  PREDICT_AHEAD_MS: 500,
} as const;

export interface GuestStats {
  snapshots: number;
  rejectedFrames: number;
  resyncs: number;
  /** Largest prediction correction seen (world units), and the latest one. */
  maxCorrection: number;
  lastCorrection: number;
}

export interface GuestLoopOptions<S, I> {
  readonly game: Game<S, I>;
  /** This guest's player id. */
  readonly me: number;
  readonly link: Link;
  /** Milliseconds, the same clock `advance` and `view` are given. */
  readonly now?: () => number;
  /** A frame that arrived before this loop existed (the full state that named the game). */
  readonly first?: Uint8Array;
  /** Watches only: sends no inputs (an ACK per snapshot instead) and predicts nothing. */
  readonly spectator?: boolean;
}

interface Buffered<S> {
  readonly tick: number;
  readonly state: S;
}

/**
 * A guest's side of the game: sends its inputs (numbered, the last few repeated, unreliable),
 * predicts its own player at once and reconciles on each snapshot by replaying the inputs the
 * host has not applied yet, and draws everyone else interpolated from a small buffer whose
 * delay adapts to the jitter. Corrections are eased out. It keeps the latest full state.
 */
export class GuestLoop<S, I> {
  readonly stats: GuestStats = {
    snapshots: 0,
    rejectedFrames: 0,
    resyncs: 0,
    maxCorrection: 0,
    lastCorrection: 0,
  };
  /** The newest authoritative state received (host migration can start from it). */
  authoritative: S | undefined;
  private readonly game: Game<S, I>;
  private readonly bases = new Map<number, S>();
  private readonly buffer: Buffered<S>[] = [];
  private pending: { seq: number; input: I; bytes: Uint8Array }[] = [];
  private predicted: S | undefined;
  private seq = 0;
  private ackTick = NO_BASE;
  private readonly stepper: FixedStepper;
  /** Estimated (host tick time − local time); the best (least delayed) arrival wins. */
  private clockOffset: number | undefined;
  private lateness = 0;
  private correction = { x: 0, y: 0 };
  private lastView: number | undefined;
  private lastResync = -Infinity;
  /** When the newest snapshot arrived (the `now` of `receive`). */
  private lastSnapshotAt: number | undefined;
  private readonly unsubscribe: Unsubscribe;
  private readonly events = new Emitter<[GameEvent, number]>();

  constructor(private readonly options: GuestLoopOptions<S, I>) {
    this.game = options.game;
    this.stepper = new FixedStepper(this.game.tickRate);
    const now = options.now ?? (() => performance.now());
    const offMessage = options.link.onMessage((bytes) => this.receive(bytes, now()));
    const offReset = options.link.onReset(() => this.forget());
    this.unsubscribe = () => {
      offMessage();
      offReset();
    };
    if (options.first) this.receive(options.first, now());
  }

  /** Joins, leaves: for announcements. */
  onEvent(handler: (event: GameEvent, player: number) => void): Unsubscribe {
    return this.events.on(handler);
  }

  /** Current interpolation delay in milliseconds. */
  get interpolationDelay(): number {
    const interval = this.snapshotInterval();
    return Math.min(
      GUEST_LIMITS.INTERPOLATION_MAX_MS,
      Math.max(GUEST_LIMITS.INTERPOLATION_MIN_MS, interval * 1.5 + this.lateness * 2),
    );
  }

  /** Runs this guest's fixed steps due by `now` with the current `input`: predict and send. */
  advance(now: number, input: I): void {
    if (this.options.spectator) return;
    const clean = this.game.sanitize(input);
    const hostSilent =
      this.lastSnapshotAt !== undefined &&
      now - this.lastSnapshotAt > GUEST_LIMITS.PREDICT_AHEAD_MS;
    this.stepper.advance(now, () => this.stepOnce(clean, !hostSilent));
  }

  /** What to draw at `now`: the others interpolated, this player predicted (and eased). */
  view(now: number): S | undefined {
    const dt = this.lastView === undefined ? 0 : now - this.lastView;
    this.lastView = now;
    const decay = 0.5 ** (dt / GUEST_LIMITS.CORRECTION_HALF_LIFE_MS);
    this.correction = { x: this.correction.x * decay, y: this.correction.y * decay };
    const others = this.interpolated(now);
    if (others === undefined || this.predicted === undefined) return others;
    const me = this.game.displace(
      this.predicted,
      this.options.me,
      this.correction.x,
      this.correction.y,
    );
    return this.game.mergePlayer(others, me, this.options.me);
  }

  dispose(): void {
    this.unsubscribe();
    this.events.clear();
  }

  // ---- internals -------------------------------------------------------------------------------

  /** The host started over: everything known of its game is void until its next full state. */
  private forget(): void {
    this.authoritative = undefined;
    this.predicted = undefined;
    this.bases.clear();
    this.buffer.length = 0;
    this.pending = [];
    this.seq = 0;
    this.ackTick = NO_BASE;
    this.clockOffset = undefined;
    this.correction = { x: 0, y: 0 };
  }

  private stepOnce(input: I, predict = true): void {
    const seq = ++this.seq;
    const bytes = this.game.encodeInput(input);
    this.pending.push({ seq, input, bytes });
    if (this.pending.length > GUEST_LIMITS.MAX_PENDING_INPUTS) this.pending.shift();
    if (this.predicted !== undefined && predict)
      this.predicted = this.stepWith(this.predicted, input);
    const recent = this.pending.slice(
      -Math.min(GUEST_LIMITS.INPUT_REDUNDANCY, MAX_INPUTS_PER_FRAME),
    );
    const newest = recent[recent.length - 1]?.seq ?? seq;
    this.options.link.send(
      encodeInputs(
        this.ackTick,
        newest,
        recent.map((p) => p.bytes),
      ),
      { reliable: false },
    );
  }

  /** One tick of the prediction: this player's input, nobody else's (they are interpolated). */
  private stepWith(state: S, input: I): S {
    if (this.game.predict) return this.game.predict(state, this.options.me, input);
    const inputs = new Map<number, I>();
    for (const id of this.game.players(state))
      inputs.set(id, id === this.options.me ? input : this.game.noInput);
    return this.game.step(state, inputs);
  }

  private receive(bytes: Uint8Array, now: number): void {
    if (!isEngineFrame(bytes)) return;
    const decoded = decodeEngineFrame(bytes);
    if (!decoded.ok) {
      this.stats.rejectedFrames++;
      return;
    }
    const msg = decoded.value;
    switch (msg.kind) {
      case EngineFrame.EVENT:
        this.events.emit(msg.event, msg.player);
        return;
      case EngineFrame.SNAPSHOT:
      case EngineFrame.FULL: {
        let base: S | undefined;
        // Another game's state is not ours to decode (the runner switches games on it).
        if (msg.kind === EngineFrame.FULL && msg.game !== this.game.id) return;
        if (msg.kind === EngineFrame.SNAPSHOT) {
          base = this.baseByLowByte(msg.baseLow);
          if (base === undefined) return this.resync(now);
        }
        const state = this.game.decode(base, msg.body);
        if (!state.ok) {
          this.stats.rejectedFrames++;
          return this.resync(now);
        }
        const tick = this.game.tick(state.value);
        const latest = this.authoritative === undefined ? -1 : this.game.tick(this.authoritative);
        // Unreliable snapshots may be overtaken by a reliable full one: never go back.
        if (tick <= latest) return;
        this.accept(tick, fromLowByte(msg.seqLow, this.seq), state.value, now);
        return;
      }
      case EngineFrame.CHOICE:
        // The lobby's pick, for the play session (a late joiner gets it too): not the game's.
        return;
      default:
        this.stats.rejectedFrames++;
    }
  }

  /** The newest base whose tick has this low byte (the host names bases it knows we hold). */
  private baseByLowByte(low: number): S | undefined {
    let found: S | undefined;
    for (const [tick, state] of this.bases) if ((tick & 0xff) === low) found = state;
    return found;
  }

  private accept(tick: number, inputSeq: number, state: S, now: number): void {
    this.stats.snapshots++;
    this.authoritative = state;
    this.lastSnapshotAt = now;
    this.ackTick = tick;
    this.bases.set(tick, state);
    if (this.bases.size > GUEST_LIMITS.BASES)
      this.bases.delete(this.bases.keys().next().value as number);
    this.buffer.push({ tick, state });
    if (this.buffer.length > 32) this.buffer.shift();
    this.observeArrival(tick, now);
    if (this.options.spectator) {
      this.options.link.send(encodeAck(tick), { reliable: false });
      return;
    }
    this.reconcile(inputSeq, state);
  }

  /** Replays the inputs the host has not applied yet on top of its state. */
  private reconcile(inputSeq: number, state: S): void {
    this.pending = this.pending.filter((p) => p.seq > inputSeq);
    let replay = state;
    for (const p of this.pending) replay = this.stepWith(replay, p.input);
    const me = this.options.me;
    const before =
      this.predicted === undefined ? undefined : this.game.position(this.predicted, me);
    const after = this.game.position(replay, me);
    this.predicted = replay;
    if (before === undefined || after === undefined) return;
    const dx = before.x - after.x;
    const dy = before.y - after.y;
    const distance = Math.hypot(dx, dy);
    this.stats.lastCorrection = distance;
    this.stats.maxCorrection = Math.max(this.stats.maxCorrection, distance);
    // The drawn position stays where it was and eases towards the corrected one.
    this.correction =
      distance > GUEST_LIMITS.SNAP_DISTANCE
        ? { x: 0, y: 0 }
        : { x: this.correction.x + dx, y: this.correction.y + dy };
  }

  private resync(now: number): void {
    if (now - this.lastResync < GUEST_LIMITS.RESYNC_INTERVAL_MS) return;
    this.lastResync = now;
    this.stats.resyncs++;
    this.options.link.send(encodeResync(), { reliable: true });
  }

  /** Learns the host's clock from arrivals: the least delayed one sets the offset. */
  private observeArrival(tick: number, now: number): void {
    const offset = tick * this.stepper.stepMs - now;
    if (this.clockOffset === undefined || offset > this.clockOffset) this.clockOffset = offset;
    // Let the estimate drift back slowly, so a clock change or a route change is followed.
    this.clockOffset -= 0.02;
    const late = this.clockOffset - offset;
    this.lateness = this.lateness * 0.9 + late * 0.1;
  }

  private snapshotInterval(): number {
    const [a, b] = [this.buffer[this.buffer.length - 2], this.buffer[this.buffer.length - 1]];
    return a && b ? (b.tick - a.tick) * this.stepper.stepMs : 50;
  }

  private interpolated(now: number): S | undefined {
    const newest = this.buffer[this.buffer.length - 1];
    if (newest === undefined || this.clockOffset === undefined) return this.authoritative;
    const renderTick = (now + this.clockOffset - this.interpolationDelay) / this.stepper.stepMs;
    for (let i = this.buffer.length - 1; i > 0; i--) {
      const b = this.buffer[i] as Buffered<S>;
      const a = this.buffer[i - 1] as Buffered<S>;
      if (a.tick <= renderTick && renderTick <= b.tick) {
        return this.game.interpolate(a.state, b.state, (renderTick - a.tick) / (b.tick - a.tick));
      }
    }
    // Older than the buffer: the oldest; newer than everything (late snapshots): the newest.
    const oldest = this.buffer[0] as Buffered<S>;
    return renderTick < oldest.tick ? oldest.state : newest.state;
  }
}
