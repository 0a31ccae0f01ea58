import { err, ok, type Result } from '../../../../shared/result.ts';
import { type ByteReader, ByteWriter } from '../../../../shared/sim/bytes.ts';
import { decodeSnapshot, fnv1a, perState, SnapshotKind } from '../../../../shared/sim/snapshot.ts';
import { buildBoard } from './rules.ts';
import {
  COUNTDOWN_TICKS,
  type Cycle,
  type CycleStatus,
  type Dir,
  DX,
  DY,
  type LightInput,
  type LightState,
  MAX_COLS,
  MAX_CYCLES,
  MAX_PLAYER_ID,
  MAX_TICK,
  MAX_TICKS_PER_CELL,
  MIN_COLS,
  MIN_TICKS_PER_CELL,
  NO_PLAYER,
  NO_TURN,
  type Phase,
  rowsFor,
  SCOREBOARD_TICKS,
} from './state.ts';

/*
 * Wire formats (little-endian; varint = LEB128, zigzag = signed varint).
 *
 * Input (1 byte): 0 = no turn, 1–4 = heading + 1.
 *
 * Full snapshot:
 *   u8 FULL (SnapshotKind), varint tick, u8 phase, varint tick − since, varint round, u32 rng,
 *   varint cols, u8 ticksPerCell, varint winner + 1, varint n, n × cycle
 *   cycle: varint id gap (the first id, then id − previous − 1), u8 status, varint wins,
 *     unless waiting: varint first cell, varint k, k × leg (varint length × 4 + heading).
 *     The legs run from the first cell through every turn to the head; only the last may be
 *     0 long, and its heading is the cycle's. (rows = cols × 5 / 8)
 *
 * Delta against a base the receiver holds:
 *   u8 DELTA (SnapshotKind), u8 base tick & 0xff, u16 low bits of hash(base), zigzag tick − base tick,
 *   u8 header mask: PHASE (u8 phase, varint tick − since), WINNER (varint winner + 1),
 *   ROUND (a new round: varint round, u32 rng, varint cols, then every cycle as in the full
 *   snapshot — nothing of the old round's trails is kept)
 *   otherwise: varint removed count, ids (gap-coded); varint added count, cycles (full form);
 *   varint changed count, changed cycles:
 *     varint id gap, u8 change: bits 0–1 cells moved (3: a varint count follows), bit 2 status
 *     (u8 follows), bit 3 wins (zigzag follows), bits 4–7 the headings of up to two moves;
 *     over two moves, the headings follow packed four to a byte.
 *   A cycle that moved one or two cells costs 2 bytes, however long its trail; one that did
 *   not change costs nothing.
 */

const PHASES: readonly Phase[] = ['countdown', 'riding', 'scoreboard'];
const STATUSES: readonly CycleStatus[] = ['riding', 'crashed', 'waiting'];
const Header = { PHASE: 1, WINNER: 2, ROUND: 4 } as const;
const Change = { MOVES: 3, STATUS: 4, WINS: 8 } as const;
const ESCAPE_MOVES = 3;

// ---- input -----------------------------------------------------------------------------------

export function encodeInput(input: LightInput): Uint8Array {
  return Uint8Array.of(input.dir === NO_TURN ? 0 : input.dir + 1);
}

export function decodeInput(bytes: Uint8Array): Result<LightInput, string> {
  const b = bytes[0];
  if (bytes.length !== 1 || b === undefined || b > 4) return err('input must be 1 byte 0–4');
  return ok({ dir: b === 0 ? NO_TURN : ((b - 1) as Dir) });
}

// ---- full snapshot ---------------------------------------------------------------------------

export function encodeFull(s: LightState): Uint8Array {
  const w = new ByteWriter();
  w.u8(SnapshotKind.FULL);
  w.varint(s.tick);
  w.u8(PHASES.indexOf(s.phase));
  w.varint(s.tick - s.since);
  w.varint(s.round);
  w.u32(s.rng);
  w.varint(s.cols);
  w.u8(s.ticksPerCell);
  w.varint(s.winner + 1);
  writeCycles(w, s.cycles, s.cols);
  return w.bytes();
}

