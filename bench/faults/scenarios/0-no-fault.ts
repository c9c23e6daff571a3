import { type FaultScenario, seed, steadyLoad, summarize } from '../harness.js';

/** The baseline: the same load with Redis healthy throughout. */
export const scenario: FaultScenario = {
  name: 'no fault',
  description: 'steady load, Redis healthy (the baseline)',
  async run({ runtime, startRuntime }) {
    const server = await startRuntime();
    await seed(server.port);
    const answers = await steadyLoad(server.port, { durationMs: 5_000, perSecond: 40, simulationEvery: 200 });
    return summarize(this.name, runtime, answers);
  },
};
