import type { RateClass } from '../../app/routes.js';
import type { ApiKeyEntry } from './api-keys.js';

/** The classes that are counted; `none` (health checks) never is. */
export type LimitedClass = Exclude<RateClass, 'none'>;

export type ClientKind = 'anonymous' | 'authenticated';

/**
 * What happens to a class while Redis cannot be reached: `open` keeps serving, counted per
 * instance by the insurance limiter; `closed` refuses with 503 until Redis is back.
 */
export type StoreFailureMode = 'open' | 'closed';

export interface ClassLimits {
  /** Points per window for clients without an API key, keyed by source address. */
  readonly anonymous: number;
  /** Points per window for each API-key client. */
  readonly authenticated: number;
  readonly windowSeconds: number;
  readonly onStoreFailure: StoreFailureMode;
}

export interface RateLimitSettings {
  readonly classes: Readonly<Record<LimitedClass, ClassLimits>>;
  /**
   * How many instances (ECS tasks, warm Lambda environments) usually share the traffic. While Redis
   * is down each one counts alone, so each gets this share of the quota.
   */
  readonly expectedInstances: number;
  readonly apiKeys: readonly ApiKeyEntry[];
}

/** One quota: a name for the RateLimit headers, points per window, and the failure mode. */
export interface RateLimitPolicy {
  readonly name: string;
  readonly rateClass: LimitedClass;
  readonly kind: ClientKind;
  readonly quota: number;
  readonly windowSeconds: number;
  readonly onStoreFailure: StoreFailureMode;
}

export function policyFor(
  settings: RateLimitSettings,
  rateClass: LimitedClass,
  kind: ClientKind,
): RateLimitPolicy {
  const limits = settings.classes[rateClass];
  return {
    name: `${rateClass}-${kind}`,
    rateClass,
    kind,
    quota: kind === 'authenticated' ? limits.authenticated : limits.anonymous,
    windowSeconds: limits.windowSeconds,
    onStoreFailure: limits.onStoreFailure,
  };
}

/**
 * Points each instance allows while Redis is down: its share of the quota, rounded up. It must
 * still admit the class's dearest route, or an outage would refuse that route to everyone.
 */
export function insuranceQuota(quota: number, expectedInstances: number): number {
  return Math.max(1, Math.ceil(quota / expectedInstances));
}

/** The environment variable that sets a policy's quota, for error messages. */
export function quotaVariable(rateClass: LimitedClass, kind: ClientKind): string {
  return `RATE_LIMIT_${rateClass.toUpperCase()}_${kind.toUpperCase()}`;
}

/** Defaults: reads are cheap; jobs (simulations) start Fargate tasks, so their quota is small. */
export const DEFAULT_CLASS_LIMITS: Readonly<Record<LimitedClass, ClassLimits>> = {
  standard: { anonymous: 120, authenticated: 1_200, windowSeconds: 60, onStoreFailure: 'open' },
  jobs: { anonymous: 20, authenticated: 200, windowSeconds: 60, onStoreFailure: 'open' },
};
