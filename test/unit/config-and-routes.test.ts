import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../app/config.js';
import {
  formatRouteTable,
  parseRouteTargets,
  RouteTargetError,
  resolveRouteTargets,
} from '../../app/route-targets.js';
import { resourceTemplate, routeId, routes } from '../../app/routes.js';

describe('loadConfig', () => {
  it('works on embedded defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ env: 'local', port: 3000, redis: undefined, maxBodyBytes: 256 * 1024 });
    expect(config.shutdown.timeoutMs).toBeLessThan(120_000);
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ REDIS_URL: '', PORT: '' }).port).toBe(3000);
  });

  it('names every bad variable and what it got', () => {
    const attempt = () =>
      loadConfig({ PORT: 'eighty', REDIS_URL: 'http://x', SHUTDOWN_TIMEOUT_MS: '200000' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const message = (error as ConfigError).message;
      expect(message).toMatch(/PORT: .*"eighty"/);
      expect(message).toMatch(/REDIS_URL: a redis:\/\/ or rediss:\/\/ URL/);
      expect(message).toMatch(/SHUTDOWN_TIMEOUT_MS/);
    }
  });

  it('refuses a drain period longer than the shutdown deadline', () => {
    expect(() => loadConfig({ SHUTDOWN_DRAIN_MS: '50000', SHUTDOWN_TIMEOUT_MS: '40000' })).toThrow(
      /SHUTDOWN_DRAIN_MS/,
    );
  });

  it('accepts rediss URLs and a password', () => {
    expect(loadConfig({ REDIS_URL: 'rediss://cache:6379', REDIS_PASSWORD: 'token' }).redis).toMatchObject({
      url: 'rediss://cache:6379',
      password: 'token',
    });
  });
});

describe('route table', () => {
  it('has unique ids, a default target among the allowed ones, and deadlines', () => {
    const ids = routes.map(routeId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const route of routes) {
      expect(route.targets).toContain(route.target);
      expect(route.timeoutMs).toBeGreaterThan(0);
      expect(route.path.startsWith('/')).toBe(true);
    }
  });

  it('writes resources the API Gateway way', () => {
    expect(resourceTemplate('/leads/:leadId')).toBe('/leads/{leadId}');
    expect(resourceTemplate('/a/:b/c/:d_e')).toBe('/a/{b}/c/{d_e}');
  });
});

describe('route targets', () => {
  it('parses ROUTE_TARGETS', () => {
    expect(parseRouteTargets(' get /leads/:leadId=ecs , POST /leads/:leadId = lambda ')).toEqual({
      'GET /leads/:leadId': 'ecs',
      'POST /leads/:leadId': 'lambda',
    });
    expect(parseRouteTargets(undefined)).toEqual({});
    expect(() => parseRouteTargets('GET /x')).toThrow(RouteTargetError);
  });

  it('layers route default, environment, then deploy override', () => {
    const assignments = resolveRouteTargets(routes, {
      environment: { 'GET /leads/:leadId': 'ecs' },
      deploy: { 'POST /leads/:leadId': 'ecs' },
    });
    const byId = Object.fromEntries(assignments.map((a) => [a.id, a]));
    expect(byId['GET /leads/:leadId']).toMatchObject({ target: 'ecs', source: 'environment' });
    expect(byId['POST /leads/:leadId']).toMatchObject({ target: 'ecs', source: 'ROUTE_TARGETS' });
    expect(byId['GET /healthz']).toMatchObject({ target: 'ecs', source: 'default' });
  });

  it('stops on an unknown route, an unknown target, or a target the route does not allow', () => {
    expect(() => resolveRouteTargets(routes, { deploy: { 'GET /nope': 'ecs' } })).toThrow(
      /unknown route "GET \/nope"/,
    );
    expect(() => resolveRouteTargets(routes, { deploy: { 'GET /healthz': 'k8s' } })).toThrow(
      /unknown target "k8s"/,
    );
    const ecsOnly = [{ ...routes[0], targets: ['ecs'] } as (typeof routes)[number]];
    expect(() =>
      resolveRouteTargets(ecsOnly, {
        environment: { [routeId(ecsOnly[0] as (typeof routes)[number])]: 'lambda' },
      }),
    ).toThrow(/cannot run on lambda/);
  });

  it('prints an aligned table', () => {
    const table = formatRouteTable(resolveRouteTargets(routes, {}));
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^METHOD\s+PATH\s+TARGET/);
    expect(lines).toHaveLength(routes.length + 1);
    const targetColumn = (lines[0] ?? '').indexOf('TARGET');
    for (const line of lines.slice(1))
      expect(['ecs', 'lam']).toContain(line.slice(targetColumn, targetColumn + 3));
  });
});
