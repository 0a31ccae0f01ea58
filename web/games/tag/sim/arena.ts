import { nextInt } from '../../../../shared/sim/rng.ts';
import { ARENA_HEIGHT, ARENA_WIDTH, PLAYER_RADIUS, SUB } from './state.ts';

/** An axis-aligned obstacle in sub-units: `x0 < x1`, `y0 < y1`. */
export interface Rect {
  readonly x0: number;
  readonly y0: number;
  readonly x1: number;
  readonly y1: number;
}

export interface Point {
  readonly x: number;
  readonly y: number;
}

export interface Arena {
  readonly obstacles: readonly Rect[];
  /** Where players appear: obstacles always keep clear of every one of them. */
  readonly spawns: readonly Point[];
}

const SPAWN_COLUMNS = 8;
const SPAWN_ROWS = 4;
/**
 * Free space kept between obstacles, and between obstacles and walls. Larger than a player's
 * diameter, so every gap is a passage and the free space is connected (no sealed pockets).
 */
const OBSTACLE_GAP = 64 * SUB;
/** Distance kept between a spawn point and any obstacle (more than the radius times √2). */
const SPAWN_CLEARANCE = PLAYER_RADIUS + 24 * SUB;
const MIN_OBSTACLES = 4;
const EXTRA_OBSTACLES = 4;
/** Placement attempts; a bounded budget so generation always ends, even for unlucky seeds. */
const PLACEMENT_TRIES = 300;

/** A grid of 8×4 spawn points, the same for every layout. */
export const SPAWNS: readonly Point[] = Array.from(
  { length: SPAWN_COLUMNS * SPAWN_ROWS },
  (_, i) => ({
    x: ((2 * (i % SPAWN_COLUMNS) + 1) * ARENA_WIDTH) / (2 * SPAWN_COLUMNS),
    y: ((2 * Math.floor(i / SPAWN_COLUMNS) + 1) * ARENA_HEIGHT) / (2 * SPAWN_ROWS),
  }),
);

let cachedSeed = -1;
let cachedArena: Arena = { obstacles: [], spawns: SPAWNS };

/** The layout for a seed (a pure function; the last one is cached, as every tick asks for it). */
export function arenaFor(seed: number): Arena {
  if (seed !== cachedSeed) {
    cachedArena = { obstacles: generateObstacles(seed), spawns: SPAWNS };
    cachedSeed = seed;
  }
  return cachedArena;
}

/** Bars between spawn columns or rows, and blocks between four spawn points. */
function generateObstacles(seed: number): Rect[] {
  let rng = seed >>> 0;
  const draw = (bound: number): number => {
    const [value, next] = nextInt(rng, bound);
    rng = next;
    return value;
  };
  const target = MIN_OBSTACLES + draw(EXTRA_OBSTACLES);
  const obstacles: Rect[] = [];
  for (let tries = 0; tries < PLACEMENT_TRIES && obstacles.length < target; tries++) {
    const shape = draw(3);
    const long = (150 + draw(201)) * SUB;
    const thin = (30 + draw(21)) * SUB;
    const block = (60 + draw(81)) * SUB;
    const w = shape === 0 ? thin : shape === 1 ? long : block;
    const h = shape === 0 ? long : shape === 1 ? thin : (60 + draw(81)) * SUB;
    const x0 = OBSTACLE_GAP + SUB * draw((ARENA_WIDTH - 2 * OBSTACLE_GAP - w) / SUB);
    const y0 = OBSTACLE_GAP + SUB * draw((ARENA_HEIGHT - 2 * OBSTACLE_GAP - h) / SUB);
    const rect = { x0, y0, x1: x0 + w, y1: y0 + h };
    const clearOfSpawns = SPAWNS.every((p) => distanceSquared(rect, p) >= SPAWN_CLEARANCE ** 2);
    const clearOfOthers = obstacles.every((o) => !overlaps(grow(o, OBSTACLE_GAP), rect));
    if (clearOfSpawns && clearOfOthers) obstacles.push(rect);
  }
  return obstacles;
}

/** Squared distance from a point to a rectangle (0 inside). */
function distanceSquared(r: Rect, p: Point): number {
  const dx = Math.max(r.x0 - p.x, 0, p.x - r.x1);
  const dy = Math.max(r.y0 - p.y, 0, p.y - r.y1);
  return dx * dx + dy * dy;
}

function grow(r: Rect, by: number): Rect {
  return { x0: r.x0 - by, y0: r.y0 - by, x1: r.x1 + by, y1: r.y1 + by };
}

function overlaps(a: Rect, b: Rect): boolean {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

/** Whether a player centred at (x, y) is inside the arena and overlaps no obstacle. */
export function isFree(arena: Arena, x: number, y: number): boolean {
  if (x < PLAYER_RADIUS || x > ARENA_WIDTH - PLAYER_RADIUS) return false;
  if (y < PLAYER_RADIUS || y > ARENA_HEIGHT - PLAYER_RADIUS) return false;
  return arena.obstacles.every((o) => !blocks(o, x, y));
}

/** Whether an obstacle, grown by the player radius, strictly contains a centre (touching is fine). */
export function blocks(o: Rect, x: number, y: number): boolean {
  const r = PLAYER_RADIUS;
  return x > o.x0 - r && x < o.x1 + r && y > o.y0 - r && y < o.y1 + r;
}

/**
 * Moves a centre by (vx, vy), one axis at a time: first x, then y, each stopped by the walls and
 * by the first obstacle face in the way. A step (at most 64 sub-units) is far shorter than any
 * obstacle, so nothing is tunnelled through.
 */
export function moveCircle(arena: Arena, p: Point, vx: number, vy: number): Point {
  const r = PLAYER_RADIUS;
  let x = clamp(p.x + vx, r, ARENA_WIDTH - r);
  for (const o of arena.obstacles) {
    if (p.y <= o.y0 - r || p.y >= o.y1 + r) continue;
    if (vx > 0 && p.x <= o.x0 - r && x > o.x0 - r) x = o.x0 - r;
    if (vx < 0 && p.x >= o.x1 + r && x < o.x1 + r) x = o.x1 + r;
  }
  let y = clamp(p.y + vy, r, ARENA_HEIGHT - r);
  for (const o of arena.obstacles) {
    if (x <= o.x0 - r || x >= o.x1 + r) continue;
    if (vy > 0 && p.y <= o.y0 - r && y > o.y0 - r) y = o.y0 - r;
    if (vy < 0 && p.y >= o.y1 + r && y < o.y1 + r) y = o.y1 + r;
  }
  return { x, y };
}

function clamp(v: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, v));
}
