import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import {
  ConflictError,
  HttpError,
  NotFoundError,
  ServiceUnavailableError,
  ValidationError,
} from '../adapters/http-error.js';
import { isStoreOutage } from '../adapters/store-outage.js';
import { isTerminal, type Job } from '../app/jobs/job.js';
import { EnqueueError, type SimulationJobs } from '../app/jobs/jobs-service.js';
import { simulationInputSchema } from '../app/jobs/simulation/input.js';
import { waitForFinalState } from '../app/jobs/wait-for-job.js';
import { grantedWaitSeconds, preferenceAppliedHeaders, requestedWaitSeconds } from './prefer-wait.js';
import { errorResult, header, json, parseJsonBody, schemaFields } from './respond.js';
import type { HandlerDeps, HandlerFactory } from './types.js';

const jobIdSchema = z.uuid('must be a job id (a UUID)');
/** Printable ASCII without spaces, as clients generate them (UUIDs, hashes); stored 24 h. */
const idempotencyKeySchema = z
  .string()
  .min(1)
  .max(128, 'at most 128 characters')
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/**
 * The public view of a job. Storage locations (input and output URIs, buckets, paths) stay
 * inside: a succeeded job links to its result route instead.
 */
export function jobView(job: Job) {
  return {
    id: job.id,
    status: job.status,
    attempts: job.attempt,
    maxAttempts: job.maxAttempts,
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    submittedAt: job.submittedAt,
    finishedAt: job.finishedAt,
    taskArn: job.taskArn,
    capacityProvider: job.capacityProvider,
    failureReason: job.failureReason,
    result: job.status === 'succeeded' ? { href: resultLocation(job) } : null,
    history: job.history,
  };
}

function location(job: Job): string {
  return `/simulations/${job.id}`;
}

function resultLocation(job: Job): string {
  return `/simulations/${job.id}/result`;
}

function jobsOf(deps: HandlerDeps) {
  return (
    deps.jobs ?? {
      unavailable: new ServiceUnavailableError('Simulations are not configured here', 'jobs_unavailable'),
    }
  );
}

/** Field errors for a single value (a path parameter, a header). */
function scalarFields(error: z.ZodError, name: string): { path: string; message: string }[] {
  return error.issues.map((issue) => ({ path: name, message: issue.message }));
}

function readJobId(pathParameters: Record<string, string | undefined> | null) {
  const parsed = jobIdSchema.safeParse(pathParameters?.id);
  return parsed.success
    ? ({ ok: true, id: parsed.data } as const)
    : ({
        ok: false,
        error: new ValidationError('Invalid job id', scalarFields(parsed.error, 'id')),
      } as const);
}

/**
 * A job whose 202 can no longer reach the client (deadline passed, client gone) is cancelled, so
 * the client never has a job running that it was not told of. The store may be what made the
 * request late, so the cancel is retried until it is recorded (the pacer skips cancelled jobs).
 */
async function cancelUnannounced(deps: HandlerDeps, jobs: SimulationJobs, jobId: string, reason: unknown) {
  const why = reason instanceof Error ? reason.message : String(reason);
  for (let attempt = 0; attempt < CANCEL_ATTEMPTS; attempt += 1) {
    try {
      await jobs.cancel(jobId);
      deps.logger.warn({ jobId, reason: why }, 'jobs: created job cancelled, its answer could not be sent');
      return;
    } catch (error) {
      if (attempt === CANCEL_ATTEMPTS - 1) {
        deps.logger.error({ err: error, jobId }, 'jobs: could not cancel a job whose answer was not sent');
        return;
      }
      await sleep(Math.min(250 * 2 ** attempt, 5_000));
    }
  }
}

/** About a minute of retries: longer than a Redis failover or restart takes. */
const CANCEL_ATTEMPTS = 15;

