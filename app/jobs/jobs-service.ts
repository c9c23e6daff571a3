import { createHash, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { isTerminal, type Job } from './job.js';
import type { JobQueue } from './job-queue.js';
import type { JobStore } from './job-store.js';
import type { ObjectStore } from './object-store.js';
import type { SimulationInput } from './simulation/input.js';
import { CANCEL_STOP_REASON, type TaskRunner } from './task-runner.js';

export type CreateResult =
  | { readonly kind: 'created' | 'existing'; readonly job: Job }
  /** The idempotency key was used before with another input. */
  | { readonly kind: 'key-reused'; readonly job: Job };

export type CancelResult =
  | { readonly kind: 'cancelled'; readonly job: Job }
  | { readonly kind: 'finished'; readonly job: Job }
  /** StopTask failed: the task still runs, so the job is not cancelled; the client may try again. */
  | { readonly kind: 'stop-failed'; readonly job: Job; readonly reason: string }
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
    let stored: Awaited<ReturnType<typeof jobs.create>>;
    try {
      stored = await jobs.create(job);
    } catch (error) {
      // The client is told this failed, yet a write that timed out may still land (a Redis that
      // was frozen answers it on waking); reconciliation would then run a job nobody was given.
      void this.settleUnconfirmed(id);
      throw error;
    }
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

  /**
   * Cancels a job whose creation the client was told failed, once the store answers: a later
   * command on the same connection runs after the write, so an answered cancel means the record
   * either never landed ("not-found") or is cancelled. Retried for about a minute.
   */
  private async settleUnconfirmed(jobId: string): Promise<void> {
    for (let attempt = 0; attempt < 15; attempt += 1) {
      try {
        const result = await this.cancel(jobId);
        if (result.kind !== 'not-found') {
          this.deps.logger.warn({ jobId }, 'jobs: a job whose creation failed was recorded late; cancelled');
        }
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, Math.min(250 * 2 ** attempt, 5_000)).unref());
      }
    }
    this.deps.logger.error({ jobId }, 'jobs: could not settle a job whose creation failed');
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

  /**
   * Queued or submitting: marked cancelled (the pacer then skips it, and stops a task it launched
   * meanwhile). With a task: StopTask first, and only once ECS accepted it is the job marked
   * cancelled; if StopTask fails the task still runs and bills, so the job stays as it is and the
   * caller learns it (`stop-failed`). The task's STOPPED event carries CANCEL_STOP_REASON, which
   * the task-events handler also reads as cancelled, whichever of the two writes first.
   */
  async cancel(jobId: string): Promise<CancelResult> {
    const current = await this.deps.jobs.get(jobId);
    if (!current) return { kind: 'not-found' };
    if (isTerminal(current.status)) return { kind: 'finished', job: current };
    if (current.taskArn) {
      try {
        await this.deps.runner.stop(current.taskArn, CANCEL_STOP_REASON);
      } catch (error) {
        this.deps.logger.error(
          { err: error, jobId, taskArn: current.taskArn },
          'jobs: StopTask failed; job not cancelled',
        );
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        return { kind: 'stop-failed', job: current, reason };
      }
    }
    const now = new Date().toISOString();
    const result = await this.deps.jobs.update(jobId, (j) =>
      isTerminal(j.status) ? undefined : { ...j, status: 'cancelled', finishedAt: now },
    );
    if (!result) return { kind: 'not-found' };
    if (!result.changed) {
      // The STOPPED event of our own StopTask got there first: still a cancel.
      return result.job.status === 'cancelled'
        ? { kind: 'cancelled', job: result.job }
        : { kind: 'finished', job: result.job };
    }
    const taskArn = result.job.taskArn;
    if (taskArn && taskArn !== current.taskArn) {
      // The pacer recorded a task between our read and our write: stop that one too.
      await this.deps.runner.stop(taskArn, CANCEL_STOP_REASON).catch((error: unknown) => {
        this.deps.logger.error({ err: error, jobId, taskArn }, 'jobs: StopTask failed for a cancelled job');
      });
    }
    return { kind: 'cancelled', job: result.job };
  }
}
