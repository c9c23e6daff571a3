import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type SimulationInput, simulationInputSchema } from '../../app/jobs/simulation/input.js';
import { advance, initialState, resultOf } from '../../app/jobs/simulation/model.js';
import { sampleInput, waitFor } from './support/harness.js';
import { killProcess } from './support/pacer-process.js';

const PROGRAM = fileURLToPath(new URL('../../app/jobs/simulation/main.ts', import.meta.url));

function finish(input: SimulationInput) {
  return resultOf(advance(input, initialState(input), Number.MAX_SAFE_INTEGER));
}

describe('simulation model', () => {
  it('matches the drag-free closed form', () => {
    const input = simulationInputSchema.parse({ ...sampleInput, dragCoefficient: 0, timeStepS: 1e-4 });

    const result = finish(input);

    const expected = (input.speedMS ** 2 * Math.sin((2 * input.angleDeg * Math.PI) / 180)) / input.gravityMS2;
    expect(result.landed).toBe(true);
    expect(Math.abs(result.rangeM - expected) / expected).toBeLessThan(1e-6);
  });

  it('gives the same result in one go or in slices (what resuming from a checkpoint relies on)', () => {
    const input = simulationInputSchema.parse(sampleInput);
    let state = initialState(input);
    while (!state.done) state = JSON.parse(JSON.stringify(advance(input, state, 777)));

    expect(resultOf(state)).toEqual(finish(input));
    expect(finish(input).rangeM).toBeLessThan(finish({ ...input, dragCoefficient: 0 }).rangeM);
  });
});

describe('simulation program', () => {
  const children: ChildProcess[] = [];
  let dir: string | undefined;

  afterEach(async () => {
    for (const child of children.splice(0)) await killProcess(child);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  function run(env: Record<string, string>): {
    child: ChildProcess;
    exit: Promise<number | null>;
    output: () => string;
  } {
    const child = spawn(process.execPath, ['--import', 'tsx', PROGRAM], {
      env: { PATH: process.env.PATH, NODE_NO_WARNINGS: '1', ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    children.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    return {
      child,
      exit: new Promise((resolve) => child.once('close', (code) => resolve(code))),
      output: () => output,
    };
  }

  it('checkpoints on SIGTERM, exits 143, and a rerun resumes to the uninterrupted result', async () => {
    // Prepare: an input long enough (millions of steps) to be interrupted.
    dir = await mkdtemp(join(tmpdir(), 'sim-program-'));
    const input = { ...sampleInput, speedMS: 60, timeStepS: 2e-6, maxTimeS: 20 };
    const inputPath = join(dir, 'input.json');
    await writeFile(inputPath, JSON.stringify(input));
    const outputPath = join(dir, 'result.json');
    const env = {
      JOB_ID: 'job-1',
      INPUT_URI: pathToFileURL(inputPath).href,
      OUTPUT_URI: pathToFileURL(outputPath).href,
      SIM_CHECKPOINT_INTERVAL_MS: '100',
    };
    const checkpoint = `${outputPath}.checkpoint.json`;

    // Act: interrupt once a checkpoint exists, then run again.
    const first = run(env);
    await waitFor(() => existsSync(checkpoint), 20_000, 'a checkpoint');
    first.child.kill('SIGTERM');
    const firstExit = await first.exit;
    const saved = JSON.parse(await readFile(checkpoint, 'utf8'));
    const rerun = run(env);
    const second = await rerun.exit;

    // Assess
    expect(firstExit).toBe(143);
    expect(saved.state.step).toBeGreaterThan(0);
    expect(second).toBe(0);
    expect(rerun.output()).toContain('resuming from checkpoint');
    const output = JSON.parse(await readFile(outputPath, 'utf8'));
    expect(output.result).toEqual(finish(simulationInputSchema.parse(input)));
    expect(existsSync(checkpoint)).toBe(false);
  });

  it('exits 2 on an invalid input, without writing a result', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sim-program-'));
    const inputPath = join(dir, 'input.json');
    await writeFile(inputPath, JSON.stringify({ model: 'projectile-drag', massKg: -1 }));

    const code = await run({
      JOB_ID: 'job-2',
      INPUT_URI: pathToFileURL(inputPath).href,
      OUTPUT_URI: pathToFileURL(join(dir, 'result.json')).href,
    }).exit;

    expect(code).toBe(2);
    expect(existsSync(join(dir, 'result.json'))).toBe(false);
  });
});