function decodeFull(r: ByteReader): Result<LightState, string> {
  const tick = r.varint();
  const phase = readPhase(r);
  const since = tick - r.varint();
  const round = r.varint();
  const rng = r.u32();
  const cols = readCols(r);
  const ticksPerCell = r.u8();
  const winner = r.varint() - 1;
  const cycles = readCycles(r, cols);
  return finish(r, {
    tick,
    phase,
    since,
    round,
    rng,
    cols,
    rows: rowsFor(cols),
    ticksPerCell,
    cycles,
    winner,
    board: new Uint8Array(0),
  });
}

// ---- delta -----------------------------------------------------------------------------------

export function encodeDelta(base: LightState, s: LightState, baseHash: number): Uint8Array {
  const w = new ByteWriter();
  w.u8(SnapshotKind.DELTA);
  w.u8(base.tick & 0xff);
  w.u16(baseHash & 0xffff);
  w.zigzag(s.tick - base.tick);
  const newRound = s.round !== base.round || s.cols !== base.cols;
  const mask =
    (s.phase !== base.phase || s.since !== base.since ? Header.PHASE : 0) |
    (s.winner !== base.winner ? Header.WINNER : 0) |
    (newRound ? Header.ROUND : 0);
  w.u8(mask);
  if (mask & Header.PHASE) {
    w.u8(PHASES.indexOf(s.phase));
    w.varint(s.tick - s.since);
  }
  if (mask & Header.WINNER) w.varint(s.winner + 1);
  if (newRound) {
    w.varint(s.round);
    w.u32(s.rng);
    w.varint(s.cols);
    writeCycles(w, s.cycles, s.cols);
    return w.bytes();
  }
  const now = byId(s);
  const before = byId(base);
  const removed = base.cycles.filter((c) => !now.has(c.id));
  w.varint(removed.length);
  let previous = -1;
  for (const c of removed) {
    w.varint(c.id - previous - 1);
    previous = c.id;
  }
  writeCycles(
    w,
    s.cycles.filter((c) => !before.has(c.id)),
    s.cols,
  );
  const changed: [Cycle, Cycle, number[]][] = [];
  for (const c of s.cycles) {
    const old = before.get(c.id);
    if (old === undefined || old === c) continue;
    const moves = movesBetween(old, c, s.cols);
    if (moves.length > 0 || old.status !== c.status || old.wins !== c.wins)
      changed.push([old, c, moves]);
  }
  w.varint(changed.length);
  previous = -1;
  for (const [old, c, moves] of changed) {
    w.varint(c.id - previous - 1);
    previous = c.id;
    const short = moves.length <= 2;
    const change =
      (short ? moves.length : ESCAPE_MOVES) |
      (old.status !== c.status ? Change.STATUS : 0) |
      (old.wins !== c.wins ? Change.WINS : 0) |
      (short ? ((moves[0] ?? 0) << 4) | ((moves[1] ?? 0) << 6) : 0);
    w.u8(change);
    if (!short) {
      w.varint(moves.length);
      for (let i = 0; i < moves.length; i += 4) {
        w.u8(
          (moves[i] ?? 0) |
            ((moves[i + 1] ?? 0) << 2) |
            ((moves[i + 2] ?? 0) << 4) |
            ((moves[i + 3] ?? 0) << 6),
        );
      }
    }
    if (change & Change.STATUS) w.u8(STATUSES.indexOf(c.status));
    if (change & Change.WINS) w.zigzag(c.wins - old.wins);
  }
  return w.bytes();
}

