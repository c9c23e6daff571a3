import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PrivateRedis } from '../../../test/helpers/redis-server.js';
import { type ServerProcess, startServerProcess } from '../../../test/shutdown/server-process.js';

export type { ServerProcess };

/** The environment of every fault scenario's server: Redis-backed stores, generous quotas. */
export interface Setup {
  readonly redis: PrivateRedis;
  readonly dataDir: string;
  readonly env: Record<string, string>;
  start(extra?: Record<string, string>): Promise<ServerProcess>;
  destroy(): Promise<void>;
}

/**
 * A private Redis and a data directory, and servers started on them exactly as `npm start`
 * starts one (app/server.ts through the tsx loader). Quotas are raised so the load measures
 * the fault, not the rate limiter.
 */
export async function setUp(env: Record<string, string> = {}): Promise<Setup> {
  const redis = await PrivateRedis.start();
  const dataDir = await mkdtemp(join(tmpdir(), 'faults-'));
  const base = {
    REDIS_URL: redis.url,
    JOBS_DATA_DIR: dataDir,
    RATE_LIMIT_STANDARD_ANONYMOUS: '10000000',
    RATE_LIMIT_JOBS_ANONYMOUS: '10000000',
    ...env,
  };
  const started: ServerProcess[] = [];
  return {
    redis,
    dataDir,
    env: base,
    async start(extra = {}) {
      const server = await startServerProcess({ ...base, ...extra });
      started.push(server);
      return server;
    },
    async destroy() {
      for (const server of started) server.child.kill('SIGKILL');
      await redis.destroy();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** SIGTERM, then the time until the process has exited. */
export async function timeShutdown(server: ServerProcess, signalledAt = Date.now()): Promise<number> {
  server.child.kill('SIGTERM');
  await server.exited;
  return Date.now() - signalledAt;
}
