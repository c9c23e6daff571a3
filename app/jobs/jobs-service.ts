import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { isTerminal, type Job } from './job.js';
import type { JobQueue } from './job-queue.js';
import type { JobStore } from './job-store.js';
import type { ObjectStore } from './object-store.js';
import type { SimulationInput } from './simulation/input.js';
import type { TaskRunner } from './task-runner.js';

export type CreateResult =
  | { readonly kind: 'created' | 'existing'; readonly job: Job }
  /** The idempotency key was used before with another input. */
  | { readonly kind: 'key-reused'; readonly job: Job };

export type CancelResult =
  | { readonly kind: 'cancelled'; readonly job: Job }
  | { readonly kind: 'finished'; readonly job: Job }
  | { readonly kind: 'not-found' };

export type ResultLookup =
  | { readonly kind: 'not-found' }
  /** Queued, submitting or running: a result may still come. */
  | { readonly kind: 'unfinished'; readonly job: Job }
  /** Failed or cancelled (or its object expired): there is none and will be none. */
  | { readonly kind: 'none'; readonly job: Job }
  | { readonly kind: 'ready'; readonly job: Job; readonly body: string };

/** What the simulation routes need; handlers see only this. */
export interface SimulationJobs {
  create(input: SimulationInput, options: { idempotencyKey?: string }): Promise<CreateResult>;
  get(jobId: string): Promise<Job | undefined>;
  cancel(jobId: string): Promise<CancelResult>;
  /** The result JSON of a succeeded job, as the simulation wrote it. */
  result(jobId: string): Promise<ResultLookup>;
}

export interface JobsServiceDeps {
  readonly jobs: JobStore;
  readonly queue: JobQueue;
  readonly objects: ObjectStore;
  /** Only for StopTask on cancel; launching is the pacer's. */
  readonly runner: Pick<TaskRunner, 'stop'>;
  readonly maxAttempts: number;
  readonly logger: Logger;
  readonly clock?: () => Date;
}

/** Thrown when a job was recorded but could not be queued: the client may retry with its key. */
export class EnqueueError extends Error {
  override readonly name = 'EnqueueError';
}

/**
 * Accepting, reading and cancelling jobs. Order matters for "never lose a job": the input is
 * stored, then the record, then the queue message; a job whose message could not be sent is
 * marked failed and its idempotency key released, so nothing is left "queued" with no message.
 */
export class JobsService implements SimulationJobs {
  constructor(private readonly deps: JobsServiceDeps) {}

  async create(input: SimulationInput, options: { idempotencyKey?: string }): Promise<CreateResult> {
    const { jobs, objects, queue } = this.deps;
    const now = (this.deps.clock?.() ?? new Date()).toISOString();
    const id = randomUUID();
    const body = JSON.stringify(input);
    const inputSha256 = createHash('sha256').update(body).digest('hex');
    const inputUri = objects.uriFor(`jobs/${id}/input.json`);
    await objects.put(inputUri, body, 'application/json');
    const job: Job = {
      id,
      status: 'queued',
      attempt: 1,
      maxAttempts: this.deps.maxAttempts,
      launch: 'primary',
      inputUri,
      inputSha256,
      outputUri: objects.uriFor(`jobs/${id}/result.json`),
      idempotencyKey: options.idempotencyKey ?? null,
      createdAt: now,
      updatedAt: now,
      submittedAt: null,
      finishedAt: null,
      taskArn: null,
      capacityProvider: null,
      failureReason: null,
      history: [],
      version: 1,
    };
    const stored = await jobs.create(job);
    if (!stored.created) {
      await objects.delete(inputUri).catch(() => {});
      return stored.job.inputSha256 === inputSha256
        ? { kind: 'existing', job: stored.job }
        : { kind: 'key-reused', job: stored.job };
    }
    try {
      await queue.send({ jobId: id, attempt: 1 });
    } catch (error) {
      this.deps.logger.error({ err: error, jobId: id }, 'jobs: could not queue a new job');
      await jobs.update(id, (j) => ({
        ...j,
        status: 'failed',
        failureReason: 'The job could not be queued',
        finishedAt: new Date().toISOString(),
      }));
      if (job.idempotencyKey) await jobs.releaseIdempotencyKey(job.idempotencyKey);
      throw new EnqueueError('The job could not be queued', { cause: error });
    }
    return { kind: 'created', job };
  }

  get(jobId: string): Promise<Job | undefined> {
    return this.deps.jobs.get(jobId);
  }

  async result(jobId: string): Promise<ResultLookup> {
    const job = await this.deps.jobs.get(jobId);
    if (!job) return { kind: 'not-found' };
    if (!isTerminal(job.status)) return { kind: 'unfinished', job };
    if (job.status !== 'succeeded') return { kind: 'none', job };
    const body = await this.deps.objects.get(job.outputUri);
    return body === undefined ? { kind: 'none', job } : { kind: 'ready', job, body };
  }

  /** Queued or submitting: marked cancelled (the pacer then skips it). Running: also StopTask. */
  async cancel(jobId: string): Promise<CancelResult> {
    const now = new Date().toISOString();
    const result = await this.deps.jobs.update(jobId, (j) =>
      isTerminal(j.status) ? undefined : { ...j, status: 'cancelled', finishedAt: now },
    );
    if (!result) return { kind: 'not-found' };
    if (!result.changed) return { kind: 'finished', job: result.job };
    const taskArn = result.job.taskArn;
    if (taskArn) {
      try {
        await this.deps.runner.stop(taskArn, 'Cancelled by the client');
      } catch (error) {
        // The record says cancelled, so the task's STOPPED event will change nothing; log for operators.
        this.deps.logger.error({ err: error, jobId, taskArn }, 'jobs: StopTask failed for a cancelled job');
      }
    }
    return { kind: 'cancelled', job: result.job };
  }
}
