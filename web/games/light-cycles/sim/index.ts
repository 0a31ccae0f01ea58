import type { Game } from '../../../../shared/sim/game.ts';
import {
  decodeInput,
  decodeState,
  encodeDelta,
  encodeFull,
  encodeInput,
  hashState,
} from './codec.ts';
import { displace, interpolate, mergePlayer, position } from './display.ts';
import { addPlayer, init, predict, removePlayer, sanitize, step } from './rules.ts';
import {
  DEFAULT_TICKS_PER_CELL,
  type LightInput,
  type LightState,
  MAX_TICKS_PER_CELL,
  MIN_TICKS_PER_CELL,
  NO_INPUT,
  TICK_RATE,
} from './state.ts';

export { validate } from './codec.ts';
export { headProgress } from './display.ts';
export { isFree, trailCells, turn } from './rules.ts';
export * from './state.ts';

export interface LightCyclesOptions {
  /** Ticks per cell (default 4: 15 cells a second). */
  readonly ticksPerCell?: number;
}

/**
 * Light cycles: every rider leaves a wall behind; turning is any heading but back. Riding into
 * a wall, a trail, or the same cell as another rider at the same moment eliminates; the last
 * one riding wins the round (all crashing at once is a draw), and wins count across rounds.
 * A round starts with a 2-second countdown on a grid sized for the riders; after the last crash
 * a 4-second scoreboard, then the next round. Late joiners ride from the next round.
 *
 * Only the host decides crashes: guests predict their own cycle with `predict`, which never
 * crashes. The speed travels in the state, so guests need no options.
 */
export function createLightCycles(options: LightCyclesOptions = {}): Game<LightState, LightInput> {
  const ticksPerCell = options.ticksPerCell ?? DEFAULT_TICKS_PER_CELL;
  if (
    !Number.isInteger(ticksPerCell) ||
    ticksPerCell < MIN_TICKS_PER_CELL ||
    ticksPerCell > MAX_TICKS_PER_CELL
  ) {
    throw new RangeError(
      `ticksPerCell must be a whole number from ${MIN_TICKS_PER_CELL} to ${MAX_TICKS_PER_CELL}`,
    );
  }
  return {
    id: 'light-cycles',
    tickRate: TICK_RATE,
    init: (seed, players) => init(ticksPerCell, seed, players),
    step,
    predict,
    addPlayer,
    removePlayer,
    players: (state) => state.cycles.map((c) => c.id),
    tick: (state) => state.tick,
    noInput: NO_INPUT,
    sanitize,
    encodeInput: (input) => encodeInput(sanitize(input)),
    decodeInput,
    encodeFull,
    encodeDelta: (base, state) => encodeDelta(base, state, hashState(base)),
    decode: (base, bytes) => decodeState(base, () => (base ? hashState(base) : 0), bytes),
    hash: hashState,
    interpolate,
    mergePlayer,
    position,
    displace,
  };
}

/** Light cycles at 15 cells a second. */
export const lightCycles: Game<LightState, LightInput> = createLightCycles();
