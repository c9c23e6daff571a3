import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { pino } from 'pino';
import { loadConfig } from '../app/config.js';
import { JobsService } from '../app/jobs/jobs-service.js';
import { LocalDirectoryObjectStore } from '../app/jobs/object-store.js';
import { RedisJobStore } from '../app/jobs/redis-job-store.js';
import { SqsJobQueue } from '../app/jobs/sqs-job-queue.js';
import { createRedisClient } from '../app/redis.js';
import { deletePrefix, sharedRedisUrl, uniquePrefix } from '../test/helpers/redis-server.js';
import { UNCHECKED_ACCESS } from '../test/servers/iam/local-iam.js';
import { LocalSqsServer } from '../test/servers/sqs-server.js';
import { type RunSeries, renderCallsChart } from './jobs/chart.js';
import { EcsProcess, spawnWorker, stopWorker } from './jobs/processes.js';

/**
 * Paced job submission: 1,000 jobs queued in one burst, drained against the local ECS server
 * enforcing AWS's documented Fargate limits (RunTask 20 calls/s, burst 20; launches 100 burst,
 * 20/s), for three designs in the same run:
 *   ours  — 4 pacer processes sharing the Redis token bucket (app/jobs);
 *   none  — 4 processes calling RunTask as messages arrive, SDK default retries only;
 *   seed  — the seed article's fix, one call a second from one consumer, measured over 30 s.
 * Prints sustained RunTask rate / 20, throttled calls, lost and duplicated jobs, time to drain,
 * and writes an SVG of calls per second to bench/results/.
 */

const JOBS = 1_000;
const STEADY_AFTER_MS = 5_000;
const LIMIT = 20;
const here = dirname(fileURLToPath(import.meta.url));
/** A Lambda-like queue: 15 s visibility, redrive to a DLQ after 5 receives (what "lost" counts). */
const QUEUE = { visibilityTimeoutSeconds: 15, maxReceiveCount: 5 };

interface Scenario {
  readonly mode: 'ours' | 'none' | 'seed';
  readonly label: string;
  readonly workers: number;
  /** Stop after this long even if not drained. */
  readonly maxSeconds: number;
  /** Measured for a fixed window instead of until drained. */
  readonly fixedWindow: boolean;
}

const scenarios: readonly Scenario[] = [
  {
    mode: 'ours',
    label: 'ours: 4 pacers, Redis token bucket',
    workers: 4,
    maxSeconds: 120,
    fixedWindow: false,
  },
  {
    mode: 'none',
    label: 'no pacing: 4 consumers, SDK retries only',
    workers: 4,
    maxSeconds: 100,
    fixedWindow: false,
  },
  {
    mode: 'seed',
    label: "seed's design: 1 call/s (30 s window)",
    workers: 1,
    maxSeconds: 30,
    fixedWindow: true,
  },
];

interface Result {
  readonly scenario: Scenario;
  readonly ratio: number;
  readonly ratePerSecond: number;
  readonly calls: number;
  readonly throttled: number;
  readonly launchedJobs: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly drained: boolean;
  readonly drainSeconds: number;
  readonly series: RunSeries;
}

