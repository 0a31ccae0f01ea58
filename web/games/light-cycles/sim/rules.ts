import { mixSeed, nextInt } from '../../../../shared/sim/rng.ts';
import {
  COUNTDOWN_TICKS,
  type Cycle,
  type Dir,
  DX,
  DY,
  type LightInput,
  type LightState,
  MAX_COLS,
  MAX_CYCLES,
  MAX_PLAYER_ID,
  MIN_COLS,
  NO_INPUT,
  NO_PLAYER,
  NO_TURN,
  rowsFor,
  SCOREBOARD_TICKS,
} from './state.ts';

const SEED_SALT = 3;

/** Tick 0 of round 1: everyone (any order, duplicates ignored) on the starting ring. */
export function init(ticksPerCell: number, seed: number, ids: readonly number[]): LightState {
  const unique = [...new Set(ids)].sort((a, b) => a - b);
  if (unique.length > MAX_CYCLES) throw new RangeError(`more than ${MAX_CYCLES} players`);
  return startRound({
    tick: 0,
    phase: 'scoreboard',
    since: 0,
    round: 0,
    rng: mixSeed(seed, SEED_SALT),
    cols: MIN_COLS,
    rows: rowsFor(MIN_COLS),
    ticksPerCell,
    cycles: unique.map((id) => waiting(checkId(id), 0)),
    winner: NO_PLAYER,
    board: new Uint8Array(0),
  });
}

/** One tick on the host: every rider turns as asked and moves; collisions eliminate. */
export function step(state: LightState, inputs: ReadonlyMap<number, LightInput>): LightState {
  const tick = state.tick + 1;
  switch (state.phase) {
    case 'countdown':
      return tick - state.since >= COUNTDOWN_TICKS
        ? { ...state, tick, phase: 'riding', since: tick }
        : { ...state, tick };
    case 'scoreboard':
      return tick - state.since >= SCOREBOARD_TICKS
        ? startRound({ ...state, tick })
        : { ...state, tick };
    case 'riding': {
      if ((tick - state.since) % state.ticksPerCell !== 0) return { ...state, tick };
      const moved = moveAll(state, inputs);
      return roundOver(moved) ? endRound({ ...moved, tick }) : { ...moved, tick };
    }
  }
}

/**
 * A guest's prediction of its own cycle for one tick: it turns and moves like on the host, but
 * nothing crashes — a cycle facing a wall or a trail waits where it is for the host's verdict,
 * and the others stand still (they are drawn from the host's snapshots). Phases change as on
 * the host, except the end of a round, which only the host decides.
 */
export function predict(state: LightState, me: number, input: LightInput): LightState {
  if (state.phase !== 'riding') return step(state, new Map([[me, input]]));
  const tick = state.tick + 1;
  if ((tick - state.since) % state.ticksPerCell !== 0) return { ...state, tick };
  const cycle = state.cycles.find((c) => c.id === me);
  if (cycle === undefined || cycle.status !== 'riding') return { ...state, tick };
  const dir = turn(cycle.dir, input);
  const x = cycle.x + (DX[dir] ?? 0);
  const y = cycle.y + (DY[dir] ?? 0);
  if (!isFree(state, x, y)) return { ...state, tick };
  const board = state.board.slice();
  board[y * state.cols + x] = 1;
  const next = advance(cycle, dir, x, y, state.cols);
  return { ...state, tick, board, cycles: state.cycles.map((c) => (c.id === me ? next : c)) };
}

/** A late joiner waits for the next round (a reconnect with a known id keeps its cycle). */
export function addPlayer(state: LightState, id: number): LightState {
  checkId(id);
  if (state.cycles.some((c) => c.id === id)) return state;
  if (state.cycles.length >= MAX_CYCLES) throw new RangeError(`more than ${MAX_CYCLES} players`);
  const cycles = [...state.cycles, waiting(id, 0)].sort((a, b) => a.id - b.id);
  // Before anyone moved, a newcomer can still take part: the round starts over with it.
  return state.phase === 'countdown'
    ? startRound({ ...state, round: state.round - 1, cycles })
    : { ...state, cycles };
}

