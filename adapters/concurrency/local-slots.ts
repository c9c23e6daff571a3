import type { ConcurrencyBound } from './bounds.js';

/**
 * This process's own count of requests in flight per bound. It is kept for every admitted request,
 * wherever its slot was granted, so that when Redis fails the local bound judges everything this
 * process is serving, including requests admitted by Redis just before the outage.
 */
export class LocalSlots {
  private readonly inFlight = new Map<string, number>();

  count(bound: ConcurrencyBound): number {
    return this.inFlight.get(bound.id) ?? 0;
  }

  /** Index (0-based) of the first bound at its local limit, or -1 when every bound has room. */
  firstFull(bounds: readonly ConcurrencyBound[], limitOf: (bound: ConcurrencyBound) => number): number {
    return bounds.findIndex((bound) => this.count(bound) >= limitOf(bound));
  }

  take(bounds: readonly ConcurrencyBound[]): void {
    for (const bound of bounds) this.inFlight.set(bound.id, this.count(bound) + 1);
  }

  give(bounds: readonly ConcurrencyBound[]): void {
    for (const bound of bounds) this.inFlight.set(bound.id, Math.max(0, this.count(bound) - 1));
  }
}
