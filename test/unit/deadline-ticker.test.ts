import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineTicker } from '../../adapters/deadline-ticker.js';

/** One ticker watches every handler's deadline (adapters/deadline-ticker.ts). */

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DeadlineTicker', () => {
  it('calls an expiry at its deadline or within one tick after, never before', () => {
    const ticker = new DeadlineTicker(10);
    const calledAt: number[] = [];
    ticker.add(Date.now() + 25, () => calledAt.push(Date.now()));
    vi.advanceTimersByTime(24);
    expect(calledAt).toEqual([]);
    vi.advanceTimersByTime(10);
    expect(calledAt).toHaveLength(1);
    expect(calledAt[0]).toBeGreaterThanOrEqual(1_000_025);
    expect(calledAt[0]).toBeLessThanOrEqual(1_000_035);
    vi.advanceTimersByTime(100);
    expect(calledAt).toHaveLength(1);
  });

  it('never calls a removed deadline, from the start, middle or end of the list', () => {
    const ticker = new DeadlineTicker(10);
    const called: string[] = [];
    const entries = ['a', 'b', 'c', 'd'].map((name) => ticker.add(Date.now() + 5, () => called.push(name)));
    ticker.remove(entries[0] as (typeof entries)[number]);
    ticker.remove(entries[2] as (typeof entries)[number]);
    ticker.remove(entries[3] as (typeof entries)[number]);
    ticker.remove(entries[3] as (typeof entries)[number]);
    expect(ticker.size).toBe(1);
    vi.advanceTimersByTime(10);
    expect(called).toEqual(['b']);
    expect(ticker.size).toBe(0);
  });

  it('calls each passed deadline once, in any order of deadlines, and leaves the others', () => {
    const ticker = new DeadlineTicker(10);
    const called: string[] = [];
    ticker.add(Date.now() + 50, () => called.push('late'));
    ticker.add(Date.now() + 5, () => called.push('early'));
    ticker.add(Date.now() - 1, () => called.push('past'));
    vi.advanceTimersByTime(10);
    expect(called).toEqual(['early', 'past']);
    vi.advanceTimersByTime(50);
    expect(called).toEqual(['early', 'past', 'late']);
  });

  it('lets an expiry end another request without skipping or repeating anyone', () => {
    const ticker = new DeadlineTicker(10);
    const called: string[] = [];
    const later = ticker.add(Date.now() + 100, () => called.push('later'));
    ticker.add(Date.now() + 5, () => {
      called.push('first');
      ticker.remove(later);
    });
    ticker.add(Date.now() + 5, () => called.push('second'));
    vi.advanceTimersByTime(200);
    expect(called).toEqual(['first', 'second']);
  });

  it('stops ticking once nothing is watched, and starts again for the next deadline', () => {
    const ticker = new DeadlineTicker(10);
    const entry = ticker.add(Date.now() + 1_000, () => {});
    ticker.remove(entry);
    vi.advanceTimersByTime(10);
    expect(vi.getTimerCount()).toBe(0);
    const called: number[] = [];
    ticker.add(Date.now() + 15, () => called.push(Date.now()));
    expect(vi.getTimerCount()).toBe(1);
    vi.advanceTimersByTime(20);
    expect(called).toHaveLength(1);
  });
});