/** A leaver disappears with its trail. */
export function removePlayer(state: LightState, id: number): LightState {
  if (!state.cycles.some((c) => c.id === id)) return state;
  const cycles = state.cycles.filter((c) => c.id !== id);
  return { ...state, cycles, board: buildBoard(state.cols, state.rows, cycles) ?? state.board };
}

/** Any value into a legal input: a heading 0–3, or no turn. */
export function sanitize(input: LightInput): LightInput {
  const d = input.dir;
  return Number.isInteger(d) && d >= 0 && d <= 3 ? { dir: d } : NO_INPUT;
}

// ---- rules, one per function ----------------------------------------------------------------

/** The heading after `input`: any turn but a reversal. */
export function turn(dir: Dir, input: LightInput): Dir {
  const want = sanitize(input).dir;
  return want === NO_TURN || want === (dir + 2) % 4 ? dir : want;
}

/**
 * Every rider moves one cell at once. A rider crashes (and stays where it was) when its next
 * cell is outside the arena, already part of a trail, or the next cell of another rider too.
 */
function moveAll(state: LightState, inputs: ReadonlyMap<number, LightInput>): LightState {
  const { cols } = state;
  const targets = new Map<number, { dir: Dir; x: number; y: number }>();
  const claims = new Map<number, number>();
  for (const c of state.cycles) {
    if (c.status !== 'riding') continue;
    const dir = turn(c.dir, inputs.get(c.id) ?? NO_INPUT);
    const x = c.x + (DX[dir] ?? 0);
    const y = c.y + (DY[dir] ?? 0);
    targets.set(c.id, { dir, x, y });
    if (isFree(state, x, y)) claims.set(y * cols + x, (claims.get(y * cols + x) ?? 0) + 1);
  }
  if (targets.size === 0) return state;
  const board = state.board.slice();
  const cycles = state.cycles.map((c): Cycle => {
    const t = targets.get(c.id);
    if (t === undefined) return c;
    const cell = t.y * cols + t.x;
    if (claims.get(cell) !== 1) return { ...c, status: 'crashed' };
    board[cell] = 1;
    return advance(c, t.dir, t.x, t.y, cols);
  });
  return { ...state, cycles, board };
}

/** A cycle one cell on, heading `dir`: where it turned becomes a corner of its trail. */
function advance(c: Cycle, dir: Dir, x: number, y: number, cols: number): Cycle {
  const corners = dir === c.dir ? c.corners : [...c.corners, c.y * cols + c.x];
  return { id: c.id, status: c.status, x, y, dir, corners, wins: c.wins };
}

/** Over when nobody rides, or one rider is left of a round that had several. */
function roundOver(state: LightState): boolean {
  let riding = 0;
  let inRound = 0;
  for (const c of state.cycles) {
    if (c.status === 'riding') riding++;
    if (c.status !== 'waiting') inRound++;
  }
  return riding === 0 || (riding === 1 && inRound >= 2);
}

/** The last rider (of several) wins the round; a round where all crashed at once is a draw. */
function endRound(state: LightState): LightState {
  const riders = state.cycles.filter((c) => c.status === 'riding');
  const inRound = state.cycles.filter((c) => c.status !== 'waiting').length;
  const winner = riders.length === 1 && inRound >= 2 ? (riders[0]?.id ?? NO_PLAYER) : NO_PLAYER;
  return {
    ...state,
    phase: 'scoreboard',
    since: state.tick,
    winner,
    cycles: state.cycles.map((c) => (c.id === winner ? { ...c, wins: c.wins + 1 } : c)),
  };
}

/**
 * Everybody rides in the new round: an arena sized for them, each on the starting ring — a
 * rectangle inset by a sixth of the arena — evenly spaced from an offset drawn from the
 * generator, in an order drawn from it too, heading clockwise along the ring.
 */
