import type { Result } from '../result.ts';

/**
 * A game for the lanparty engine: pure rules the host runs at a fixed rate and guests replay
 * for prediction, plus binary codecs for its inputs and state. A second game is one more
 * `Game` (and a renderer); the engine never looks inside `State` or `Input`.
 *
 * Rules must be deterministic: no `Date.now`, `Math.random` or floating-point state that could
 * differ between browsers — randomness lives in the state (a seeded generator), numbers in the
 * state are integers.
 */
export interface Game<State, Input> {
  /**
   * Short name (lower-case letters, digits, dashes; at most 32): every full snapshot carries it,
   * so a guest loads the game the host runs, and one that does not know it says so.
   */
  readonly id: string;
  /** Steps per second of the simulation (the host loop's fixed rate). */
  readonly tickRate: number;

  /** The state at tick 0 for these players (sorted ids) and this seed. */
  init(seed: number, players: readonly number[]): State;
  /** One tick: `inputs` holds the latest input of every player (NO_INPUT for silent ones). */
  step(state: State, inputs: ReadonlyMap<number, Input>): State;
  /**
   * A guest's prediction of its own player for one tick (optional; default: `step` with
   * `noInput` for everyone else). Games where only the host may decide some outcomes
   * (collisions, eliminations) predict without them and let the next snapshot tell.
   */
  predict?(state: State, me: number, input: Input): State;
  /** A player arrives mid-game (late join) or comes back (same id: gets its old player back). */
  addPlayer(state: State, id: number): State;
  /** A player leaves; its player disappears from the state. */
  removePlayer(state: State, id: number): State;
  /** The ids of the players in the state, sorted. */
  players(state: State): number[];
  /** The tick number of a state (snapshots are ordered by it). */
  tick(state: State): number;

  /** What a player sends when it has nothing to say. */
  readonly noInput: Input;
  /** Clamps anything a guest sent into a legal input (e.g. a vector no longer than 1). */
  sanitize(input: Input): Input;
  encodeInput(input: Input): Uint8Array;
  decodeInput(bytes: Uint8Array): Result<Input, string>;

  /** The whole state, for late joiners and resync. */
  encodeFull(state: State): Uint8Array;
  /** Only what changed since `base` (a state the receiver acknowledged). */
  encodeDelta(base: State, state: State): Uint8Array;
  /** Decodes a full snapshot (`base` undefined) or a delta against `base`; never trusts bytes. */
  decode(base: State | undefined, bytes: Uint8Array): Result<State, string>;

  /** A hash of the whole state, equal on every machine for equal states. */
  hash(state: State): number;

  // ---- for display only (guests draw other players between snapshots; floats are fine) ----

  /** `a` moved `alpha` (0..1) of the way towards `b`, for drawing between two snapshots. */
  interpolate(a: State, b: State, alpha: number): State;
  /** `into`, with player `id` as it is in `from` (a guest's own predicted player). */
  mergePlayer(into: State, from: State, id: number): State;
  /** Where player `id` is, for smoothing corrections; undefined if absent. */
  position(state: State, id: number): { readonly x: number; readonly y: number } | undefined;
  /** Player `id` drawn `dx, dy` away from where it is (a correction being eased out). */
  displace(state: State, id: number, dx: number, dy: number): State;
}