function decodeDelta(
  r: ByteReader,
  base: LightState,
  baseHash: number,
): Result<LightState, string> {
  const baseTick = r.u8();
  const check = r.u16();
  if (r.error !== undefined) return err(r.error);
  if (baseTick !== (base.tick & 0xff))
    return err(`delta is against another tick than ${base.tick}`);
  if (check !== (baseHash & 0xffff)) return err('delta is against another state of that tick');
  const tick = base.tick + r.zigzag();
  const mask = r.u8();
  if (mask & ~(Header.PHASE | Header.WINNER | Header.ROUND)) r.fail(`bad header mask ${mask}`);
  let { phase, since, winner } = base;
  if (mask & Header.PHASE) {
    phase = readPhase(r);
    since = tick - r.varint();
  }
  if (mask & Header.WINNER) winner = r.varint() - 1;
  const header = { ...base, tick, phase, since, winner };
  if (mask & Header.ROUND) {
    const round = r.varint();
    const rng = r.u32();
    const cols = readCols(r);
    const cycles = readCycles(r, cols);
    return finish(r, { ...header, round, rng, cols, rows: rowsFor(cols), cycles });
  }

  const cycles = new Map(base.cycles.map((c) => [c.id, c]));
  const removed = r.count(MAX_CYCLES, 1);
  let previous = -1;
  for (let i = 0; i < removed && r.error === undefined; i++) {
    previous = previous + 1 + r.varint();
    if (!cycles.delete(previous)) r.fail(`removed cycle ${previous} is not in the base`);
  }
  // Cells are checked one by one against the base's board; a removal (or an added trail,
  // which the rules never send) makes the board be rebuilt from the trails instead.
  let board = removed > 0 ? undefined : base.board.slice();
  for (const c of readCycles(r, base.cols)) {
    if (cycles.has(c.id)) r.fail(`added cycle ${c.id} is already in the base`);
    if (c.corners.length > 0) board = undefined;
    cycles.set(c.id, c);
  }
  const changes = r.count(MAX_CYCLES, 2);
  previous = -1;
  for (let i = 0; i < changes && r.error === undefined; i++) {
    const id = previous + 1 + r.varint();
    previous = id;
    const change = r.u8();
    const old = cycles.get(id);
    if (old === undefined || base.cycles.find((c) => c.id === id) !== old) {
      r.fail(`changed cycle ${id} is not in the base`);
      break;
    }
    let moves: number[];
    if ((change & Change.MOVES) === ESCAPE_MOVES) {
      if (change & 0xf0) r.fail('headings in an escaped change');
      const n = r.varint();
      if (n < 3 || n > base.cols * base.rows || Math.ceil(n / 4) > r.remaining) {
        r.fail('bad move count');
        break;
      }
      moves = [];
      for (let j = 0; j < n; j += 4) {
        const b = r.u8();
        for (let k = 0; k < 4 && j + k < n; k++) moves.push((b >> (2 * k)) & 3);
      }
    } else {
      const n = change & Change.MOVES;
      moves = [(change >> 4) & 3, (change >> 6) & 3].slice(0, n);
      if (change >> (4 + 2 * n) !== 0) r.fail('stray headings in a change');
    }
    if (moves.length > 0 && old.status !== 'riding') r.fail(`cycle ${id} moved while not riding`);
    let next = applyMoves(old, moves, base.cols);
    if (change & Change.STATUS) {
      const status = STATUSES[r.u8()];
      if (status === undefined) r.fail('unknown status');
      else next = { ...next, status };
    }
    if (change & Change.WINS) next = { ...next, wins: old.wins + r.zigzag() };
    if (change === 0) r.fail('empty change');
    cycles.set(id, next);
    if (board !== undefined) {
      for (const cell of movedCells(old, moves, base.cols)) {
        if (cell < 0 || board[cell] === 1) r.fail(`cycle ${id} moved onto a trail or a wall`);
        else board[cell] = 1;
      }
    }
  }
  const list = [...cycles.values()].sort((a, b) => a.id - b.id);
  return finish(r, { ...header, cycles: list }, board);
}

