import {
  type Cycle,
  type Dir,
  DX,
  DY,
  isFree,
  type LightInput,
  type LightState,
  NO_INPUT,
} from '../../web/games/light-cycles/sim/index.ts';

/** Free cells straight ahead of (x, y) heading `dir`, up to `limit`. */
function ray(s: LightState, x: number, y: number, dir: Dir, limit: number): number {
  let n = 0;
  for (let cx = x + (DX[dir] ?? 0), cy = y + (DY[dir] ?? 0); n < limit; n++) {
    if (!isFree(s, cx, cy)) break;
    cx += DX[dir] ?? 0;
    cy += DY[dir] ?? 0;
  }
  return n;
}

/**
 * A simple rider for tests and benchmarks: keeps going while the way ahead is clear for a few
 * cells, otherwise turns to whichever side has the longer free ray; `noise(bound)` (a seeded
 * source) makes it turn at random now and then, so trails bend.
 */
export function botInput(s: LightState, c: Cycle, noise?: (bound: number) => number): LightInput {
  if (c.status !== 'riding') return NO_INPUT;
  const left = ((c.dir + 3) % 4) as Dir;
  const right = ((c.dir + 1) % 4) as Dir;
  const ahead = ray(s, c.x, c.y, c.dir, 12);
  if (noise && noise(20) === 0) return { dir: noise(2) === 0 ? left : right };
  if (ahead >= 4) return NO_INPUT;
  const l = ray(s, c.x, c.y, left, 200);
  const r = ray(s, c.x, c.y, right, 200);
  if (Math.max(l, r) <= ahead) return NO_INPUT;
  return { dir: l >= r ? left : right };
}

/** Every rider's bot input. */
export function botInputs(s: LightState, noise?: (bound: number) => number) {
  return new Map(s.cycles.map((c) => [c.id, botInput(s, c, noise)] as const));
}
