import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * A game's input mapping (its key and touch listeners), owned by the element that shows the
 * game: listening from `listen()` until the element leaves the document, and again if it comes
 * back. `listen` replaces the previous mapping (a new game module brings its own).
 */
export class GameInput implements ReactiveController {
  private start: (() => () => void) | undefined;
  private stop: (() => void) | undefined;

  constructor(host: ReactiveControllerHost) {
    host.addController(this);
  }

  /** Starts `start()` now (stopping the previous mapping); `undefined` only stops. */
  listen(start: (() => () => void) | undefined): void {
    this.stop?.();
    this.start = start;
    this.stop = start?.();
  }

  hostConnected(): void {
    this.stop ??= this.start?.();
  }

  hostDisconnected(): void {
    this.stop?.();
    this.stop = undefined;
  }
}
