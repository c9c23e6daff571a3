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

const DOWN_MS = 5_000;
const NAME = 'Redis killed, restarted after 5 s';

/** redis-server killed (SIGKILL) under steady load and started again 5 s later, with its data. */
export const scenario: FaultScenario = {
  name: NAME,
  description: 'SIGKILL on redis-server under 40 requests/s, restarted after 5 s (append-only file kept)',
  async run() {
    const rows: FaultRow[] = [];
    for (const runtime of ['ecs', 'lambda'] as RuntimeName[]) {
      const baseline = await baselineSlowestMs(runtime);
      rows.push(
        await withRuntime(NAME, runtime, async ({ redis, startRuntime, progress }) => {
          const server = await startRuntime();
          await seed(server.port);
          const load = steadyLoad(server.port, LOAD(3_000 + DOWN_MS + 5_000));
          await sleep(3_000);
          progress('killing Redis');
          await redis.stop();
          await sleep(DOWN_MS);
          await redis.start();
          const restartedAt = Date.now();
          progress('Redis restarted');
          return summarize(NAME, runtime, await load, restartedAt, baseline);
        }),
      );
    }
    return rows;
  },
};
