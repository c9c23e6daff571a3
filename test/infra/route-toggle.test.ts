import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RouteTargetError } from '../../app/route-targets.js';
import { type RouteDefinition, routes } from '../../app/routes.js';
import { buildApp } from '../../infra/app.js';
import { RouteRulesError } from '../../infra/route-patterns.js';
import { type StackConfig, stackConfigs } from '../../infra/stack-config.js';
import { readSynthInputs } from '../../infra/synth-inputs.js';
import { type StackJson, synthStacks } from './synth.js';

/** A throwaway output directory: building an App creates it, and nothing here is written to it. */
function scratchDir(): string {
  return mkdtempSync(join(tmpdir(), 'route-toggle-'));
}

/** Paths (`resource.type.name.key…`) where two JSON values differ. */
function differences(a: unknown, b: unknown, path = ''): string[] {
  if (JSON.stringify(a) === JSON.stringify(b)) return [];
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].flatMap((k) =>
      differences(
        (a as Record<string, unknown>)[k],
        (b as Record<string, unknown>)[k],
        path ? `${path}.${k}` : k,
      ),
    );
  }
  return [path];
}

const dev = stackConfigs.dev as StackConfig;
const withDevOverride = (id: string, target: 'lambda' | 'ecs') => ({
  ...stackConfigs,
  dev: { ...dev, routing: { routeTargets: { ...dev.routing.routeTargets, [id]: target } } },
});

let baseline: StackJson;
let byConfig: StackJson;
let byDeploy: StackJson;
let ecsDefault: StackJson;
beforeAll(() => {
  baseline = synthStacks({ env: { STACK_ENV: 'dev' } }).dev as StackJson;
  byConfig = synthStacks({ env: { STACK_ENV: 'dev' }, configs: withDevOverride('GET /leads/:leadId', 'ecs') })
    .dev as StackJson;
  byDeploy = synthStacks({ env: { STACK_ENV: 'dev', ROUTE_TARGETS: 'GET /healthz=lambda' } })
    .dev as StackJson;
  ecsDefault = synthStacks({
    env: { STACK_ENV: 'dev' },
    configs: { ...stackConfigs, dev: { ...dev, alb: { ...dev.alb, defaultAction: 'ecs' } } },
  }).dev as StackJson;
});

describe('moving one route between Lambda and ECS', () => {
  it('through the environment config changes only that route’s listener rule', () => {
    const changed = differences(baseline, byConfig);

    expect(changed.length).toBeGreaterThan(0);
    expect(
      changed.every((p) => /^resource\.aws_lb_listener_rule\.routes_route-GET-leads-leadId_\w+\./.test(p)),
    ).toBe(true);
    expect(changed).toEqual(expect.arrayContaining([expect.stringMatching(/\.action$/)]));
  });

  it('through ROUTE_TARGETS changes only that route’s listener rule', () => {
    const changed = differences(baseline, byDeploy);

    expect(changed.length).toBeGreaterThan(0);
    expect(
      changed.every((p) => /^resource\.aws_lb_listener_rule\.routes_route-GET-healthz_\w+\./.test(p)),
    ).toBe(true);
  });
});

describe('the default action', () => {
  it('forwards unmatched requests to ECS when the environment says so, changing nothing else', () => {
    const changed = differences(baseline, ecsDefault);

    expect(changed.length).toBeGreaterThan(0);
    expect(changed.every((p) => /^resource\.aws_lb_listener\.routes_http_\w+\.default_action$/.test(p))).toBe(
      true,
    );
    const listener = Object.values(ecsDefault.resource.aws_lb_listener ?? {})[0] as {
      default_action: unknown[];
    };
    expect(listener.default_action).toEqual([
      { type: 'forward', target_group_arn: expect.stringMatching(/aws_lb_target_group\.api_target-group_/) },
    ]);
  });
});

describe('synthesis stops with a clear message', () => {
  const inputs = (env: Record<string, string> = {}) => readSynthInputs({ STACK_ENV: 'dev', ...env });
  const build = (options: {
    env?: Record<string, string>;
    routes?: readonly RouteDefinition[];
    configs?: typeof stackConfigs;
  }) => buildApp({ outdir: scratchDir(), inputs: inputs(options.env), ...options });
  const sample = routes[0] as RouteDefinition;

  it('for an unknown route in ROUTE_TARGETS', () => {
    expect(() => build({ env: { ROUTE_TARGETS: 'GET /nowhere=ecs' } })).toThrow(RouteTargetError);
    expect(() => build({ env: { ROUTE_TARGETS: 'GET /nowhere=ecs' } })).toThrow(
      /unknown route "GET \/nowhere"/,
    );
  });

  it('for a target the route does not allow, from the config or ROUTE_TARGETS', () => {
    const ecsOnly: RouteDefinition = { ...sample, path: '/stream', target: 'ecs', targets: ['ecs'] };
    const table = [...routes, ecsOnly];
    expect(() => build({ routes: table, env: { ROUTE_TARGETS: 'GET /stream=lambda' } })).toThrow(
      /GET \/stream cannot run on lambda \(allowed: ecs\)/,
    );
    expect(() =>
      build({
        routes: table,
        configs: { ...stackConfigs, dev: { ...dev, routing: { routeTargets: { 'GET /stream': 'lambda' } } } },
      }),
    ).toThrow(/environment config: GET \/stream cannot run on lambda/);
  });

  it('for more rules than an ALB takes', () => {
    // 51 paths: a route rule and a path rule each.
    const many = Array.from({ length: 51 }, (_, i) => ({ ...sample, path: `/r${i}` }));
    expect(() => build({ routes: many })).toThrow(RouteRulesError);
    expect(() => build({ routes: many })).toThrow(/102 listener rules .* at most 100/);
  });

  it('for more conditions than an ALB rule takes', () => {
    const wide: RouteDefinition = { ...sample, path: '/a{/b}{/c}{/d}' };
    expect(() => build({ routes: [wide] })).toThrow(/10 condition values .* at most 5/);
  });

  it('for an HTTPS environment whose configured certificate ARN is empty or not an ACM ARN', () => {
    const prod = stackConfigs.prod as StackConfig;
    for (const certificateArn of ['', 'arn:aws:iam::123456789012:server-certificate/x']) {
      const configs = { ...stackConfigs, prod: { ...prod, alb: { ...prod.alb, https: { certificateArn } } } };
      expect(() => build({ configs, env: { STACK_ENV: 'prod' } })).toThrow(
        /prod: alb\.https\.certificateArn .* is not an ACM certificate ARN/,
      );
    }
  });

  it('for an environment nobody configured', () => {
    expect(() =>
      buildApp({ outdir: scratchDir(), inputs: readSynthInputs({ STACK_ENV: 'staging' }) }),
    ).toThrow(/STACK_ENV: unknown environment "staging" \(configured: dev, prod\)/);
  });
});
