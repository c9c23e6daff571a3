import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type RouteDefinition, routeId, routes as routeTable } from '../../app/routes.js';
import { TooManyRequestsError } from '../http-error.js';
import type { RequestGuard } from '../lambda-to-express.js';
import { ApiKeyRegistry } from './api-keys.js';
import { identifyClient } from './client-identity.js';
import { rateLimitHeaders, secondsUntil } from './headers.js';
import {
  type ClientKind,
  insuranceQuota,
  type LimitedClass,
  policyFor,
  quotaVariable,
  type RateLimitSettings,
} from './policy.js';
import {
  memoryQuotaCounter,
  type QuotaCounter,
  redisQuotaCounter,
  StoreUnavailableError,
} from './quota-counter.js';
import { InvalidApiKeyError, RateLimitUnavailableError } from './refusals.js';
import { StoreHealth } from './store-health.js';

export interface RateLimitGuardOptions {
  readonly settings: RateLimitSettings;
  /** The shared store; without one each process counts alone (local `npm start`). */
  readonly redis: Redis | undefined;
  /** Prefix of every rate-limit key in Redis, e.g. `api:` → `api:rl:standard-anonymous:ip:…`. */
  readonly keyPrefix: string;
  readonly logger: Logger;
  /** Checked at start: a route whose cost exceeds a quota could never be served. */
  readonly routes?: readonly RouteDefinition[];
}

type Counters = Readonly<Record<LimitedClass, Readonly<Record<ClientKind, QuotaCounter>>>>;

/**
 * The rate-limit step of lambdaToExpress, the same on ECS and Lambda: who is calling (API key or
 * source address), which quota applies (the route's class), how much this request costs (the
 * route's cost). It adds the RateLimit headers to every counted response, refuses with 429 when
 * the quota is spent and with 401 when the credentials are wrong.
 */
export function createRateLimitGuard(options: RateLimitGuardOptions): RequestGuard {
  const { settings } = options;
  assertCostsFit(options.routes ?? routeTable, settings);
  const registry = new ApiKeyRegistry(settings.apiKeys);
  const keyPrefix = `${options.keyPrefix}rl:`;
  const health = new StoreHealth(options.logger);
  const counterFor = (rateClass: LimitedClass, kind: ClientKind): QuotaCounter => {
    const policy = policyFor(settings, rateClass, kind);
    return options.redis
      ? redisQuotaCounter(policy, {
          redis: options.redis,
          keyPrefix,
          expectedInstances: settings.expectedInstances,
          health,
        })
      : memoryQuotaCounter(policy, keyPrefix);
  };
  const counters = Object.fromEntries(
    // Every class the settings name (a Record over all classes but `none`, so none is missed).
    (Object.keys(settings.classes) as LimitedClass[]).map((rateClass) => [
      rateClass,
      {
        anonymous: counterFor(rateClass, 'anonymous'),
        authenticated: counterFor(rateClass, 'authenticated'),
      },
    ]),
  ) as Counters;

  return async ({ route, invocation }) => {
    const rateClass = route.rateLimit.class;
    if (rateClass === 'none') return undefined;

    const identity = identifyClient(invocation.headerPairs, invocation.sourceIp, registry);
    const counter = counters[rateClass][identity.kind === 'authenticated' ? 'authenticated' : 'anonymous'];
    const key = identity.kind === 'authenticated' ? `key:${identity.client}` : `ip:${identity.address}`;

    let state: Awaited<ReturnType<QuotaCounter['consume']>>;
    try {
      state = await counter.consume(key, route.rateLimit.cost);
    } catch (error) {
      if (error instanceof StoreUnavailableError) throw new RateLimitUnavailableError(error);
      throw error;
    }
    // In an outage the insurance policy's quota is the one that applies, and the one stated.
    const headers = rateLimitHeaders(state.policy, state);
    if (!state.allowed) throw new TooManyRequestsError(secondsUntil(state.msBeforeReset), headers);
    if (identity.kind === 'refused') throw new InvalidApiKeyError(identity.reason, headers);
    return headers;
  };
}

/**
 * Refuses at start a configuration under which a route could never be served: its cost above a
 * quota, or, for a class that stays open while Redis is down, above the insurance share each
 * instance then allows (quota ÷ RATE_LIMIT_EXPECTED_INSTANCES): every such request would get 429
 * from the first moment of an outage.
 */
export function assertCostsFit(routes: readonly RouteDefinition[], settings: RateLimitSettings): void {
  for (const route of routes) {
    const rateClass = route.rateLimit.class;
    if (rateClass === 'none') continue;
    for (const kind of ['anonymous', 'authenticated'] as const) {
      const { quota, onStoreFailure } = policyFor(settings, rateClass, kind);
      const cost = route.rateLimit.cost;
      const variable = quotaVariable(rateClass, kind);
      if (cost > quota) {
        throw new Error(
          `${routeId(route)} costs ${cost} points but ${variable} is ${quota}: it could never be served`,
        );
      }
      const share = insuranceQuota(quota, settings.expectedInstances);
      if (onStoreFailure === 'open' && cost > share) {
        throw new Error(
          `${routeId(route)} costs ${cost} points but while Redis is down each instance allows ${variable} ÷ RATE_LIMIT_EXPECTED_INSTANCES = ${quota} ÷ ${settings.expectedInstances} → ${share}: raise ${variable}, lower RATE_LIMIT_EXPECTED_INSTANCES, or set ${failureVariable(rateClass)}=closed`,
        );
      }
    }
  }
}

function failureVariable(rateClass: LimitedClass): string {
  return `RATE_LIMIT_${rateClass.toUpperCase()}_ON_REDIS_FAILURE`;
}
