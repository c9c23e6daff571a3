import type { SimulationInput } from './input.js';

/** Everything needed to continue an integration exactly where it stopped (JSON keeps doubles exact). */
export interface SimulationState {
  readonly step: number;
  readonly t: number;
  readonly x: number;
  readonly y: number;
  readonly vx: number;
  readonly vy: number;
  readonly maxHeight: number;
  readonly nextSampleT: number;
  readonly samples: readonly (readonly [t: number, x: number, y: number])[];
  readonly done: boolean;
  readonly impact: { t: number; x: number; speed: number } | null;
}

export interface SimulationResult {
  readonly model: 'projectile-drag';
  readonly steps: number;
  readonly rangeM: number;
  readonly maxHeightM: number;
  readonly flightTimeS: number;
  readonly impactSpeedMS: number;
  /** False when `maxTimeS` ran out before the projectile came down. */
  readonly landed: boolean;
  readonly samples: readonly (readonly [number, number, number])[];
}

export function initialState(input: SimulationInput): SimulationState {
  const angle = (input.angleDeg * Math.PI) / 180;
  return {
    step: 0,
    t: 0,
    x: 0,
    y: input.heightM,
    vx: input.speedMS * Math.cos(angle),
    vy: input.speedMS * Math.sin(angle),
    maxHeight: input.heightM,
    nextSampleT: input.sampleIntervalS,
    samples: [[0, 0, input.heightM]],
    done: false,
    impact: null,
  };
}

/**
 * Advances up to `maxSteps` classical Runge-Kutta (RK4) steps of
 *   dv/dt = -g ŷ - (ρ C_d A / 2m) |v| v,   dx/dt = v
 * and stops at impact (y crossing 0 from above, located by linear interpolation) or at `maxTimeS`.
 * Pure and deterministic: the same input and state always give the same next state.
 */
export function advance(input: SimulationInput, state: SimulationState, maxSteps: number): SimulationState {
  if (state.done) return state;
  const k = (0.5 * input.airDensityKgM3 * input.dragCoefficient * input.areaM2) / input.massKg;
  const g = input.gravityMS2;
  const h = input.timeStepS;
  const totalSteps = Math.floor(input.maxTimeS / h);
  const accel = (vx: number, vy: number): [number, number] => {
    const speed = Math.hypot(vx, vy);
    return [-k * speed * vx, -g - k * speed * vy];
  };
  let { step, t, x, y, vx, vy, maxHeight, nextSampleT } = state;
  const samples = [...state.samples];
  let impact: SimulationState['impact'] = null;
  const end = Math.min(totalSteps, step + maxSteps);
  while (step < end) {
    const [a1x, a1y] = accel(vx, vy);
    const [a2x, a2y] = accel(vx + 0.5 * h * a1x, vy + 0.5 * h * a1y);
    const [a3x, a3y] = accel(vx + 0.5 * h * a2x, vy + 0.5 * h * a2y);
    const [a4x, a4y] = accel(vx + h * a3x, vy + h * a3y);
    const nx = x + (h / 6) * (vx + 2 * (vx + 0.5 * h * a1x) + 2 * (vx + 0.5 * h * a2x) + (vx + h * a3x));
    const ny = y + (h / 6) * (vy + 2 * (vy + 0.5 * h * a1y) + 2 * (vy + 0.5 * h * a2y) + (vy + h * a3y));
    const nvx = vx + (h / 6) * (a1x + 2 * a2x + 2 * a3x + a4x);
    const nvy = vy + (h / 6) * (a1y + 2 * a2y + 2 * a3y + a4y);
    step += 1;
    const nt = step * h;
    if (ny < 0 && step > 1) {
      const f = y / (y - ny);
      impact = {
        t: t + f * h,
        x: x + f * (nx - x),
        speed: Math.hypot(vx + f * (nvx - vx), vy + f * (nvy - vy)),
      };
      samples.push([impact.t, impact.x, 0]);
      t = nt;
      x = nx;
      y = ny;
      vx = nvx;
      vy = nvy;
      break;
    }
    t = nt;
    x = nx;
    y = ny;
    vx = nvx;
    vy = nvy;
    if (y > maxHeight) maxHeight = y;
    if (t >= nextSampleT - h / 2) {
      samples.push([t, x, y]);
      nextSampleT += input.sampleIntervalS;
    }
  }
  return {
    step,
    t,
    x,
    y,
    vx,
    vy,
    maxHeight,
    nextSampleT,
    samples,
    done: impact !== null || step >= totalSteps,
    impact,
  };
}

export function resultOf(state: SimulationState): SimulationResult {
  const impact = state.impact;
  return {
    model: 'projectile-drag',
    steps: state.step,
    rangeM: impact ? impact.x : state.x,
    maxHeightM: state.maxHeight,
    flightTimeS: impact ? impact.t : state.t,
    impactSpeedMS: impact ? impact.speed : Math.hypot(state.vx, state.vy),
    landed: impact !== null,
    samples: state.samples,
  };
}
