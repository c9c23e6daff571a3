import { DEFAULT_CLASS_LIMITS, insuranceQuota, type LimitedClass } from '../adapters/rate-limit/policy.js';
import { routes } from '../app/routes.js';

/**
 * `RATE_LIMIT_<CLASS>_ON_REDIS_FAILURE` for a deployment of `expectedInstances` instances. A class
 * stays open while Redis is down only if each instance's insurance share (quota ÷ instances)
 * still admits the class's dearest route; otherwise it fails closed (503 with Retry-After), which
 * the app would otherwise refuse at start. With many instances the share rounds down to nothing
 * useful, and these routes need Redis for their data anyway.
 */
export function onRedisFailureEnvironment(expectedInstances: number): Record<string, string> {
  const environment: Record<string, string> = {};
  for (const rateClass of Object.keys(DEFAULT_CLASS_LIMITS) as LimitedClass[]) {
    const limits = DEFAULT_CLASS_LIMITS[rateClass];
    const dearest = Math.max(
      0,
      ...routes.filter((route) => route.rateLimit.class === rateClass).map((route) => route.rateLimit.cost),
    );
    const fits = [limits.anonymous, limits.authenticated].every(
      (quota) => insuranceQuota(quota, expectedInstances) >= dearest,
    );
    environment[`RATE_LIMIT_${rateClass.toUpperCase()}_ON_REDIS_FAILURE`] =
      fits && limits.onStoreFailure === 'open' ? 'open' : 'closed';
  }
  return environment;
}
