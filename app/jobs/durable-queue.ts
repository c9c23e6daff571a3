import { type Job as BullJob, DelayedError, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type JobMessage, parseJobMessage } from './job.js';
import type { JobQueue } from './job-queue.js';
import { type PacerDeps, submitJob } from './pacer.js';

/**
 * The embedded mode's queue when Redis is configured: BullMQ, so queued jobs outlive the
 * process, a message held by a process that died goes back to the queue once its lock lapses
 * (BullMQ's stalled-job check), and delays survive restarts. A well-kept library rather than
 * our own lists: those three are exactly what is hard to get right by hand.
 */
export const QUEUE_NAME = 'simulations';

/** BullMQ's key prefix under ours: `<prefix>bull:simulations:…`. */
export function bullPrefix(keyPrefix: string): string {
  return `${keyPrefix}bull`;
}

/**
 * One message per job attempt: BullMQ ignores an add whose id it still holds, so a message sent
 * twice (a requeue retried, reconciliation) is queued once. Completed messages are removed at
 * once, so the id is free again should the attempt need another message later.
 */
function messageId(message: JobMessage): string {
  return `${message.jobId}-a${message.attempt}`;
}

export class DurableJobQueue implements JobQueue {
  private readonly queue: Queue<JobMessage>;

  constructor(redis: Redis, keyPrefix: string) {
    this.queue = new Queue<JobMessage>(QUEUE_NAME, { connection: redis, prefix: bullPrefix(keyPrefix) });
    this.queue.on('error', () => {
      // Failures surface on the calls that fail (send rejects).
    });
  }

  async send(message: JobMessage, options: { delaySeconds?: number } = {}): Promise<void> {
    await this.queue.add('submit', message, {
      jobId: messageId(message),
      delay: (options.delaySeconds ?? 0) * 1000,
      removeOnComplete: true,
      removeOnFail: true,
    });
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

export interface DurablePacerOptions {
  /** A connection for BullMQ's worker: `maxRetriesPerRequest: null`, as its blocking reads need. */
  readonly redis: Redis;
  readonly keyPrefix: string;
  readonly pacer: PacerDeps;
  readonly logger: Logger;
  readonly concurrency: number;
  /** How long a message stays locked to a process that stops renewing it (crashed). */
  readonly lockMs: number;
  /** How long one message may wait for tokens and retries before it goes back to the queue. */
  readonly maxSubmitMs?: number;
}

export interface DurablePacer {
  /** Stops taking messages; messages in hand go back to the queue without a launch. */
  stopLaunching(): void;
  close(): Promise<void>;
}

/**
 * The embedded pacer on the durable queue: a BullMQ worker whose processor is the same
 * `submitJob` every pacer runs. "Not yet" (throttled, no capacity, shutting down) moves the
 * message back as delayed, as SQS's visibility timeout would.
 */
export function startDurablePacer(options: DurablePacerOptions): DurablePacer {
  const abort = new AbortController();
  const pacer: PacerDeps = { ...options.pacer, signal: abort.signal };
  const maxSubmitMs = options.maxSubmitMs ?? 20_000;
  const processor = async (job: BullJob<JobMessage>, token?: string): Promise<string> => {
    const message = parseJobMessage(JSON.stringify(job.data));
    if (!message) {
      options.logger.warn({ messageId: job.id }, 'pacer: dropping a message that is not a job');
      return 'dropped';
    }
    const outcome = await submitJob(pacer, message, Date.now() + maxSubmitMs);
    if (outcome.ack) return outcome.result;
    await job.moveToDelayed(Date.now() + outcome.retryAfterSeconds * 1000, token);
    // BullMQ's signal that the processor moved the job itself.
    throw new DelayedError();
  };
  const worker = new Worker<JobMessage, string>(QUEUE_NAME, processor, {
    connection: options.redis,
    prefix: bullPrefix(options.keyPrefix),
    concurrency: options.concurrency,
    lockDuration: options.lockMs,
    stalledInterval: options.lockMs,
    // A message whose process died goes back however often that happens; the job record's
    // attempts, not BullMQ's, decide when a job has failed.
    maxStalledCount: Number.MAX_SAFE_INTEGER,
    removeOnComplete: { count: 0 },
    // A failed message is removed so reconciliation can send it again (reconcile.ts).
    removeOnFail: { count: 0 },
    drainDelay: 1,
  });
  worker.on('error', (error) => options.logger.warn({ err: error }, 'pacer: queue worker error'));
  return {
    stopLaunching() {
      abort.abort();
      // Waits for nothing: messages in hand see the signal and go back by themselves.
      void worker.pause(true).catch(() => {});
    },
    async close() {
      abort.abort();
      await worker.close();
    },
  };
}
