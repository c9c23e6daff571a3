import { type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import type { Express } from 'express';
import { pino } from 'pino';
import { ecsInvocationResolver } from '../adapters/invocation.js';
import type { RequestGuard } from '../adapters/lambda-to-express.js';
import { createRateLimitGuard } from '../adapters/rate-limit/guard.js';
import { DEFAULT_CLASS_LIMITS } from '../adapters/rate-limit/policy.js';
import { RATE_LIMIT_REDIS_OPTIONS } from '../adapters/rate-limit/store-client.js';
import { createApp } from '../app/create-app.js';
import { MemoryLeadStore } from '../app/leads/lead-store.js';
import { DrainState } from '../app/readiness.js';
import { createRedisClient } from '../app/redis.js';
import { routes } from '../app/routes.js';
import { listenOnLoopback } from './support/serve.js';

/**
 * The server side of the rate-limit benchmark: the same app with the limiter off and on, both in
 * this one process, so the load generator (in the benchmark's process) takes none of their CPU.
 * Talks to its parent over IPC: `ready` with the ports; on request, its CPU usage, the µs spent
 * inside the guard, and the µs of `count` sequential bare round trips (EVALSHA of `return 1` on a
 * client built like the limiter's), the floor any Redis-backed guard pays. Reads REDIS_URL and
 * BENCH_PREFIX.
 */

type Message =
  | { type: 'cpu' }
  | { type: 'guard-start' }
  | { type: 'guard-report' }
  | { type: 'evalsha'; count: number };

const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = process.env.BENCH_PREFIX ?? 'bench-rl:';
const guardMicros: number[] = [];
let recordGuard = false;

function timed(guard: RequestGuard): RequestGuard {
  return async (input) => {
    const started = process.hrtime.bigint();
    try {
      return await guard(input);
    } finally {
      if (recordGuard) guardMicros.push(Number(process.hrtime.bigint() - started) / 1e3);
    }
  };
}

async function appWith(guards: readonly RequestGuard[]): Promise<Express> {
  const leads = new MemoryLeadStore();
  await leads.put({ leadId: 'bench-1', name: 'Bench', email: 'bench@example.com' }, new Date());
  return createApp(
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
}

function leadRoute() {
  const route = routes.find((r) => r.method === 'GET' && r.path === '/leads/:leadId');
  if (!route) throw new Error('no GET /leads/:leadId route');
  return route;
}

/** An anonymous caller, for the one count that shapes the floor guard's headers. */
function floorInvocation(): Parameters<RequestGuard>[0]['invocation'] {
  return { headerPairs: [], sourceIp: '192.0.2.1' } as unknown as Parameters<RequestGuard>[0]['invocation'];
}

async function listen(app: Express): Promise<number> {
  return (await listenOnLoopback(app)).port;
}

const redis = createRedisClient({ url: redisUrl }, RATE_LIMIT_REDIS_OPTIONS);
while (redis.status !== 'ready') await new Promise((resolve) => setTimeout(resolve, 10));
// The quota is far above the load: every request is counted in Redis and none is refused.
const huge = { ...DEFAULT_CLASS_LIMITS.standard, anonymous: 1_000_000_000, authenticated: 1_000_000_000 };
const guard = createRateLimitGuard({
  settings: { classes: { ...DEFAULT_CLASS_LIMITS, standard: huge }, expectedInstances: 1, apiKeys: [] },
  redis,
  keyPrefix: prefix,
  logger: pino({ level: 'warn' }),
});
// The bare round trip: its own client, with the limiter's options, in this same event loop.
const bare = createRedisClient({ url: redisUrl }, RATE_LIMIT_REDIS_OPTIONS);
while (bare.status !== 'ready') await new Promise((resolve) => setTimeout(resolve, 10));
const trivialSha = (await bare.script('LOAD', 'return 1')) as string;

async function timeEvalsha(count: number): Promise<number[]> {
  const micros: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const started = process.hrtime.bigint();
    await bare.evalsha(trivialSha, 0);
    micros.push(Number(process.hrtime.bigint() - started) / 1e3);
  }
  return micros;
}

const offPort = await listen(await appWith([]));
const onPort = await listen(await appWith([timed(guard)]));
// The floor of any limiter that asks Redis: one bare round trip on the limiter's client, inside a
// request of the same app, then headers like the limiter's (BENCH_FLOOR=1 probes it too).
const floorHeaders = { ...(await guard({ route: leadRoute(), invocation: floorInvocation(), path: '/' })) };
const floorPort = await listen(
  await appWith([
    async () => {
      await redis.evalsha(trivialSha, 0);
      return floorHeaders;
    },
  ]),
);

// Garbage-collection pauses during the latency probe, in epoch ms, so the benchmark can tell
// which probes a pause fell on.
const gcPauses: { atMs: number; ms: number; kind: number | undefined }[] = [];
new PerformanceObserver((list) => {
  if (!recordGuard) return;
  for (const entry of list.getEntries()) {
    const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } };
    gcPauses.push({ atMs: performance.timeOrigin + entry.startTime, ms: entry.duration, kind: detail?.kind });
  }
}).observe({ entryTypes: ['gc'] });

process.on('message', (message: Message) => {
  if (message.type === 'cpu') process.send?.({ type: 'cpu', usage: process.cpuUsage() });
  if (message.type === 'guard-start') {
    guardMicros.length = 0;
    gcPauses.length = 0;
    recordGuard = true;
    process.send?.({ type: 'guard-start' });
  }
  if (message.type === 'evalsha') {
    void timeEvalsha(message.count).then((micros) => process.send?.({ type: 'evalsha', micros }));
  }
  if (message.type === 'guard-report') {
    recordGuard = false;
    process.send?.({ type: 'guard-report', micros: guardMicros, gcPauses });
  }
});
// The parent ends this process; never outlive it.
process.on('disconnect', () => {
  redis.disconnect();
  bare.disconnect();
  process.exit(0);
});
process.send?.({ type: 'ready', offPort, onPort, floorPort });
