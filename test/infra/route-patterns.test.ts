import { describe, expect, it } from 'vitest';
import { type RouteAssignment, resolveRouteTargets } from '../../app/route-targets.js';
import { type RouteDefinition, routes } from '../../app/routes.js';
import { tagValue } from '../../infra/constructs/route-rules.js';
import { expressPathToPatterns, PRIORITY_STEP, planListenerRules } from '../../infra/route-patterns.js';

const sample = routes[0] as RouteDefinition;
const assign = (defs: Partial<RouteDefinition>[]): RouteAssignment[] =>
  resolveRouteTargets(
    defs.map((d) => ({ ...sample, ...d })),
    {},
  );

describe('expressPathToPatterns', () => {
  it.each([
    ['/healthz', ['/healthz']],
    ['/leads/:leadId', ['/leads/*']],
    ['/leads/:leadId/notes/:noteId', ['/leads/*/notes/*']],
    ['/files/*path', ['/files/*']],
    ['/files/:"file name"', ['/files/*']],
    ['/reports{/:year}', ['/reports/*', '/reports']],
    ['/', ['/']],
  ])('%s → %j', (path, expected) => {
    expect(expressPathToPatterns(path)).toEqual(expected);
  });
});

describe('tagValue', () => {
  it('keeps route ids that tags accept and replaces the characters they do not', () => {
    expect(tagValue('GET /leads/:leadId')).toBe('GET /leads/:leadId');
    expect(tagValue('GET /files/*path{.:ext}')).toBe('GET /files/_path_.:ext_');
  });
});

describe('planListenerRules', () => {
  it('puts the more specific pattern first when two could match the same request', () => {
    const planned = planListenerRules(
      assign([
        { method: 'GET', path: '/leads/:leadId' },
        { method: 'GET', path: '/leads/export' },
        { method: 'GET', path: '/leads/:leadId/notes/:noteId' },
      ]),
    );

    expect(planned.map((p) => p.assignment.id)).toEqual([
      'GET /leads/:leadId/notes/:noteId',
      'GET /leads/export',
      'GET /leads/:leadId',
    ]);
    expect(planned.map((p) => p.priority)).toEqual([PRIORITY_STEP, 2 * PRIORITY_STEP, 3 * PRIORITY_STEP]);
  });

  it('matches HEAD with GET, as Express does', () => {
    const [rule] = planListenerRules(assign([{ method: 'GET', path: '/healthz' }]));
    expect(rule?.methods).toEqual(['GET', 'HEAD']);
  });

  it('gives the same priorities whatever the targets are', () => {
    const table = routes.map((r) => ({ ...r }));
    const a = planListenerRules(resolveRouteTargets(table, {}));
    const b = planListenerRules(
      resolveRouteTargets(table, {
        deploy: Object.fromEntries(table.map((r) => [`${r.method} ${r.path}`, 'ecs'])),
      }),
    );
    expect(a.map((r) => [r.assignment.id, r.priority])).toEqual(b.map((r) => [r.assignment.id, r.priority]));
  });

  it('counts reserved rules against the 100-rule quota', () => {
    const ninetyNine = assign(Array.from({ length: 99 }, (_, i) => ({ path: `/r${i}` })));
    expect(() => planListenerRules(ninetyNine, { reservedRules: 1 })).not.toThrow();
    expect(() => planListenerRules(ninetyNine, { reservedRules: 2 })).toThrow(/101 listener rules/);
  });

  it('refuses a path pattern longer than 128 characters', () => {
    expect(() => planListenerRules(assign([{ path: `/${'a'.repeat(130)}` }]))).toThrow(/ALB allows 128/);
  });
});
