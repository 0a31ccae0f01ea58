import { SUB, type TagPlayer, type TagState } from './state.ts';

/*
 * Helpers for drawing only: the states they return may hold fractional positions and must never
 * be stepped, encoded or hashed.
 */

/**
 * Positions blended from `a` towards `b`; everything else is `b`. Players only in `b` stay where
 * `b` has them, and a new round (everybody respawned) is not blended at all.
 */
export function interpolate(a: TagState, b: TagState, alpha: number): TagState {
  if (a.round !== b.round) return b;
  const t = Math.min(1, Math.max(0, alpha));
  const from = new Map(a.players.map((p) => [p.id, p]));
  const players = b.players.map((p) => {
    const q = from.get(p.id);
    return q === undefined ? p : { ...p, x: q.x + (p.x - q.x) * t, y: q.y + (p.y - q.y) * t };
  });
  return { ...b, players };
}

/** `into` with player `id` exactly as in `from` (added, replaced, or removed if `from` lacks it). */
export function mergePlayer(into: TagState, from: TagState, id: number): TagState {
  const mine = from.players.find((p) => p.id === id);
  const others = into.players.filter((p) => p.id !== id);
  if (mine === undefined)
    return others.length === into.players.length ? into : { ...into, players: others };
  return { ...into, players: [...others, mine].sort((a, b) => a.id - b.id) };
}

/** Centre of player `id` in world units. */
export function position(state: TagState, id: number): { x: number; y: number } | undefined {
  const p = state.players.find((q) => q.id === id);
  return p === undefined ? undefined : { x: p.x / SUB, y: p.y / SUB };
}

/** Player `id` drawn (dx, dy) world units away from where it is. */
export function displace(state: TagState, id: number, dx: number, dy: number): TagState {
  const players = state.players.map(
    (p): TagPlayer => (p.id === id ? { ...p, x: p.x + dx * SUB, y: p.y + dy * SUB } : p),
  );
  return { ...state, players };
}
