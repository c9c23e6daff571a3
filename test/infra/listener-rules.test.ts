import { beforeAll, describe, expect, it } from 'vitest';
import { type RouteDefinition, routeId, routes } from '../../app/routes.js';
import { type LoadBalancerConfig, loadBalancerConfig } from '../../local-stack/alb/load-balancer-config.js';
import { decide, type RuleRequest } from '../../local-stack/alb/rule-engine.js';
import { samplePath } from '../../local-stack/route-reach.js';
import { type StackJson, synthStacks } from './synth.js';

/**
 * The synthesized listener rules, executed: every request below is decided by the local ALB's rule
 * engine from the stack's Terraform JSON, as ELB would decide it after `terraform apply`.
 */

const sample = routes.find((r) => r.path === '/leads/:leadId') as RouteDefinition;
const extraRoute: RouteDefinition = { ...sample, method: 'GET', path: '/leads/:leadId/notes' };
const removed = routes.find((r) => r.method === 'DELETE') as RouteDefinition;

type Rules = Record<string, Record<string, unknown>>;
const rulesOf = (stack: StackJson): Rules => (stack.resource.aws_lb_listener_rule ?? {}) as Rules;

let stacks: Record<string, StackJson>;
let withExtra: Record<string, StackJson>;
let withoutOne: Record<string, StackJson>;
beforeAll(() => {
  stacks = synthStacks();
  withExtra = synthStacks({ routes: [...routes, extraRoute] });
  withoutOne = synthStacks({ routes: routes.filter((r) => r !== removed) });
});

function ask(method: string, path: string, headers: [string, string][] = []): RuleRequest {
  return { method, path, query: '', headers, sourceIp: '198.51.100.1' };
}

/** The kind of target a request reaches: `lambda <group tg>`, `ecs`, or the fixed response. */
function reach(config: LoadBalancerConfig, request: RuleRequest): string {
  const { action } = decide(config, request);
  if (action.type !== 'forward')
    return `${action.type} ${action.type === 'fixed-response' ? action.statusCode : ''}`;
  return action.targetGroups
    .filter((g) => g.weight > 0)
    .map((g) => {
      const group = config.targetGroups.get(g.id);
      return group?.kind === 'lambda' ? `lambda ${group.name}` : 'ecs';
    })
    .join('+');
}

describe.each(['dev', 'prod'])('%s listener rules', (env) => {
  it('keep every surviving rule on its priority when a route is added or removed, with no priority twice', () => {
    // Prepare
    const before = rulesOf(stacks[env] as StackJson);
    const priority = (rules: Rules) =>
      new Map(Object.entries(rules).map(([name, rule]) => [name, rule.priority as number]));

    // Act
    const added = priority(rulesOf(withExtra[env] as StackJson));
    const dropped = priority(rulesOf(withoutOne[env] as StackJson));

    // Assess
    for (const [name, value] of priority(before)) {
      if (added.has(name)) expect(added.get(name), `${name} after adding a route`).toBe(value);
      if (dropped.has(name)) expect(dropped.get(name), `${name} after removing a route`).toBe(value);
    }
    // The new route brings its rule and its path's rule; the removed one shared its path with another.
    expect(added.size).toBe(Object.keys(before).length + 2);
    expect(dropped.size).toBe(Object.keys(before).length - 1);
    for (const rules of [priority(before), added, dropped]) {
      expect(new Set(rules.values()).size).toBe(rules.size);
    }
  });

  it('send OPTIONS and a method the path does not have to a runtime on every route path', () => {
    const config = loadBalancerConfig(stacks[env] as StackJson);
    for (const path of new Set(routes.map((r) => r.path))) {
      const concrete = samplePath(path);
      const methods = routes.filter((r) => r.path === path).map((r) => r.method as string);
      const missing = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].find((m) => !methods.includes(m)) as string;

      for (const method of ['OPTIONS', missing]) {
        const reached = reach(config, ask(method, concrete));
        expect(reached, `${method} ${concrete}`).toMatch(/^(lambda \S+|ecs)$/);
        const group = routes.find((r) => r.path === path)?.lambdaGroup;
        if (reached.startsWith('lambda')) expect(reached).toMatch(new RegExp(`-fn-${group}$`));
      }
    }
  });

  it('send each route to the target its environment gives it, and unknown paths to the fixed 404', () => {
    const config = loadBalancerConfig(stacks[env] as StackJson);
    for (const route of routes) {
      const reached = reach(config, ask(route.method, samplePath(route.path)));
      const tag = Object.values(rulesOf(stacks[env] as StackJson)).find(
        (rule) => (rule.tags as Record<string, string> | undefined)?.Route === routeId(route),
      )?.tags as Record<string, string>;
      expect(reached, routeId(route)).toMatch(
        tag.Target === 'ecs' ? /^ecs$/ : new RegExp(`^lambda .*-fn-${route.lambdaGroup}$`),
      );
    }
    expect(reach(config, ask('GET', '/nothing/here'))).toBe('fixed-response 404');
    expect(reach(config, ask('GET', '/LEADS/ada'))).toBe('fixed-response 404');
  });

  it('let no anonymous request choose the runtime', () => {
    const config = loadBalancerConfig(stacks[env] as StackJson);
    for (const headers of [[['x-runtime-target', 'ecs']], [['x-runtime-target', 'lambda']]] as [
      string,
      string,
    ][][]) {
      for (const route of routes) {
        const request = ask(route.method, samplePath(route.path));
        expect(reach(config, { ...request, headers })).toBe(reach(config, request));
      }
      expect(reach(config, ask('GET', '/nothing/here', headers))).toBe('fixed-response 404');
    }
    // The ECS target group stays on the listener (ECS registers tasks only then), with weight 0
    // where the path rule forwards to Lambda.
    const ecsGroup = [...config.targetGroups.values()].find((g) => g.kind === 'ip');
    const named = config.rules.filter(
      (rule) => rule.action.type === 'forward' && rule.action.targetGroups.some((g) => g.id === ecsGroup?.id),
    );
    expect(named.length).toBeGreaterThan(0);
  });
});
