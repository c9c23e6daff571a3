import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { LocalTaskRunner } from '../../app/jobs/local-task-runner.js';
import type { TaskLaunch, TaskStopped } from '../../app/jobs/task-runner.js';
import { simulationProcesses } from '../helpers/simulation-processes.js';
import { silentLogger, waitFor } from './support/harness.js';

/** A program that never ends by itself and knows nothing of the job's socket it is handed. */
const program = { file: process.execPath, args: ['-e', 'setInterval(() => {}, 1000)'] };

function launchOf(jobId: string, attempt: number): TaskLaunch {
  return {
    jobId,
    attempt,
    launch: 'primary',
    clientToken: `${jobId}-a${attempt}`,
    environment: {
      JOB_ID: jobId,
      INPUT_URI: 'file:///nowhere/in.json',
      OUTPUT_URI: 'file:///nowhere/out.json',
    },
  };
}

/** Two runners on one host, as two servers on one machine (a dead one's orphan, the next one). */
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

  it('starts a later attempt only once the earlier process has exited', async () => {
    // Prepare: attempt 1 just started under runner A (its program may not even have loaded).
    const jobId = randomUUID();
    const stopsA: TaskStopped[] = [];
    const a = runner(stopsA);
    const b = runner();
    const first = await a.launch(launchOf(jobId, 1));
    if (first.kind !== 'started') throw new Error(`attempt 1 did not start: ${first.kind}`);

    // Act 1: runner B launches attempt 2 while attempt 1 lives.
    const refused = await b.launch(launchOf(jobId, 2));

    // Assess 1: refused after waiting; attempt 1 runs alone, untouched.
    expect(refused).toMatchObject({ kind: 'error', reason: expect.stringContaining('still running') });
    expect(simulationProcesses(new Set([jobId]))).toHaveLength(1);
    expect(stopsA).toEqual([]);

    // Act 2: attempt 1 ends; runner B tries again.
    await a.stop(first.taskArn, 'test');
    await waitFor(() => stopsA.length === 1, 5_000, 'attempt 1 to end');
    const second = await b.launch(launchOf(jobId, 2));

    // Assess 2: attempt 2 started, alone.
    expect(second.kind).toBe('started');
    expect(simulationProcesses(new Set([jobId]))).toHaveLength(1);
  }, 30_000);

  it('does not start a later attempt while the earlier process is frozen', async () => {
    // Prepare: attempt 1 running, then stopped by SIGSTOP.
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
