import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import type { Logger } from 'pino';
import { parseJobMessage } from './job.js';
import { type PacerDeps, submitJob } from './pacer.js';

export interface PacerBatchDeps {
  readonly pacer: PacerDeps;
  readonly logger: Logger;
  /** Sets how long a message stays away before it is retried (ChangeMessageVisibility). */
  readonly release?: (receiptHandle: string, delaySeconds: number) => Promise<void>;
  /** Messages of one batch handled at once; the Redis bucket, not this, sets the global rate. */
  readonly concurrency: number;
}

/** Stop taking tokens this long before Lambda's deadline, so every answer gets out in time. */
const DEADLINE_MARGIN_MS = 3_000;
/** The longest a message given back waits before its next delivery. */
const MAX_REDELIVERY_DELAY_SECONDS = 60;

/**
 * How long a message given back stays away: what the pacer asked for, but at least a delay that
 * doubles with each delivery (1, 2, 4 … 60 s). Every delivery counts against the queue's
 * maxReceiveCount (infra/constructs/jobs-storage.ts), so a fixed 1–5 s would dead-letter a job in
 * well under a minute of Redis failover; doubling spreads ten deliveries over about four minutes.
 */
export function redeliveryDelaySeconds(requested: number, receiveCount: number): number {
  const backoff = Math.min(MAX_REDELIVERY_DELAY_SECONDS, 2 ** Math.max(0, receiveCount - 1));
  return Math.max(requested, backoff);
}

/**
 * One SQS batch for the pacer Lambda. Only messages whose task is recorded (or that need nothing
 * more) are acknowledged; the rest come back as `batchItemFailures` (the event source mapping must
 * have `ReportBatchItemFailures`), so SQS redelivers exactly those and nothing is lost.
 */
export async function handleSqsBatch(
  deps: PacerBatchDeps,
  event: SQSEvent,
  context: Context,
): Promise<SQSBatchResponse> {
  const deadline = Date.now() + Math.max(0, context.getRemainingTimeInMillis() - DEADLINE_MARGIN_MS);
  const failures: string[] = [];
  const pending = [...event.Records];
  const worker = async () => {
    for (let record = pending.shift(); record; record = pending.shift()) {
      if (!(await settle(deps, record, deadline))) failures.push(record.messageId);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, deps.concurrency) }, worker));
  return { batchItemFailures: failures.map((itemIdentifier) => ({ itemIdentifier })) };
}

/** True when the message may be deleted. */
async function settle(deps: PacerBatchDeps, record: SQSRecord, deadline: number): Promise<boolean> {
  const message = parseJobMessage(record.body);
  if (!message) {
    deps.logger.warn({ messageId: record.messageId }, 'pacer: dropping a message that is not a job');
    return true;
  }
  const outcome = await submitJob(deps.pacer, message, deadline);
  if (outcome.ack) return true;
  const receiveCount = Number(record.attributes.ApproximateReceiveCount) || 1;
  const delay = redeliveryDelaySeconds(outcome.retryAfterSeconds, receiveCount);
  await deps.release?.(record.receiptHandle, delay).catch((error: unknown) => {
    deps.logger.warn({ err: error, messageId: record.messageId }, 'pacer: could not delay a message');
  });
  return false;
}
