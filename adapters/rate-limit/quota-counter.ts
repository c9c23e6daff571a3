import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import type { QuotaState } from './headers.js';
import { insuranceQuota, type RateLimitPolicy } from './policy.js';
import { batchWrites } from './store-client.js';
import type { StoreAttempt, StoreHealth } from './store-health.js';

/** How long a probe during an outage may delay its request: Redis answers in under 1 ms. */
const PROBE_WAIT_MS = 50;

/** Counts the points a key consumes against one policy's quota. */
export interface QuotaCounter {
  readonly policy: RateLimitPolicy;
  /** Where the answer came from, and the policy it was counted against (the insurance one in an outage). */
  consume(key: string, cost: number): Promise<CountedState>;
}

export type CountedState = QuotaState & { readonly source: CountSource; readonly policy: RateLimitPolicy };

/** `redis`: shared count; `insurance`: per-instance count while Redis is down; `memory`: no Redis configured. */
export type CountSource = 'redis' | 'insurance' | 'memory';

/** Redis is down and the class is configured to fail closed. */
export class StoreUnavailableError extends Error {
  constructor(policy: RateLimitPolicy, cause: unknown) {
    super(`Rate limit store unavailable and class ${policy.rateClass} fails closed`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/** Redis did not answer a count (down, timed out, not connected): not "limit reached". */
class StoreFailure {
  constructor(readonly error: unknown) {}
}

function stateOf(
  res: RateLimiterRes,
  allowed: boolean,
  source: CountSource,
  policy: RateLimitPolicy,
): CountedState {
  return { allowed, remaining: res.remainingPoints, msBeforeReset: res.msBeforeNext, source, policy };
}

/** Memory limiters answer "limit reached" by rejecting with a RateLimiterRes; anything else is a bug. */
async function consumeLocally(
  limiter: RateLimiterMemory,
  key: string,
  cost: number,
  source: CountSource,
  policy: RateLimitPolicy,
): Promise<CountedState> {
  try {
    return stateOf(await limiter.consume(key, cost), true, source, policy);
  } catch (outcome) {
    if (outcome instanceof RateLimiterRes) return stateOf(outcome, false, source, policy);
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
  return { policy, consume: (key, cost) => consumeLocally(limiter, key, cost, 'memory', policy) };
}

/**
 * Counts in Redis, shared by every instance. "Limit reached" (a RateLimiterRes) and "store failed"
 * (an Error) are different outcomes: the second goes to a per-instance insurance limiter holding
 * `quota / expectedInstances`, or refuses when the class fails closed. Nothing is retried against
 * Redis within a request. During an outage only an occasional probe asks Redis (see
 * StoreHealth.tryStore), the others go to the insurance limiter at once; the first probe Redis
 * answers brings counting back to Redis.
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
  // While it applies, the RateLimit headers state this quota, not the shared one.
  const degraded: RateLimitPolicy = {
    ...policy,
    quota: insuranceQuota(policy.quota, options.expectedInstances),
  };
  const insurance = new RateLimiterMemory({
    keyPrefix: prefix,
    points: degraded.quota,
    duration: policy.windowSeconds,
  });

  const { health, redis } = options;

  /**
   * One count in Redis: its state, or the error that says Redis did not answer. The command is
   * sent before this returns (nothing is awaited first), in the same write as anything else the
   * request sends in this turn (its concurrency lease). Settles at the first of the answer, the
   * command's own failure, or another command's timeout declaring an outage.
   */
  const ask = (key: string, cost: number, attempt: StoreAttempt): Promise<CountedState | StoreFailure> => {
    batchWrites(redis);
    const sent = shared.consume(key, cost);
    return new Promise((resolve) => {
      let settled = false;
      const settle = (result: CountedState | StoreFailure) => {
        if (settled) return;
        settled = true;
        health.doneWaiting(onOutage);
        attempt.done();
        resolve(result);
      };
      const fail = (error: unknown) => {
        health.failed(error);
        settle(new StoreFailure(error));
      };
      // Rejects like a timed-out command as soon as the health declares an outage.
      const onOutage = () => fail(new Error('Command timed out (store outage)'));
      health.whileWaiting(onOutage);
      sent.then(
        (res: RateLimiterRes) => {
          health.answered();
          settle(stateOf(res, true, 'redis', policy));
        },
        (outcome: unknown) => {
          if (!(outcome instanceof RateLimiterRes)) return fail(outcome);
          // A refusal from the local block carries no count; only a counted one proves Redis answered.
          if (outcome.consumedPoints > 0) health.answered();
          settle(stateOf(outcome, false, 'redis', policy));
        },
      );
    });
  };

  return {
    policy,
    async consume(key, cost) {
      const attempt = health.tryStore();
      let counted: CountedState | StoreFailure | undefined;
      if (attempt.mode === 'ask') {
        counted = await ask(key, cost, attempt);
      } else if (attempt.mode === 'probe') {
        // Learns whether Redis is back, waiting only briefly: a Redis that answers at once counts
        // this request again; one that hangs leaves it to the insurance limiter.
        counted = await Promise.race([ask(key, cost, attempt), sleep(PROBE_WAIT_MS).then(() => undefined)]);
      }
      if (counted !== undefined && !(counted instanceof StoreFailure)) return counted;
      // A class that fails closed still counts locally while a fresh client connects (a Lambda
      // cold start): refusing then would fail every first request of a new instance.
      if (policy.onStoreFailure === 'closed' && !health.starting) {
        throw new StoreUnavailableError(policy, counted?.error);
      }
      return consumeLocally(insurance, key, cost, 'insurance', degraded);
    },
  };
}
