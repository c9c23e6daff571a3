import { setTimeout as sleep } from 'node:timers/promises';

export type TakeResult =
  | { readonly granted: true }
  | { readonly granted: false; readonly retryAfterMs: number };

/**
 * One permission per RunTask call. Implementations are true token buckets: `capacity` tokens at
 * most, refilled continuously at `perSecond`, so no interval ever sees more than
 * capacity + perSecond × length calls (a fixed window lets twice the rate through at its edge).
 */
export interface TokenBucket {
  tryTake(): Promise<TakeResult>;
}

export interface BucketSettings {
  readonly capacity: number;
  readonly perSecond: number;
}

/** The embedded bucket: the same arithmetic on this process's monotonic clock. */
export class MemoryTokenBucket implements TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly settings: BucketSettings,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = settings.capacity;
    this.updatedAt = now();
  }

  async tryTake(): Promise<TakeResult> {
    const now = this.now();
    this.tokens = Math.min(
      this.settings.capacity,
      this.tokens + (Math.max(0, now - this.updatedAt) * this.settings.perSecond) / 1000,
    );
    this.updatedAt = Math.max(this.updatedAt, now);
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return { granted: true };
    }
    return { granted: false, retryAfterMs: Math.ceil(((1 - this.tokens) * 1000) / this.settings.perSecond) };
  }
}

/**
 * Waits for a token until `deadline` (epoch ms). Waiters sleep for the time the bucket names plus
 * a little jitter, so several processes waiting on one bucket do not all ask at the same instant.
 * Returns false when the deadline comes first. Errors from the bucket's store propagate: without
 * a token there is no RunTask (fail closed).
 */
export async function takeToken(
  bucket: TokenBucket,
  deadline: number,
  random: () => number = Math.random,
): Promise<boolean> {
  for (;;) {
    const result = await bucket.tryTake();
    if (result.granted) return true;
    const wait = result.retryAfterMs + Math.floor(random() * 5);
    if (Date.now() + wait > deadline) return false;
    await sleep(wait);
  }
}
