import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import {
  formatConcurrencyOverrides,
  parseConcurrencyOverrides,
  resolveConcurrencyBounds,
} from '../../adapters/concurrency/bounds.js';
import { ConfigError, loadConfig } from '../../app/config.js';
import { lambdaGroups, routes } from '../../app/routes.js';
import { createRuntimeDeps } from '../../app/runtime-deps.js';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('Max Concurrency configuration', () => {
  it('declares every Lambda group the route table uses, and only those', () => {
    // Assess: a group a route names but the groups table lacks would silently go unbounded.
    expect(new Set(routes.map((r) => r.lambdaGroup))).toEqual(new Set(Object.keys(lambdaGroups)));
  });

  it('reads MAX_CONCURRENCY as group=N pairs, route ids and off', () => {
    // Act
    const config = loadConfig({ MAX_CONCURRENCY: ' jobs=3, leads=50,GET /simulations/:id=2,api=off ' });
    // Assess
    expect(config.maxConcurrency).toEqual({ jobs: 3, leads: 50, 'GET /simulations/:id': 2, api: 'off' });
    expect(loadConfig({}).maxConcurrency).toEqual({});
  });

  it.each([
    ['jobs', 'is not group=N'],
    ['jobs=0', 'is not a whole number from 1'],
    ['jobs=2.5', 'is not a whole number from 1'],
    ['jobs=many', 'is not a whole number from 1'],
    ['jobs=3,jobs=4', 'jobs is given twice'],
    ['reports=3', 'unknown Lambda group "reports" (groups: api, leads, jobs)'],
    ['get /leads=3', 'unknown route "get /leads"'],
  ])('refuses MAX_CONCURRENCY=%s with a message naming the variable', (value, message) => {
    // Act
    const problems = problemsOf({ MAX_CONCURRENCY: value });
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain('MAX_CONCURRENCY: ');
    expect(problems[0]).toContain(message);
  });

  it('refuses a well-formed route id the route table lacks when the runtime is built', () => {
    // Prepare
    const config = loadConfig({ MAX_CONCURRENCY: 'GET /reports/:id=3' });
    // Act / Assess
    expect(() => createRuntimeDeps(config, pino({ level: 'silent' }))).toThrow(
      /MAX_CONCURRENCY: unknown route "GET \/reports\/:id"/,
    );
  });

  it('applies the route table, then each override in order; off lifts a bound', () => {
    // Act
    const bounds = resolveConcurrencyBounds(
      routes,
      lambdaGroups,
      { jobs: 7, 'GET /leads/:leadId': 3 },
      { leads: 'off' },
    );
    // Assess
    expect(bounds.get('POST /simulations')).toEqual({
      group: 'jobs',
      bounds: [{ id: 'group:jobs', scope: 'group', name: 'jobs', limit: 7 }],
      maxQueueMs: lambdaGroups.jobs?.maxQueueMs,
    });
    expect(bounds.get('GET /leads/:leadId')?.bounds).toEqual([
      { id: 'route:GET /leads/:leadId', scope: 'route', name: 'GET /leads/:leadId', limit: 3 },
    ]);
    expect(bounds.has('POST /leads/:leadId')).toBe(false);
    // The health check is never bounded: the ALB's checks must always get through.
    expect(bounds.has('GET /healthz')).toBe(false);
  });

  it('writes overrides back in MAX_CONCURRENCY form', () => {
    const text = formatConcurrencyOverrides({ jobs: 3, 'GET /simulations/:id': 2, leads: 'off' });
    expect(text).toBe('jobs=3,GET /simulations/:id=2,leads=off');
    expect(parseConcurrencyOverrides(text).overrides).toEqual({
      jobs: 3,
      'GET /simulations/:id': 2,
      leads: 'off',
    });
  });
});
