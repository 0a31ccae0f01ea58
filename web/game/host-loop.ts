import {
  decodeEngineFrame,
  EngineFrame,
  encodeDelta,
  encodeEvent,
  encodeFull,
  GameEvent,
  isEngineFrame,
  NO_BASE,
} from '../../shared/sim/engine-frames.ts';
import type { Game } from '../../shared/sim/game.ts';
import type { Link, Unsubscribe } from '../net/link.ts';
import { FixedStepper } from './fixed-step.ts';

/** Every limit of the host loop, by name. */
export const HOST_LIMITS = {
  /** Snapshots per second to each guest. */
  SNAPSHOT_RATE: 30,
  /** INPUT frames a guest may send per second (it sends one per tick, 60); beyond, dropped and counted. */
  INPUT_FRAMES_PER_SECOND: 120,
  /** Snapshots kept as possible delta bases (about 2 s at 30 Hz). */
  HISTORY: 64,
  /** Inputs queued per guest; one is applied per tick, older ones go when the queue is full. */
  INPUT_QUEUE: 8,
} as const;

export interface HostStats {
  ticks: number;
  snapshots: number;
  snapshotBytes: number;
  /** Frames from guests that did not decode. */
  rejectedFrames: number;
  /** Inputs that did not decode, or came with an old sequence number. */
  rejectedInputs: number;
  /** INPUT frames over the per-guest rate. */
  rateLimited: number;
  /** INPUT frames from spectators, who have no player: refused. */
  spectatorInputs: number;
}

interface Guest<I> {
  readonly link: Link;
  /** Watches: gets snapshots, has no player, and its inputs are refused. */
  readonly spectator: boolean;
  readonly unsubscribe: Unsubscribe;
  /** The input applied at the last tick (repeated while no newer one has arrived). */
  input: I;
  /** Sequence number of that input: snapshots tell the guest, which replays what came after. */
  lastSeq: number;
  /** Received, not yet applied: one per tick, like the guest produced them. */
  readonly queue: { seq: number; input: I }[];
  lastQueued: number;
  /** Latest snapshot tick the guest acknowledged: the base of its next delta. */
  ackTick: number;
  needsFull: boolean;
  /** Input frames counted in the current one-second window. */
  windowStart: number;
  windowFrames: number;
}

export interface HostLoopOptions<S, I> {
  readonly game: Game<S, I>;
  readonly seed: number;
  /** The host plays too: its player id. */
  readonly hostId: number;
  readonly snapshotRate?: number;
  /**
   * Host migration: carry on from this state (the last authoritative one the new host received)
   * instead of a new game from `seed`. Randomness, the round timer and the scores are in it.
   */
  readonly initial?: S;
}

/**
 * The authority: runs the game at its fixed rate with the latest input of every player, and
 * sends each guest a snapshot 30 times a second — a delta against the last snapshot that guest
 * acknowledged, on the unreliable channel. Lifecycle events go on the reliable channel. It is
 * driven by `advance(now)` from a clock that keeps running in a background tab (a Worker).
 */
export class HostLoop<S, I> {
  readonly stats: HostStats = {
    ticks: 0,
    snapshots: 0,
    snapshotBytes: 0,
    rejectedFrames: 0,
    rejectedInputs: 0,
    rateLimited: 0,
    spectatorInputs: 0,
  };
  private stateValue: S;
  private readonly game: Game<S, I>;
  private readonly guests = new Map<number, Guest<I>>();
  private readonly history = new Map<number, S>();
  private localInput: I;
  private readonly stepper: FixedStepper;
  private readonly snapshotEvery: number;

  constructor(private readonly options: HostLoopOptions<S, I>) {
    this.game = options.game;
    this.stateValue = options.initial ?? this.game.init(options.seed, [options.hostId]);
    this.localInput = this.game.noInput;
    this.stepper = new FixedStepper(this.game.tickRate);
    this.snapshotEvery = Math.max(
      1,
      Math.round(this.game.tickRate / (options.snapshotRate ?? HOST_LIMITS.SNAPSHOT_RATE)),
    );
  }

  get state(): S {
    return this.stateValue;
  }

  /** The host's own input, read at every tick. */
  setLocalInput(input: I): void {
    this.localInput = this.game.sanitize(input);
  }

  /**
   * A guest joined (or came back on a new link): its player enters the game — or keeps the one
   * it had, with position and score, if it never left — and it gets a full snapshot. A spectator
   * gets the snapshots only.
   */
  addGuest(id: number, link: Link, spectator = false): void {
    this.guests.get(id)?.unsubscribe();
    const isNew = !spectator && !this.game.players(this.stateValue).includes(id);
    if (isNew) this.stateValue = this.game.addPlayer(this.stateValue, id);
    const offMessage = link.onMessage((bytes) => this.receive(id, bytes));
    // The guest's page reloaded: its inputs count from one again, and it needs the whole state.
    const offReset = link.onReset(() => {
      guest.queue.length = 0;
      guest.lastQueued = 0;
      guest.lastSeq = 0;
      guest.ackTick = NO_BASE;
      guest.needsFull = true;
    });
    const guest: Guest<I> = {
      link,
      spectator,
      unsubscribe: () => {
        offMessage();
        offReset();
      },
      input: this.game.noInput,
      lastSeq: 0,
      queue: [],
      lastQueued: 0,
      ackTick: NO_BASE,
      needsFull: true,
      windowStart: 0,
      windowFrames: 0,
    };
    this.guests.set(id, guest);
    this.sendFull(id, guest);
    if (isNew) this.broadcastEvent(GameEvent.JOINED, id);
  }

