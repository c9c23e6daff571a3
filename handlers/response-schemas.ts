import * as z from 'zod';
import { JOB_STATUSES } from '../app/jobs/job.js';

/**
 * What the routes answer, as zod schemas: the OpenAPI document is generated from them, and the
 * typed-client test checks every real answer against them, so the document cannot drift from the
 * handlers.
 */

const timestamp = z.iso.datetime({ offset: true });

export const errorBodySchema = z.object({
  error: z.object({
    code: z.string().meta({ description: 'Stable, machine-readable: `validation_failed`, `rate_limited`…' }),
    message: z.string().meta({ description: 'For people; generic for 5xx' }),
    details: z.unknown().optional().meta({ description: 'e.g. `{ fields: [{ path, message }] }` for a 400' }),
  }),
});

export const healthSchema = z.object({ status: z.enum(['ok', 'draining']) });

export const leadSchema = z.object({
  leadId: z.string(),
  name: z.string(),
  email: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export const jobSchema = z.object({
  id: z.uuid(),
  status: z.enum(JOB_STATUSES),
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  createdAt: timestamp,
  updatedAt: timestamp,
  submittedAt: timestamp.nullable(),
  finishedAt: timestamp.nullable(),
  taskArn: z.string().nullable(),
  capacityProvider: z.string().nullable(),
  failureReason: z.string().nullable(),
  result: z
    .object({ href: z.string().meta({ description: 'The result route of this job' }) })
    .nullable()
    .meta({ description: 'Set once the job succeeded' }),
  history: z.array(
    z.object({ attempt: z.number().int(), taskArn: z.string().nullable(), reason: z.string() }),
  ),
});

export const simulationResultSchema = z.object({
  jobId: z.uuid(),
  result: z.object({
    model: z.literal('projectile-drag'),
    steps: z.number().int(),
    rangeM: z.number(),
    maxHeightM: z.number(),
    flightTimeS: z.number(),
    impactSpeedMS: z.number(),
    landed: z.boolean().meta({ description: 'False when maxTimeS ran out before impact' }),
    samples: z
      .array(z.tuple([z.number(), z.number(), z.number()]))
      .meta({ description: '[t (s), x (m), y (m)] every sampleIntervalS of simulated time' }),
  }),
});

export const openApiDocumentSchema = z
  .object({ openapi: z.string(), info: z.object({ title: z.string(), version: z.string() }) })
  .catchall(z.unknown());
