import { pino } from 'pino';
import { resolveConcurrencyBounds } from '../adapters/concurrency/bounds.js';
import { ConcurrencyGate } from '../adapters/concurrency/gate.js';
import { withConcurrencyBounds } from '../adapters/concurrency/guard.js';
import { ecsInvocationResolver } from '../adapters/invocation.js';
import type { RequestGuard } from '../adapters/lambda-to-express.js';
import { createRateLimitGuard } from '../adapters/rate-limit/guard.js';
import { DEFAULT_CLASS_LIMITS } from '../adapters/rate-limit/policy.js';
import { RATE_LIMIT_REDIS_OPTIONS } from '../adapters/rate-limit/store-client.js';
import { createApp } from '../app/create-app.js';
import { MemoryLeadStore } from '../app/leads/lead-store.js';
import { DrainState } from '../app/readiness.js';
import { createRedisClient } from '../app/redis.js';
import { lambdaGroups, routes } from '../app/routes.js';
import { listenOnLoopback } from './support/serve.js';

/**
 * The server side of the concurrency benchmark: the same app with the rate-limit step alone and
 * with the combined rate-limit + concurrency step, both in this one process, on one Redis client
 * as the entry points build it, so the load generator (the benchmark's process) takes none of
 * their CPU. `GET /leads/:leadId` is in the `leads` group, bounded in the route table; the probes
 * are sequential, so the bound is never reached and every request takes and gives back a lease.
 * Talks to its parent over IPC: `ready` with the ports; on request, the µs spent inside each step.
 * Reads REDIS_URL and BENCH_PREFIX.
 */

type Message = { type: 'guard-start' } | { type: 'guard-report' };

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.BENCH_PREFIX ?? 'bench-cc:';
const guardMicros = { alone: [] as number[], combined: [] as number[] };
let recordGuard = false;

function timed(guard: RequestGuard, into: number[]): RequestGuard {
  return async (input) => {
    const started = process.hrtime.bigint();
    try {
      return await guard(input);
    } finally {
      if (recordGuard) into.push(Number(process.hrtime.bigint() - started) / 1e3);
    }
  };
}

async function listen(guards: readonly RequestGuard[]): Promise<number> {
  const leads = new MemoryLeadStore();
  await leads.put({ leadId: 'bench-1', name: 'Bench', email: 'bench@example.com' }, new Date());
  const app = createApp(
    { leads, readiness: new DrainState(), logger: pino({ level: 'silent' }), clock: () => new Date() },
    {
      maxBodyBytes: 256 * 1024,
      resolveInvocation: ecsInvocationResolver({
        stage: 'bench',
        functionName: 'api-bench',
        trustForwardedFor: true,
      }),
      guards,
    },
  );
  return (await listenOnLoopback(app)).port;
}

const redis = createRedisClient({ url: redisUrl }, RATE_LIMIT_REDIS_OPTIONS);
while (redis.status !== 'ready') await new Promise((resolve) => setTimeout(resolve, 10));
const logger = pino({ level: 'warn' });
// The quota is far above the load: every request is counted in Redis and none is refused.
const huge = { ...DEFAULT_CLASS_LIMITS.standard, anonymous: 1_000_000_000, authenticated: 1_000_000_000 };
const rateLimit = createRateLimitGuard({
  settings: { classes: { ...DEFAULT_CLASS_LIMITS, standard: huge }, expectedInstances: 1, apiKeys: [] },
  redis,
  keyPrefix: prefix,
  logger,
});
const gate = new ConcurrencyGate({
  bounds: resolveConcurrencyBounds(routes, lambdaGroups),
  redis,
  keyPrefix: prefix,
  expectedInstances: 1,
  logger,
});
const alonePort = await listen([timed(rateLimit, guardMicros.alone)]);
const combinedPort = await listen([timed(withConcurrencyBounds(rateLimit, gate), guardMicros.combined)]);

process.on('message', (message: Message) => {
  if (message.type === 'guard-start') {
    guardMicros.alone.length = 0;
    guardMicros.combined.length = 0;
    recordGuard = true;
    process.send?.({ type: 'guard-start' });
  }
  if (message.type === 'guard-report') {
    recordGuard = false;
    process.send?.({ type: 'guard-report', ...guardMicros });
  }
});
// The parent ends this process; never outlive it.
process.on('disconnect', () => {
  redis.disconnect();
  process.exit(0);
});
process.send?.({ type: 'ready', alonePort, combinedPort });
