import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Re-renders its element at moments a render asked for — a notice that shows for a few seconds,
 * one that appears after a wait, a countdown's next second — so nothing on screen polls. Only
 * the earliest moment asked for is kept: the render it causes asks for the next one.
 */
export class WakeAt implements ReactiveController {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private next = Number.POSITIVE_INFINITY;

  constructor(
    private readonly host: ReactiveControllerHost,
    private readonly now: () => number = Date.now,
  ) {
    host.addController(this);
  }

  /** Asks for an update at `time` (on the `now` clock), unless one comes sooner. */
  at(time: number): void {
    const wait = time - this.now();
    if (wait <= 0 || time >= this.next) return;
    clearTimeout(this.timer);
    this.next = time;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.next = Number.POSITIVE_INFINITY;
      this.host.requestUpdate();
    }, wait);
  }

  /** Asks for an update when the whole seconds left until `deadline` tick down by one. */
  nextSecond(deadline: number): void {
    const left = deadline - this.now();
    if (left > 0) this.at(this.now() + (left % 1000 || 1000));
  }

  hostDisconnected(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.next = Number.POSITIVE_INFINITY;
  }
}
