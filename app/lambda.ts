import { assembleRuntimeDeps } from './assemble-deps.js';
import { loadConfig } from './config.js';
import { createLambdaHandler, type LambdaHttpHandler } from './lambda-handler.js';
import { createLogger } from './logger.js';
import { lambdaGroups, routes } from './routes.js';
import { withSecrets } from './secrets.js';

/**
 * The Lambda entry point: ALB (single- and multi-value headers), API Gateway REST (v1), HTTP API
 * (v2) and Function URLs. Configuration, clients and the app are built here, at init, outside the
 * handler, so warm invocations reuse them and init gets Lambda's boosted CPU.
 *
 * Cold start loads only what the group's requests need (the bundle is split, scripts/build.ts):
 * the Redis client module when Redis is configured (the rate limiter counts the very first
 * request there), and the jobs runtime (BullMQ, the pacer, SQS/S3/ECS) only in a group whose
 * routes use it (`usesJobs` in app/lambda-groups.ts); elsewhere it would load on first use.
 */
const config = await withSecrets(loadConfig());
const logger = createLogger({ level: config.logLevel, env: config.env, runtime: 'lambda' });

// Each Lambda group is its own function behind its own ALB target group; serving only its routes
// means a request routed to the wrong function gets a 404, never another group's handler.
const served = config.lambdaGroup
  ? routes.filter((route) => route.lambdaGroup === config.lambdaGroup)
  : routes;
if (served.length === 0) {
  throw new Error(
    `LAMBDA_GROUP ${config.lambdaGroup} has no routes (groups: ${[...new Set(routes.map((r) => r.lambdaGroup))].join(', ')})`,
  );
}

const loadJobsRuntime = () => import('./jobs/jobs-runtime.js');
const deps = assembleRuntimeDeps(config, logger, {
  ...(config.redis ? { redis: await import('./redis.js') } : {}),
  jobs: served.some((route) => lambdaGroups[route.lambdaGroup]?.usesJobs)
    ? { now: await loadJobsRuntime() }
    : { onFirstUse: loadJobsRuntime },
});

export const handler: LambdaHttpHandler = createLambdaHandler(deps, {
  stage: config.env,
  maxBodyBytes: config.maxBodyBytes,
  guards: deps.guards,
  routes: served,
  cors: config.cors,
}).handler;
