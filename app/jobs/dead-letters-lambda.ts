import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { ConfigError, loadConfig } from '../config.js';
import { createLogger } from '../logger.js';
import { createRedisClient } from '../redis.js';
import { withSecrets } from '../secrets.js';
import { applyDeadLetter } from './dead-letters.js';
import { parseJobMessage } from './job.js';
import { createJobStore } from './jobs-runtime.js';

/**
 * The dead-letter reader: SQS event source on the jobs dead-letter queue → job marked failed.
 * A message it cannot settle (Redis down) is reported back as a batch item failure and comes back
 * after the queue's visibility timeout, until the queue's retention ends; the event source mapping
 * needs `ReportBatchItemFailures`.
 */
const config = await withSecrets(loadConfig());
if (!config.redis) throw new ConfigError(['REDIS_URL: required (job records live there)']);
const logger = createLogger({ level: config.logLevel, env: config.env, runtime: 'lambda' }).child({
  role: 'dead-letters',
});
const deps = {
  jobs: createJobStore(createRedisClient(config.redis), config.redis.keyPrefix),
  logger,
};

export const handler = async (event: SQSEvent): Promise<SQSBatchResponse> => {
  const failures: { itemIdentifier: string }[] = [];
  for (const record of event.Records) {
    const message = parseJobMessage(record.body);
    if (!message) continue;
    try {
      await applyDeadLetter(deps, message, Number(record.attributes.ApproximateReceiveCount) || 0);
    } catch (error) {
      logger.warn(
        { err: error, messageId: record.messageId },
        'dead-letters: could not settle; retried later',
      );
      failures.push({ itemIdentifier: record.messageId });
    }
  }
  return { batchItemFailures: failures };
};
