import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ecsInvocationResolver } from '../../adapters/invocation.js';
import { createApp } from '../../app/create-app.js';
import type { Job } from '../../app/jobs/job.js';
import { InProcessQueue } from '../../app/jobs/job-queue.js';
import { MemoryJobStore } from '../../app/jobs/job-store.js';
import { JobsService } from '../../app/jobs/jobs-service.js';
import { LocalDirectoryObjectStore } from '../../app/jobs/object-store.js';
import { createLambdaHandler } from '../../app/lambda-handler.js';
import { MemoryLeadStore } from '../../app/leads/lead-store.js';
import { DrainState } from '../../app/readiness.js';
import { type RouteDefinition, routes } from '../../app/routes.js';
import type { HandlerDeps, HandlerFactory } from '../../handlers/types.js';
import { sampleInput, silentLogger, waitFor } from '../jobs/support/harness.js';
import { toAlbEvent } from '../parity/event-builders.js';
import { invokeLambda } from '../parity/runtimes.js';

/**
 * `POST /simulations` either answers with the job it created or makes sure it never runs: a job
 * whose record is written after the route's deadline (a store answering late) is cancelled, so
 * a client that got 504 never has a task it does not know of. And every handler's context says
 * when its deadline has come.
 */

/** A job store that answers late, as a Redis under failover does. */
class SlowJobStore extends MemoryJobStore {
  readonly created: string[] = [];
  constructor(private readonly delayMs: number) {
    super();
  }
  override async create(job: Job) {
    await sleep(this.delayMs);
    this.created.push(job.id);
    return super.create(job);
  }
}

const DEADLINE_MS = 150;
const seen: { reason: unknown; at: number }[] = [];

/** Waits for its signal and records when and why it fired. */
const waitsForSignal: HandlerFactory = () => async (_event, context) => {
  await new Promise<void>((resolve) =>
    context.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  seen.push({ reason: context.signal.reason, at: Date.now() });
  return { statusCode: 200, body: '' };
};

function routeTable(): RouteDefinition[] {
  return [
    ...routes.map((route) =>
      route.method === 'POST' && route.path === '/simulations' ? { ...route, timeoutMs: DEADLINE_MS } : route,
    ),
    {
      ...(routes[0] as RouteDefinition),
      method: 'GET',
      path: '/probe/signal',
      handler: waitsForSignal,
      rateLimit: { class: 'none', cost: 0 },
      timeoutMs: DEADLINE_MS,
    },
  ];
}

let dir: string;
let store: SlowJobStore;
let deps: HandlerDeps;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'answer-or-cancel-'));
  store = new SlowJobStore(DEADLINE_MS * 3);
  deps = {
    leads: new MemoryLeadStore(),
    readiness: new DrainState(),
    logger: silentLogger,
    clock: () => new Date(),
    jobs: new JobsService({
      jobs: store,
      queue: new InProcessQueue(),
      objects: new LocalDirectoryObjectStore(dir),
      runner: { stop: async () => {} },
      maxAttempts: 3,
      logger: silentLogger,
    }),
  };
  seen.length = 0;
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const body = JSON.stringify(sampleInput);
const runtimes = {
  ecs: async () => {
    const app = createApp(deps, {
      resolveInvocation: ecsInvocationResolver({
        stage: 'test',
        functionName: 'api-test',
        trustForwardedFor: false,
      }),
      maxBodyBytes: 64 * 1024,
      routes: routeTable(),
    });
    const post = await request(app).post('/simulations').set('content-type', 'application/json').send(body);
    const probeSentAt = Date.now();
    const probe = await request(app).get('/probe/signal');
    return [post.status, probe.status, probeSentAt];
  },
  lambda: async () => {
    const { handler } = createLambdaHandler(deps, {
      stage: 'test',
      maxBodyBytes: 64 * 1024,
      routes: routeTable(),
    });
    const post = await invokeLambda(
      handler,
      toAlbEvent(
        {
          name: 'post',
          method: 'POST',
          path: '/simulations',
          headers: [['content-type', 'application/json']],
          body,
        },
        { multiValue: true },
      ),
    );
    const probeSentAt = Date.now();
    const probe = await invokeLambda(
      handler,
      toAlbEvent({ name: 'probe', method: 'GET', path: '/probe/signal' }, { multiValue: false }),
    );
    return [post.status, probe.status, probeSentAt];
  },
};

describe.each(Object.entries(runtimes))('%s', (_name, run) => {
  it('cancels a job created after its 504 was sent, and tells handlers their deadline came', async () => {
    // Act
    const [postStatus, probeStatus, probeSentAt = 0] = await run();
    await waitFor(
      async () => (await store.get(store.created[0] ?? ''))?.status === 'cancelled',
      5_000,
      'the late job to be cancelled',
    );

    // Assess
    expect(postStatus).toBe(504);
    expect(store.created).toHaveLength(1);
    expect(probeStatus).toBe(504);
    expect(seen).toHaveLength(1);
    expect((seen[0]?.reason as { code?: string } | undefined)?.code).toBe('handler_timeout');
    // Not before the deadline, counted from when the request arrived.
    expect((seen[0]?.at ?? 0) - probeSentAt).toBeGreaterThanOrEqual(DEADLINE_MS - 5);
  });
});
