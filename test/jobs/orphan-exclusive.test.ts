import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { simulationInputSchema } from '../../app/jobs/simulation/input.js';
import { advance, initialState, resultOf } from '../../app/jobs/simulation/model.js';
import { PrivateRedis } from '../helpers/redis-server.js';
import { SimulationWatch, simulationProcesses } from '../helpers/simulation-processes.js';
import { type ServerProcess, startServerProcess } from '../shutdown/server-process.js';
import { sampleInput, waitFor } from './support/harness.js';

interface JobView {
  readonly id: string;
  readonly status: string;
  readonly attempts: number;
}

async function api<T>(port: number, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return (await res.json()) as T;
}

/**
 * "Never run twice" must not rest on an orphan dying before the lease runs out. Here the orphan
 * of a SIGKILLed server cannot die at all for a while: it is frozen (SIGSTOP) before its server
 * is killed, so it outlives the lease by far, and the next server takes its job over.
 */
describe('an orphan slow to die keeps its job from running twice', () => {
  let redis: PrivateRedis | undefined;
  let dataDir: string | undefined;
  let orphan: number | undefined;
  const servers: ServerProcess[] = [];
  let watch: SimulationWatch | undefined;

  afterEach(async () => {
    watch?.stop();
    if (orphan !== undefined) {
      try {
        process.kill(orphan, 'SIGKILL');
      } catch {
        // gone already
      }
    }
    for (const server of servers.splice(0)) server.child.kill('SIGKILL');
    await redis?.destroy();
    redis = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('waits for the frozen orphan, then resumes the job once it is gone, with the uninterrupted result', async () => {
    // Prepare: one job of a few seconds on a server with a 1 s runner lease; its simulation runs.
    // Long enough (about a million steps) that it is still running 300 ms after it was first seen:
    // with 1e-5 s steps a fast machine sometimes finished it before it could be frozen.
    redis = await PrivateRedis.start();
    dataDir = await mkdtemp(join(tmpdir(), 'orphan-exclusive-'));
    const env = {
      REDIS_URL: redis.url,
      JOBS_DATA_DIR: dataDir,
      JOBS_LOCAL_MAX_RUNNING: '1',
      JOBS_RUNNER_LEASE_MS: '1000',
      SIM_CHECKPOINT_INTERVAL_MS: '100',
      RATE_LIMIT_STANDARD_ANONYMOUS: '100000',
      SHUTDOWN_DRAIN_MS: '0',
    };
    const first = await startServerProcess(env);
    servers.push(first);
    watch = new SimulationWatch();
    const input = { ...sampleInput, timeStepS: 4e-6, angleDeg: 35 };
    const { id } = await api<JobView>(first.port, 'POST', '/simulations', input);
    watch.watch(id);
    await waitFor(() => simulationProcesses(new Set([id])).length === 1, 20_000, 'the simulation to run');
    await sleep(300);
    orphan = simulationProcesses(new Set([id]))[0]?.pid;
    expect(orphan).toBeDefined();

    // Act 1: the simulation freezes, its server dies, and the next server takes the job over.
    process.kill(orphan as number, 'SIGSTOP');
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await startServerProcess(env);
    servers.push(second);
    await waitFor(
      async () => (await api<JobView>(second.port, 'GET', `/simulations/${id}`)).attempts === 2,
      30_000,
      'the job to be taken over as attempt 2',
    );
    // Long enough for the pacer to have launched attempt 2 several times over.
    await sleep(4_000);

    // Assess 1: attempt 2 has not started beside the live orphan.
    expect(watch.processesOf(id)).toBe(1);
    expect(watch.ranTwiceAtOnce()).toEqual([]);

    // Act 2: the orphan thaws, finds its server gone (stdin closed), checkpoints and exits.
    process.kill(orphan as number, 'SIGCONT');
    let view: JobView | undefined;
    await waitFor(
      async () => {
        view = await api<JobView>(second.port, 'GET', `/simulations/${id}`);
        await sleep(200);
        return ['succeeded', 'failed', 'cancelled'].includes(view.status);
      },
      60_000,
      'the job to end',
    );
    watch.stop();

    // Assess 2: attempt 2 ran after the orphan was gone, never beside it, and its result is the
    // one an uninterrupted run gives.
    expect(view?.status).toBe('succeeded');
    expect(view?.attempts).toBe(2);
    expect(watch.ranTwiceAtOnce()).toEqual([]);
    expect(watch.processesOf(id)).toBe(2);
    const parsed = simulationInputSchema.parse(input);
    const expected = resultOf(advance(parsed, initialState(parsed), Number.MAX_SAFE_INTEGER));
    const written = await api<{ result: unknown }>(second.port, 'GET', `/simulations/${id}/result`);
    expect(written.result).toEqual(expected);
  }, 120_000);
});
