import type { CapacityProviderStrategyItem } from '@aws-sdk/client-ecs';
import {
  httpUrl,
  integer,
  list,
  matching,
  oneOf,
  optional,
  positiveNumber,
  text,
  type ValuesOf,
  withDefault,
} from '../env-variables.js';
import type { EcsRunnerSettings } from './ecs-task-runner.js';

/**
 * The jobs module's variables (app/env-variables.ts). app/config.ts reads them with its own, so
 * they are read and validated once with everything else. Without JOBS_QUEUE_URL the embedded parts run
 * (in-process queue, child-process runner, files under JOBS_DATA_DIR).
 */
export const jobsVariables = {
  JOBS_QUEUE_URL: optional(httpUrl),
  JOBS_BUCKET: optional(matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name')),
  JOBS_BUCKET_PREFIX: withDefault(text, ''),
  JOBS_DATA_DIR: withDefault(text, '.data/jobs'),
  JOBS_CLUSTER: optional(text),
  JOBS_TASK_DEFINITION: optional(text),
  JOBS_CONTAINER_NAME: withDefault(text, 'simulation'),
  JOBS_SUBNETS: optional(list),
  JOBS_SECURITY_GROUPS: optional(list),
  JOBS_ASSIGN_PUBLIC_IP: withDefault(oneOf(['true', 'false']), 'false'),
  /** `provider[:weight[:base]],…`; Spot first. Fargate never swaps Spot for on-demand by itself. */
  JOBS_CAPACITY_STRATEGY: withDefault(
    matching(/^[A-Za-z0-9_-]+(:\d+(:\d+)?)?(,[A-Za-z0-9_-]+(:\d+(:\d+)?)?)*$/, 'provider[:weight[:base]],…'),
    'FARGATE_SPOT:1',
  ),
  JOBS_FALLBACK_CAPACITY_PROVIDER: withDefault(text, 'FARGATE'),
  JOBS_MAX_ATTEMPTS: withDefault(integer(1, 20), 3),
  /** RunTask: 20 calls/s burst and sustained (AWS, "Amazon ECS API request throttling" / Fargate quotas). */
  RUNTASK_BUCKET_CAPACITY: withDefault(integer(1, 1_000), 20),
  RUNTASK_RATE_PER_SECOND: withDefault(positiveNumber(1_000), 20),
  /**
   * Burst tokens kept back from AWS's 20. A token is taken in Redis and the call reaches ECS a few
   * ms later; when those delays vary (GC, a busy core, the network), calls can arrive closer
   * together than they were granted. At the exact limit that is a ThrottlingException; 2 tokens
   * absorb 100 ms of such jitter at 20/s. The sustained rate stays at RUNTASK_RATE_PER_SECOND.
   */
  RUNTASK_BUCKET_HEADROOM: withDefault(integer(0, 1_000), 2),
  JOBS_PACER_CONCURRENCY: withDefault(integer(1, 100), 4),
  JOBS_LOCAL_MAX_RUNNING: withDefault(integer(1, 64), 4),
  /**
   * Embedded mode: the built simulation program (`dist/simulation/main.mjs`) the runner starts
   * with node. Unset, it is the program next to the app's code, which bundles do not carry: the
   * local stack sets it for the built server and functions, as the task definition names the image.
   */
  JOBS_LOCAL_PROGRAM: optional(text),
  /**
   * Embedded mode with Redis: how long a dead server's jobs wait before another server takes them
   * over (its runner lease, and its queue messages' lock). Shorter notices a crash sooner; longer
   * tolerates a Redis that stalls longer before a live server's lease lapses.
   */
  JOBS_RUNNER_LEASE_MS: withDefault(integer(1_000, 600_000), 10_000),
} as const;

type JobsEnv = ValuesOf<typeof jobsVariables>;

export interface JobsConfig {
  /** `aws`: SQS, ECS, S3 (S3 needs JOBS_BUCKET). `embedded`: in-process queue, child processes, files. */
  readonly mode: 'aws' | 'embedded';
  readonly queueUrl: string | undefined;
  readonly bucket: { readonly name: string; readonly prefix: string } | undefined;
  readonly dataDir: string;
  readonly ecs: EcsRunnerSettings;
  readonly maxAttempts: number;
  /** The bucket the pacers share: AWS's burst less the headroom, refilled at the sustained rate. */
  readonly runTaskBucket: { readonly capacity: number; readonly perSecond: number };
  readonly pacerConcurrency: number;
  readonly localMaxRunning: number;
  /** Embedded mode: see JOBS_LOCAL_PROGRAM; undefined runs the program next to the app's code. */
  readonly localProgram?: string | undefined;
  /** Embedded with Redis: see JOBS_RUNNER_LEASE_MS. */
  readonly runnerLeaseMs: number;
}

function parseStrategy(text: string): CapacityProviderStrategyItem[] {
  return text.split(',').map((item) => {
    const [capacityProvider = '', weight, base] = item.split(':');
    return {
      capacityProvider,
      weight: weight === undefined ? 1 : Number(weight),
      ...(base === undefined ? {} : { base: Number(base) }),
    };
  });
}

/** The jobs section of AppConfig, with the problems that only show across variables. */
export function jobsConfigFrom(v: JobsEnv & { REDIS_URL?: string | undefined }): {
  config: JobsConfig;
  problems: string[];
} {
  const problems: string[] = [];
  if (v.RUNTASK_BUCKET_HEADROOM >= v.RUNTASK_BUCKET_CAPACITY) {
    problems.push('RUNTASK_BUCKET_HEADROOM: must be smaller than RUNTASK_BUCKET_CAPACITY');
  }
  if (v.JOBS_QUEUE_URL) {
    if (!v.JOBS_CLUSTER) problems.push('JOBS_CLUSTER: required when JOBS_QUEUE_URL is set');
    if (!v.JOBS_BUCKET) problems.push('JOBS_BUCKET: required when JOBS_QUEUE_URL is set');
    // Records and the RunTask bucket must be shared by every process: memory would not be.
    if (!v.REDIS_URL) problems.push('REDIS_URL: required when JOBS_QUEUE_URL is set');
  }
  return {
    problems,
    config: {
      mode: v.JOBS_QUEUE_URL ? 'aws' : 'embedded',
      queueUrl: v.JOBS_QUEUE_URL,
      bucket: v.JOBS_BUCKET ? { name: v.JOBS_BUCKET, prefix: v.JOBS_BUCKET_PREFIX } : undefined,
      dataDir: v.JOBS_DATA_DIR,
      ecs: {
        cluster: v.JOBS_CLUSTER ?? 'default',
        taskDefinition: v.JOBS_TASK_DEFINITION ?? '',
        containerName: v.JOBS_CONTAINER_NAME,
        capacityProviderStrategy: parseStrategy(v.JOBS_CAPACITY_STRATEGY),
        fallbackCapacityProvider: v.JOBS_FALLBACK_CAPACITY_PROVIDER,
        subnets: v.JOBS_SUBNETS ?? [],
        securityGroups: v.JOBS_SECURITY_GROUPS ?? [],
        assignPublicIp: v.JOBS_ASSIGN_PUBLIC_IP === 'true',
      },
      maxAttempts: v.JOBS_MAX_ATTEMPTS,
      runTaskBucket: {
        capacity: Math.max(1, v.RUNTASK_BUCKET_CAPACITY - v.RUNTASK_BUCKET_HEADROOM),
        perSecond: v.RUNTASK_RATE_PER_SECOND,
      },
      pacerConcurrency: v.JOBS_PACER_CONCURRENCY,
      localMaxRunning: v.JOBS_LOCAL_MAX_RUNNING,
      localProgram: v.JOBS_LOCAL_PROGRAM,
      runnerLeaseMs: v.JOBS_RUNNER_LEASE_MS,
    },
  };
}

/** What the pacer needs beyond the API: fails fast naming the variable. */
export function launchProblems(config: JobsConfig): string[] {
  const problems: string[] = [];
  if (!config.ecs.taskDefinition) problems.push('JOBS_TASK_DEFINITION: required to launch tasks');
  if (config.ecs.subnets.length === 0) problems.push('JOBS_SUBNETS: required to launch Fargate tasks');
  return problems;
}