async function run(scenario: Scenario, sqs: LocalSqsServer, sqsClient: SQSClient): Promise<Result> {
  const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent' });
  const ecs = await EcsProcess.start();
  const queueUrl = sqs.createQueue(`jobs-${scenario.mode}`, QUEUE);
  const redis = createRedisClient({ url: sharedRedisUrl() });
  const prefix = uniquePrefix('bench-jobs');
  const dir = await mkdtemp(join(tmpdir(), 'bench-jobs-'));
  const env = {
    AWS_ENDPOINT_URL_ECS: ecs.url,
    BENCH_QUEUE_URL: queueUrl,
    REDIS_URL: sharedRedisUrl(),
    REDIS_KEY_PREFIX: prefix,
    RUNTASK_BUCKET_CAPACITY: String(config.jobs.runTaskBucket.capacity),
    RUNTASK_RATE_PER_SECOND: String(config.jobs.runTaskBucket.perSecond),
  };
  const workers = await Promise.all(
    Array.from({ length: scenario.workers }, () => spawnWorker(scenario.mode, env)),
  );

  // The burst: every job accepted as fast as this process can (ours through the API's service).
  const burstAt = (await ecs.progress()).now;
  if (scenario.mode === 'ours') {
    const service = new JobsService({
      jobs: new RedisJobStore(redis, prefix),
      queue: new SqsJobQueue(sqsClient, queueUrl),
      objects: new LocalDirectoryObjectStore(dir),
      runner: { stop: async () => {} },
      maxAttempts: 3,
      logger: pino({ level: 'silent' }),
    });
    for (let i = 0; i < JOBS; i += 50) {
      await Promise.all(
        Array.from({ length: Math.min(50, JOBS - i) }, (_, k) =>
          service.create(
            {
              model: 'projectile-drag',
              massKg: 1,
              areaM2: 0.01,
              dragCoefficient: 0.47,
              airDensityKgM3: 1.225,
              speedMS: 20 + ((i + k) % 50),
              angleDeg: 45,
              heightM: 0,
              gravityMS2: 9.80665,
              timeStepS: 0.001,
              maxTimeS: 60,
              sampleIntervalS: 0.1,
            },
            {},
          ),
        ),
      );
    }
  } else {
    for (let i = 0; i < JOBS; i += 10) {
      await sqsClient.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: Array.from({ length: Math.min(10, JOBS - i) }, (_, k) => ({
            Id: String(k),
            MessageBody: JSON.stringify({ jobId: `job-${i + k}`, attempt: 1 }),
          })),
        }),
      );
    }
  }

  let lastPrint = 0;
  for (;;) {
    const progress = await ecs.progress();
    const elapsed = (progress.now - burstAt) / 1000;
    const depth = sqs.depth(`jobs-${scenario.mode}`);
    if (elapsed - lastPrint >= 5) {
      lastPrint = elapsed;
      process.stdout.write(
        `  ${scenario.mode}: ${elapsed.toFixed(0)} s, jobs launched ${progress.jobsLaunched}/${JOBS}, throttled calls ${progress.throttled}, queue ${depth}\n`,
      );
    }
    if (scenario.fixedWindow ? elapsed >= scenario.maxSeconds : depth === 0 || elapsed >= scenario.maxSeconds)
      break;
    await sleep(250);
  }
  await Promise.all(workers.map(stopWorker));
  const final = await ecs.snapshot();

  const calls = final.calls.filter((c) => c.at >= burstAt);
  if (process.env.JOBS_BENCH_DEBUG) {
    for (const [i, c] of calls.entries()) {
      if (c.outcome === 'throttled') {
        const around = calls
          .slice(Math.max(0, i - 25), i + 2)
          .map((x) => `${(x.at - burstAt).toFixed(0)}${x.outcome[0]}`);
        process.stdout.write(
          `  throttled at ${(c.at - burstAt).toFixed(0)} ms; before: ${around.join(' ')}\n`,
        );
      }
    }
  }
  const launches = calls.filter((c) => c.outcome === 'started');
  const first = launches[0]?.at ?? burstAt;
  const last = launches.at(-1)?.at ?? burstAt;
  // Sustained: launches per second once the burst allowance is spent (from 5 s after the first
  // launch to the last), so the 20 burst tokens do not count as rate.
  const steady = launches.filter((c) => c.at >= first + STEADY_AFTER_MS);
  const steadySeconds = (last - first - STEADY_AFTER_MS) / 1000;
  const ratePerSecond = steady.length > 1 && steadySeconds > 0 ? steady.length / steadySeconds : 0;
  const perJob = new Map<string, number>();
  for (const task of final.tasks) {
    const id = task.jobId ?? '?';
    perJob.set(id, (perJob.get(id) ?? 0) + 1);
  }
  const drained = !scenario.fixedWindow && sqs.depth(`jobs-${scenario.mode}`) === 0;
  const deadLettered = sqs.deadLetters(`jobs-${scenario.mode}`).length;
  const seconds = Math.ceil((final.now - burstAt) / 1000);
  const launched = new Array<number>(seconds).fill(0);
  const throttledSeries = new Array<number>(seconds).fill(0);
  for (const call of calls) {
    const s = Math.min(seconds - 1, Math.floor((call.at - burstAt) / 1000));
    if (call.outcome === 'throttled') throttledSeries[s] = (throttledSeries[s] ?? 0) + 1;
    else launched[s] = (launched[s] ?? 0) + 1;
  }
  const result: Result = {
    scenario,
    ratio: ratePerSecond / LIMIT,
    ratePerSecond,
    calls: calls.length,
    throttled: calls.filter((c) => c.outcome === 'throttled').length,
    launchedJobs: perJob.size,
    // Lost: dead-lettered, or still queued when a drain-until-empty run gave up.
    lost: scenario.fixedWindow ? deadLettered : JOBS - perJob.size,
    duplicated: [...perJob.values()].filter((n) => n > 1).length,
    drained,
    drainSeconds: drained
      ? (last - burstAt) / 1000
      : ratePerSecond > 0
        ? JOBS / ratePerSecond
        : Number.POSITIVE_INFINITY,
    series: { name: scenario.label, launched, throttled: throttledSeries },
  };
  await ecs.stop();
  await deletePrefix(redis, prefix).catch(() => {});
  redis.disconnect();
  await rm(dir, { recursive: true, force: true });
  return result;
}

