/**
 * A token bucket as AWS documents its API throttling ("Amazon ECS API request throttling"):
 * `capacity` tokens, refilled continuously at `perSecond`; a request that finds too few is refused.
 */
export class TokenBucketModel {
  private tokens: number;
  private updatedAt: number;

  constructor(
    readonly capacity: number,
    readonly perSecond: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = capacity;
    this.updatedAt = now();
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.capacity, this.tokens + ((now - this.updatedAt) * this.perSecond) / 1000);
    this.updatedAt = now;
  }

  /** Whether `count` tokens are there now, without taking them. */
  has(count: number): boolean {
    this.refill();
    return this.tokens >= count;
  }

  take(count: number): boolean {
    this.refill();
    if (this.tokens < count) return false;
    this.tokens -= count;
    return true;
  }
}
