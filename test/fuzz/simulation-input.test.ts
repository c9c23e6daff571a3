import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { simulationInputSchema } from '../../app/jobs/simulation/input.js';
import { advance, initialState, resultOf } from '../../app/jobs/simulation/model.js';

/**
 * Whatever the API accepts, the model computes finite numbers: inputs at the edges of every range
 * (denormals, the largest values, zero drag) either are refused with a field error or give a
 * trajectory without NaN or Infinity. Bounded steps keep each run short.
 */

const edge = (min: number, max: number) =>
  fc.oneof(
    fc.double({ min, max, noNaN: true }),
    fc
      .constantFrom(min, max, 5e-324, 2.2250738585072014e-308, 1e-300, 1e-6, 1)
      .filter((x) => x >= min && x <= max),
  );

const candidate = fc.record({
  model: fc.constant('projectile-drag'),
  massKg: edge(0, 1e6),
  areaM2: edge(0, 1e3),
  dragCoefficient: edge(0, 10),
  airDensityKgM3: edge(0, 100),
  speedMS: edge(0, 10_000),
  angleDeg: edge(-90, 90),
  heightM: edge(0, 1e5),
  gravityMS2: edge(0, 1_000),
  timeStepS: edge(1e-6, 1),
  maxTimeS: fc.constantFrom(0.01, 1, 10),
  sampleIntervalS: fc.constant(0.01),
});

describe('simulation input', () => {
  it('refuses a denormal mass (5e-324) with a field error', () => {
    const parsed = simulationInputSchema.safeParse({
      model: 'projectile-drag',
      massKg: 5e-324,
      areaM2: 0.0042,
      dragCoefficient: 0.3,
      speedMS: 40,
      angleDeg: 35,
    });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((issue) => issue.path.join('.'))).toContain('massKg');
  });

  it('accepted inputs keep every number of the trajectory finite', () => {
    fc.assert(
      fc.property(candidate, (raw) => {
        const parsed = simulationInputSchema.safeParse(raw);
        if (!parsed.success) return;
        const state = advance(parsed.data, initialState(parsed.data), 20_000);
        const result = resultOf(state);
        const numbers = [result.rangeM, result.maxHeightM, result.flightTimeS, result.impactSpeedMS];
        numbers.push(...result.samples.flat());
        expect(numbers.every(Number.isFinite), JSON.stringify(parsed.data)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