function startRound(state: LightState): LightState {
  const n = state.cycles.length;
  const cols = Math.max(MIN_COLS, Math.min(MAX_COLS, 40 + 8 * n));
  const rows = rowsFor(cols);
  let rng = state.rng;
  const order = state.cycles.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const [j, next] = nextInt(rng, i + 1);
    rng = next;
    [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
  }
  const inset = Math.floor(Math.min(cols, rows) / 6);
  const w = cols - 1 - 2 * inset;
  const h = rows - 1 - 2 * inset;
  const perimeter = 2 * (w + h);
  const [offset, after] = nextInt(rng, perimeter);
  rng = after;
  const board = new Uint8Array(cols * rows);
  const slots = new Map<number, { x: number; y: number; dir: Dir }>();
  order.forEach((cycleIndex, k) => {
    const slot = ringPoint(inset, w, h, (offset + Math.floor((k * perimeter) / n)) % perimeter);
    slots.set(cycleIndex, slot);
  });
  const cycles = state.cycles.map((c, i): Cycle => {
    const s = slots.get(i) ?? { x: 0, y: 0, dir: 0 as Dir };
    const cell = s.y * cols + s.x;
    board[cell] = 1;
    return {
      id: c.id,
      status: 'riding',
      x: s.x,
      y: s.y,
      dir: s.dir,
      corners: [cell],
      wins: c.wins,
    };
  });
  return {
    ...state,
    phase: 'countdown',
    since: state.tick,
    round: state.round + 1,
    rng,
    cols,
    rows,
    cycles,
    board,
  };
}

/** The point `d` cells clockwise from the ring's top-left corner, heading along the ring. */
function ringPoint(inset: number, w: number, h: number, d: number) {
  if (d < w) return { x: inset + d, y: inset, dir: 1 as Dir };
  if (d < w + h) return { x: inset + w, y: inset + d - w, dir: 2 as Dir };
  if (d < 2 * w + h) return { x: inset + w - (d - w - h), y: inset + h, dir: 3 as Dir };
  return { x: inset, y: inset + h - (d - 2 * w - h), dir: 0 as Dir };
}

// ---- board -----------------------------------------------------------------------------------

export function isFree(state: LightState, x: number, y: number): boolean {
  return (
    x >= 0 && y >= 0 && x < state.cols && y < state.rows && state.board[y * state.cols + x] === 0
  );
}

/**
 * The cells of a trail in order, from its first corner to the head; undefined if a leg is not
 * straight or leaves the arena.
 */
export function trailCells(c: Cycle, cols: number, rows: number): number[] | undefined {
  if (c.corners.length === 0) return [];
  const cells: number[] = [];
  const points = [...c.corners, c.y * cols + c.x];
  let at = points[0] as number;
  cells.push(at);
  for (let i = 1; i < points.length; i++) {
    const to = points[i] as number;
    const [ax, ay, bx, by] = [at % cols, Math.floor(at / cols), to % cols, Math.floor(to / cols)];
    if (ax !== bx && ay !== by) return undefined;
    const sx = Math.sign(bx - ax);
    const sy = Math.sign(by - ay);
    for (let x = ax, y = ay; x !== bx || y !== by; ) {
      x += sx;
      y += sy;
      cells.push(y * cols + x);
    }
    at = to;
  }
  return cells.every((cell) => cell >= 0 && cell < cols * rows) ? cells : undefined;
}

/** The board of these trails, or undefined when a trail leaves the arena or two cross. */
export function buildBoard(
  cols: number,
  rows: number,
  cycles: readonly Cycle[],
): Uint8Array | undefined {
  const board = new Uint8Array(cols * rows);
  for (const c of cycles) {
    const cells = trailCells(c, cols, rows);
    if (cells === undefined) return undefined;
    for (const cell of cells) {
      if (board[cell] === 1) return undefined;
      board[cell] = 1;
    }
  }
  return board;
}

function waiting(id: number, wins: number): Cycle {
  return { id, status: 'waiting', x: 0, y: 0, dir: 0, corners: [], wins };
}

function checkId(id: number): number {
  if (!Number.isInteger(id) || id < 0 || id > MAX_PLAYER_ID) {
    throw new RangeError(`player id out of range: ${id}`);
  }
  return id;
}
