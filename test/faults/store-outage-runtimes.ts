import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../app/config.js';
import { createLambdaHandler } from '../../app/lambda-handler.js';
import { createRuntimeDeps, type RuntimeDeps } from '../../app/runtime-deps.js';
import { type RunningServer, startServer } from '../../app/server.js';
import { toAlbEvent } from '../parity/event-builders.js';
import type { HttpCase, NormalizedResponse } from '../parity/http-case.js';
import { invokeLambda, sendToEcs } from '../parity/runtimes.js';

/** One runtime under test, sending a client request the way its platform delivers it. */
export interface OutageRuntime {
  readonly name: 'ecs' | 'lambda';
  send(request: HttpCase): Promise<NormalizedResponse>;
  close(): Promise<void>;
}

/**
 * Both runtimes exactly as the entry points build them, Redis-backed (leads, job records, rate
 * limits), with the embedded jobs parts writing under a temporary directory. `expectedInstances`
 * 2 makes the insurance quota visibly different from the shared one.
 */
export async function startRuntimes(redisUrl: string, keyPrefix: string): Promise<OutageRuntime[]> {
  const dataDir = await mkdtemp(join(tmpdir(), 'outage-jobs-'));
  const config = loadConfig({
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: keyPrefix,
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'silent',
    JOBS_DATA_DIR: dataDir,
    RATE_LIMIT_EXPECTED_INSTANCES: '2',
  });
  const logger = pino({ level: 'silent' });
  const server: RunningServer = await startServer(config, logger);
  const lambdaDeps: RuntimeDeps = createRuntimeDeps(config, logger);
  const lambda = createLambdaHandler(lambdaDeps, {
    stage: config.env,
    maxBodyBytes: config.maxBodyBytes,
    guards: lambdaDeps.guards,
  }).handler;
  let closed = false;
  const closeAll = async () => {
    if (closed) return;
    closed = true;
    await server.shutdown({ drainMs: 0 });
    await lambdaDeps.close();
    await rm(dataDir, { recursive: true, force: true });
  };
  return [
    { name: 'ecs', send: (request) => sendToEcs(server.port, request), close: closeAll },
    {
      name: 'lambda',
      send: (request) => invokeLambda(lambda, toAlbEvent(request, { multiValue: true })),
      close: closeAll,
    },
  ];
}
