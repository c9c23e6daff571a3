import { setTimeout as sleep } from 'node:timers/promises';
import { SimulationWatch } from '../../test/helpers/simulation-processes.js';
import { settleJobs, simulationBody } from './support/jobs.js';
import { healthCheckUntilOut, Load, type LoadRequest } from './support/load.js';
import type { FaultRow, FaultScenario } from './support/matrix.js';
import { setUp } from './support/servers.js';

const WORKERS = 8;
const JOBS = 12;
const DRAIN_MS = 2_000;
const TIMEOUT_MS = 10_000;
const BEFORE_SIGNAL_MS = 3_000;

export const scenario: FaultScenario = {
  name: 'sigterm-under-load',
  description: `${WORKERS} clients on keep-alive sockets (leads, ${JOBS} simulations of ~2 s), SIGTERM after ${BEFORE_SIGNAL_MS / 1000} s (drain ${DRAIN_MS} ms; an ALB-like health check takes the target out), a replacement started at exit; baseline: the slowest answer before the signal`,
  async run(): Promise<FaultRow[]> {
    const setup = await setUp({
      SHUTDOWN_DRAIN_MS: String(DRAIN_MS),
      SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
      JOBS_LOCAL_MAX_RUNNING: '2',
      JOBS_RUNNER_LEASE_MS: '2000',
      SIM_CHECKPOINT_INTERVAL_MS: '200',
    });
    const watch = new SimulationWatch();
    try {
      const server = await setup.start();
      let jobsSent = 0;
      const traffic = (worker: number, i: number): LoadRequest => {
        if (worker === 0 && i % 5 === 0 && jobsSent < JOBS) {
          jobsSent += 1;
          return { method: 'POST', path: '/simulations', body: simulationBody(jobsSent, 2) };
        }
        return i % 3 === 0
          ? {
              method: 'POST',
              path: `/leads/load-${worker}`,
              body: JSON.stringify({ name: 'Ada Lovelace', email: 'ada@example.com' }),
            }
          : { method: 'GET', path: `/leads/load-${worker}` };
      };
      const load = new Load(server.port, WORKERS, traffic);
      await sleep(BEFORE_SIGNAL_MS);
      const signalledAt = Date.now();
      server.child.kill('SIGTERM');
      await healthCheckUntilOut(server.port, { intervalMs: 100, unhealthyAfter: 2, giveUpMs: 15_000 });
      await load.stop();
      await server.exited;
      const exitedAt = Date.now();
      const ids = load.answers
        .filter((a) => a.status === 202)
        .map((a) => (JSON.parse(a.body) as { id: string }).id);
      for (const id of ids) watch.watch(id);
      const replacement = await setup.start();
      const jobs = await settleJobs(replacement.port, ids, watch, 90_000);
      const before = load.tally(0, signalledAt);
      const after = load.tally(signalledAt);
      return [
        {
          scenario: 'SIGTERM under load',
          runtime: 'ecs',
          answered: after.answered,
          slowestMs: after.slowestMs,
          recoverMs: jobs.tally.stranded === 0 ? jobs.endedAt - exitedAt : null,
          shutdownMs: exitedAt - signalledAt,
          jobs: jobs.tally,
          baseline: {
            label: 'slowest answer before SIGTERM',
            value: before.slowestMs,
            ratio: after.slowestMs / Math.max(1, before.slowestMs),
          },
          note: `answers counted from SIGTERM until the health check took the target out; recover: from exit to every accepted job ended on the replacement (its start included); ${before.answered['2xx'] + before.answered['4xx']} answers before the signal`,
        },
      ];
    } finally {
      watch.stop();
      await setup.destroy();
    }
  },
};
