import { createHash } from 'node:crypto';
import { setTimeout as pause, setImmediate as yieldToEvents } from 'node:timers/promises';
import { createAwsClients } from '../aws-clients.js';
import { checkpointUriFor } from '../checkpoint.js';
import { LocalDirectoryObjectStore, SchemeObjectStore } from '../object-store.js';
import { S3ObjectStore } from '../s3-object-store.js';
import { whenParentGone } from './exit-with-parent.js';
import { simulationInputSchema } from './input.js';
import { advance, initialState, resultOf, type SimulationState } from './model.js';

/**
 * The simulation program: the stand-in for your own container image. It keeps the contract a
 * Fargate task gets from the pacer, so replacing it means honouring the same four points:
 *
 * - environment: `JOB_ID`, `INPUT_URI` (the validated input JSON), `OUTPUT_URI` (where the
 *   result goes); `s3://` on AWS, `file://` locally;
 * - exit code 0 only when the result is written; anything else is a failure with its reason;
 * - progress is checkpointed (`OUTPUT_URI` + `.checkpoint.json`) and a rerun resumes from it,
 *   so a task requeued after a Spot interruption does not start over;
 * - SIGTERM (ECS stop, Spot's two-minute notice) writes a checkpoint and exits 143 promptly
 *   (run locally, so does its server dying: see exit-with-parent.ts).
 *
 * The computation is a projectile with quadratic drag integrated with RK4: small, real and
 * deterministic, so a resumed run writes exactly the result an uninterrupted one would.
 */

const STEPS_PER_SLICE = 20_000;
export const EXIT_TERMINATED = 143;
export const EXIT_BAD_INPUT = 2;

interface Checkpoint {
  readonly inputSha256: string;
  readonly state: SimulationState;
}

function log(fields: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify({ time: new Date().toISOString(), ...fields })}\n`);
}

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) {
    log({ level: 'error', msg: `${name} is required` });
    process.exit(EXIT_BAD_INPUT);
  }
  return value;
}

async function main(): Promise<number> {
  const jobId = requiredEnv('JOB_ID');
  const inputUri = requiredEnv('INPUT_URI');
  const outputUri = requiredEnv('OUTPUT_URI');
  const checkpointUri = process.env.CHECKPOINT_URI || checkpointUriFor(outputUri);
  const checkpointEveryMs = Number(process.env.SIM_CHECKPOINT_INTERVAL_MS || 1_000);
  // A pause between slices makes a short model run as long as a real job does, so interruption
  // (SIGTERM, Spot, a dying server) can be exercised on any machine, however fast. 0 in production.
  const slicePauseMs = Number(process.env.SIM_SLICE_PAUSE_MS || 0);

  let terminating = false;
  process.once('SIGTERM', () => {
    terminating = true;
  });
  // Run locally, the server dying stops the program as SIGTERM does (exit-with-parent.ts).
  whenParentGone(() => {
    terminating = true;
  });

  let s3: S3ObjectStore | undefined;
  const store = new SchemeObjectStore({
    file: new LocalDirectoryObjectStore('.'),
    s3: () => {
      // Path-style when pointed at a local endpoint, as every other S3 client of the project.
      s3 ??= new S3ObjectStore(createAwsClients().s3, 'unused');
      return s3;
    },
  });

  if ((await store.get(outputUri)) !== undefined) {
    log({ level: 'info', msg: 'result already written', jobId });
    return 0;
  }
  const raw = await store.get(inputUri);
  if (raw === undefined) {
    log({ level: 'error', msg: `no input at ${inputUri}`, jobId });
    return EXIT_BAD_INPUT;
  }
  let parsedJson: unknown;
  try {
    parsedJson = JSON.parse(raw);
  } catch {
    log({ level: 'error', msg: 'input is not JSON', jobId });
    return EXIT_BAD_INPUT;
  }
  const parsed = simulationInputSchema.safeParse(parsedJson);
  if (!parsed.success) {
    log({ level: 'error', msg: 'invalid input', issues: parsed.error.issues, jobId });
    return EXIT_BAD_INPUT;
  }
  const input = parsed.data;
  const inputSha256 = createHash('sha256').update(raw).digest('hex');

  let state = initialState(input);
  const saved = await store.get(checkpointUri);
  if (saved !== undefined) {
    try {
      const checkpoint = JSON.parse(saved) as Checkpoint;
      if (checkpoint.inputSha256 === inputSha256) {
        state = checkpoint.state;
        log({ level: 'info', msg: 'resuming from checkpoint', jobId, step: state.step });
      }
    } catch {
      log({ level: 'warn', msg: 'unreadable checkpoint ignored', jobId });
    }
  }

  const writeCheckpoint = () =>
    store.put(checkpointUri, JSON.stringify({ inputSha256, state } satisfies Checkpoint));
  let lastCheckpoint = Date.now();
  while (!state.done) {
    state = advance(input, state, STEPS_PER_SLICE);
    // Yielding lets the SIGTERM handler run between slices.
    await (slicePauseMs > 0 ? pause(slicePauseMs) : yieldToEvents());
    if (terminating) {
      await writeCheckpoint();
      log({ level: 'info', msg: 'terminated; checkpoint written', jobId, step: state.step });
      return EXIT_TERMINATED;
    }
    if (Date.now() - lastCheckpoint >= checkpointEveryMs) {
      await writeCheckpoint();
      lastCheckpoint = Date.now();
    }
  }
  await store.put(outputUri, JSON.stringify({ jobId, result: resultOf(state) }));
  // The result is what counts; a checkpoint left behind is deleted by the task-events handler.
  await store.delete(checkpointUri).catch((error: unknown) => {
    log({
      level: 'warn',
      msg: `checkpoint not deleted: ${error instanceof Error ? error.message : String(error)}`,
      jobId,
    });
  });
  log({ level: 'info', msg: 'done', jobId, steps: state.step });
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log({ level: 'error', msg: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  },
);
