import type { ReactiveController, ReactiveControllerHost } from 'lit';

/** Runs `draw(now)` on every animation frame while its element is in the document. */
export class FrameLoop implements ReactiveController {
  private frame = 0;

  constructor(
    host: ReactiveControllerHost,
    private readonly draw: (now: number) => void,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    const tick = (now: number) => {
      this.draw(now);
      this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }

  hostDisconnected(): void {
    cancelAnimationFrame(this.frame);
  }
}
