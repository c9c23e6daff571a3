/**
 * Small statistics for benchmarks: every figure is reported as a median with the spread of the
 * rounds behind it, so a reader can tell a real difference from the machine's noise.
 */

/** The p-th percentile (0–100) of values already sorted ascending, nearest rank. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length) - 1;
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank))] as number;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export interface Spread {
  readonly median: number;
  /** First and third quartiles: half the rounds fall between them. */
  readonly q1: number;
  readonly q3: number;
  readonly min: number;
  readonly max: number;
  readonly rounds: number;
}

export function spread(values: readonly number[]): Spread {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: median(sorted),
    q1: percentile(sorted, 25),
    q3: percentile(sorted, 75),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    rounds: sorted.length,
  };
}

/** `0.962 (IQR 0.951–0.970, rounds 0.93–0.98, n=9)` */
export function formatSpread(s: Spread, digits = 3): string {
  const f = (n: number) => n.toFixed(digits);
  return `${f(s.median)} (IQR ${f(s.q1)}–${f(s.q3)}, rounds ${f(s.min)}–${f(s.max)}, n=${s.rounds})`;
}
