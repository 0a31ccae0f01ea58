import type { LinkKind } from '../../shared/protocol/signaling.ts';

/**
 * Transports carry bytes between this browser and one peer: a WebRTC data channel ('direct', or
 * 'turn' when its path goes through a TURN server), the server's data relay ('relay'). Tests add an
 * in-memory pair (test/support/memory-transport.ts) that reports one of these kinds. A `Link` is what game code uses: the same, plus exactly-once in-order reliable
 * delivery across transport switches and a measured round-trip time. Game code never imports
 * simple-peer or WebSocket, only these types.
 */
export type TransportKind = LinkKind;
export type LinkStatus = 'connecting' | 'open' | 'closed';

export interface SendOptions {
  /** Reliable: delivered exactly once, in order. Unreliable: may be dropped, never stale. */
  readonly reliable: boolean;
}

export type Unsubscribe = () => void;

export interface TransportSendOptions extends SendOptions {
  /** Session bookkeeping (pings, pongs, acks), not game data: counted apart by the relay. */
  readonly control?: boolean;
}

/** Raw bytes to one peer; reliable sends are ordered while the transport lives. */
export interface Transport {
  /** May change while the transport lives (a WebRTC path can move onto or off a TURN server). */
  readonly kind: TransportKind;
  readonly status: LinkStatus;
  send(bytes: Uint8Array, options: TransportSendOptions): void;
  onMessage(handler: (bytes: Uint8Array) => void): Unsubscribe;
  onStatus(handler: (status: LinkStatus) => void): Unsubscribe;
  /** Fires when `kind` changes; transports whose kind never changes leave it out. */
  onKind?(handler: (kind: TransportKind) => void): Unsubscribe;
  close(): void;
}

/** The link to one peer, as the game sees it. */
export interface Link {
  /** The transport carrying traffic now. */
  readonly kind: TransportKind;
  readonly status: LinkStatus;
  /** Smoothed round-trip time in milliseconds over the current transport, once measured. */
  readonly rtt: number | undefined;
  send(bytes: Uint8Array, options: SendOptions): void;
  onMessage(handler: (bytes: Uint8Array, options: SendOptions) => void): Unsubscribe;
  onStatus(handler: (status: LinkStatus) => void): Unsubscribe;
  /**
   * The peer started over (its page reloaded): whatever was in flight is gone and both sides
   * count afresh; the game sends it a full state.
   */
  onReset(handler: () => void): Unsubscribe;
  close(): void;
}

/** A tiny typed event list: `on` returns its own unsubscribe. */
export class Emitter<A extends unknown[]> {
  private handlers = new Set<(...args: A) => void>();
  on(handler: (...args: A) => void): Unsubscribe {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }
  emit(...args: A): void {
    for (const h of [...this.handlers]) h(...args);
  }
  clear(): void {
    this.handlers.clear();
  }
}
