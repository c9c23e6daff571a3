import { describe, expect, it } from 'vitest';
import { ApiKeyRegistry, parseApiKeyHashes, sha256Hex } from '../../adapters/rate-limit/api-keys.js';
import { rateLimitHeaders } from '../../adapters/rate-limit/headers.js';
import { policyFor } from '../../adapters/rate-limit/policy.js';
import { ConfigError, loadConfig } from '../../app/config.js';
import { guardFor, testSettings } from './support.js';

const HASH = sha256Hex('partner-key');

describe('rate-limit configuration', () => {
  it('has defaults, so `npm start` limits without any variable set', () => {
    const config = loadConfig({});
    expect(config.rateLimit.classes.standard).toEqual({
      anonymous: 120,
      authenticated: 1_200,
      windowSeconds: 60,
      onStoreFailure: 'open',
    });
    expect(config.rateLimit.classes.jobs.onStoreFailure).toBe('open');
    expect(config.rateLimit.expectedInstances).toBe(1);
    expect(config.rateLimit.apiKeys).toEqual([]);
  });

  it('reads limits, windows, failure modes, instance count and key hashes', () => {
    const config = loadConfig({
      RATE_LIMIT_JOBS_ANONYMOUS: '3',
      RATE_LIMIT_JOBS_AUTHENTICATED: '30',
      RATE_LIMIT_JOBS_WINDOW_SECONDS: '300',
      RATE_LIMIT_JOBS_ON_REDIS_FAILURE: 'closed',
      RATE_LIMIT_EXPECTED_INSTANCES: '4',
      API_KEY_HASHES: `partner-a:${HASH}, ${HASH.toUpperCase()}`,
    });
    expect(config.rateLimit.classes.jobs).toEqual({
      anonymous: 3,
      authenticated: 30,
      windowSeconds: 300,
      onStoreFailure: 'closed',
    });
    expect(config.rateLimit.expectedInstances).toBe(4);
    expect(config.rateLimit.apiKeys).toEqual([
      { client: 'partner-a', sha256: HASH },
      { client: `key-${HASH.slice(0, 12)}`, sha256: HASH },
    ]);
  });

  it.each([
    ['RATE_LIMIT_STANDARD_ANONYMOUS', '0'],
    ['RATE_LIMIT_STANDARD_WINDOW_SECONDS', 'soon'],
    ['RATE_LIMIT_JOBS_ON_REDIS_FAILURE', 'maybe'],
    ['RATE_LIMIT_EXPECTED_INSTANCES', '-1'],
  ])('stops on a bad %s and names it', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(new RegExp(`${name}: `));
  });

  it('refuses a plaintext key in API_KEY_HASHES without repeating it in the error', () => {
    let error: unknown;
    try {
      loadConfig({ API_KEY_HASHES: `ok:${HASH},sk_live_plaintext_secret` });
    } catch (thrown) {
      error = thrown;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(String(error)).toMatch(/API_KEY_HASHES: entry 2 is not a hex SHA-256 hash/);
    expect(String(error)).not.toContain('sk_live_plaintext_secret');
  });

  it('stops at start when a route costs more than a quota could ever allow', () => {
    const settings = testSettings({ jobs: { anonymous: 4 } });
    expect(() => guardFor({ redis: undefined, prefix: 'x:', settings })).toThrow(
      /POST \/runs costs 5 points but RATE_LIMIT_JOBS_ANONYMOUS is 4/,
    );
  });

  it('stops at start when the insurance share of an open class is below its dearest route', () => {
    // 10 points ÷ 3 instances → 4 per instance while Redis is down, and POST /runs costs 5.
    const open = testSettings({ expectedInstances: 3 });
    const closed = testSettings({ expectedInstances: 3, jobs: { onStoreFailure: 'closed' } });

    expect(() => guardFor({ redis: undefined, prefix: 'x:', settings: open })).toThrow(
      /POST \/runs costs 5 points but while Redis is down each instance allows RATE_LIMIT_JOBS_ANONYMOUS ÷ RATE_LIMIT_EXPECTED_INSTANCES = 10 ÷ 3 → 4: .*RATE_LIMIT_JOBS_ON_REDIS_FAILURE=closed/,
    );
    // A class that fails closed has no insurance limiter to be too small.
    expect(() => guardFor({ redis: undefined, prefix: 'x:', settings: closed })).not.toThrow();
  });
});

describe('API keys', () => {
  it('finds the client of a presented key by its hash, and nothing for another key', () => {
    const { entries } = parseApiKeyHashes(`partner-a:${HASH}`);
    const registry = new ApiKeyRegistry(entries);
    expect(registry.clientFor('partner-key')).toBe('partner-a');
    expect(registry.clientFor('partner-key ')).toBeUndefined();
    expect(registry.clientFor(HASH)).toBeUndefined();
  });
});

describe('rate-limit header fields', () => {
  it('writes draft-ietf-httpapi-ratelimit-headers-11 fields and the X-RateLimit trio', () => {
    const policy = policyFor(testSettings(), 'standard', 'anonymous');
    const now = 1_800_000_000_000;
    const headers = rateLimitHeaders(policy, { allowed: true, remaining: 4, msBeforeReset: 16_200 }, now);
    expect(headers).toEqual({
      'ratelimit-policy': '"standard-anonymous";q=6;w=60',
      ratelimit: '"standard-anonymous";r=4;t=17',
      'x-ratelimit-limit': '6',
      'x-ratelimit-remaining': '4',
      'x-ratelimit-reset': String(1_800_000_017),
    });
  });

  it('reports nothing left on a refusal, whatever the counter says', () => {
    const policy = policyFor(testSettings(), 'jobs', 'authenticated');
    const headers = rateLimitHeaders(policy, { allowed: false, remaining: 3, msBeforeReset: 400 }, 0);
    expect(headers.ratelimit).toBe('"jobs-authenticated";r=0;t=1');
    expect(headers['x-ratelimit-remaining']).toBe('0');
  });
});
