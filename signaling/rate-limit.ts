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

export function createBucket(rate: number, burst: number, now: number): TokenBucket {
  return { tokens: burst, updatedAt: now, rate, burst };
}

function refill(bucket: TokenBucket, now: number): void {
  const elapsed = Math.max(0, now - bucket.updatedAt);
  bucket.tokens = Math.min(bucket.burst, bucket.tokens + (elapsed * bucket.rate) / 1000);
  bucket.updatedAt = now;
}

/** Takes one token if there is one. */
export function take(bucket: TokenBucket, now: number): boolean {
  refill(bucket, now);
  if (bucket.tokens < 1) return false;
  bucket.tokens -= 1;
  return true;
}

/** Whether the bucket is full again, i.e. forgetting it changes nothing. */
export function isFull(bucket: TokenBucket, now: number): boolean {
  refill(bucket, now);
  return bucket.tokens >= bucket.burst;
}
