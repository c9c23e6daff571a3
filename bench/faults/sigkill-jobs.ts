import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { SimulationWatch, simulationProcesses } from '../../test/helpers/simulation-processes.js';
import { settleJobs, simulationBody } from './support/jobs.js';
import { send } from './support/load.js';
import { count, emptyTally, type FaultRow, type FaultScenario } from './support/matrix.js';
import { setUp } from './support/servers.js';

const JOBS = 6;
const SLOTS = 2;
const LEASE_MS = 2_000;

/** Submits the jobs, optionally SIGKILLs the server once two are running, and settles them. */
async function runJobs(kill: boolean) {
  const setup = await setUp({
    JOBS_LOCAL_MAX_RUNNING: String(SLOTS),
    JOBS_RUNNER_LEASE_MS: String(LEASE_MS),
    SIM_CHECKPOINT_INTERVAL_MS: '200',
    SHUTDOWN_DRAIN_MS: '0',
  });
  const watch = new SimulationWatch();
  const agent = new Agent({ keepAlive: true });
  try {
    let server = await setup.start();
    const answered = emptyTally();
    let slowestMs = 0;
    const ids: string[] = [];
    const startedAt = Date.now();
    for (let i = 0; i < JOBS; i += 1) {
      const answer = await send(
        server.port,
        { method: 'POST', path: '/simulations', body: simulationBody(i, 2) },
        agent,
      );
      count(answered, answer.status);
      slowestMs = Math.max(slowestMs, answer.ms);
      if (answer.status === 202) {
        const id = (JSON.parse(answer.body) as { id: string }).id;
        ids.push(id);
        watch.watch(id);
      }
    }
    let orphansAfterKill = 0;
    let killedAt = startedAt;
    if (kill) {
      while (watch.sample().length < SLOTS) await sleep(20);
      await sleep(800);
      killedAt = Date.now();
      server.child.kill('SIGKILL');
      await server.exited;
      agent.destroy();
      await sleep(1_000);
      orphansAfterKill = simulationProcesses(new Set(ids)).length;
      server = await setup.start();
    }
    const jobs = await settleJobs(server.port, ids, watch, 120_000);
    return {
      answered,
      slowestMs,
      jobs,
      elapsedMs: jobs.endedAt - killedAt,
      orphansAfterKill,
      totalMs: jobs.endedAt - startedAt,
    };
  } finally {
    agent.destroy();
    watch.stop();
    await setup.destroy();
  }
}

export const scenario: FaultScenario = {
  name: 'sigkill-jobs',
  description: `${JOBS} simulations of ~2 s, ${SLOTS} at a time, the server SIGKILLed once ${SLOTS} run, a new one started on the same Redis (runner lease ${LEASE_MS} ms); baseline: the same jobs without the kill`,
  async run(): Promise<FaultRow[]> {
    const baseline = await runJobs(false);
    const fault = await runJobs(true);
    return [
      {
        scenario: 'SIGKILL with jobs running',
        runtime: 'ecs',
        answered: fault.answered,
        slowestMs: fault.slowestMs,
        recoverMs: fault.jobs.tally.stranded === 0 ? fault.elapsedMs : null,
        shutdownMs: null,
        jobs: fault.jobs.tally,
        baseline: {
          label: 'all jobs done without the kill',
          value: baseline.totalMs,
          ratio: fault.totalMs / baseline.totalMs,
        },
        note: `${fault.orphansAfterKill} simulation processes still alive 1 s after the SIGKILL; recover: from the kill to every job ended (restart, lease expiry and the resumed work included); ratio compares submission to all done`,
      },
    ];
  },
};
