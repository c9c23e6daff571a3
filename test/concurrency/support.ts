import { setTimeout as sleep } from 'node:timers/promises';
import type { Express } from 'express';
import type { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { type ConcurrencyOverrides, resolveConcurrencyBounds } from '../../adapters/concurrency/bounds.js';
import { ConcurrencyGate } from '../../adapters/concurrency/gate.js';
import { withConcurrencyBounds } from '../../adapters/concurrency/guard.js';
import { ecsInvocationResolver } from '../../adapters/invocation.js';
import type { RequestGuard } from '../../adapters/lambda-to-express.js';
import { createRateLimitGuard } from '../../adapters/rate-limit/guard.js';
import { DEFAULT_CLASS_LIMITS } from '../../adapters/rate-limit/policy.js';
import { createApp } from '../../app/create-app.js';
import type { LambdaGroupDefinition } from '../../app/lambda-groups.js';
import { createLambdaHandler, type LambdaHttpHandler } from '../../app/lambda-handler.js';
import { MemoryLeadStore } from '../../app/leads/lead-store.js';
import { DrainState } from '../../app/readiness.js';
import type { RouteDefinition } from '../../app/routes.js';
import { json } from '../../handlers/respond.js';
import type { HandlerDeps, HandlerFactory } from '../../handlers/types.js';

/** The group the test routes belong to. */
export const HELD_GROUP = 'held';

/**
 * Counts the handlers running right now in Redis, shared by every process: `INCR` on entry keeps
 * the highest value ever seen under a second key, `DECR` on exit. That highest value is the most
 * requests that were ever in flight at once, measured inside the handlers.
 */
const ENTER = `
local n = redis.call('INCR', KEYS[1])
if n > tonumber(redis.call('GET', KEYS[2]) or '0') then redis.call('SET', KEYS[2], n) end
return n
`;

export interface InFlightProbe {
  readonly inFlightKey: string;
  readonly maxKey: string;
}

export function inFlightProbe(prefix: string): InFlightProbe {
  return { inFlightKey: `${prefix}probe:in-flight`, maxKey: `${prefix}probe:max-in-flight` };
}

/**
 * A handler that holds its slot for `holdMs` (or until `release` resolves) while counted in the
 * in-flight probe; it answers 200 with the count it saw on entry.
 */
export function heldHandler(options: {
  redis: Redis;
  probe: InFlightProbe;
  holdMs: number;
  release?: () => Promise<void>;
}): HandlerFactory {
  return () => async () => {
    const { inFlightKey, maxKey } = options.probe;
    const seen = Number(await options.redis.eval(ENTER, 2, inFlightKey, maxKey));
    try {
      await (options.release ? options.release() : sleep(options.holdMs));
    } finally {
      await options.redis.decr(inFlightKey);
    }
    return json(200, { inFlightOnEntry: seen });
  };
}

/** A quick route of the same group: answers at once, so only the bound decides its fate. */
export const quickHandler: HandlerFactory = () => async () => json(200, { quick: true });

export function heldRoute(
  method: RouteDefinition['method'],
  path: string,
  handler: HandlerFactory,
  extra: Partial<RouteDefinition> = {},
): RouteDefinition {
  return {
    method,
    path,
    handler,
    target: 'ecs',
    targets: ['ecs', 'lambda'],
    rateLimit: { class: 'standard', cost: 1 },
    lambdaGroup: HELD_GROUP,
    timeoutMs: 5_000,
    summary: `${method} ${path}`,
    ...extra,
  };
}

/** The rate limiter as deployed but with a quota no test reaches: every request is counted. */
export function countingRateLimit(options: {
  redis: Redis | undefined;
  prefix: string;
  routes: readonly RouteDefinition[];
  logger?: Logger;
  expectedInstances?: number;
}): RequestGuard {
  const huge = { ...DEFAULT_CLASS_LIMITS.standard, anonymous: 1_000_000_000, authenticated: 1_000_000_000 };
  return createRateLimitGuard({
    settings: {
      classes: { ...DEFAULT_CLASS_LIMITS, standard: huge },
      expectedInstances: options.expectedInstances ?? 1,
      apiKeys: [],
    },
    redis: options.redis,
    keyPrefix: options.prefix,
    logger: options.logger ?? pino({ level: 'silent' }),
    routes: options.routes,
  });
}

/** The rate limiter with Max Concurrency, as app/runtime-deps.ts builds them. */
export function boundedGuard(options: {
  redis: Redis | undefined;
  prefix: string;
  routes: readonly RouteDefinition[];
  groups: Readonly<Record<string, LambdaGroupDefinition>>;
  overrides?: ConcurrencyOverrides;
  expectedInstances?: number;
  logger?: Logger;
  rateLimited?: boolean;
}): { guard: RequestGuard; gate: ConcurrencyGate } {
  const logger = options.logger ?? pino({ level: 'silent' });
  const gate = new ConcurrencyGate({
    bounds: resolveConcurrencyBounds(options.routes, options.groups, options.overrides ?? {}),
    redis: options.redis,
    keyPrefix: options.prefix,
    expectedInstances: options.expectedInstances ?? 1,
    logger,
  });
  const inner = options.rateLimited === false ? undefined : countingRateLimit({ ...options, logger });
  return { guard: withConcurrencyBounds(inner, gate), gate };
}

function deps(): HandlerDeps {
  return {
    leads: new MemoryLeadStore(),
    readiness: new DrainState(),
    logger: pino({ level: 'silent' }),
    clock: () => new Date(),
  };
}

export function ecsApp(routes: readonly RouteDefinition[], guard: RequestGuard): Express {
  return createApp(deps(), {
    resolveInvocation: ecsInvocationResolver({
      stage: 'test',
      functionName: 'api-test',
      trustForwardedFor: true,
    }),
    maxBodyBytes: 64 * 1024,
    routes,
    guards: [guard],
  });
}

export function lambdaHandler(routes: readonly RouteDefinition[], guard: RequestGuard): LambdaHttpHandler {
  return createLambdaHandler(deps(), { stage: 'test', maxBodyBytes: 64 * 1024, routes, guards: [guard] })
    .handler;
}

/** Resolves when `redis` is connected, so a test does not start while its client still connects. */
export async function untilReady(redis: Redis, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (redis.status !== 'ready') {
    if (Date.now() > deadline) throw new Error(`Redis client still ${redis.status}`);
    await sleep(10);
  }
}
