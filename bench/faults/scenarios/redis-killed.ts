import { setTimeout as sleep } from 'node:timers/promises';
import { type FaultScenario, seed, steadyLoad, summarize } from '../harness.js';

const DOWN_MS = 5_000;

/** redis-server killed (SIGKILL) and started again 5 s later on the same port, with its data. */
export const scenario: FaultScenario = {
  name: 'Redis killed, restarted',
  description: 'SIGKILL on redis-server under steady load, restarted after 5 s (append-only file kept)',
  async run({ runtime, redis, startRuntime, progress }) {
    const server = await startRuntime();
    await seed(server.port);
    const load = steadyLoad(server.port, {
      durationMs: 3_000 + DOWN_MS + 5_000,
      perSecond: 40,
      simulationEvery: 200,
    });
    await sleep(3_000);
    progress('killing Redis');
    await redis.stop();
    await sleep(DOWN_MS);
    await redis.start();
    const restartedAt = Date.now();
    progress('Redis restarted');
    return summarize(this.name, runtime, await load, restartedAt);
  },
};
