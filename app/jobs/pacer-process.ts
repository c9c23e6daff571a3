import { pathToFileURL } from 'node:url';
import { loadConfig } from '../config.js';
import { createAwsPacer } from './aws-pacer.js';
import { startPacerLoop } from './pacer-loop.js';

/**
 * A pacer as a long-running process (an ECS service, or any host): polls SQS and submits through
 * the same global Redis bucket as the pacer Lambda, so both can run at once and still share the
 * limit. Benchmarks and fault tests run several of these against local servers.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const { pacer, queue, logger, redis, aws } = createAwsPacer(config, 'ecs');
  const loop = startPacerLoop({ consumer: queue, pacer, logger, concurrency: config.jobs.pacerConcurrency });
  logger.info({ concurrency: config.jobs.pacerConcurrency }, 'pacer: started');
  const stop = (signal: NodeJS.Signals) => {
    logger.info({ signal }, 'pacer: stopping');
    loop
      .stop()
      .then(async () => {
        await redis.quit().catch(() => redis.disconnect());
        aws.destroy();
        process.exit(0);
      })
      .catch(() => process.exit(1));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
