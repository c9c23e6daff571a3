import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultRow, FaultScenario } from './support/matrix.js';
import {
  baselineSlowestMs,
  LOAD,
  type RuntimeName,
  seed,
  steadyLoad,
  summarize,
  withRuntime,
} from './support/request-path.js';

const FROZEN_MS = 10_000;
const NAME = 'Redis frozen 10 s';

/** Redis stopped with SIGSTOP for 10 s under steady load: connections stay open, nothing answers. */
export const scenario: FaultScenario = {
  name: NAME,
  description:
    'SIGSTOP on redis-server for 10 s under 40 requests/s on the Redis-backed routes, then SIGCONT',
  async run() {
    const rows: FaultRow[] = [];
    for (const runtime of ['ecs', 'lambda'] as RuntimeName[]) {
      const baseline = await baselineSlowestMs(runtime);
      rows.push(
        await withRuntime(NAME, runtime, async ({ redis, startRuntime, progress }) => {
          const server = await startRuntime();
          await seed(server.port);
          const load = steadyLoad(server.port, LOAD(3_000 + FROZEN_MS + 5_000));
          await sleep(3_000);
          progress('freezing Redis');
          redis.freeze();
          await sleep(FROZEN_MS);
          redis.thaw();
          const thawedAt = Date.now();
          progress('Redis resumed');
          return summarize(NAME, runtime, await load, thawedAt, baseline);
        }),
      );
    }
    return rows;
  },
};
