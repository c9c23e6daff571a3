import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrivateRedis, uniquePrefix } from '../helpers/redis-server.js';
import type { HttpCase, NormalizedResponse } from '../parity/http-case.js';
import { type OutageRuntime, startRuntimes } from './store-outage-runtimes.js';

/**
 * A private redis-server frozen with SIGSTOP (connections stay open, nothing answers: a hung
 * node, a failover in progress) and killed outright. Every Redis-backed route on both runtimes
 * must answer 503 `store_unavailable` with Retry-After within 1.5 s, never hang to its deadline
 * or fail with a 500, and serve again by itself once Redis is back.
 */

const JSON_TYPE: [string, string] = ['content-type', 'application/json'];
const SIMULATION = JSON.stringify({
  model: 'projectile-drag',
  massKg: 0.145,
  areaM2: 0.0042,
  dragCoefficient: 0.3,
  speedMS: 40,
  angleDeg: 35,
  maxTimeS: 1,
  sampleIntervalS: 0.1,
});
const BOUND_MS = 1_500;

function storeRoutes(jobId: string): HttpCase[] {
  return [
    { name: 'read lead', method: 'GET', path: '/leads/ada' },
    {
      name: 'write lead',
      method: 'POST',
      path: '/leads/ada',
      headers: [JSON_TYPE],
      body: '{"name":"Ada Lovelace","email":"ada@example.com"}',
    },
    { name: 'create job', method: 'POST', path: '/simulations', headers: [JSON_TYPE], body: SIMULATION },
    { name: 'read job', method: 'GET', path: `/simulations/${jobId}` },
    { name: 'cancel job', method: 'DELETE', path: `/simulations/${randomUUID()}` },
  ];
}

/** Each request from its own address: the outage, not the client's quota, is under test. */
function fromSomewhere(request: HttpCase): HttpCase {
  const octet = () => Math.floor(Math.random() * 256);
  return { ...request, sourceIp: `198.18.${octet()}.${octet()}` };
}

/** Polls every job record under the prefix until `done` holds (at most 10 s). */
async function waitForJobs(
  url: string,
  prefix: string,
  done: (jobs: { id: string; status: string }[]) => boolean,
): Promise<void> {
  const client = new Redis(url);
  try {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const keys = await client.keys(`${prefix}job:*`);
      const jobs = (await Promise.all(keys.map((key) => client.get(key))))
        .filter((raw): raw is string => raw !== null)
        .map((raw) => JSON.parse(raw) as { id: string; status: string });
      if (done(jobs)) return;
      if (Date.now() > deadline)
        throw new Error(`jobs not settled: ${JSON.stringify(jobs.map((j) => j.status))}`);
      await sleep(100);
    }
  } finally {
    client.disconnect();
  }
}

async function timed(
  runtime: OutageRuntime,
  request: HttpCase,
): Promise<NormalizedResponse & { ms: number }> {
  const started = performance.now();
  const response = await runtime.send(fromSomewhere(request));
  return { ...response, ms: performance.now() - started };
}

const code = (response: NormalizedResponse) => JSON.parse(response.body.toString('utf8')).error?.code;

describe('store outages on both runtimes', () => {
  let redis: PrivateRedis;
  let runtimes: OutageRuntime[];
  let jobId: string;
  let prefix: string;

  beforeAll(async () => {
    redis = await PrivateRedis.start({ durable: true });
    prefix = uniquePrefix('outage');
    runtimes = await startRuntimes(redis.url, prefix);
    const [ecs] = runtimes;
    if (!ecs) throw new Error('no runtime');
    // Prepare: a lead and a job to read, while Redis answers.
    const routes = storeRoutes('');
    await ecs.send(routes[1] as HttpCase);
    const created = await ecs.send(routes[2] as HttpCase);
    jobId = JSON.parse(created.body.toString('utf8')).id;
  }, 30_000);

  afterAll(async () => {
    redis.thaw();
    await runtimes?.[0]?.close();
    await redis.destroy();
  });

  async function untilServed(runtime: OutageRuntime): Promise<number> {
    const started = performance.now();
    for (;;) {
      const answer = await runtime.send(
        fromSomewhere({ name: 'probe', method: 'GET', path: `/simulations/${jobId}` }),
      );
      if (answer.status === 200) return performance.now() - started;
      if (performance.now() - started > 15_000)
        throw new Error(`${runtime.name} did not recover: ${answer.status}`);
      await sleep(50);
    }
  }

  it.each(['ecs', 'lambda'] as const)(
    '%s: Redis frozen (SIGSTOP): 503 with Retry-After within 1.5 s',
    async (name) => {
      const runtime = runtimes.find((r) => r.name === name) as OutageRuntime;
      redis.freeze();
      try {
        // Act: every Redis-backed route, then a route that needs no store.
        const answers = [];
        for (const request of storeRoutes(jobId))
          answers.push({ request, response: await timed(runtime, request) });
        const openapi = await timed(runtime, { name: 'openapi', method: 'GET', path: '/openapi.json' });

        // Assess
        for (const { request, response } of answers) {
          expect({ route: request.name, status: response.status }).toEqual({
            route: request.name,
            status: 503,
          });
          // The store itself, or the concurrency bound's lease in the same Redis.
          expect(code(response), request.name).toBe('store_unavailable');
          expect(response.headers['retry-after'], request.name).toBeDefined();
          expect(response.ms, request.name).toBeLessThan(BOUND_MS);
        }
        expect(openapi.status).toBe(200);
        // The insurance quota (120 ÷ 2 instances) is the one stated while it applies.
        expect(openapi.headers['ratelimit-policy']).toEqual(['"standard-anonymous";q=60;w=60']);
      } finally {
        redis.thaw();
      }
      await untilServed(runtime);
      // A job write that timed out may land once Redis wakes: it is then cancelled, never run.
      await waitForJobs(redis.url, prefix, (jobs) =>
        jobs.filter((job) => job.id !== jobId).every((job) => job.status === 'cancelled'),
      );
    },
    30_000,
  );

  it.each(['ecs', 'lambda'] as const)(
    '%s: Redis killed: 503 at once, served again after a restart',
    async (name) => {
      const runtime = runtimes.find((r) => r.name === name) as OutageRuntime;
      await redis.stop();
      let answers: (NormalizedResponse & { ms: number })[] = [];
      try {
        for (const request of storeRoutes(jobId)) answers.push(await timed(runtime, request));
      } finally {
        await redis.start();
      }
      const recoveryMs = await untilServed(runtime);

      expect(answers.map((a) => [a.status, code(a), a.headers['retry-after']?.[0]])).toEqual(
        Array(5).fill([503, 'store_unavailable', '1']),
      );
      for (const answer of answers) expect(answer.ms).toBeLessThan(BOUND_MS);
      // The client reconnects with a capped backoff (1 s at most between attempts).
      expect(recoveryMs).toBeLessThan(5_000);
      answers = [];
    },
    30_000,
  );
});
