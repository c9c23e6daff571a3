import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ecsInvocationResolver } from '../../adapters/invocation.js';
import { loadConfig } from '../../app/config.js';
import { createApp } from '../../app/create-app.js';
import { InProcessQueue } from '../../app/jobs/job-queue.js';
import { MemoryJobStore } from '../../app/jobs/job-store.js';
import { JobsService } from '../../app/jobs/jobs-service.js';
import { LocalDirectoryObjectStore } from '../../app/jobs/object-store.js';
import { MemoryLeadStore } from '../../app/leads/lead-store.js';
import { DrainState } from '../../app/readiness.js';
import { createRuntimeDeps, type RuntimeDeps } from '../../app/runtime-deps.js';
import type { HandlerDeps } from '../../handlers/types.js';
import { sampleInput, silentLogger, waitFor } from './support/harness.js';

const resolveInvocation = ecsInvocationResolver({
  stage: 'test',
  functionName: 'api-test',
  trustForwardedFor: false,
});

function appWith(jobs: HandlerDeps['jobs']): Express {
  const deps: HandlerDeps = {
    leads: new MemoryLeadStore(),
    readiness: new DrainState(),
    logger: silentLogger,
    clock: () => new Date(),
    ...(jobs ? { jobs } : {}),
  };
  return createApp(deps, { resolveInvocation, maxBodyBytes: 256 * 1024 });
}

let dir: string;
let app: Express;
let queue: InProcessQueue;
let stopped: string[];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sim-api-'));
  queue = new InProcessQueue();
  stopped = [];
  app = appWith(
    new JobsService({
      jobs: new MemoryJobStore(),
      queue,
      objects: new LocalDirectoryObjectStore(dir),
      runner: { stop: async (arn) => void stopped.push(arn) },
      maxAttempts: 3,
      logger: silentLogger,
    }),
  );
});

afterEach(async () => {
  queue.close();
  await rm(dir, { recursive: true, force: true });
});

describe('POST /simulations', () => {
  it('accepts a valid input with 202, the job and its Location, and queues it', async () => {
    const response = await request(app).post('/simulations').send(sampleInput);

    expect(response.status).toBe(202);
    expect(response.headers.location).toBe(`/simulations/${response.body.id}`);
    expect(response.body).toMatchObject({ status: 'queued', attempts: 1, taskArn: null, result: null });
    expect(queue.depth).toBe(1);
  });

  it('returns the same job for the same Idempotency-Key, and queues it once', async () => {
    const first = await request(app).post('/simulations').set('idempotency-key', 'order-7').send(sampleInput);
    const second = await request(app)
      .post('/simulations')
      .set('idempotency-key', 'order-7')
      .send(sampleInput);

    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(queue.depth).toBe(1);
  });

  it('answers 409 when an Idempotency-Key is reused with another input', async () => {
    await request(app).post('/simulations').set('idempotency-key', 'k-1').send(sampleInput);
    const response = await request(app)
      .post('/simulations')
      .set('idempotency-key', 'k-1')
      .send({ ...sampleInput, speedMS: 99 });

    expect(response.status).toBe(409);
    expect(response.body.error.code).toBe('idempotency_key_reused');
  });

  it('rejects an invalid input with 400 and the fields at fault', async () => {
    const response = await request(app)
      .post('/simulations')
      .send({ ...sampleInput, massKg: -1, angleDeg: 'steep', extra: true });

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_failed');
    const paths = response.body.error.details.fields.map((f: { path: string }) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['massKg', 'angleDeg']));
    expect(queue.depth).toBe(0);
  });

  it('rejects an input that would integrate too many steps', async () => {
    const response = await request(app)
      .post('/simulations')
      .send({ ...sampleInput, timeStepS: 1e-6, maxTimeS: 3_600 });

    expect(response.status).toBe(400);
    expect(response.body.error.details.fields[0].path).toBe('timeStepS');
  });

  it('rejects a body that is not JSON (400) or not declared as JSON (415)', async () => {
    const broken = await request(app)
      .post('/simulations')
      .set('content-type', 'application/json')
      .send('{"model":');
    const text = await request(app).post('/simulations').set('content-type', 'text/plain').send('hello');

    expect(broken.status).toBe(400);
    expect(broken.body.error.code).toBe('invalid_json');
    expect(text.status).toBe(415);
  });

  it('rejects an oversize input with 413 before reading it', async () => {
    const response = await request(app)
      .post('/simulations')
      .set('content-type', 'application/json')
      .send(JSON.stringify({ ...sampleInput, padding: 'x'.repeat(20_000) }));

    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });

  it('rejects a malformed Idempotency-Key', async () => {
    const response = await request(app)
      .post('/simulations')
      .set('idempotency-key', 'has spaces')
      .send(sampleInput);

    expect(response.status).toBe(400);
    expect(response.body.error.details.fields[0].path).toBe('Idempotency-Key');
  });

  it('answers 503 where the jobs module is not configured', async () => {
    const response = await request(appWith(undefined)).post('/simulations').send(sampleInput);

    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('jobs_unavailable');
  });
});

