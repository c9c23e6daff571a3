import { setTimeout as sleep } from 'node:timers/promises';
import { type FaultScenario, seed, steadyLoad, summarize } from '../harness.js';

const FROZEN_MS = 10_000;

/** Redis stopped with SIGSTOP for 10 s: connections stay open and nothing answers. */
export const scenario: FaultScenario = {
  name: 'Redis frozen 10 s',
  description: 'SIGSTOP on redis-server for 10 s under steady load, then SIGCONT',
  async run({ runtime, redis, startRuntime, progress }) {
    const server = await startRuntime();
    await seed(server.port);
    const load = steadyLoad(server.port, {
      durationMs: 3_000 + FROZEN_MS + 5_000,
      perSecond: 40,
      simulationEvery: 200,
    });
    await sleep(3_000);
    progress('freezing Redis');
    redis.freeze();
    await sleep(FROZEN_MS);
    redis.thaw();
    const thawedAt = Date.now();
    progress('Redis resumed');
    return summarize(this.name, runtime, await load, thawedAt);
  },
};
