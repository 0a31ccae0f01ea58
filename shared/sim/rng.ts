/**
 * A seeded generator whose whole state is one u32 kept inside the game state, so rules stay
 * pure functions of (state, inputs). Mulberry32: 32-bit integer arithmetic only (`Math.imul`,
 * shifts), so every engine produces the same sequence.
 */

/** One draw: the next generator state and a uniform u32. */
export function nextU32(state: number): readonly [value: number, state: number] {
  const s = (state + 0x6d2b79f5) >>> 0;
  let t = Math.imul(s ^ (s >>> 15), s | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return [(t ^ (t >>> 14)) >>> 0, s];
}

/**
 * A uniform integer in `[0, bound)` (bound ≤ 2^21) and the next generator state. Multiply-shift
 * instead of `%` keeps the bias below 2^-11 without a rejection loop; the product stays below
 * 2^53, so the float division is exact.
 */
export function nextInt(state: number, bound: number): readonly [value: number, state: number] {
  const [u, s] = nextU32(state);
  return [Math.floor((u * bound) / 0x1_0000_0000), s];
}

/** Spreads an arbitrary number (a lobby seed) into a well-mixed u32 (murmur3's finalizer). */
export function mixSeed(seed: number, salt: number): number {
  let h = ((seed >>> 0) ^ Math.imul(salt, 0x9e3779b9)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
