import { z } from 'zod';

/** Integration steps one job may take: bounds a run to a few seconds of CPU. */
export const MAX_STEPS = 20_000_000;

/**
 * The input of `POST /simulations`: a projectile with quadratic air drag. The API validates it
 * before anything is queued, and the simulation program validates it again (it trusts no file).
 */
export const simulationInputSchema = z
  .object({
    model: z.literal('projectile-drag'),
    massKg: z.number().positive().max(1e6),
    /** Frontal area the drag acts on. */
    areaM2: z.number().positive().max(1e3),
    dragCoefficient: z.number().min(0).max(10),
    airDensityKgM3: z.number().min(0).max(100).default(1.225),
    speedMS: z.number().min(0).max(10_000),
    angleDeg: z.number().min(-90).max(90),
    heightM: z.number().min(0).max(1e5).default(0),
    gravityMS2: z.number().positive().max(1_000).default(9.80665),
    timeStepS: z.number().min(1e-6).max(1).default(1e-3),
    maxTimeS: z.number().positive().max(86_400).default(600),
    /** Simulated time between two trajectory samples in the result. */
    sampleIntervalS: z.number().positive().max(3_600).default(0.1),
  })
  .strict()
  .refine((v) => v.maxTimeS / v.timeStepS <= MAX_STEPS, {
    path: ['timeStepS'],
    message: `maxTimeS / timeStepS must be at most ${MAX_STEPS} steps`,
  })
  .refine((v) => v.maxTimeS / v.sampleIntervalS <= 10_000, {
    path: ['sampleIntervalS'],
    message: 'at most 10000 samples (maxTimeS / sampleIntervalS)',
  });

export type SimulationInput = z.output<typeof simulationInputSchema>;
