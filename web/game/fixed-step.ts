/** Most fixed steps one `advance` runs: after a longer stall the lost time is dropped. */
export const MAX_CATCH_UP_STEPS = 10;

/**
 * Turns wall-clock time into the game's fixed steps, for the host's loop and the guest's
 * prediction alike: the simulation advances by whole ticks at the game's rate whatever the frame
 * rate, and after a stall (a hidden tab, a busy machine) it does not race through the backlog.
 */
export class FixedStepper {
  readonly stepMs: number;
  private lastTime: number | undefined;
  private accumulator = 0;

  constructor(tickRate: number) {
    this.stepMs = 1000 / tickRate;
  }

  /** Calls `step` once for every fixed step due by `now` (milliseconds). */
  advance(now: number, step: () => void): void {
    this.accumulator += now - (this.lastTime ?? now);
    this.lastTime = now;
    let steps = 0;
    while (this.accumulator >= this.stepMs && steps < MAX_CATCH_UP_STEPS) {
      this.accumulator -= this.stepMs;
      step();
      steps++;
    }
    if (steps === MAX_CATCH_UP_STEPS) this.accumulator = 0;
  }
}
