import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ECSClient } from '@aws-sdk/client-ecs';
import type { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { EcsTaskRunner } from '../../../app/jobs/ecs-task-runner.js';
import type { Job } from '../../../app/jobs/job.js';
import { InProcessQueue } from '../../../app/jobs/job-queue.js';
import { JobsService } from '../../../app/jobs/jobs-service.js';
import { LocalDirectoryObjectStore } from '../../../app/jobs/object-store.js';
import { type PacerLoop, startPacerLoop } from '../../../app/jobs/pacer-loop.js';
import { RedisJobStore } from '../../../app/jobs/redis-job-store.js';
import { RedisTokenBucket } from '../../../app/jobs/redis-token-bucket.js';
import type { SimulationInput } from '../../../app/jobs/simulation/input.js';
import { applyTaskStopped, taskStoppedFromEcsDetail } from '../../../app/jobs/task-events.js';
import { createRedisClient } from '../../../app/redis.js';
import { deletePrefix, uniquePrefix } from '../../helpers/redis-server.js';
import { type LocalEcsOptions, LocalEcsServer } from '../../servers/ecs-server.js';
import { UNCHECKED_ACCESS } from '../../servers/iam/local-iam.js';
import { ecsSettings } from './ecs-settings.js';

export const silentLogger: Logger = pino({ level: 'silent' });

/** Dummy credentials and a region: the SDK signs every request, the local servers ignore it. */
export function setAwsTestEnvironment(endpoints: { ecs?: string; sqs?: string; s3?: string }): void {
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'test';
  process.env.AWS_SECRET_ACCESS_KEY = 'test';
  if (endpoints.ecs) process.env.AWS_ENDPOINT_URL_ECS = endpoints.ecs;
  if (endpoints.sqs) process.env.AWS_ENDPOINT_URL_SQS = endpoints.sqs;
  if (endpoints.s3) process.env.AWS_ENDPOINT_URL_S3 = endpoints.s3;
}

export const sampleInput: SimulationInput = {
  model: 'projectile-drag',
  massKg: 0.145,
  areaM2: 0.0042,
  dragCoefficient: 0.3,
  airDensityKgM3: 1.225,
  speedMS: 45,
  angleDeg: 35,
  heightM: 0,
  gravityMS2: 9.80665,
  timeStepS: 0.001,
  maxTimeS: 60,
  sampleIntervalS: 0.1,
};

/** Polls `check` every 25 ms until it holds, at most `timeoutMs` (bounded, never a bare sleep). */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition',
) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await sleep(25);
  }
  throw new Error(`Timed out waiting for ${what}`);
}

export interface HarnessOptions {
  readonly redisUrl: string;
  /** Pacing and fault tests: ECS checks no permissions here (test/aws checks them with the stack's roles). */
  readonly ecs?: Omit<LocalEcsOptions, 'access'>;
  readonly pacers?: number;
  readonly bucket?: { capacity: number; perSecond: number };
  readonly maxAttempts?: number;
  /** Apply the ECS server's task state change events as the task-events Lambda would (default true). */
  readonly applyTaskEvents?: boolean;
}

/**
 * The AWS shape of the jobs flow in one process: real ECS SDK client → local ECS server, job
 * records and the RunTask bucket in Redis, task state change events applied as the task-events
 * Lambda would. The queue is in process (the SQS path has its own tests).
 */
export class JobsHarness {
  private loops: PacerLoop[] = [];
  private constructor(
    readonly ecs: LocalEcsServer,
    readonly redis: Redis,
    readonly prefix: string,
    readonly store: RedisJobStore,
    readonly queue: InProcessQueue,
    readonly service: JobsService,
    readonly runner: EcsTaskRunner,
    private readonly ecsClient: ECSClient,
    private readonly dir: string,
    private readonly options: HarnessOptions,
  ) {}

  static async start(options: HarnessOptions): Promise<JobsHarness> {
    const ecs = await LocalEcsServer.start({ ...options.ecs, access: UNCHECKED_ACCESS });
    setAwsTestEnvironment({ ecs: ecs.url });
    const redis = createRedisClient({ url: options.redisUrl });
    const prefix = uniquePrefix('jobs');
    const store = new RedisJobStore(redis, prefix);
    const queue = new InProcessQueue(5_000);
    const dir = await mkdtemp(join(tmpdir(), 'jobs-harness-'));
    const ecsClient = new ECSClient({ maxAttempts: 1 });
    const runner = new EcsTaskRunner(ecsClient, ecsSettings);
    const service = new JobsService({
      jobs: store,
      queue,
      objects: new LocalDirectoryObjectStore(dir),
      runner,
      maxAttempts: options.maxAttempts ?? 3,
      logger: silentLogger,
    });
    const harness = new JobsHarness(
      ecs,
      redis,
      prefix,
      store,
      queue,
      service,
      runner,
      ecsClient,
      dir,
      options,
    );
    if (options.applyTaskEvents === false) return harness;
    ecs.onTaskStateChange((event) => {
      const stopped = taskStoppedFromEcsDetail(event.detail, 'simulation');
      if (stopped)
        void applyTaskStopped({ jobs: store, queue, logger: silentLogger }, stopped).catch(() => {});
    });
    return harness;
  }

  /** Starts `count` pacer loops, each with its own bucket client, sharing one Redis bucket key. */
  startPacers(count = this.options.pacers ?? 1): void {
    for (let i = 0; i < count; i += 1) {
      const bucket = new RedisTokenBucket(
        this.redis,
        `${this.prefix}runtask-bucket`,
        this.options.bucket ?? { capacity: 20, perSecond: 20 },
      );
      this.loops.push(
        startPacerLoop({
          consumer: this.queue,
          pacer: { jobs: this.store, runner: this.runner, bucket, logger: silentLogger },
          logger: silentLogger,
          concurrency: 4,
          waitMs: 200,
        }),
      );
    }
  }

  async stopPacers(): Promise<void> {
    const loops = this.loops;
    this.loops = [];
    await Promise.all(loops.map((loop) => loop.stop()));
  }

  async submit(count: number): Promise<Job[]> {
    const jobs: Job[] = [];
    for (let i = 0; i < count; i += 1) {
      const created = await this.service.create({ ...sampleInput, angleDeg: 10 + (i % 70) }, {});
      jobs.push(created.job);
    }
    return jobs;
  }

  async jobs(ids: readonly string[]): Promise<Job[]> {
    const found = await Promise.all(ids.map((id) => this.store.get(id)));
    return found.map((job, i) => {
      if (!job) throw new Error(`job ${ids[i]} is gone`);
      return job;
    });
  }

  /** Tasks the ECS server launched per job (from the JOB_ID override): more than one = ran twice. */
  tasksPerJob(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const task of this.ecs.tasks.values()) {
      const id = task.environment.JOB_ID ?? '?';
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
    return counts;
  }

  async close(): Promise<void> {
    await this.stopPacers();
    this.queue.close();
    await this.ecs.close();
    this.ecsClient.destroy();
    await deletePrefix(this.redis, this.prefix).catch(() => {});
    this.redis.disconnect();
    await rm(this.dir, { recursive: true, force: true });
  }
}
