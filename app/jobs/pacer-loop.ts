import type { Logger } from 'pino';
import type { QueueConsumer, ReceivedJob } from './job-queue.js';
import { type PacerDeps, type SubmitOutcome, submitJob } from './pacer.js';

export interface PacerLoopOptions {
  readonly consumer: QueueConsumer;
  readonly pacer: PacerDeps;
  readonly logger: Logger;
  /** Messages handled at once by this process; the global bucket, not this, sets the rate. */
  readonly concurrency?: number;
  /** Long-poll length; also how long `stop()` may wait for a poll in progress. */
  readonly waitMs?: number;
  /** How long one message may wait for tokens and retries before it goes back to the queue. */
  readonly maxSubmitMs?: number;
  /** Observes every outcome (benchmarks count them). */
  readonly onOutcome?: (received: ReceivedJob, outcome: SubmitOutcome) => void;
}

export interface PacerLoop {
  /** Stops receiving, finishes what is in hand, then resolves. */
  stop(): Promise<void>;
}

/**
 * A polling pacer: the embedded one (`npm start`) and pacer processes that read the queue
 * themselves. It receives only as many messages as it has free slots, so no message waits
 * in a process's hands while its visibility timeout runs out.
 */
export function startPacerLoop(options: PacerLoopOptions): PacerLoop {
  const concurrency = options.concurrency ?? 4;
  const waitMs = options.waitMs ?? 1_000;
  const maxSubmitMs = options.maxSubmitMs ?? 20_000;
  const inFlight = new Set<Promise<void>>();
  let running = true;

  const handle = async (received: ReceivedJob): Promise<void> => {
    const { consumer, logger } = options;
    try {
      if (!received.message) {
        logger.warn({ receipt: received.receipt }, 'pacer: dropping a message that is not a job');
        await consumer.ack(received.receipt);
        return;
      }
      const outcome = await submitJob(options.pacer, received.message, Date.now() + maxSubmitMs);
      options.onOutcome?.(received, outcome);
      if (outcome.ack) await consumer.ack(received.receipt);
      else await consumer.release(received.receipt, outcome.retryAfterSeconds);
    } catch (error) {
      // The message comes back by itself once its visibility timeout ends.
      logger.warn({ err: error }, 'pacer: could not settle a message');
    }
  };

  const loop = (async () => {
    while (running) {
      if (inFlight.size >= concurrency) {
        await Promise.race(inFlight);
        continue;
      }
      let batch: ReceivedJob[];
      try {
        batch = await options.consumer.receive(concurrency - inFlight.size, waitMs);
      } catch (error) {
        options.logger.warn({ err: error }, 'pacer: receive failed');
        await new Promise((resolve) => setTimeout(resolve, 500));
        continue;
      }
      for (const received of batch) {
        const task = handle(received).finally(() => inFlight.delete(task));
        inFlight.add(task);
      }
    }
    await Promise.all(inFlight);
  })();

  return {
    async stop() {
      running = false;
      await loop;
    },
  };
}