/** The headings of the cells `c` moved through since `old` (same round). */
function movesBetween(old: Cycle, c: Cycle, cols: number): number[] {
  if (c.corners.length === 0 || (old.x === c.x && old.y === c.y)) return [];
  const moves: number[] = [];
  let x = old.x;
  let y = old.y;
  const legTo = (tx: number, ty: number) => {
    const dir = tx > x ? 1 : tx < x ? 3 : ty > y ? 2 : 0;
    const n = Math.abs(tx - x) + Math.abs(ty - y);
    for (let i = 0; i < n; i++) moves.push(dir);
    x = tx;
    y = ty;
  };
  for (let i = old.corners.length; i < c.corners.length; i++) {
    const corner = c.corners[i] as number;
    legTo(corner % cols, Math.floor(corner / cols));
  }
  legTo(c.x, c.y);
  return moves;
}

/** `c` after moving through `moves`, turning (a new corner) where the heading changes. */
function applyMoves(c: Cycle, moves: readonly number[], cols: number): Cycle {
  if (moves.length === 0) return c;
  let { x, y, dir } = c;
  const corners = [...c.corners];
  for (const m of moves) {
    if (m !== dir) corners.push(y * cols + x);
    dir = m as Dir;
    x += DX[m] ?? 0;
    y += DY[m] ?? 0;
  }
  return { id: c.id, status: c.status, x, y, dir, corners, wins: c.wins };
}

/** The cells entered by `moves` from `c`'s head; −1 for one outside the arena. */
function movedCells(c: Cycle, moves: readonly number[], cols: number): number[] {
  let { x, y } = c;
  return moves.map((m) => {
    x += DX[m] ?? 0;
    y += DY[m] ?? 0;
    return x < 0 || y < 0 || x >= cols || y >= rowsFor(cols) ? -1 : y * cols + x;
  });
}

// ---- both ------------------------------------------------------------------------------------

/** Decodes a full snapshot, or a delta against `base` (whose hash the caller passes). */
export const decodeState = (
  base: LightState | undefined,
  baseHash: () => number,
  bytes: Uint8Array,
): Result<LightState, string> => decodeSnapshot(bytes, base, baseHash, decodeFull, decodeDelta);

/** Cycles by id, once per state. */
const byId = perState(
  (s: LightState): ReadonlyMap<number, Cycle> => new Map(s.cycles.map((c) => [c.id, c])),
);

/** FNV-1a (32-bit) over the full snapshot (the board is derived from it), once per state. */
export const hashState = perState((s: LightState) => fnv1a(encodeFull(s)));

/**
 * Ends a decode: all bytes read, the state valid, its board built (or `board`, already built
 * from the base and checked cell by cell).
 */
function finish(r: ByteReader, s: LightState, board?: Uint8Array): Result<LightState, string> {
  r.end();
  if (r.error !== undefined) return err(r.error);
  const problem = validate(s);
  if (problem !== undefined) return err(problem);
  const built = board ?? buildBoard(s.cols, s.rows, s.cycles);
  if (built === undefined) return err('trails leave the arena or cross');
  return ok({ ...s, board: built });
}

// ---- sections --------------------------------------------------------------------------------

function writeCycles(w: ByteWriter, cycles: readonly Cycle[], cols: number): void {
  w.varint(cycles.length);
  let previous = -1;
  for (const c of cycles) {
    w.varint(c.id - previous - 1);
    previous = c.id;
    w.u8(STATUSES.indexOf(c.status));
    w.varint(c.wins);
    if (c.status === 'waiting') continue;
    const first = c.corners[0] ?? 0;
    w.varint(first);
    w.varint(c.corners.length);
    let at = first;
    for (let i = 1; i <= c.corners.length; i++) {
      const to = i < c.corners.length ? (c.corners[i] as number) : c.y * cols + c.x;
      const [ax, ay, bx, by] = [at % cols, Math.floor(at / cols), to % cols, Math.floor(to / cols)];
      const length = Math.abs(bx - ax) + Math.abs(by - ay);
      const dir = length === 0 ? c.dir : bx > ax ? 1 : bx < ax ? 3 : by > ay ? 2 : 0;
      w.varint(length * 4 + dir);
      at = to;
    }
  }
}

