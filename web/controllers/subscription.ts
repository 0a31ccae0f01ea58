import type { ReactiveController, ReactiveControllerHost } from 'lit';

/**
 * Listening to one source (a play session, say) while the element is in the page: `follow`
 * switches to another source or to none, and leaving the page stops listening, so no handler
 * outlives the element or the source it was made for.
 */
export class Subscription<T> implements ReactiveController {
  private source: T | undefined;
  private off: (() => void) | undefined;
  private connected = false;

  constructor(
    host: ReactiveControllerHost,
    private readonly subscribe: (source: T) => () => void,
  ) {
    host.addController(this);
  }

  follow(source: T | undefined): void {
    this.off?.();
    this.off = undefined;
    this.source = source;
    if (source !== undefined && this.connected) this.off = this.subscribe(source);
  }

  hostConnected(): void {
    this.connected = true;
    if (this.source !== undefined) this.off ??= this.subscribe(this.source);
  }

  hostDisconnected(): void {
    this.connected = false;
    this.off?.();
    this.off = undefined;
  }
}
