import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { PrivateRedis, uniquePrefix } from '../../../test/helpers/redis-server.js';
import { type ServerProcess, startServerProcess } from '../../../test/shutdown/server-process.js';
import { count, emptyTally, type FaultRow, type FaultScenario } from './matrix.js';

/**
 * What the request-path fault scenarios work with, on both runtimes: a private Redis they may
 * freeze or kill, the runtime under test as a process of its own (ECS: app/server.ts as `npm
 * start` runs it; Lambda: the Lambda handler behind an ALB-shaped front,
 * bench/faults/support/lambda-process.ts), and a steady load of requests on the Redis-backed
 * routes whose every answer is recorded.
 */

export type RuntimeName = 'ecs' | 'lambda';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export interface RuntimeProcess {
  readonly name: RuntimeName;
  readonly server: ServerProcess;
  readonly port: number;
  stop(): Promise<void>;
}

export interface ScenarioContext {
  readonly runtime: RuntimeName;
  readonly redis: PrivateRedis;
  /** Starts the runtime on this scenario's Redis (with extra environment variables, if any). */
  startRuntime(env?: Record<string, string>): Promise<RuntimeProcess>;
  /** Progress on stderr, so a long scenario shows it is alive. */
  progress(message: string): void;
}

/** Runs `body` on one runtime with a fresh durable Redis (data survives a kill, as with AOF). */
export async function withRuntime<T>(
  name: string,
  runtime: RuntimeName,
  body: (context: ScenarioContext) => Promise<T>,
): Promise<T> {
  const redis = await PrivateRedis.start({ durable: true });
  const dataDir = await mkdtemp(join(tmpdir(), 'faults-jobs-'));
  const started: RuntimeProcess[] = [];
  try {
    return await body({
      runtime,
      redis,
      progress: (message) => process.stderr.write(`  [${name} ${runtime}] ${message}\n`),
      async startRuntime(env = {}) {
        const command =
          runtime === 'ecs'
            ? undefined
            : ['node', '--import', 'tsx', join(root, 'bench', 'faults', 'support', 'lambda-process.ts')];
        const server = await startServerProcess(
          {
            REDIS_URL: redis.url,
            REDIS_KEY_PREFIX: uniquePrefix('faults'),
            JOBS_DATA_DIR: dataDir,
            // Many clients behind one test host: each request carries its own address.
            TRUST_FORWARDED_FOR: 'true',
            SHUTDOWN_DRAIN_MS: '0',
            ...env,
          },
          command,
        );
        const process_ = {
          name: runtime,
          server,
          port: server.port,
          async stop() {
            if (server.child.exitCode === null) {
              server.child.kill('SIGKILL');
              await server.exited;
            }
          },
        };
        started.push(process_);
        return process_;
      },
    });
  } finally {
    redis.thaw();
    for (const one of started) await one.stop();
    await redis.destroy();
    await rm(dataDir, { recursive: true, force: true });
  }
}

export interface Answer {
  readonly route: string;
  /** Epoch ms the request was sent and answered. */
  readonly sentAt: number;
  readonly answeredAt: number;
  /** 0 when the connection failed. */
  readonly status: number;
}

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

/** The Redis-backed routes, in the proportions a client mix might have. */
const MIX: readonly { route: string; method: string; path: () => string; body?: string }[] = [
  { route: 'GET /leads/:leadId', method: 'GET', path: () => '/leads/fault-reader' },
  { route: 'GET /leads/:leadId', method: 'GET', path: () => '/leads/fault-reader' },
  {
    route: 'POST /leads/:leadId',
    method: 'POST',
    path: () => `/leads/fault-${Math.floor(Math.random() * 50)}`,
    body: '{"name":"Fault Test","email":"fault@example.com"}',
  },
  {
    route: 'GET /simulations/:id',
    method: 'GET',
    path: () => '/simulations/00000000-0000-4000-8000-000000000000',
  },
  {
    route: 'DELETE /simulations/:id',
    method: 'DELETE',
    path: () => '/simulations/00000000-0000-4000-8000-000000000001',
  },
];
const CREATE = { route: 'POST /simulations', method: 'POST', path: () => '/simulations', body: SIMULATION };

/**
 * Sends `perSecond` requests a second for `durationMs`, spread over the mix (one simulation in
 * every `simulationEvery`), each from its own client address so no quota is what refuses them.
 */
export async function steadyLoad(
  port: number,
  options: { durationMs: number; perSecond: number; simulationEvery?: number },
): Promise<Answer[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const answers: Promise<Answer>[] = [];
  const interval = 1000 / options.perSecond;
  const end = Date.now() + options.durationMs;
  for (let i = 0; Date.now() < end; i += 1) {
    const pick = options.simulationEvery && i % options.simulationEvery === 0 ? CREATE : MIX[i % MIX.length];
    if (pick) answers.push(send(agent, port, pick, i));
    await sleep(interval);
  }
  const all = await Promise.all(answers);
  agent.destroy();
  return all;
}