/** `POST /simulations`: validates, stores and queues; 202 with the job and its `Location`. */
export const createSimulationHandler: HandlerFactory = (deps) => {
  return async (event, context) => {
    const jobs = jobsOf(deps);
    if ('unavailable' in jobs) return errorResult(jobs.unavailable);
    const rawKey = header(event.headers, 'idempotency-key');
    const key = rawKey === undefined ? undefined : idempotencyKeySchema.safeParse(rawKey);
    if (key && !key.success) {
      return errorResult(
        new ValidationError('Invalid Idempotency-Key header', scalarFields(key.error, 'Idempotency-Key')),
      );
    }
    const body = parseJsonBody(event.body, event.isBase64Encoded, header(event.headers, 'content-type'));
    if (!body.ok) return errorResult(body.error);
    const input = simulationInputSchema.safeParse(body.value);
    if (!input.success) {
      return errorResult(new ValidationError('The simulation input is not valid', schemaFields(input.error)));
    }
    try {
      const result = await jobs.create(input.data, key?.success ? { idempotencyKey: key.data } : {});
      if (context.signal.aborted && result.kind === 'created') {
        // Nobody will read this answer: the job must not run (a replayed key keeps its first job).
        void cancelUnannounced(deps, jobs, result.job.id, context.signal.reason);
        throw context.signal.reason;
      }
      if (result.kind === 'key-reused') {
        return errorResult(
          new ConflictError(
            'This Idempotency-Key was used with a different input; use a new key for a new simulation',
            'idempotency_key_reused',
          ),
        );
      }
      const wait = grantedWaitSeconds(requestedWaitSeconds(event), context);
      const job = wait
        ? await waitForFinalState(() => jobs.get(result.job.id), result.job, wait * 1000)
        : result.job;
      // 201 once the job has ended (it exists and is final); 202 while it is still on its way.
      return json(isTerminal(job.status) ? 201 : 202, jobView(job), {
        location: location(job),
        ...preferenceAppliedHeaders(wait),
        ...(result.kind === 'existing' ? { 'idempotent-replayed': 'true' } : {}),
      });
    } catch (error) {
      // A store outage is answered as such (503 store_unavailable with Retry-After) by the adapter.
      if (error instanceof EnqueueError && !isStoreOutage(error)) {
        return errorResult(
          new ServiceUnavailableError('The job could not be queued; try again', 'jobs_unavailable'),
        );
      }
      throw error;
    }
  };
};

/**
 * `GET /simulations/:id`: status, attempts, timestamps, task and, when done, a link to the result.
 * With `Prefer: wait=N` the answer is held until the job ends or N seconds pass.
 */
export const getSimulationHandler: HandlerFactory = (deps) => {
  return async (event, context) => {
    const jobs = jobsOf(deps);
    if ('unavailable' in jobs) return errorResult(jobs.unavailable);
    const id = readJobId(event.pathParameters);
    if (!id.ok) return errorResult(id.error);
    const found = await jobs.get(id.id);
    if (!found) return errorResult(notFound(id.id));
    const wait = grantedWaitSeconds(requestedWaitSeconds(event), context);
    const job = wait ? await waitForFinalState(() => jobs.get(id.id), found, wait * 1000) : found;
    return json(200, jobView(job), preferenceAppliedHeaders(wait));
  };
};

/**
 * `GET /simulations/:id/result`: the result JSON of a succeeded job, streamed by the API rather
 * than a redirect to a presigned S3 URL: results are bounded by the input schema (≤ 10,001
 * samples, 0.62 MB at worst) below the ALB→Lambda 1 MB response limit, and a redirect would show the
 * bucket and key to the client and need CORS on the bucket as well.
 */
export const getSimulationResultHandler: HandlerFactory = (deps) => {
  return async (event) => {
    const jobs = jobsOf(deps);
    if ('unavailable' in jobs) return errorResult(jobs.unavailable);
    const id = readJobId(event.pathParameters);
    if (!id.ok) return errorResult(id.error);
    const found = await jobs.result(id.id);
    switch (found.kind) {
      case 'not-found':
        return errorResult(notFound(id.id));
      case 'unfinished':
        return errorResult(
          new HttpError(
            409,
            'simulation_not_finished',
            `The simulation is ${found.job.status}; no result yet`,
            {
              details: { status: found.job.status },
              headers: { location: location(found.job) },
            },
          ),
        );
      case 'none':
        return errorResult(
          new HttpError(
            404,
            'result_not_found',
            `The simulation ended as ${found.job.status} without a result`,
            {
              details: { status: found.job.status },
            },
          ),
        );
      case 'ready':
        return {
          statusCode: 200,
          // A result never changes once written.
          headers: {
            'content-type': 'application/json; charset=utf-8',
            'cache-control': 'private, max-age=3600',
          },
          body: found.body,
        };
    }
  };
};

function notFound(id: string): NotFoundError {
  return new NotFoundError(`No simulation with id ${id}`, 'simulation_not_found');
}

/** `DELETE /simulations/:id`: a queued job is dropped, a running task stopped; finished jobs answer 409. */
export const cancelSimulationHandler: HandlerFactory = (deps) => {
  return async (event) => {
    const jobs = jobsOf(deps);
    if ('unavailable' in jobs) return errorResult(jobs.unavailable);
    const id = readJobId(event.pathParameters);
    if (!id.ok) return errorResult(id.error);
    const result = await jobs.cancel(id.id);
    if (result.kind === 'not-found') return errorResult(notFound(id.id));
    if (result.kind === 'stop-failed') {
      // The task still runs: saying "cancelled" would leave it billing unseen. Try again later.
      return errorResult(
        new HttpError(
          503,
          'task_stop_failed',
          `The simulation's task could not be stopped: ${result.reason}`,
          {
            headers: { 'retry-after': '5' },
          },
        ),
      );
    }
    if (result.kind === 'finished') {
      return errorResult(
        new HttpError(409, 'simulation_finished', `The simulation already ended as ${result.job.status}`, {
          details: { status: result.job.status },
        }),
      );
    }
    return json(200, jobView(result.job));
  };
};
