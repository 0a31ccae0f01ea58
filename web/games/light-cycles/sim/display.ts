import type { Cycle, LightState } from './state.ts';

/*
 * Helpers for drawing only: the states they return may hold a fractional tick and must never be
 * stepped, encoded or hashed.
 */

/**
 * The state between `a` and `b` at `alpha`: the cycles as they were at the last move before
 * that moment (a's, or b's once a move happened in between), and a fractional tick, from which
 * the renderer draws each head part of the way to its next cell. A new round is not blended.
 */
export function interpolate(a: LightState, b: LightState, alpha: number): LightState {
  if (a.round !== b.round || a.phase !== 'riding' || b.phase !== 'riding') return b;
  const t = Math.min(1, Math.max(0, alpha));
  const at = a.tick + (b.tick - a.tick) * t;
  const firstMove = a.tick + b.ticksPerCell - ((a.tick - a.since) % b.ticksPerCell);
  const source = at >= firstMove ? b : a;
  return { ...b, cycles: source.cycles, board: source.board, tick: at };
}

/** `into`, with cycle `id` as in `from` (drawn at `from`'s tick: it is predicted ahead). */
export function mergePlayer(into: LightState, from: LightState, id: number): LightState {
  const mine = from.cycles.find((c) => c.id === id);
  const others = into.cycles.filter((c) => c.id !== id);
  if (mine === undefined)
    return others.length === into.cycles.length ? into : { ...into, cycles: others };
  if (into.round !== from.round) return into;
  const drawn: Cycle = { ...mine, drawTick: from.tick };
  return { ...into, cycles: [...others, drawn].sort((a, b) => a.id - b.id) };
}

/** The head of cycle `id`, in cells. */
export function position(state: LightState, id: number): { x: number; y: number } | undefined {
  const c = state.cycles.find((q) => q.id === id);
  return c === undefined || c.status === 'waiting' ? undefined : { x: c.x, y: c.y };
}

/**
 * A correction is shown at once: a trail on a grid cannot be bent back smoothly, and a cycle
 * drawn off its trail would look wrong.
 */
export function displace(state: LightState): LightState {
  return state;
}

/**
 * How far (0–1) a riding cycle's head is drawn towards its next cell: the time since the last
 * move, in cells.
 */
export function headProgress(state: LightState, c: Cycle): number {
  if (state.phase !== 'riding' || c.status !== 'riding') return 0;
  const tick = c.drawTick ?? state.tick;
  const sinceMove =
    (((tick - state.since) % state.ticksPerCell) + state.ticksPerCell) % state.ticksPerCell;
  return sinceMove / state.ticksPerCell;
}
