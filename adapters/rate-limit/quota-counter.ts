import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { QuotaState } from './headers.js';
import type { RateLimitPolicy } from './policy.js';
import type { StoreHealth } from './store-health.js';

/** Counts the points a key consumes against one policy's quota. */
export interface QuotaCounter {
  readonly policy: RateLimitPolicy;
  /** Where the last answer came from, for logs and tests. */
  consume(key: string, cost: number): Promise<QuotaState & { source: CountSource }>;
}

/** `redis`: shared count; `insurance`: per-instance count while Redis is down; `memory`: no Redis configured. */
export type CountSource = 'redis' | 'insurance' | 'memory';

/** Redis is down and the class is configured to fail closed. */
export class StoreUnavailableError extends Error {
  constructor(policy: RateLimitPolicy, cause: unknown) {
    super(`Rate limit store unavailable and class ${policy.rateClass} fails closed`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

function stateOf(
  res: RateLimiterRes,
  allowed: boolean,
  source: CountSource,
): QuotaState & { source: CountSource } {
  return { allowed, remaining: res.remainingPoints, msBeforeReset: res.msBeforeNext, source };
}

/** Memory limiters answer "limit reached" by rejecting with a RateLimiterRes; anything else is a bug. */
async function consumeLocally(
  limiter: RateLimiterMemory,
  key: string,
  cost: number,
  source: CountSource,
): Promise<QuotaState & { source: CountSource }> {
  try {
    return stateOf(await limiter.consume(key, cost), true, source);
  } catch (outcome) {
    if (outcome instanceof RateLimiterRes) return stateOf(outcome, false, source);
    throw outcome;
  }
}

/** Without Redis (the embedded default of `npm start`): one process, one count. */
export function memoryQuotaCounter(policy: RateLimitPolicy, keyPrefix: string): QuotaCounter {
  const limiter = new RateLimiterMemory({
    keyPrefix: `${keyPrefix}${policy.name}`,
    points: policy.quota,
    duration: policy.windowSeconds,
  });
  return { policy, consume: (key, cost) => consumeLocally(limiter, key, cost, 'memory') };
}

/**
 * Counts in Redis, shared by every instance. "Limit reached" (a RateLimiterRes) and "store failed"
 * (an Error) are different outcomes: the second goes to a per-instance insurance limiter holding
 * `quota / expectedInstances`, or refuses when the class fails closed. Nothing is retried against
 * Redis within a request, and each request tries Redis first, so counting returns to Redis as soon
 * as the client has reconnected.
 */
export function redisQuotaCounter(
  policy: RateLimitPolicy,
  options: { redis: Redis; keyPrefix: string; expectedInstances: number; health: StoreHealth },
): QuotaCounter {
  const prefix = `${options.keyPrefix}${policy.name}`;
  const shared = new RateLimiterRedis({
    storeClient: options.redis,
    keyPrefix: prefix,
    points: policy.quota,
    duration: policy.windowSeconds,
    // Refused requests are counted too, so once a window's count passes the quota every later
    // request in that window is refused anyway. Remembering that locally until the window ends
    // changes no answer and keeps a flood from one key off Redis.
    inMemoryBlockOnConsumed: policy.quota + 1,
    // With no connection, fail at once (to the insurance limiter) instead of queueing the command.
    rejectIfRedisNotReady: true,
  });
  const insurance = new RateLimiterMemory({
    keyPrefix: prefix,
    points: Math.max(1, Math.ceil(policy.quota / options.expectedInstances)),
    duration: policy.windowSeconds,
  });

  return {
    policy,
    async consume(key, cost) {
      try {
        const res = await shared.consume(key, cost);
        options.health.answered();
        return stateOf(res, true, 'redis');
      } catch (outcome) {
        if (outcome instanceof RateLimiterRes) {
          // A refusal from the local block carries no count; only a counted one proves Redis answered.
          if (outcome.consumedPoints > 0) options.health.answered();
          return stateOf(outcome, false, 'redis');
        }
        options.health.failed(outcome);
        // A class that fails closed still counts locally while a fresh client connects (a Lambda
        // cold start): refusing then would fail every first request of a new instance.
        if (policy.onStoreFailure === 'closed' && !options.health.starting) {
          throw new StoreUnavailableError(policy, outcome);
        }
        return consumeLocally(insurance, key, cost, 'insurance');
      }
    },
  };
}
