import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { attemptLockAddress, contactHolder } from '../../app/jobs/attempt-lock.js';
import { LocalTaskRunner } from '../../app/jobs/local-task-runner.js';
import type { TaskLaunch, TaskStopped } from '../../app/jobs/task-runner.js';
import { simulationProcesses } from '../helpers/simulation-processes.js';
import { silentLogger, waitFor } from './support/harness.js';

const preload = new URL('../../app/jobs/simulation/exclusive-attempt.ts', import.meta.url).href;
const exitWithParent = fileURLToPath(
  new URL('../../app/jobs/simulation/exit-with-parent.ts', import.meta.url),
);

/**
 * A program that runs until told to stop, with the runner's preload: it stops as the simulation
 * does when a later attempt asks for its job (exit 143) and otherwise never ends by itself.
 */
const program = {
  file: process.execPath,
  args: [
    '--import',
    'tsx',
    '--import',
    preload,
    '--input-type=module',
    '-e',
    `import { whenToldToStop } from ${JSON.stringify(exitWithParent)};
     whenToldToStop(() => process.exit(143));
     setInterval(() => {}, 1000);`,
  ],
};

function launchOf(jobId: string, attempt: number, token = `${jobId}-a${attempt}`): TaskLaunch {
  return {
    jobId,
    attempt,
    launch: 'primary',
    clientToken: token,
    environment: {
      JOB_ID: jobId,
      INPUT_URI: 'file:///nowhere/in.json',
      OUTPUT_URI: 'file:///nowhere/out.json',
    },
  };
}

describe('one process per job on a host, whichever runner starts it', () => {
  const runners: LocalTaskRunner[] = [];
  let frozen: number | undefined;

  afterEach(async () => {
    if (frozen !== undefined) process.kill(frozen, 'SIGCONT');
    frozen = undefined;
    await Promise.all(runners.splice(0).map((r) => r.close(2_000)));
  });

  function runner(stops: TaskStopped[] = []): LocalTaskRunner {
    const created = new LocalTaskRunner({
      logger: silentLogger,
      command: program,
      previousAttemptWaitMs: 1_000,
      onStopped: (stopped) => {
        stops.push(stopped);
      },
    });
    runners.push(created);
    return created;
  }

  it('refuses a second process of the same attempt, and stops the earlier attempt for a later one', async () => {
    // Prepare: attempt 1 of a job running under one runner.
    const jobId = randomUUID();
    const stopsA: TaskStopped[] = [];
    const a = runner(stopsA);
    const b = runner();
    const first = await a.launch(launchOf(jobId, 1));
    expect(first.kind).toBe('started');
    const address = attemptLockAddress(jobId) as string;
    await waitFor(
      async () => {
        const holder = await contactHolder(address, 1);
        return holder.kind === 'held' && holder.attempt === 1;
      },
      10_000,
      'attempt 1 to answer on its socket',
    );

    // Act 1: another runner launches the same attempt (another token).
    const same = await b.launch(launchOf(jobId, 1, `${jobId}-a1-other`));

    // Assess 1: refused; attempt 1 still runs alone.
    expect(same).toMatchObject({ kind: 'error', reason: expect.stringContaining('still running') });
    expect(simulationProcesses(new Set([jobId]))).toHaveLength(1);
    expect(stopsA).toEqual([]);

    // Act 2: attempt 2.
    const second = await b.launch(launchOf(jobId, 2));

    // Assess 2: attempt 1 was told to stop and had exited before attempt 2 started.
    expect(second.kind).toBe('started');
    await waitFor(() => stopsA.length === 1, 5_000, 'runner A to record its stop');
    expect(stopsA[0]?.exitCode).toBe(143);
    expect(simulationProcesses(new Set([jobId]))).toHaveLength(1);
  }, 30_000);

  it('does not start a later attempt while the earlier process is frozen', async () => {
    // Prepare: attempt 1 running, then stopped by SIGSTOP (it can answer nothing).
    const jobId = randomUUID();
    const a = runner();
    expect((await a.launch(launchOf(jobId, 1))).kind).toBe('started');
    await waitFor(() => simulationProcesses(new Set([jobId])).length === 1, 10_000, 'attempt 1 to run');
    frozen = simulationProcesses(new Set([jobId]))[0]?.pid;
    process.kill(frozen as number, 'SIGSTOP');

    // Act
    const second = await runner().launch(launchOf(jobId, 2));

    // Assess: refused, and only the frozen process exists.
    expect(second).toMatchObject({ kind: 'error' });
    expect(simulationProcesses(new Set([jobId])).map((p) => p.pid)).toEqual([frozen]);
  }, 30_000);
});
