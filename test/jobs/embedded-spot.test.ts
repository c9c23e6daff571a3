import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { createJobsRuntime, type JobsRuntime } from '../../app/jobs/jobs-runtime.js';
import { LocalTaskRunner } from '../../app/jobs/local-task-runner.js';
import { simulationInputSchema } from '../../app/jobs/simulation/input.js';
import { advance, initialState, resultOf } from '../../app/jobs/simulation/model.js';
import { sampleInput, silentLogger, waitFor } from './support/harness.js';

/**
 * End to end with the embedded parts and the real simulation program: a Spot interruption
 * requeues the job, and the next attempt resumes from the checkpoint to the exact result.
 */
describe('embedded jobs: Spot interruption with the real program', () => {
  let runtime: JobsRuntime | undefined;
  let dir: string | undefined;
  const savedInterval = process.env.SIM_CHECKPOINT_INTERVAL_MS;

  afterEach(async () => {
    await runtime?.close();
    runtime = undefined;
    if (dir) await rm(dir, { recursive: true, force: true });
    if (savedInterval === undefined) delete process.env.SIM_CHECKPOINT_INTERVAL_MS;
    else process.env.SIM_CHECKPOINT_INTERVAL_MS = savedInterval;
  });

  it('requeues the interrupted attempt and the next one resumes to the uninterrupted result', async () => {
    // Prepare: the embedded runtime `npm start` uses; checkpoints every 100 ms (the child inherits it).
    process.env.SIM_CHECKPOINT_INTERVAL_MS = '100';
    dir = await mkdtemp(join(tmpdir(), 'embedded-spot-'));
    runtime = createJobsRuntime(loadConfig({ LOG_LEVEL: 'silent', JOBS_DATA_DIR: dir }).jobs, {
      redis: undefined,
      keyPrefix: '',
      logger: silentLogger,
    });
    const input = { ...sampleInput, speedMS: 60, timeStepS: 2e-6, maxTimeS: 20 };
    const { job } = await runtime.service.create(input, {});
    const rt = runtime;
    await waitFor(async () => (await rt.store.get(job.id))?.status === 'running', 20_000, 'running');
    const checkpoint = fileURLToPath(`${job.outputUri}.checkpoint.json`);
    await waitFor(() => existsSync(checkpoint), 20_000, 'a checkpoint');
    const first = await rt.store.get(job.id);

    // Act
    if (!(rt.runner instanceof LocalTaskRunner)) throw new Error('expected the local runner');
    rt.runner.interrupt(first?.taskArn ?? '');
    await waitFor(
      async () => {
        const status = (await rt.store.get(job.id))?.status;
        return status === 'succeeded' || status === 'failed';
      },
      30_000,
      'the job to end',
    );

    // Assess
    const final = await rt.store.get(job.id);
    expect(final?.status).toBe('succeeded');
    expect(final?.attempt).toBe(2);
    expect(final?.history[0]?.reason).toContain('SpotInterruption');
    const parsed = simulationInputSchema.parse(input);
    const expected = resultOf(advance(parsed, initialState(parsed), Number.MAX_SAFE_INTEGER));
    const output = JSON.parse(await readFile(fileURLToPath(job.outputUri), 'utf8'));
    expect(output.result).toEqual(expected);
  });
});
