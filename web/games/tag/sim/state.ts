/**
 * Tag: state, input and the constants of its rules.
 *
 * Units: positions are integers in 1/16 world units ("sub-units"); the arena is 1600×900 world
 * units. Times are integer ticks at 60 Hz. Every number in the state is an integer, so the
 * simulation is bit-identical on every machine.
 */

/** Sub-units per world unit. */
export const SUB = 16;
export const TICK_RATE = 60;

export const ARENA_WIDTH = 1600 * SUB;
export const ARENA_HEIGHT = 900 * SUB;
/** Players are circles of this radius (they collide with walls as their bounding square). */
export const PLAYER_RADIUS = 20 * SUB;
/** Sub-units moved per tick at full input (4 world units, 240 per second). */
export const PLAYER_SPEED = 4 * SUB;
/** Largest input component; an input vector is never longer than this. */
export const INPUT_MAX = 127;

/** Steps after a tag during which the new "it" cannot move or tag (so the tag is visible). */
export const TAG_FREEZE_TICKS = 30;
/** Steps at round start during which "it" cannot move or tag (a head start for the others). */
export const START_FREEZE_TICKS = 60;
/** Steps after a tag during which the previous "it" cannot be tagged (no tag-back). */
export const IMMUNE_TICKS = 90;

export const DEFAULT_ROUND_SECONDS = 90;
export const DEFAULT_SCOREBOARD_SECONDS = 5;
/** Longest configurable phase: one hour. */
export const MAX_PHASE_TICKS = 3600 * TICK_RATE;

/** Players a state may hold (lobbies cap at 32; twice that as a margin). */
export const MAX_PLAYERS = 64;
/** Player ids are peer ids: 16-bit. */
export const MAX_PLAYER_ID = 0xffff;
/** `it` / `immune` when nobody is. */
export const NO_PLAYER = -1;
/** Ticks are u32: at 60 Hz that is 2.2 years of one game. */
export const MAX_TICK = 0xffff_ffff;

export type Phase = 'playing' | 'scoreboard';

export interface TagPlayer {
  readonly id: number;
  /** Centre, in sub-units. */
  readonly x: number;
  readonly y: number;
  /** Ticks of this round spent not being "it" (display: score / 60 seconds). Reset per round. */
  readonly score: number;
}

export interface RoundResult {
  readonly id: number;
  readonly score: number;
}

export interface TagState {
  readonly tick: number;
  readonly phase: Phase;
  /** The tick at which the current phase ends (a deadline, so it does not change every tick). */
  readonly phaseEnd: number;
  /** 1 for the first round. */
  readonly round: number;
  /** Generator state (u32): picks "it" and spawn points. */
  readonly rng: number;
  /** Layout seed (u32): the obstacles and spawn points are a pure function of it. */
  readonly arena: number;
  /** Phase lengths, chosen at `init` by `createTag` options; carried so guests need no config. */
  readonly roundTicks: number;
  readonly scoreboardTicks: number;
  /** Who is "it": a player id, or NO_PLAYER (fewer than two players). */
  readonly it: number;
  /** Upcoming steps during which "it" neither moves nor tags. */
  readonly itFrozen: number;
  /** The previous "it", whom the current one cannot tag back, or NO_PLAYER. */
  readonly immune: number;
  /** Upcoming steps during which `immune` cannot be tagged; 0 exactly when immune is NO_PLAYER. */
  readonly immuneTicks: number;
  /** Sorted by id. */
  readonly players: readonly TagPlayer[];
  /** Final scores of the previous round, best first (score descending, then id ascending). */
  readonly lastRound: readonly RoundResult[];
}

/** A movement vector, each component an int8 in −127..127; length at most 127 once sanitized. */
export interface TagInput {
  readonly dx: number;
  readonly dy: number;
}

export const NO_INPUT: TagInput = Object.freeze({ dx: 0, dy: 0 });
