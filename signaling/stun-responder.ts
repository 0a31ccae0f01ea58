import { KeyedBuckets } from '../shared/rate-limit.ts';
import {
  decodeBindingRequest,
  encodeBindingSuccess,
  ipBytes,
  type StunIgnoreReason,
} from './stun.ts';

/** Counters of the built-in STUN server, read by `/healthz` and `/metrics`. */
export class StunStats {
  /** Well-formed Binding requests received. */
  requests = 0;
  /** Binding success responses handed to the socket. */
  responses = 0;
  /** Binding requests left unanswered because their address was over its rate. */
  rateLimited = 0;
  /** Datagrams that were not a Binding request we answer, by reason. */
  readonly ignored = new Map<StunIgnoreReason | 'bad_address', number>();

  ignore(reason: StunIgnoreReason | 'bad_address'): void {
    this.ignored.set(reason, (this.ignored.get(reason) ?? 0) + 1);
  }
}

export interface StunLimits {
  /** Answers per second to one address, and the burst allowance. */
  readonly rate: number;
  readonly burst: number;
  readonly maxTrackedAddresses: number;
}

/**
 * What the STUN server does with one datagram, without the socket: decode it, check the sender's
 * rate, and return the answer (or `undefined` for silence). Rates are per address, not per
 * address and port: one machine is one address whatever ports it uses.
 */
export class StunResponder {
  readonly stats = new StunStats();
  private readonly buckets: KeyedBuckets;

  constructor(limits: StunLimits) {
    this.buckets = new KeyedBuckets(limits.rate, limits.burst, limits.maxTrackedAddresses);
  }

  /** The answer to `datagram` from `address`:`port`, if it gets one. */
  answer(datagram: Uint8Array, address: string, port: number, now: number): Uint8Array | undefined {
    const request = decodeBindingRequest(datagram);
    if (!request.ok) {
      this.stats.ignore(request.error);
      return undefined;
    }
    this.stats.requests++;
    const ip = ipBytes(address);
    if (ip === undefined) {
      this.stats.ignore('bad_address');
      return undefined;
    }
    // Keyed by the address text: one socket always spells one client the same way (an IPv4
    // client of a dual-stack socket is always ::ffff:a.b.c.d there).
    if (!this.buckets.take(address, now)) {
      this.stats.rateLimited++;
      return undefined;
    }
    this.stats.responses++;
    return encodeBindingSuccess(request.value, { ip, port });
  }

  /** Forgets addresses that have been quiet long enough to have a full bucket again. */
  sweep(now: number): void {
    this.buckets.sweep(now);
  }

  get trackedAddresses(): number {
    return this.buckets.size;
  }
}