  /** A guest left for good: its player disappears. */
  removeGuest(id: number): void {
    const guest = this.guests.get(id);
    guest?.unsubscribe();
    this.guests.delete(id);
    if (this.game.players(this.stateValue).includes(id)) {
      this.stateValue = this.game.removePlayer(this.stateValue, id);
      this.broadcastEvent(GameEvent.LEFT, id);
    }
  }

  /** Runs the steps due by `now` (milliseconds), at the game's fixed rate. */
  advance(now: number): void {
    this.stepper.advance(now, () => this.step(now));
  }

  /** One tick, now. */
  step(now = 0): void {
    const inputs = new Map<number, I>();
    for (const id of this.game.players(this.stateValue)) {
      if (id === this.options.hostId) {
        inputs.set(id, this.localInput);
        continue;
      }
      const guest = this.guests.get(id);
      const next = guest?.queue.shift();
      if (guest && next) {
        guest.input = next.input;
        guest.lastSeq = next.seq;
      }
      inputs.set(id, guest?.input ?? this.game.noInput);
    }
    this.stateValue = this.game.step(this.stateValue, inputs);
    this.stats.ticks++;
    if (this.game.tick(this.stateValue) % this.snapshotEvery === 0) this.sendSnapshots(now);
  }

  dispose(): void {
    for (const guest of this.guests.values()) guest.unsubscribe();
    this.guests.clear();
  }

  private sendSnapshots(_now: number): void {
    const tick = this.game.tick(this.stateValue);
    this.history.set(tick, this.stateValue);
    if (this.history.size > HOST_LIMITS.HISTORY)
      this.history.delete(this.history.keys().next().value as number);
    for (const [id, guest] of this.guests) {
      if (guest.needsFull) {
        this.sendFull(id, guest);
        continue;
      }
      // A base the guest can still name by its low tick byte, or the whole state.
      const base = tick - guest.ackTick < 200 ? this.history.get(guest.ackTick) : undefined;
      const frame =
        base === undefined
          ? encodeFull(guest.lastSeq, this.game.id, this.game.encodeFull(this.stateValue))
          : encodeDelta(guest.ackTick, guest.lastSeq, this.game.encodeDelta(base, this.stateValue));
      guest.link.send(frame, { reliable: false });
      this.stats.snapshots++;
      this.stats.snapshotBytes += frame.length;
    }
  }

  private sendFull(_id: number, guest: Guest<I>): void {
    const tick = this.game.tick(this.stateValue);
    this.history.set(tick, this.stateValue);
    guest.needsFull = false;
    const frame = encodeFull(guest.lastSeq, this.game.id, this.game.encodeFull(this.stateValue));
    guest.link.send(frame, { reliable: true });
    this.stats.snapshotBytes += frame.length;
  }

  private broadcastEvent(event: GameEvent, player: number): void {
    const frame = encodeEvent(event, player);
    for (const guest of this.guests.values()) guest.link.send(frame, { reliable: true });
  }

  /** A frame from guest `id`. The id comes from the link, never from the bytes. */
  private receive(id: number, bytes: Uint8Array): void {
    const guest = this.guests.get(id);
    if (guest === undefined || !isEngineFrame(bytes)) return;
    const decoded = decodeEngineFrame(bytes);
    if (!decoded.ok) {
      this.stats.rejectedFrames++;
      return;
    }
    const msg = decoded.value;
    if (msg.kind === EngineFrame.RESYNC) {
      guest.needsFull = true;
      return;
    }
    if (msg.kind === EngineFrame.ACK) {
      if (this.history.has(msg.ackTick)) guest.ackTick = msg.ackTick;
      return;
    }
    if (msg.kind !== EngineFrame.INPUT) {
      this.stats.rejectedFrames++;
      return;
    }
    if (guest.spectator) {
      this.stats.spectatorInputs++;
      return;
    }
    const now = this.stats.ticks;
    if (now - guest.windowStart >= this.game.tickRate) {
      guest.windowStart = now;
      guest.windowFrames = 0;
    }
    if (++guest.windowFrames > HOST_LIMITS.INPUT_FRAMES_PER_SECOND) {
      this.stats.rateLimited++;
      return;
    }
    if (this.history.has(msg.ackTick)) guest.ackTick = msg.ackTick;
    // Sequence numbers only go up: inputs already queued (sent again for redundancy) or replayed
    // are skipped.
    const first = msg.newestSeq - msg.inputs.length + 1;
    for (let i = 0; i < msg.inputs.length; i++) {
      const seq = first + i;
      const bytes = msg.inputs[i];
      if (seq <= guest.lastQueued || bytes === undefined) continue;
      const input = this.game.decodeInput(bytes);
      if (!input.ok) {
        this.stats.rejectedInputs++;
        continue;
      }
      guest.queue.push({ seq, input: this.game.sanitize(input.value) });
      guest.lastQueued = seq;
      if (guest.queue.length > HOST_LIMITS.INPUT_QUEUE) guest.queue.shift();
    }
  }
}
