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
import { addPlayer, init, removePlayer, sanitize, step } from './rules.ts';
import {
  DEFAULT_ROUND_SECONDS,
  DEFAULT_SCOREBOARD_SECONDS,
  MAX_PHASE_TICKS,
  NO_INPUT,
  type TagInput,
  type TagState,
  TICK_RATE,
} from './state.ts';

export { type Arena, arenaFor, type Rect } from './arena.ts';
export { validate } from './codec.ts';
export * from './state.ts';

export interface TagOptions {
  /** Length of a round (default 90 s). */
  readonly roundSeconds?: number;
  /** Length of the scoreboard between rounds, while nobody moves (default 5 s). */
  readonly scoreboardSeconds?: number;
}

/**
 * Tag: one player is "it" and tags others by touching them (centres closer than two radii);
 * the tagged player becomes "it" and freezes for 0.5 s, and the previous "it" cannot be tagged
 * back for 1.5 s. The score is the time spent not being "it" while a round is on. A round
 * (90 s) is followed by a scoreboard (5 s, nobody moves), then everybody respawns for the next
 * round, whose "it" is drawn from the generator and frozen for 1 s as a head start. Scores
 * reset every round; the previous round's ranking stays in `lastRound`.
 *
 * The options only shape `init`: the phase lengths then travel inside the state, so a guest
 * decodes and predicts correctly whatever options its own instance was made with.
 * Static geometry for drawing: `arenaFor(state.arena)`.
 */
export function createTag(options: TagOptions = {}): Game<TagState, TagInput> {
  const timing = {
    roundTicks: toTicks(options.roundSeconds ?? DEFAULT_ROUND_SECONDS, 'roundSeconds'),
    scoreboardTicks: toTicks(
      options.scoreboardSeconds ?? DEFAULT_SCOREBOARD_SECONDS,
      'scoreboardSeconds',
    ),
  };
  return {
    id: 'tag',
    tickRate: TICK_RATE,
    init: (seed, players) => init(timing, seed, players),
    step,
    addPlayer,
    removePlayer,
    players: (state) => state.players.map((p) => p.id),
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

/** Tag with 90-second rounds and a 5-second scoreboard. */
export const tag: Game<TagState, TagInput> = createTag();

function toTicks(seconds: number, name: string): number {
  const ticks = Math.round(seconds * TICK_RATE);
  if (!Number.isFinite(ticks) || ticks < 1 || ticks > MAX_PHASE_TICKS) {
    throw new RangeError(
      `${name} must be between 1/${TICK_RATE} and ${MAX_PHASE_TICKS / TICK_RATE}`,
    );
  }
  return ticks;
}
