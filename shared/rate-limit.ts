/**
 * A token bucket: `rate` tokens per second, holding at most `burst`. Plain data plus functions,
 * with the time passed in, so limits are tested without waiting.
 */
export interface TokenBucket {
  tokens: number;
  updatedAt: number;
  readonly rate: number;
  readonly burst: number;
}

/** The limits of a kind of token bucket, kept once for all buckets of that kind. */
export interface RateLimit {
  /** Tokens per second. */
  readonly rate: number;
  /** Most tokens held. */
  readonly burst: number;
}

export function createBucket(rate: number, burst: number, now: number): TokenBucket {
  return { tokens: burst, updatedAt: now, rate, burst };
}

/**
 * The tokens of a bucket that held `tokens` at `since`, refilled until `now` (a clock that went
 * back refills nothing).
 */
function refilled(tokens: number, since: number, limit: RateLimit, now: number): number {
  const elapsed = Math.max(0, now - since);
  return Math.min(limit.burst, tokens + (elapsed * limit.rate) / 1000);
}

/** Thousandths of a token per token: the unit of `refilledMilli`. */
export const MILLI = 1000;

/**
 * `refilled` for a bucket kept as two whole-number fields of its owner (times in whole
 * milliseconds) rather than as a `TokenBucket` object, which one per connection adds up to
 * (memory per connection). Tokens are counted in thousandths (`MILLI` per token) and rounded
 * down, so the count stays a whole number: V8 keeps a small integer in the field itself, while a
 * single fraction stored once would turn that field of every owner into a 16-byte heap number.
 */
export function refilledMilli(
  milliTokens: number,
  since: number,
  limit: RateLimit,
  now: number,
): number {
  const elapsed = Math.max(0, now - since);
  return Math.min(limit.burst * MILLI, Math.floor(milliTokens + elapsed * limit.rate));
}

function refill(bucket: TokenBucket, now: number): void {
  bucket.tokens = refilled(bucket.tokens, bucket.updatedAt, bucket, now);
  bucket.updatedAt = now;
}

/** Takes one token if there is one. */
export function take(bucket: TokenBucket, now: number): boolean {
  refill(bucket, now);
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/** Takes `n` tokens (bytes, for a byte budget) if there are that many. */
export function takeBytes(bucket: TokenBucket, n: number, now: number): boolean {
  refill(bucket, now);
  if (bucket.tokens < n) return false;
  bucket.tokens -= n;
  return true;
}

/** Whether the bucket is full again, i.e. forgetting it changes nothing. */
export function isFull(bucket: TokenBucket, now: number): boolean {
  refill(bucket, now);
  return bucket.tokens >= bucket.burst;
}

/**
 * One token bucket per key (a client address), in a map that stays bounded: buckets that have
 * filled up again are forgotten by `sweep`, and at `maxKeys` the oldest key makes room for a new
 * one. Evicting rather than refusing newcomers means a flood of spoofed source addresses cannot
 * lock real clients out; it only lets the evicted addresses start again from a full bucket,
 * which costs no more than a new address would.
 */
export class KeyedBuckets {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly maxKeys: number,
  ) {}

  /** Takes a token from `key`'s bucket (a new key starts full). */
  take(key: string, now: number): boolean {
    let bucket = this.buckets.get(key);
    if (bucket === undefined) {
      if (this.buckets.size >= this.maxKeys) {
        const oldest = this.buckets.keys().next();
        if (!oldest.done) this.buckets.delete(oldest.value);
      }
      bucket = createBucket(this.rate, this.burst, now);
      this.buckets.set(key, bucket);
    }
    return take(bucket, now);
  }

  /** Forgets every key whose bucket is full again (idle long enough to change nothing). */
  sweep(now: number): void {
    for (const [key, bucket] of this.buckets) if (isFull(bucket, now)) this.buckets.delete(key);
  }

  get size(): number {
    return this.buckets.size;
  }
}
