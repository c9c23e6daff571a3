import { z } from '../../zod-mini.js';

/** Integration steps one job may take: bounds a run to a few seconds of CPU. */
export const MAX_STEPS = 20_000_000;

/**
 * Classical RK4 is stable for h·λ down to about -2.78 on the real axis. Drag linearised around a
 * speed v has λ = -2kv, and the speed never exceeds the larger of the launch speed and the
 * terminal speed √(g/k); a margin below 2.78 keeps the trajectory finite and meaningful.
 */
const RK4_STABLE_STEP = 2.5;

/**
 * The input of `POST /simulations`: a projectile with quadratic air drag. The API validates it
 * before anything is queued, and the simulation program validates it again (it trusts no file).
 * zod's functional build (app/zod-mini.ts): the route table holds it, so every cold start builds it.
 */
export const simulationInputSchema = z
  .strictObject({
    model: z.literal('projectile-drag'),
    massKg: z.number().check(z.positive(), z.maximum(1e6)),
    /** Frontal area the drag acts on. */
    areaM2: z.number().check(z.positive(), z.maximum(1e3)),
    dragCoefficient: z.number().check(z.minimum(0), z.maximum(10)),
    airDensityKgM3: z._default(z.number().check(z.minimum(0), z.maximum(100)), 1.225),
    speedMS: z.number().check(z.minimum(0), z.maximum(10_000)),
    angleDeg: z.number().check(z.minimum(-90), z.maximum(90)),
    heightM: z._default(z.number().check(z.minimum(0), z.maximum(1e5)), 0),
    gravityMS2: z._default(z.number().check(z.positive(), z.maximum(1_000)), 9.80665),
    timeStepS: z._default(z.number().check(z.minimum(1e-6), z.maximum(1)), 1e-3),
    maxTimeS: z._default(z.number().check(z.positive(), z.maximum(86_400)), 600),
    /** Simulated time between two trajectory samples in the result. */
    sampleIntervalS: z._default(z.number().check(z.positive(), z.maximum(3_600)), 0.1),
  })
  .check(
    z.refine((v) => v.maxTimeS / v.timeStepS <= MAX_STEPS, {
      path: ['timeStepS'],
      message: `maxTimeS / timeStepS must be at most ${MAX_STEPS} steps`,
    }),
    z.refine((v) => v.maxTimeS / v.sampleIntervalS <= 10_000, {
      path: ['sampleIntervalS'],
      message: 'at most 10000 samples (maxTimeS / sampleIntervalS)',
    }),
    // A mass so small that the drag factor overflows (a denormal such as 5e-324) would fill the
    // trajectory with NaN and still "succeed".
    z.refine((v) => Number.isFinite(dragFactor(v)), {
      path: ['massKg'],
      message: 'too small for this drag: ρ·C_d·A / 2m must be a finite number',
    }),
    z.refine((v) => dragStepStable(v), {
      path: ['timeStepS'],
      message: `too long for this much drag: the integration would not stay finite (needs 2·k·v·timeStepS ≤ ${RK4_STABLE_STEP}, k = ρ·C_d·A / 2m, v the larger of the launch and terminal speeds)`,
    }),
  );

/** k of dv/dt = -g ŷ - k |v| v: the drag deceleration per unit speed squared. */
export function dragFactor(v: {
  airDensityKgM3: number;
  dragCoefficient: number;
  areaM2: number;
  massKg: number;
}): number {
  return (0.5 * v.airDensityKgM3 * v.dragCoefficient * v.areaM2) / v.massKg;
}

function dragStepStable(v: {
  airDensityKgM3: number;
  dragCoefficient: number;
  areaM2: number;
  massKg: number;
  speedMS: number;
  gravityMS2: number;
  timeStepS: number;
}): boolean {
  const k = dragFactor(v);
  if (!Number.isFinite(k)) return true; // reported by the mass check
  if (k === 0) return true;
  // 2k·v_terminal = 2·√g·√k, computed so that g/k cannot underflow to 0 for extreme inputs.
  const atLaunch = 2 * k * v.speedMS * v.timeStepS;
  const atTerminal = 2 * Math.sqrt(v.gravityMS2) * Math.sqrt(k) * v.timeStepS;
  return Math.max(atLaunch, atTerminal) <= RK4_STABLE_STEP;
}

export type SimulationInput = z.output<typeof simulationInputSchema>;
