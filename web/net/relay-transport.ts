import { Emitter, type LinkStatus, type Transport, type TransportSendOptions } from './link.ts';
import type { SignalingClient } from './signaling-client.ts';

/**
 * The path to one peer through the server's data relay. Open while the signaling connection is
 * open; unreliable sends are marked droppable so the server may shed them when the peer lags.
 */
export class RelayTransport implements Transport {
  readonly kind = 'relay';
  private readonly messages = new Emitter<[Uint8Array]>();
  private readonly statuses = new Emitter<[LinkStatus]>();
  private readonly off: (() => void)[];
  private closed = false;
  private last: LinkStatus;

  constructor(
    private readonly client: SignalingClient,
    readonly peer: number,
  ) {
    this.last = this.status;
    this.off = [
      client.onRelay((from, payload) => {
        if (from === this.peer && !this.closed) this.messages.emit(payload);
      }),
      client.onState(() => {
        const now = this.status;
        if (now !== this.last) {
          this.last = now;
          this.statuses.emit(now);
        }
      }),
    ];
  }

  get status(): LinkStatus {
    if (this.closed) return 'closed';
    const state = this.client.state.kind;
    return state === 'open' ? 'open' : state === 'closed' ? 'closed' : 'connecting';
  }

  send(bytes: Uint8Array, { reliable, control = false }: TransportSendOptions): void {
    if (!this.closed) this.client.sendRelay(this.peer, bytes, !reliable, control);
  }
  onMessage(handler: (bytes: Uint8Array) => void) {
    return this.messages.on(handler);
  }
  onStatus(handler: (status: LinkStatus) => void) {
    return this.statuses.on(handler);
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const off of this.off) off();
    this.statuses.emit('closed');
  }
}
