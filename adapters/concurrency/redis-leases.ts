import type { Redis } from 'ioredis';
import type { ConcurrencyBound } from './bounds.js';

/**
 * A distributed semaphore per bound: a sorted set of leases scored by when each expires, in Redis
 * server time so no process's clock matters. Expired leases are dropped before counting, so a
 * lease whose holder crashed, or whose Lambda environment was frozen before it could release, is
 * free again the moment its request's deadline passes. A request takes a lease in every one of its
 * bounds or in none: all are checked before any is written, in one script, so it runs atomically.
 *
 * KEYS: the bounds' sorted sets. ARGV: lease id, lease ms, then each bound's limit.
 * Returns 0 when granted, else the 1-based index of the first bound that is full.
 */
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now)
  if redis.call('ZCARD', key) >= tonumber(ARGV[i + 2]) then
    return i
  end
end
for _, key in ipairs(KEYS) do
  redis.call('ZADD', key, now + lease, ARGV[1])
  if redis.call('PTTL', key) < lease then
    redis.call('PEXPIRE', key, lease)
  end
end
return 0
`;

/** KEYS: the bounds' sorted sets. ARGV: the lease id. */
const RELEASE = `
for _, key in ipairs(KEYS) do
  redis.call('ZREM', key, ARGV[1])
end
return 0
`;

/** Commands defined without a fixed key count take it as their first argument. */
interface LeaseCommands {
  concurrencyAcquire(numberOfKeys: number, ...keysThenArgs: string[]): Promise<number>;
  concurrencyRelease(numberOfKeys: number, ...keysThenArgs: string[]): Promise<number>;
}

export class RedisLeases {
  private readonly client: Redis & LeaseCommands;

  /** @param keyPrefix e.g. `api:` → `api:cc:group:jobs`. */
  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
  ) {
    // Defined commands run as EVALSHA; the gate sends the acquire inside a batch of writes
    // (batchWrites) that the rate limiter's count joins: one write, one round trip.
    redis.defineCommand('concurrencyAcquire', { lua: ACQUIRE });
    redis.defineCommand('concurrencyRelease', { lua: RELEASE });
    this.client = redis as Redis & LeaseCommands;
  }

  keyOf(bound: ConcurrencyBound): string {
    return `${this.keyPrefix}cc:${bound.id}`;
  }

  /**
   * Sends the command synchronously (nothing is awaited before it), so it shares the round trip
   * of commands issued beside it. Resolves 0 when granted, else the 1-based full bound's index.
   */
  acquire(bounds: readonly ConcurrencyBound[], leaseId: string, leaseMs: number): Promise<number> {
    return this.client.concurrencyAcquire(
      bounds.length,
      ...bounds.map((b) => this.keyOf(b)),
      leaseId,
      String(Math.max(1, Math.ceil(leaseMs))),
      ...bounds.map((b) => String(b.limit)),
    );
  }

  release(bounds: readonly ConcurrencyBound[], leaseId: string): Promise<number> {
    return this.client.concurrencyRelease(bounds.length, ...bounds.map((b) => this.keyOf(b)), leaseId);
  }
}
