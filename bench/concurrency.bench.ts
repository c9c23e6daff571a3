import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { runExactness } from '../test/concurrency/exactness-run.js';
import { deletePrefix, hasRedisServerBinary, PrivateRedis } from '../test/helpers/redis-server.js';
import { percentile } from './support/stats.js';

/**
 * What Max Concurrency adds to the request pipeline, and how exact it is:
 * - added latency, p50 and p99: the combined rate-limit + concurrency step against the rate-limit
 *   step alone, both apps in one server process (bench/concurrency-servers.ts) loaded over
 *   loopback from this one; sequential keep-alive requests, the two interleaved in small blocks so
 *   drift hits both alike. Target: p99 added ≤ 0.2 ms. Also the time inside each step itself.
 * - exactness: 4 processes (2 ECS, 2 Lambda) send 50 slow requests each to a group bounded at 5;
 *   the most ever in flight, counted inside the handlers, ÷ 5. Target exactly 1.00. With it, how
 *   long refusals took inside the API (target: every one within 50 ms).
 */

const privateRedis =
  process.env.REDIS_URL === undefined && hasRedisServerBinary() ? await PrivateRedis.start() : undefined;
const REDIS_URL = process.env.REDIS_URL ?? privateRedis?.url ?? 'redis://127.0.0.1:6379';
const PROBES = Number(process.env.BENCH_PROBES ?? 6_000);
const PATH = '/leads/bench-1';
const here = dirname(fileURLToPath(import.meta.url));

interface Servers {
  readonly child: ChildProcess;
  readonly alonePort: number;
  readonly combinedPort: number;
}

function reply<T>(child: ChildProcess, type: string, ask = false): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench servers exited with ${code}`));
    const onMessage = (message: { type: string } & T) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (ask) child.send({ type });
  });
}

async function startServers(prefix: string): Promise<Servers> {
  const child = fork(join(here, 'concurrency-servers.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, REDIS_URL, BENCH_PREFIX: prefix },
  });
  const ready = await reply<{ alonePort: number; combinedPort: number }>(child, 'ready');
  return { child, alonePort: ready.alonePort, combinedPort: ready.combinedPort };
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

function timedGet(port: number): Promise<{ status: number; micros: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: PATH, agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, micros: Number(process.hrtime.bigint() - started) / 1e3 }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const ms = (us: number) => (us / 1000).toFixed(3);

async function probeLatency(servers: Servers): Promise<void> {
  await reply(servers.child, 'guard-start', true);
  const alone: number[] = [];
  const combined: number[] = [];
  const block = 20;
  for (let done = 0; done < PROBES; done += block) {
    for (const [port, into] of [
      [servers.alonePort, alone],
      [servers.combinedPort, combined],
    ] as const) {
      for (let i = 0; i < block; i += 1) {
        const { status, micros } = await timedGet(port);
        if (status !== 200) throw new Error(`probe got ${status}`);
        into.push(micros);
      }
    }
    if ((done + block) % 1_000 === 0)
      console.log(`  latency probe: ${done + block}/${PROBES} requests per mode`);
  }
  const inside = await reply<{ alone: number[]; combined: number[] }>(servers.child, 'guard-report', true);
  for (const values of [alone, combined, inside.alone, inside.combined]) values.sort((a, b) => a - b);
  for (const p of [50, 99] as const) {
    const added = percentile(combined, p) - percentile(alone, p);
    const verdict = p === 99 ? ` (target ≤ 0.2 ms) ${added <= 200 ? 'PASS' : 'MISS'}` : '';
    console.log(
      `Latency p${p}: rate limit + concurrency ${ms(percentile(combined, p))} ms, rate limit alone ${ms(percentile(alone, p))} ms → added ${ms(added)} ms${verdict}`,
    );
  }
  for (const p of [50, 99] as const) {
    console.log(
      `Inside the step p${p} (one Redis round trip each): combined ${ms(percentile(inside.combined, p))} ms, rate limit alone ${ms(percentile(inside.alone, p))} ms → added ${ms(percentile(inside.combined, p) - percentile(inside.alone, p))} ms`,
    );
  }
}

async function exactness(prefix: string): Promise<void> {
  console.log('  exactness: 4 processes (2 ECS, 2 Lambda) × 50 slow requests (400 ms), group bound 5');
  const result = await runExactness({
    redisUrl: REDIS_URL,
    prefix,
    runtimes: ['ecs', 'lambda', 'ecs', 'lambda'],
    requestsEach: 50,
    limit: 5,
    holdMs: 400,
  });
  const ratio = result.maxInFlight / 5;
  console.log(
    `Exactness: most in flight ${result.maxInFlight} / bound 5 = ${ratio.toFixed(2)} (target exactly 1.00) ${ratio === 1 ? 'PASS' : 'MISS'}; admitted ${result.admitted}, refused ${result.refused}, other ${result.other.length}, malformed refusals ${result.malformedRefusals}, Redis too slow to answer ${result.unanswered}`,
  );
  const within = result.refusalMs.filter((t) => t < 50).length;
  console.log(
    `Refusals inside the API: p50 ${percentile(result.refusalMs, 50).toFixed(1)} ms, p99 ${percentile(result.refusalMs, 99).toFixed(1)} ms, slowest ${result.slowestRefusalMs.toFixed(1)} ms; ${within}/${result.refusalMs.length} within 50 ms (target all) ${within === result.refusalMs.length ? 'PASS' : 'MISS'}; slowest as the client saw it ${result.slowestRefusalClientMs.toFixed(1)} ms`,
  );
}

const prefix = `bench-cc-${randomUUID()}:`;
const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
let servers: Servers | undefined;
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
try {
  await admin.ping();
  servers = await startServers(prefix);
  console.log(
    `concurrency bench: GET ${PATH}, Redis ${REDIS_URL}, ${PROBES} probes per mode; load average ${load()}`,
  );
  for (let i = 0; i < 500; i += 1) {
    await timedGet(servers.alonePort);
    await timedGet(servers.combinedPort);
  }
  await probeLatency(servers);
  await exactness(`${prefix}exact:`);
  console.log(`load average at the end: ${load()}`);
  agent.destroy();
} finally {
  servers?.child.disconnect();
  await deletePrefix(admin, prefix);
  admin.disconnect();
  await privateRedis?.stop();
}
