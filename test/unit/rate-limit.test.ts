import { describe, expect, it } from 'vitest';
import { MILLI, refilledMilli } from '../../shared/rate-limit.ts';

describe('token buckets kept as whole thousandths (refilledMilli)', () => {
  const limit = { rate: 1.7, burst: 3 };

  it('refills rate × elapsed, rounded down to a whole number of thousandths', () => {
    // 1.7 tokens a second for 333 ms: 566.1 thousandths.
    expect(refilledMilli(0, 0, limit, 333)).toBe(566);
    let milli = 0;
    for (let t = 7; t <= 1000; t += 7) {
      milli = refilledMilli(milli, t - 7, limit, t);
      expect(Number.isInteger(milli)).toBe(true);
    }
    // 142 steps of 7 ms at 11.9 thousandths each lose at most a thousandth per step.
    expect(milli).toBeGreaterThanOrEqual(1690 - 142);
    expect(milli).toBeLessThanOrEqual(1690);
  });

  it('holds at most the burst, and a clock that went back refills nothing', () => {
    expect(refilledMilli(0, 0, limit, 60_000)).toBe(3 * MILLI);
    expect(refilledMilli(2500, 1000, limit, 10_000)).toBe(3 * MILLI);
    expect(refilledMilli(1200, 5000, limit, 4000)).toBe(1200);
  });
});
