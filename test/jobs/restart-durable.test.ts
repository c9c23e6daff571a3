import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { bullPrefix, QUEUE_NAME } from '../../app/jobs/durable-queue.js';
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
  readonly history: readonly { attempt: number; reason: string }[];
}

async function api<T>(
  port: number,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as T };
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * The embedded mode with Redis, through a crash: the server is SIGKILLed with simulations
 * running and jobs queued behind them, and another server is started on the same Redis.
 */
describe('embedded jobs with Redis survive a SIGKILL of their server', () => {
  let redis: PrivateRedis | undefined;
  let dataDir: string | undefined;
  const servers: ServerProcess[] = [];
  let watch: SimulationWatch | undefined;

  afterEach(async () => {
    watch?.stop();
    for (const server of servers.splice(0)) server.child.kill('SIGKILL');
    await redis?.destroy();
    redis = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('kills the children with the server, and the next server finishes every job exactly once', async () => {
    // Prepare: 2 simulations at a time, 4 jobs of about 2 s each, checkpoints every 100 ms, a
    // 2 s runner lease (how long a dead server's jobs wait before another takes them over).
    redis = await PrivateRedis.start();
    dataDir = await mkdtemp(join(tmpdir(), 'durable-restart-'));
    const env = {
      REDIS_URL: redis.url,
      JOBS_DATA_DIR: dataDir,
      JOBS_LOCAL_MAX_RUNNING: '2',
      JOBS_RUNNER_LEASE_MS: '2000',
      SIM_CHECKPOINT_INTERVAL_MS: '100',
      // Long enough to be interrupted on a fast machine too (the model alone takes ~0.2 s).
      SIM_SLICE_PAUSE_MS: '60',
      RATE_LIMIT_JOBS_ANONYMOUS: '1000',
      RATE_LIMIT_STANDARD_ANONYMOUS: '100000',
      SHUTDOWN_DRAIN_MS: '0',
    };
    const first = await startServerProcess(env);
    servers.push(first);
    watch = new SimulationWatch();
    const inputs = Array.from({ length: 4 }, (_, i) => ({
      ...sampleInput,
      timeStepS: 1e-5,
      angleDeg: 20 + i * 10,
    }));
    const ids: string[] = [];
    for (const input of inputs) {
      const created = await api<JobView>(first.port, 'POST', '/simulations', input);
      expect(created.status).toBe(202);
      ids.push(created.body.id);
      watch.watch(created.body.id);
    }
    const jobIds = new Set(ids);
    const w = watch;
    // Both processes alive and both recorded `running`: a process is spawned before its task is
    // recorded, and on a loaded machine that write can lag the spawn by far.
    await waitFor(
      async () => {
        if (w.sample().length !== 2) return false;
        const statuses = await Promise.all(
          ids.map(async (id) => (await api<JobView>(first.port, 'GET', `/simulations/${id}`)).body.status),
        );
        return statuses.filter((status) => status === 'running').length === 2;
      },
      20_000,
      'two simulations running',
    );
    await sleep(500);

    // Act 1: the server dies without a word.
    first.child.kill('SIGKILL');
    await first.exited;

    // Assess 1: its simulations stop by themselves (their stdin pipe closed), no orphan is left.
    await waitFor(() => simulationProcesses(jobIds).length === 0, 5_000, 'the orphans to exit');

    // Act 2: a new server on the same Redis.
    const second = await startServerProcess(env);
    servers.push(second);
    const views = new Map<string, JobView>();
    await waitFor(
      async () => {
        for (const id of ids)
          views.set(id, (await api<JobView>(second.port, 'GET', `/simulations/${id}`)).body);
        await sleep(200);
        return [...views.values()].every((v) => TERMINAL.has(v.status));
      },
      60_000,
      'every job to end',
    );
    watch.stop();

    // Assess 2: every job succeeded with the uninterrupted result; none ever ran in two processes
    // at once; the interrupted ones resumed once as their next attempt; no message is left.
    const final = ids.map((id) => views.get(id));
    expect(final.map((v) => v?.status)).toEqual(ids.map(() => 'succeeded'));
    expect(watch.ranTwiceAtOnce()).toEqual([]);
    const interrupted = final.filter((v) => (v?.history.length ?? 0) > 0);
    expect(interrupted.length).toBe(2);
    for (const view of interrupted) {
      expect(view?.attempts).toBe(2);
      expect(view?.history[0]?.reason).toContain('died');
      expect(watch.processesOf(view?.id ?? '')).toBe(2);
    }
    for (const view of final.filter((v) => v?.history.length === 0)) {
      expect(view?.attempts).toBe(1);
      expect(watch.processesOf(view?.id ?? '')).toBe(1);
    }
    for (const [i, id] of ids.entries()) {
      const parsed = simulationInputSchema.parse(inputs[i]);
      const expected = resultOf(advance(parsed, initialState(parsed), Number.MAX_SAFE_INTEGER));
      const written = await api<{ result: unknown }>(second.port, 'GET', `/simulations/${id}/result`);
      expect(written.status).toBe(200);
      expect(written.body.result).toEqual(expected);
    }
    const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
    const queue = new Queue(QUEUE_NAME, { connection, prefix: bullPrefix('api:') });
    const counts = await queue.getJobCounts('wait', 'active', 'delayed', 'failed', 'prioritized');
    await queue.close();
    connection.disconnect();
    expect(counts).toEqual({ wait: 0, active: 0, delayed: 0, failed: 0, prioritized: 0 });
  }, 120_000);

  it('on SIGTERM launches nothing more, records each stop before closing, and the next server resumes', async () => {
    // Prepare: two long simulations running (about 4 s each), a 1 s drain.
    redis = await PrivateRedis.start();
    dataDir = await mkdtemp(join(tmpdir(), 'durable-sigterm-'));
    const env = {
      REDIS_URL: redis.url,
      JOBS_DATA_DIR: dataDir,
      JOBS_LOCAL_MAX_RUNNING: '3',
      JOBS_RUNNER_LEASE_MS: '2000',
      SIM_CHECKPOINT_INTERVAL_MS: '100',
      // Long enough to be interrupted on a fast machine too (the model alone takes ~0.2 s).
      SIM_SLICE_PAUSE_MS: '60',
      RATE_LIMIT_STANDARD_ANONYMOUS: '100000',
      SHUTDOWN_DRAIN_MS: '1000',
      SHUTDOWN_TIMEOUT_MS: '10000',
    };
    const first = await startServerProcess(env);
    servers.push(first);
    watch = new SimulationWatch();
    const inputs = Array.from({ length: 3 }, (_, i) => ({
      ...sampleInput,
      timeStepS: 4e-6,
      angleDeg: 30 + i * 10,
    }));
    const ids: string[] = [];
    for (const input of inputs.slice(0, 2)) {
      const created = await api<JobView>(first.port, 'POST', '/simulations', input);
      ids.push(created.body.id);
      watch.watch(created.body.id);
    }
    const w = watch;
    await waitFor(() => w.sample().length === 2, 20_000, 'two simulations running');

    // Act: SIGTERM, and a job accepted while the server drains.
    first.child.kill('SIGTERM');
    await sleep(200);
    const late = await api<JobView>(first.port, 'POST', '/simulations', inputs[2]);
    ids.push(late.body.id);
    watch.watch(late.body.id);
    const exitCode = await first.exited;

    // Assess 1: nothing was launched during the drain, and every stop was recorded before Redis
    // closed: the interrupted jobs wait as their next attempt, the late one as its first.
    expect(exitCode).toBe(0);
    expect(late.status).toBe(202);
    expect(watch.processesOf(late.body.id)).toBe(0);
    expect(simulationProcesses(new Set(ids))).toEqual([]);
    const store = new Redis(redis.url);
    const records = await Promise.all(
      ids.map(
        async (id) =>
          JSON.parse((await store.get(`api:job:${id}`)) ?? '{}') as {
            status: string;
            attempt: number;
            history: { reason: string }[];
          },
      ),
    );
    store.disconnect();
    expect(records.map((r) => [r.status, r.attempt])).toEqual([
      ['queued', 2],
      ['queued', 2],
      ['queued', 1],
    ]);
    expect(records[0]?.history[0]?.reason).toContain('TerminationNotice');

    // Act 2: the next server.
    const second = await startServerProcess(env);
    servers.push(second);
    const views = new Map<string, JobView>();
    await waitFor(
      async () => {
        for (const id of ids)
          views.set(id, (await api<JobView>(second.port, 'GET', `/simulations/${id}`)).body);
        await sleep(200);
        return [...views.values()].every((v) => TERMINAL.has(v.status));
      },
      60_000,
      'every job to end',
    );
    watch.stop();

    // Assess 2
    expect(ids.map((id) => views.get(id)?.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(watch.ranTwiceAtOnce()).toEqual([]);
  }, 120_000);
});