describe('GET and DELETE /simulations/:id', () => {
  it('answers 404 for an unknown job and 400 for a malformed id', async () => {
    const unknown = await request(app).get('/simulations/6f1c1d7e-1f0a-4f2b-9a57-3f3b0f0c2d11');
    const malformed = await request(app).get('/simulations/not-a-uuid');

    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('simulation_not_found');
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details.fields[0].path).toBe('id');
  });

  it('cancels a queued job, then answers 409 because it has ended', async () => {
    const created = await request(app).post('/simulations').send(sampleInput);

    const cancelled = await request(app).delete(`/simulations/${created.body.id}`);
    const again = await request(app).delete(`/simulations/${created.body.id}`);
    const read = await request(app).get(`/simulations/${created.body.id}`);

    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('simulation_finished');
    expect(read.body.status).toBe('cancelled');
    expect(stopped).toEqual([]);
  });

  it('answers 404 when cancelling an unknown job', async () => {
    const response = await request(app).delete('/simulations/6f1c1d7e-1f0a-4f2b-9a57-3f3b0f0c2d11');

    expect(response.status).toBe(404);
  });
});

describe('embedded default (npm start): no AWS, no Redis', () => {
  let deps: RuntimeDeps | undefined;
  let dataDir: string | undefined;

  afterEach(async () => {
    await deps?.close();
    deps = undefined;
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('runs a posted simulation to succeeded and serves its result on the route GET links to', async () => {
    // Prepare: the same deps `npm start` builds, with a throwaway data directory.
    dataDir = await mkdtemp(join(tmpdir(), 'sim-embedded-'));
    deps = createRuntimeDeps(loadConfig({ LOG_LEVEL: 'silent', JOBS_DATA_DIR: dataDir }), silentLogger);
    const embedded = createApp(deps, { resolveInvocation, maxBodyBytes: 256 * 1024 });

    // Act
    const created = await request(embedded)
      .post('/simulations')
      .send({ ...sampleInput, dragCoefficient: 0 });
    let job = created.body;
    await waitFor(
      async () => {
        job = (await request(embedded).get(`/simulations/${created.body.id}`)).body;
        return job.status === 'succeeded' || job.status === 'failed';
      },
      30_000,
      'the simulation to end',
    );

    // Assess: without drag the range is v² sin(2θ) / g.
    expect(job.status).toBe('succeeded');
    expect(job.taskArn).toMatch(/^arn:local:/);
    expect(job.result).toEqual({ href: `/simulations/${job.id}/result` });
    const output = (await request(embedded).get(job.result.href).expect(200)).body;
    const expected =
      (sampleInput.speedMS ** 2 * Math.sin((2 * sampleInput.angleDeg * Math.PI) / 180)) /
      sampleInput.gravityMS2;
    expect(output.result.landed).toBe(true);
    expect(Math.abs(output.result.rangeM - expected) / expected).toBeLessThan(1e-3);
  });
});
