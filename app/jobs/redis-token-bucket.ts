import type { Redis } from 'ioredis';
import type { BucketSettings, TakeResult, TokenBucket } from './token-bucket.js';

/**
 * The global RunTask bucket, shared by every pacer through Redis. The clock is Redis's own
 * (`TIME`), so pacers on hosts whose clocks disagree still share one timeline; Redis 7 replicates
 * scripts by their effects, which is what makes TIME usable before a write.
 * Returns {granted (0|1), microseconds until a token is due}.
 */
const TAKE_SCRIPT = `
local capacity = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'ts')
local tokens = tonumber(state[1])
local ts = tonumber(state[2])
if tokens == nil or ts == nil then
  tokens = capacity
  ts = now
end
if now > ts then
  tokens = math.min(capacity, tokens + (now - ts) * rate / 1000000)
  ts = now
end
local granted = 0
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
  granted = 1
else
  wait = math.ceil((1 - tokens) * 1000000 / rate)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.17g', tokens), 'ts', string.format('%.0f', ts))
redis.call('PEXPIRE', KEYS[1], math.ceil(capacity * 1000 / rate) + 1000)
return {granted, wait}
`;

export class RedisTokenBucket implements TokenBucket {
  private sha: string | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly settings: BucketSettings,
  ) {}

  async tryTake(): Promise<TakeResult> {
    const [granted, waitMicros] = (await this.run()) as [number, number];
    return granted === 1 ? { granted: true } : { granted: false, retryAfterMs: Math.ceil(waitMicros / 1000) };
  }

  /** EVALSHA with a fallback to EVAL after a restart emptied Redis's script cache. */
  private async run(): Promise<unknown> {
    const args = [this.settings.capacity, this.settings.perSecond] as const;
    if (this.sha) {
      try {
        return await this.redis.evalsha(this.sha, 1, this.key, ...args);
      } catch (error) {
        if (!(error instanceof Error && error.message.includes('NOSCRIPT'))) throw error;
      }
    }
    const result = await this.redis.eval(TAKE_SCRIPT, 1, this.key, ...args);
    this.sha ??= (await this.redis.script('LOAD', TAKE_SCRIPT)) as string;
    return result;
  }
}
