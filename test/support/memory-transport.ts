import {
  Emitter,
  type LinkStatus,
  type SendOptions,
  type Transport,
  type TransportKind,
} from '../../web/net/link.ts';

/** Knobs for a simulated network between two memory transports. */
export interface MemoryNetwork {
  /** Delivers later (e.g. through a fake clock); default: at once. */
  schedule?: (deliver: () => void) => void;
  /** Probability that an unreliable message is lost. */
  loss?: number;
  random?: () => number;
}

/** One end of an in-memory transport pair. */
export class MemoryTransport implements Transport {
  private statusValue: LinkStatus = 'open';
  private other: MemoryTransport | undefined;
  /** While true, everything sent either way vanishes, as on a dead network path. */
  blackhole = false;
  private readonly messages = new Emitter<[Uint8Array]>();
  private readonly statuses = new Emitter<[LinkStatus]>();

  constructor(
    readonly kind: TransportKind,
    private readonly network: MemoryNetwork = {},
  ) {}

  /** Two connected ends. */
  static pair(
    kind: TransportKind = 'direct',
    network: MemoryNetwork = {},
  ): [MemoryTransport, MemoryTransport] {
    const a = new MemoryTransport(kind, network);
    const b = new MemoryTransport(kind, network);
    a.other = b;
    b.other = a;
    return [a, b];
  }

  /**
   * A new partner for `end`, as when the page on the other side reloads: the old partner is cut
   * off (what it sends goes nowhere) and `end` keeps its listeners.
   */
  static rebind(end: MemoryTransport): MemoryTransport {
    const fresh = new MemoryTransport(end.kind, end.network);
    if (end.other) end.other.other = undefined;
    end.other = fresh;
    fresh.other = end;
    return fresh;
  }

  get status(): LinkStatus {
    return this.statusValue;
  }

  send(bytes: Uint8Array, { reliable }: SendOptions): void {
    const other = this.other;
    if (this.statusValue !== 'open' || !other || this.blackhole || other.blackhole) return;
    const random = this.network.random ?? Math.random;
    if (!reliable && this.network.loss && random() < this.network.loss) return;
    const copy = bytes.slice();
    const deliver = () => {
      if (other.statusValue === 'open' && !other.blackhole) other.messages.emit(copy);
    };
    if (this.network.schedule) this.network.schedule(deliver);
    else deliver();
  }

  onMessage(handler: (bytes: Uint8Array) => void) {
    return this.messages.on(handler);
  }
  onStatus(handler: (status: LinkStatus) => void) {
    return this.statuses.on(handler);
  }

  /** Changes the status, as a real transport's connection state would (both ends for 'closed'). */
  setStatus(status: LinkStatus): void {
    if (this.statusValue === status) return;
    this.statusValue = status;
    this.statuses.emit(status);
  }

  close(): void {
    if (this.statusValue === 'closed') return;
    this.setStatus('closed');
    this.other?.setStatus('closed');
  }
}