function readCycles(r: ByteReader, cols: number): Cycle[] {
  const n = r.count(MAX_CYCLES, 3);
  const rows = rowsFor(cols);
  const cycles: Cycle[] = [];
  let previous = -1;
  for (let i = 0; i < n && r.error === undefined; i++) {
    const id = previous + 1 + r.varint();
    previous = id;
    const status = STATUSES[r.u8()];
    const wins = r.varint();
    if (status === undefined) {
      r.fail('unknown status');
      break;
    }
    if (status === 'waiting') {
      cycles.push({ id, status, x: 0, y: 0, dir: 0, corners: [], wins });
      continue;
    }
    let at = r.varint();
    const legs = r.count(cols * rows, 1);
    if (legs === 0) r.fail('a trail without legs');
    const corners = [at];
    let dir: Dir = 0;
    let x = at % cols;
    let y = Math.floor(at / cols);
    for (let k = 0; k < legs && r.error === undefined; k++) {
      const leg = r.varint();
      const length = Math.floor(leg / 4);
      const legDir = (leg % 4) as Dir;
      if (k > 0 && (legDir === dir || length === 0)) r.fail('a turn that is not one');
      if (k > 0) corners.push(at);
      dir = legDir;
      x += (DX[dir] ?? 0) * length;
      y += (DY[dir] ?? 0) * length;
      if (x < 0 || y < 0 || x >= cols || y >= rows) r.fail('a trail leaves the arena');
      at = y * cols + x;
    }
    cycles.push({ id, status, x, y, dir, corners, wins });
  }
  return cycles;
}

function readPhase(r: ByteReader): Phase {
  const index = r.u8();
  const phase = PHASES[index];
  if (phase === undefined) r.fail(`unknown phase ${index}`);
  return phase ?? 'riding';
}

function readCols(r: ByteReader): number {
  const cols = r.varint();
  if (cols < MIN_COLS || cols > MAX_COLS) r.fail(`arena width ${cols} out of range`);
  return r.error === undefined ? cols : MIN_COLS;
}

// ---- validation ------------------------------------------------------------------------------

const isInt = (v: number, min: number, max: number): boolean =>
  Number.isInteger(v) && v >= min && v <= max;

/**
 * What the rules guarantee, beyond what decoding already checked (trails straight, inside the
 * arena, never crossing: the board is built from them).
 */
export function validate(s: LightState): string | undefined {
  if (!isInt(s.tick, 0, MAX_TICK)) return 'tick out of range';
  if (!isInt(s.since, 0, s.tick)) return 'phase start out of range';
  if (s.phase === 'countdown' && s.tick - s.since >= COUNTDOWN_TICKS) return 'countdown too long';
  if (s.phase === 'scoreboard' && s.tick - s.since >= SCOREBOARD_TICKS)
    return 'scoreboard too long';
  if (!isInt(s.round, 1, MAX_TICK)) return 'round out of range';
  if (!isInt(s.rng, 0, 0xffff_ffff)) return 'bad generator state';
  if (!isInt(s.cols, MIN_COLS, MAX_COLS) || s.rows !== rowsFor(s.cols)) return 'bad arena size';
  if (!isInt(s.ticksPerCell, MIN_TICKS_PER_CELL, MAX_TICKS_PER_CELL)) return 'bad speed';
  if (s.winner !== NO_PLAYER && !isInt(s.winner, 0, MAX_PLAYER_ID)) return 'bad winner';
  if (s.cycles.length > MAX_CYCLES) return 'too many cycles';
  let previous = -1;
  for (const c of s.cycles) {
    if (!isInt(c.id, previous + 1, MAX_PLAYER_ID)) return 'cycle ids not ascending';
    previous = c.id;
    if (!isInt(c.wins, 0, MAX_TICK)) return `cycle ${c.id}: wins out of range`;
    if (!isInt(c.dir, 0, 3)) return `cycle ${c.id}: bad heading`;
    if ((c.status === 'waiting') !== (c.corners.length === 0)) return `cycle ${c.id}: bad trail`;
    if (c.status === 'crashed' && s.phase === 'countdown') return 'a crash before the start';
  }
  return undefined;
}