function send(
  agent: Agent,
  port: number,
  pick: { route: string; method: string; path: () => string; body?: string },
  i: number,
): Promise<Answer> {
  const sentAt = Date.now();
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        agent,
        method: pick.method,
        path: pick.path(),
        headers: {
          'x-forwarded-for': `198.18.${(i >> 8) & 255}.${i & 255}`,
          ...(pick.body ? { 'content-type': 'application/json' } : {}),
        },
        // Longer than any route's deadline: an answer that never comes is counted as failed.
        timeout: 20_000,
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({ route: pick.route, sentAt, answeredAt: Date.now(), status: res.statusCode ?? 0 }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ route: pick.route, sentAt, answeredAt: Date.now(), status: 0 }));
    req.end(pick.body);
  });
}

/** The counts, slowest answer and recovery time of a recorded load around a fault. */
export function summarize(
  scenario: string,
  runtime: RuntimeName,
  answers: readonly Answer[],
  faultEndedAt: number,
  baselineSlowestMs: number,
): FaultRow {
  const answered = emptyTally();
  let slowestMs = 0;
  for (const answer of answers) {
    count(answered, answer.status === 0 ? undefined : answer.status);
    slowestMs = Math.max(slowestMs, answer.answeredAt - answer.sentAt);
  }
  if (process.env.FAULT_DEBUG) {
    const slow = [...answers].sort((a, b) => b.answeredAt - b.sentAt - (a.answeredAt - a.sentAt)).slice(0, 8);
    for (const a of slow)
      process.stderr.write(`    slow ${a.route} ${a.status} took ${a.answeredAt - a.sentAt} ms\n`);
  }
  const firstOk = answers
    .filter((a) => a.sentAt >= faultEndedAt && a.status >= 200 && a.status < 300)
    .reduce((min, a) => Math.min(min, a.answeredAt), Number.POSITIVE_INFINITY);
  return {
    scenario,
    runtime,
    answered,
    slowestMs,
    recoverMs: Number.isFinite(firstOk) ? firstOk - faultEndedAt : null,
    shutdownMs: null,
    jobs: null,
    baseline: {
      label: 'slowest without the fault',
      value: baselineSlowestMs,
      ratio: slowestMs / Math.max(1, baselineSlowestMs),
    },
  };
}

/** The slowest answer of the same load with Redis healthy: each row's baseline, same run. */
export async function baselineSlowestMs(runtime: RuntimeName): Promise<number> {
  return withRuntime('baseline', runtime, async ({ startRuntime }) => {
    const server = await startRuntime();
    await seed(server.port);
    const answers = await steadyLoad(server.port, LOAD(4_000));
    return Math.max(...answers.map((a) => a.answeredAt - a.sentAt));
  });
}

/** 40 requests a second, one simulation in 200 (launching simulations is not what is measured). */
export const LOAD = (durationMs: number) => ({ durationMs, perSecond: 40, simulationEvery: 200 });

/** Seeds the lead the load reads, so a healthy read is a 200. */
export async function seed(port: number): Promise<void> {
  const agent = new Agent();
  await send(
    agent,
    port,
    {
      route: 'seed',
      method: 'POST',
      path: () => '/leads/fault-reader',
      body: '{"name":"Fault Reader","email":"reader@example.com"}',
    },
    0,
  );
  agent.destroy();
}

/** What a Redis fault scenario does to its Redis, and how long the fault lasts. */
export interface RedisFault {
  readonly name: string;
  readonly description: string;
  readonly faultMs: number;
  inject(redis: PrivateRedis): Promise<void> | void;
  recover(redis: PrivateRedis): Promise<void> | void;
  /** Progress lines when the fault starts and ends ("freezing Redis", "Redis resumed"). */
  readonly progress: readonly [string, string];
}

/**
 * One Redis fault under steady load, on each runtime: 3 s of healthy load, the fault, then 5 s
 * more, summarized against the runtime's slowest answer without a fault, measured first.
 */
export function redisFaultScenario(fault: RedisFault): FaultScenario {
  return {
    name: fault.name,
    description: fault.description,
    async run() {
      const rows: FaultRow[] = [];
      for (const runtime of ['ecs', 'lambda'] as RuntimeName[]) {
        const baseline = await baselineSlowestMs(runtime);
        rows.push(
          await withRuntime(fault.name, runtime, async ({ redis, startRuntime, progress }) => {
            const server = await startRuntime();
            await seed(server.port);
            const load = steadyLoad(server.port, LOAD(3_000 + fault.faultMs + 5_000));
            await sleep(3_000);
            progress(fault.progress[0]);
            await fault.inject(redis);
            await sleep(fault.faultMs);
            await fault.recover(redis);
            const recoveredAt = Date.now();
            progress(fault.progress[1]);
            return summarize(fault.name, runtime, await load, recoveredAt, baseline);
          }),
        );
      }
      return rows;
    },
  };
}
