import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ecsInvocationResolver } from '../../adapters/invocation.js';
import { createApp } from '../../app/create-app.js';
import type { Job } from '../../app/jobs/job.js';
import { InProcessQueue } from '../../app/jobs/job-queue.js';
import { MemoryJobStore } from '../../app/jobs/job-store.js';
import { JobsService } from '../../app/jobs/jobs-service.js';
import { LocalDirectoryObjectStore } from '../../app/jobs/object-store.js';
import { simulationInputSchema } from '../../app/jobs/simulation/input.js';
import { advance, initialState, resultOf } from '../../app/jobs/simulation/model.js';
import { MemoryLeadStore } from '../../app/leads/lead-store.js';
import { DrainState } from '../../app/readiness.js';
import { requestedWaitSeconds } from '../../handlers/prefer-wait.js';
import { sampleInput, silentLogger } from './support/harness.js';

/** A job store that counts reads, to show that waiting backs off instead of spinning. */
class CountingJobStore extends MemoryJobStore {
  reads = 0;
  override async get(jobId: string): Promise<Job | undefined> {
    this.reads += 1;
    return super.get(jobId);
  }
}

let dir: string;
let store: CountingJobStore;
let objects: LocalDirectoryObjectStore;
let queue: InProcessQueue;
let app: Express;
/** Job endings scheduled by a test; awaited before the next test replaces the store. */
let pending: Promise<void>[] = [];

function finishLater(jobId: string, ms: number): void {
  pending.push(new Promise((resolve, reject) => setTimeout(() => finish(jobId).then(resolve, reject), ms)));
}

/** Plays the simulation task and its STOPPED event: writes the result, then marks the job succeeded. */
async function finish(jobId: string, status: 'succeeded' | 'failed' = 'succeeded'): Promise<void> {
  const job = await store.get(jobId);
  if (!job) throw new Error(`no job ${jobId}`);
  if (status === 'succeeded') {
    const input = simulationInputSchema.parse(sampleInput);
    const state = advance(input, initialState(input), 1_000_000);
    await objects.put(job.outputUri, JSON.stringify({ jobId, result: resultOf(state) }));
  }
  await store.update(jobId, (j) => ({ ...j, status, finishedAt: new Date().toISOString() }));
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim-results-'));
  store = new CountingJobStore();
  objects = new LocalDirectoryObjectStore(dir);
  queue = new InProcessQueue();
  const jobs = new JobsService({
    jobs: store,
    queue,
    objects,
    runner: { stop: async () => {} },
    maxAttempts: 3,
    logger: silentLogger,
  });
  app = createApp(
    {
      leads: new MemoryLeadStore(),
      readiness: new DrainState(),
      logger: silentLogger,
      clock: () => new Date(),
      jobs,
    },
    {
      maxBodyBytes: 256 * 1024,
      resolveInvocation: ecsInvocationResolver({
        stage: 'test',
        functionName: 'api-test',
        trustForwardedFor: false,
      }),
    },
  );
});

afterEach(async () => {
  await Promise.all(pending);
  pending = [];
  queue.close();
  await rm(dir, { recursive: true, force: true });
});

