import { describe, expect, it } from 'vitest';
import { redeliveryDelaySeconds } from '../../app/jobs/pacer-batch.js';
import { MAX_RECEIVE_COUNT } from '../../infra/constructs/jobs-storage.js';

/**
 * How long the deployed queue keeps trying a job before its redrive policy dead-letters it: the
 * pacer's redelivery delays over every receive the policy allows. Redis failovers take 10–30 s
 * (ElastiCache, "Minimizing downtime with Multi-AZ"); the budget must outlast one with room to
 * spare, counting only the delays (each delivery also takes its own time).
 */
function redriveBudgetSeconds(requested: number): number {
  let total = 0;
  for (let receive = 1; receive < MAX_RECEIVE_COUNT; receive += 1) {
    total += redeliveryDelaySeconds(requested, receive);
  }
  return total;
}

describe('redelivery delays against the redrive policy', () => {
  it('doubles with each receive, from what the pacer asked, up to a minute', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => redeliveryDelaySeconds(1, n))).toEqual([
      1, 2, 4, 8, 16, 32, 60, 60,
    ]);
    expect(redeliveryDelaySeconds(5, 1)).toBe(5);
  });

  it('spans minutes before a message is dead-lettered, far more than a 30 s failover', () => {
    expect(redriveBudgetSeconds(1)).toBeGreaterThanOrEqual(4 * 30);
  });
});
