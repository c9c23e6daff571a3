import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { withinBudget } from '../within-budget.js';
import { DurableJobQueue, type DurablePacer, startDurablePacer } from './durable-queue.js';
import type { JobStore } from './job-store.js';
import type { JobsConfig } from './jobs-config.js';
import type { JobsRuntime, JobsRuntimeDeps } from './jobs-runtime.js';
import type { JobsService } from './jobs-service.js';
import { LocalTaskRunner, localProgramCommand } from './local-task-runner.js';
import { LocalDirectoryObjectStore } from './object-store.js';
import { reconcileJobs } from './reconcile.js';
import { RunnerLease } from './runner-lease.js';
import { applyTaskStopped } from './task-events.js';
import type { TokenBucket } from './token-bucket.js';

export interface EmbeddedParts {
  readonly store: JobStore;
  readonly bucket: TokenBucket;
  readonly logger: Logger;
  readonly serviceFor: (parts: Pick<JobsRuntime, 'queue' | 'objects' | 'runner'>) => JobsService;
}

/**
 * Embedded with Redis: records in Redis, a BullMQ queue, a lease naming this process's runner,
 * and reconciliation of what dead processes left (reconcile.ts), at start and once per lease.
 */
export function createDurableEmbedded(
  config: JobsConfig,
  deps: JobsRuntimeDeps & { readonly redis: Redis; readonly workerRedis: Redis },
  parts: EmbeddedParts,
): JobsRuntime {
  const { store, bucket, logger } = parts;
  const redis = deps.redis;
  const queue = new DurableJobQueue(redis, deps.keyPrefix);
  const objects = new LocalDirectoryObjectStore(config.dataDir);
  const runner = new LocalTaskRunner({
    logger,
    maxRunning: config.localMaxRunning,
    ...localProgramCommand(config.localProgram),
    onStopped: (stopped) => applyTaskStopped({ jobs: store, queue, logger, objects }, stopped).then(() => {}),
  });
  const lease = new RunnerLease(redis, deps.keyPrefix, runner.instanceId, config.runnerLeaseMs);
  const reconcile = () =>
    reconcileJobs({
      redis,
      keyPrefix: deps.keyPrefix,
      jobs: store,
      queue,
      logger,
      ownInstance: runner.instanceId,
    }).catch((error: unknown) => {
      logger.warn({ err: error }, 'jobs: reconciliation failed; trying again next lease');
    });
  let pacer: DurablePacer | undefined;
  let reconciler: NodeJS.Timeout | undefined;
  let stopped = false;
  // The lease comes first: no task of ours may exist without it. Redis may be down at start:
  // keep trying, the jobs wait in the queue meanwhile.
  const started = (async () => {
    for (let attempt = 0; !stopped; attempt += 1) {
      try {
        await lease.start();
        break;
      } catch (error) {
        if (attempt === 0) logger.warn({ err: error }, 'jobs: cannot take the runner lease yet; retrying');
        await sleep(Math.min(5_000, 250 * 2 ** attempt));
      }
    }
    if (stopped) return;
    pacer = startDurablePacer({
      redis: deps.workerRedis,
      keyPrefix: deps.keyPrefix,
      pacer: { jobs: store, runner, bucket, logger },
      logger,
      concurrency: config.pacerConcurrency,
      lockMs: config.runnerLeaseMs,
    });
    void reconcile();
    reconciler = setInterval(reconcile, config.runnerLeaseMs);
    reconciler.unref();
  })();
  const stopLaunching = () => {
    stopped = true;
    clearInterval(reconciler);
    pacer?.stopLaunching();
    runner.stopLaunching();
  };
  return {
    service: parts.serviceFor({ queue, objects, runner }),
    store,
    queue,
    objects,
    runner,
    bucket,
    stopLaunching,
    async close(budgetMs = 10_000) {
      const endAt = Date.now() + budgetMs;
      stopLaunching();
      await withinBudget(started, budgetMs / 4);
      // Simulations first: each stop is recorded (and requeued) through Redis before it closes.
      await runner.close(Math.max(0, (endAt - Date.now()) * 0.6));
      await withinBudget(
        Promise.all([pacer?.close(), queue.close()]).then(() => lease.release()),
        Math.max(0, endAt - Date.now()),
      );
    },
  };
}
