import { nextU32 } from '../../shared/sim/rng.ts';

/**
 * Seeded randomness for tests (fuzzers, random schedules): a failing seed is a one-line
 * reproduction. Mulberry32, the same generator the games keep in their state
 * (`shared/sim/rng.ts`), so `int(n)` draws what the rules' `nextInt` would from the same seed.
 */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  /** Uniform in [0, 1). */
  next(): number {
    const [u, state] = nextU32(this.state);
    this.state = state;
    return u / 4_294_967_296;
  }
  /** A whole number in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** A whole number in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  /** One of `items` (undefined, despite the type, when it is empty). */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i += 4) {
      const x = (this.next() * 4_294_967_296) >>> 0;
      out[i] = x;
      out[i + 1] = x >>> 8;
      out[i + 2] = x >>> 16;
      out[i + 3] = x >>> 24;
    }
    return out;
  }
  /** An independent stream, so each worker's choices do not depend on the others' timing. */
  fork(salt: number): Rng {
    return new Rng(this.int(4_294_967_296) ^ Math.imul(salt + 1, 0x9e3779b9));
  }
}

/** A seeded uniform source in [0, 1), for code that takes a `random()` function. */
export function seededRandom(seed: number): () => number {
  const rng = new Rng(seed);
  return () => rng.next();
}
