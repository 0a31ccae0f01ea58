/**
 * Light cycles: state, input and the constants of its rules.
 *
 * The arena is a grid of cells, `cols × rows`, sized at the start of each round for the number
 * of riders. Cells are numbered `y * cols + x`. Times are integer ticks at 60 Hz; a cycle moves
 * one cell every `ticksPerCell` ticks. Every number in the state is an integer.
 */

export const TICK_RATE = 60;

/** Headings, clockwise. A turn is any heading but the reverse one. */
export const Dir = { UP: 0, RIGHT: 1, DOWN: 2, LEFT: 3 } as const;
export type Dir = (typeof Dir)[keyof typeof Dir];
export const DX: readonly number[] = [0, 1, 0, -1];
export const DY: readonly number[] = [-1, 0, 1, 0];

/** The countdown before riders move ("3, 2, 1"): 2 s. */
export const COUNTDOWN_TICKS = 120;
/** The scoreboard between rounds: 4 s. */
export const SCOREBOARD_TICKS = 240;

/** Speed: ticks per cell (3 = 20 cells/s … 10 = 6 cells/s). */
export const MIN_TICKS_PER_CELL = 2;
export const MAX_TICKS_PER_CELL = 10;
export const DEFAULT_TICKS_PER_CELL = 4;

/** The arena grows with the riders: 40 + 8 per rider columns, within these bounds, 16:10. */
export const MIN_COLS = 64;
export const MAX_COLS = 176;
export const rowsFor = (cols: number): number => Math.round((cols * 5) / 8);
export const MIN_ROWS = rowsFor(MIN_COLS);
export const MAX_ROWS = rowsFor(MAX_COLS);

/** Cycles a state may hold (lobbies cap at 32; twice that as a margin). */
export const MAX_CYCLES = 64;
export const MAX_PLAYER_ID = 0xffff;
export const NO_PLAYER = -1;
export const MAX_TICK = 0xffff_ffff;

export type Phase = 'countdown' | 'riding' | 'scoreboard';
/** `waiting`: joined during a round, rides from the next one (no trail). */
export type CycleStatus = 'riding' | 'crashed' | 'waiting';

export interface Cycle {
  readonly id: number;
  readonly status: CycleStatus;
  /** Head cell (0, 0 while waiting). */
  readonly x: number;
  readonly y: number;
  readonly dir: Dir;
  /**
   * The trail: the cell it started from, then every cell where it turned, oldest first (cell
   * numbers). The trail is the path through these and the head; empty while waiting. It only
   * grows within a round, so a delta sends only the cells appended since its base.
   */
  readonly corners: readonly number[];
  /** Rounds won, kept across rounds. */
  readonly wins: number;
  /** Display only (set by `mergePlayer`, never encoded): the tick this cycle is drawn at. */
  readonly drawTick?: number;
}

export interface LightState {
  readonly tick: number;
  readonly phase: Phase;
  /** The tick the current phase began (riders move when `(tick − since) % ticksPerCell = 0`). */
  readonly since: number;
  /** 1 for the first round. */
  readonly round: number;
  /** Generator state (u32): spawn order and offset. */
  readonly rng: number;
  readonly cols: number;
  readonly rows: number;
  /** The speed chosen by the host; carried so guests need no configuration. */
  readonly ticksPerCell: number;
  /** Sorted by id. */
  readonly cycles: readonly Cycle[];
  /** The last finished round's winner, or NO_PLAYER (a draw, or no round finished yet). */
  readonly winner: number;
  /**
   * Occupied cells of this round (1) — derived from the trails, never encoded; rebuilt by the
   * decoder, copied when a step changes it. Treat as read-only.
   */
  readonly board: Uint8Array;
}

/** A heading to take at the next cell, or none (keep going). */
export interface LightInput {
  readonly dir: Dir | typeof NO_TURN;
}
export const NO_TURN = -1;
export const NO_INPUT: LightInput = Object.freeze({ dir: NO_TURN });
