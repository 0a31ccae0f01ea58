import { describe, expect, it } from 'vitest';
import { FixedStepper, MAX_CATCH_UP_STEPS } from '../../web/game/fixed-step.ts';

describe('fixed stepper', () => {
  it('steps at the tick rate whatever the frame rate, carrying the remainder', () => {
    const stepper = new FixedStepper(60);
    let steps = 0;
    const step = () => steps++;
    stepper.advance(0, step);
    expect(steps).toBe(0);
    // 7 ms frames for one second: 60 steps, give or take the one still accumulating.
    for (let t = 7; t <= 1001; t += 7) stepper.advance(t, step);
    expect(steps).toBe(60);
    stepper.advance(1001 + 1000 / 60, step);
    expect(steps).toBe(61);
  });

  it('after a stall it runs at most MAX_CATCH_UP_STEPS and drops the rest', () => {
    const stepper = new FixedStepper(60);
    let steps = 0;
    const step = () => steps++;
    stepper.advance(0, step);
    stepper.advance(5_000, step);
    expect(steps).toBe(MAX_CATCH_UP_STEPS);
    // The backlog is gone: the next frame runs only its own step.
    stepper.advance(5_000 + 1000 / 60, step);
    expect(steps).toBe(MAX_CATCH_UP_STEPS + 1);
  });
});
