import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../config.js';
import { withSecrets } from '../secrets.js';
import { createAwsPacer } from './aws-pacer.js';
import { handleSqsBatch } from './pacer-batch.js';

/**
 * The pacer Lambda: SQS event source → global Redis token bucket → ECS RunTask.
 * Bound its concurrency with the event source mapping's maximum concurrency, not reserved
 * concurrency 1: with reserved concurrency SQS keeps polling and throttled invocations can send
 * messages to the DLQ (AWS Knowledge Center, "Lambda SQS throttling"). The bucket holds the rate.
 * Clients and configuration are built here, at init, and reused by warm invocations.
 */
const config = await withSecrets(loadConfig());
const { pacer, queue, logger, aws } = createAwsPacer(config, 'lambda');
// Every invocation uses them: load the SDK during init, which runs on Lambda's boosted CPU.
aws.warm();
const deps = {
  pacer,
  logger,
  release: (receipt: string, delaySeconds: number) => queue.release(receipt, delaySeconds),
  concurrency: config.jobs.pacerConcurrency,
};

export const handler = (event: SQSEvent, context: Context): Promise<SQSBatchResponse> =>
  handleSqsBatch(deps, event, context);