describe('GET /simulations/:id/result', () => {
  it('answers 404 for an unknown job, 409 with the status while it runs, the JSON once it succeeded', async () => {
    // Prepare
    const created = (await request(app).post('/simulations').send(sampleInput)).body as { id: string };
    // Act
    const unknown = await request(app).get('/simulations/6f1c1d7e-1f0a-4f2b-9a57-3f3b0f0c2d11/result');
    const early = await request(app).get(`/simulations/${created.id}/result`);
    await finish(created.id);
    const done = await request(app).get(`/simulations/${created.id}/result`);
    // Assess
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('simulation_not_found');
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({
      code: 'simulation_not_finished',
      details: { status: 'queued' },
    });
    expect(early.headers.location).toBe(`/simulations/${created.id}`);
    expect(done.status).toBe(200);
    expect(done.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(done.body.jobId).toBe(created.id);
    expect(done.body.result.landed).toBe(true);
    expect(done.body.result.samples.length).toBeGreaterThan(10);
  });

  it('answers 404 with the status for a job that ended without a result', async () => {
    const created = (await request(app).post('/simulations').send(sampleInput)).body as { id: string };
    await request(app).delete(`/simulations/${created.id}`).expect(200);

    const response = await request(app).get(`/simulations/${created.id}/result`);

    expect(response.status).toBe(404);
    expect(response.body.error).toMatchObject({ code: 'result_not_found', details: { status: 'cancelled' } });
  });

  it('the largest result the input schema allows fits the ALB→Lambda 1 MB response limit', () => {
    // Prepare: 10,000 samples (the schema's maximum) of full-precision, signed, long numbers.
    const long = -123456.78901234567;
    const samples = Array.from({ length: 10_001 }, () => [long, long, long] as const);
    const body = JSON.stringify({
      jobId: '6f1c1d7e-1f0a-4f2b-9a57-3f3b0f0c2d11',
      result: { ...resultOf(initialState(simulationInputSchema.parse(sampleInput))), samples },
    });
    // Assess: 1 MB for the whole Lambda response (ELB guide, "Lambda functions as targets"),
    // leaving room for the headers and the response envelope.
    expect(Buffer.byteLength(body)).toBeLessThan(1_000_000 - 16 * 1024);
  });
});

describe('job bodies', () => {
  it('show no storage location, and link to the result route once succeeded', async () => {
    const created = await request(app).post('/simulations').send(sampleInput);
    await finish(created.body.id);
    const read = await request(app).get(`/simulations/${created.body.id}`);

    for (const body of [created.text, read.text]) {
      expect(body).not.toMatch(/inputUri|outputUri|file:|s3:|\.json/);
      expect(body).not.toContain(dir);
    }
    expect(created.body.result).toBeNull();
    expect(read.body.result).toEqual({ href: `/simulations/${created.body.id}/result` });
  });
});

describe('Prefer: wait', () => {
  it('holds GET until the job ends, and says so with Preference-Applied', async () => {
    // Prepare: the job ends 300 ms after the request starts.
    const created = (await request(app).post('/simulations').send(sampleInput)).body as { id: string };
    finishLater(created.id, 300);
    // Act
    const started = Date.now();
    const response = await request(app).get(`/simulations/${created.id}`).set('prefer', 'wait=10');
    const took = Date.now() - started;
    // Assess: answered when the job ended, well before the wait did.
    expect(response.status).toBe(200);
    expect(response.body.status).toBe('succeeded');
    expect(response.headers['preference-applied']).toBe('wait=10');
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(9_000);
  });

  it('answers with the current state when the wait ends first, reading the store with back-off', async () => {
    const created = (await request(app).post('/simulations').send(sampleInput)).body as { id: string };
    store.reads = 0;

    const started = Date.now();
    const response = await request(app)
      .get(`/simulations/${created.id}`)
      .set('prefer', 'respond-async, wait=2');
    const took = Date.now() - started;

    expect(response.body.status).toBe('queued');
    expect(response.headers['preference-applied']).toBe('wait=2');
    expect(took).toBeGreaterThanOrEqual(1_900);
    // 100, 150, 225 … 1,000 ms: 7 re-reads in 2 s, plus the first; a 10 ms loop would make 200.
    expect(store.reads).toBeLessThanOrEqual(10);
  });

  it('caps a long wait below the route deadline', async () => {
    const created = (await request(app).post('/simulations').send(sampleInput)).body as { id: string };
    finishLater(created.id, 100);

    const response = await request(app).get(`/simulations/${created.id}`).set('prefer', 'wait=3600');

    // The route's deadline is 20 s; 1 s is kept to answer in time (18 once a millisecond has passed).
    expect(response.headers['preference-applied']).toMatch(/^wait=1[89]$/);
    expect(response.body.status).toBe('succeeded');
  });

  it('POST answers 201 when the job ended within the wait, 202 without a wait', async () => {
    // Prepare: end every job 200 ms after it is queued.
    const original = store.create.bind(store);
    store.create = async (job) => {
      const stored = await original(job);
      finishLater(job.id, 200);
      return stored;
    };
    // Act
    const waited = await request(app).post('/simulations').set('prefer', 'wait=10').send(sampleInput);
    const plain = await request(app).post('/simulations').send(sampleInput);
    // Assess
    expect(waited.status).toBe(201);
    expect(waited.body.status).toBe('succeeded');
    expect(waited.headers.location).toBe(`/simulations/${waited.body.id}`);
    expect(waited.headers['preference-applied']).toBe('wait=10');
    expect(plain.status).toBe(202);
    expect(plain.headers['preference-applied']).toBeUndefined();
  });

  it.each([
    ['wait=5', 5],
    ['WAIT = 7', 7],
    ['wait="3"', 3],
    ['respond-async, wait=4', 4],
    ['wait=2, wait=9', 2],
    ['handling=lenient; wait=4', undefined],
    ['wait=soon', undefined],
    ['wait=-1', undefined],
    ['return=minimal', undefined],
  ])('reads %j as %j', (value, expected) => {
    expect(requestedWaitSeconds({ headers: { Prefer: value }, multiValueHeaders: {} })).toBe(expected);
  });
});
