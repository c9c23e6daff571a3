import type { RateLimitPolicy } from './policy.js';

/** Where a request stands against its quota after it was counted. */
export interface QuotaState {
  readonly allowed: boolean;
  /** Points left in this window (0 once refused). */
  readonly remaining: number;
  /** Until the window ends and the quota is restored. */
  readonly msBeforeReset: number;
}

/** Whole seconds, rounded up so a client that waits this long is never early. */
export function secondsUntil(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/**
 * The rate-limit fields of a response.
 *
 * `RateLimit-Policy` and `RateLimit` follow draft-ietf-httpapi-ratelimit-headers-11 (May 2026):
 * Structured Field lists whose items are quoted policy names, `q` (quota) and `w` (window, s) on
 * the policy, `r` (available quota) and `t` (seconds until it is restored) on the limit. A route
 * with cost N consumes N units of `q`. No `pk` is sent: the partition key is the client's address
 * or API-key client, which the client knows and others must not learn.
 *
 * `X-RateLimit-Limit` / `-Remaining` / `-Reset` are the older de-facto trio; `-Reset` is the epoch
 * second the window ends (the GitHub convention), which stays the same across a window.
 */
export function rateLimitHeaders(
  policy: RateLimitPolicy,
  state: QuotaState,
  now: number = Date.now(),
): Record<string, string> {
  const remaining = state.allowed ? Math.max(0, state.remaining) : 0;
  const resetSeconds = secondsUntil(state.msBeforeReset);
  const fixed = fixedFields(policy);
  return {
    'ratelimit-policy': fixed.policy,
    ratelimit: `${fixed.name};r=${remaining};t=${resetSeconds}`,
    'x-ratelimit-limit': fixed.limit,
    'x-ratelimit-remaining': String(remaining),
    'x-ratelimit-reset': String(Math.ceil((now + Math.max(0, state.msBeforeReset)) / 1000)),
  };
}

/** The fields that depend on the policy alone, written once per policy rather than per request. */
function fixedFields(policy: RateLimitPolicy): { name: string; policy: string; limit: string } {
  let fields = fixedByPolicy.get(policy);
  if (fields === undefined) {
    const name = `"${policy.name}"`;
    fields = {
      name,
      policy: `${name};q=${policy.quota};w=${policy.windowSeconds}`,
      limit: String(policy.quota),
    };
    fixedByPolicy.set(policy, fields);
  }
  return fields;
}

const fixedByPolicy = new WeakMap<RateLimitPolicy, { name: string; policy: string; limit: string }>();
