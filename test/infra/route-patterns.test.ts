import { describe, expect, it } from 'vitest';
import { type RouteAssignment, resolveRouteTargets } from '../../app/route-targets.js';
import { type RouteDefinition, routes } from '../../app/routes.js';
import { tagValue } from '../../infra/constructs/route-rules.js';
import {
  expressPathToPatterns,
  type PlannedRouteRule,
  PRIORITY_BANDS,
  pathPatternMatches,
  planListenerRules,
} from '../../infra/route-patterns.js';

const sample = routes[0] as RouteDefinition;
const assign = (defs: Partial<RouteDefinition>[]): RouteAssignment[] =>
  resolveRouteTargets(
    defs.map((d) => ({ ...sample, ...d })),
    {},
  );
const routeRules = (planned: ReturnType<typeof planListenerRules>) =>
  planned.filter((p): p is PlannedRouteRule => p.kind === 'route');

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

describe('pathPatternMatches (ALB path-pattern semantics)', () => {
  it.each([
    ['/leads/*', '/leads/ada', true],
    ['/leads/*', '/leads/a/b', true],
    ['/leads/*', '/leads/', true],
    ['/leads/*', '/leads', false],
    ['/leads/*', '/LEADS/ada', false],
    ['/v?/x', '/v1/x', true],
    ['/v?/x', '/v12/x', false],
    ['/a.b', '/aXb', false],
  ])('%s on %s → %s', (pattern, path, expected) => {
    expect(pathPatternMatches(pattern, path)).toBe(expected);
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
    const planned = routeRules(
      planListenerRules(
        assign([
          { method: 'GET', path: '/leads/:leadId' },
          { method: 'GET', path: '/leads/export' },
          { method: 'GET', path: '/leads/:leadId/notes/:noteId' },
        ]),
      ),
    );

    expect(planned.map((p) => p.assignment.id)).toEqual([
      'GET /leads/:leadId/notes/:noteId',
      'GET /leads/export',
      'GET /leads/:leadId',
    ]);
  });

  it('puts every path rule after every route rule, one per path, with no method condition', () => {
    const planned = planListenerRules(resolveRouteTargets(routes, {}));
    const paths = planned.filter((p) => p.kind === 'path');

    expect(paths.map((p) => p.path).sort()).toEqual([...new Set(routes.map((r) => r.path))].sort());
    const lastRoute = Math.max(...routeRules(planned).map((p) => p.priority));
    expect(Math.min(...paths.map((p) => p.priority))).toBeGreaterThan(lastRoute);
    expect(lastRoute).toBeLessThan(PRIORITY_BANDS.path.first);
  });

  it('matches HEAD with GET, as Express does', () => {
    const [rule] = routeRules(planListenerRules(assign([{ method: 'GET', path: '/healthz' }])));
    expect(rule?.methods).toEqual(['GET', 'HEAD']);
  });

  it('gives a rule the same priority whatever the targets and whatever other routes exist', () => {
    const table = routes.map((r) => ({ ...r }));
    const priorities = (planned: ReturnType<typeof planListenerRules>) =>
      new Map(planned.map((r) => [r.key, r.priority]));
    const base = priorities(planListenerRules(resolveRouteTargets(table, {})));
    const flipped = priorities(
      planListenerRules(
        resolveRouteTargets(table, {
          deploy: Object.fromEntries(table.map((r) => [`${r.method} ${r.path}`, 'ecs'])),
        }),
      ),
    );
    const extra = priorities(
      planListenerRules(
        resolveRouteTargets([...table, { ...sample, method: 'GET', path: '/leads/:leadId/notes' }], {}),
      ),
    );

    expect(flipped).toEqual(base);
    for (const [key, priority] of base) expect(extra.get(key), key).toBe(priority);
  });

  it('counts reserved rules and path rules against the 100-rule quota', () => {
    // One literal length each, so no two share a tier (and so a priority).
    const fortyNine = assign(Array.from({ length: 49 }, (_, i) => ({ path: `/${'r'.repeat(i + 1)}` })));
    expect(() => planListenerRules(fortyNine, { reservedRules: 2 })).not.toThrow();
    expect(() => planListenerRules(fortyNine, { reservedRules: 3 })).toThrow(/101 listener rules/);
  });

  it('refuses a path pattern longer than 128 characters, naming the route', () => {
    expect(() => planListenerRules(assign([{ path: `/${'a'.repeat(130)}` }]))).toThrow(
      /GET \/a+: path pattern is 131 characters; ALB allows 128/,
    );
  });

  it('refuses more wildcards than a rule takes, naming the route', () => {
    expect(() => planListenerRules(assign([{ path: '/:a/:b/:c/:d/:e/:f' }]))).toThrow(
      /GET \/:a\/:b\/:c\/:d\/:e\/:f: 6 wildcards; an ALB rule takes at most 5/,
    );
  });

  it('fails clearly when two rules land on one priority, and a pin resolves it without moving others', () => {
    // Different literal lengths: their derived priorities are in different tiers, so never equal.
    const table = assign([{ path: '/alpha' }, { path: '/beta' }]);
    const alpha = routeRules(planListenerRules(table)).find((r) => r.key === 'GET /alpha');

    expect(() => planListenerRules(table, { pins: { 'GET /beta': alpha?.priority ?? 0 } })).toThrow(
      /GET \/(alpha|beta) and GET \/(alpha|beta) both get priority \d+: pin one of them/,
    );
    const pinned = routeRules(planListenerRules(table, { pins: { 'GET /beta': 999 } }));
    expect(pinned.find((r) => r.key === 'GET /beta')?.priority).toBe(999);
    expect(pinned.find((r) => r.key === 'GET /alpha')?.priority).toBe(alpha?.priority);
  });

  it('fails clearly when a general rule would hide a more specific one', () => {
    const table = assign([{ path: '/leads/:leadId' }, { path: '/leads/:leadId/notes' }]);
    const general = routeRules(planListenerRules(table)).find((r) => r.key === 'GET /leads/:leadId');

    expect(() =>
      planListenerRules(table, { pins: { 'GET /leads/:leadId/notes': (general?.priority ?? 0) + 1 } }),
    ).toThrow(/GET \/leads\/:leadId\/notes \(priority \d+\) is hidden by GET \/leads\/:leadId/);
  });
});