async function main(): Promise<void> {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID ??= 'bench';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'bench';
  // Pacing, not permissions: the local SQS checks none here.
  const sqs = await LocalSqsServer.start({ access: UNCHECKED_ACCESS });
  process.env.AWS_ENDPOINT_URL_SQS = sqs.url;
  const sqsClient = new SQSClient({});
  const results: Result[] = [];
  try {
    // JOBS_BENCH_DESIGNS=ours,seed runs a subset (for iterating on one design).
    const only = process.env.JOBS_BENCH_DESIGNS?.split(',');
    for (const scenario of scenarios.filter((s) => !only || only.includes(s.mode))) {
      process.stdout.write(`\n${scenario.label}\n`);
      results.push(await run(scenario, sqs, sqsClient));
    }
  } finally {
    sqsClient.destroy();
    await sqs.close();
  }

  const rows = results.map((r) => [
    r.scenario.label,
    r.ratio.toFixed(3),
    r.ratePerSecond.toFixed(2),
    String(r.calls),
    String(r.throttled),
    String(r.lost),
    String(r.duplicated),
    r.drained
      ? `${r.drainSeconds.toFixed(1)} s`
      : `not drained (~${Number.isFinite(r.drainSeconds) ? r.drainSeconds.toFixed(0) : '∞'} s projected)`,
  ]);
  const header = [
    'design',
    'rate/20',
    'launches/s',
    'RunTask calls',
    'throttled',
    'lost',
    'duplicated',
    'time to drain',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  process.stdout.write(`\nJobs benchmark: ${JOBS} jobs in one burst, RunTask limit ${LIMIT}/s\n`);
  process.stdout.write(`${line(header)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
  const ours = results.find((r) => r.scenario.mode === 'ours');
  const baseline = results.find((r) => r.scenario.mode === 'seed');
  if (ours && baseline && baseline.ratePerSecond > 0) {
    process.stdout.write(
      `\nours vs seed design: ${(ours.ratePerSecond / baseline.ratePerSecond).toFixed(1)}x the launch rate\n`,
    );
  }
  // Without the `ours` run (JOBS_BENCH_DESIGNS) there is nothing to hold to the targets.
  const targetsMet =
    ours === undefined ||
    (ours.ratio >= 0.95 && ours.throttled === 0 && ours.lost === 0 && ours.duplicated === 0);
  if (ours) {
    process.stdout.write(
      `targets for ours (ratio >= 0.95, 0 throttled, 0 lost, 0 duplicated): ${targetsMet ? 'met' : 'NOT met'}\n`,
    );
  }

  const resultsDir = join(here, 'results');
  await mkdir(resultsDir, { recursive: true });
  const file = join(resultsDir, `jobs-calls-per-second-${new Date().toISOString().replaceAll(':', '-')}.svg`);
  await writeFile(
    file,
    renderCallsChart(
      results.map((r) => r.series),
      LIMIT,
    ),
  );
  process.stdout.write(`chart: ${relative(process.cwd(), file)}\n`);
  if (!targetsMet) process.exitCode = 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
