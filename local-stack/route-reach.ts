import { routeId, routes } from '../app/routes.js';
import { expressPathToPatterns } from '../infra/route-patterns.js';
import type { LoadBalancerConfig } from './alb/load-balancer-config.js';
import { decide, type RuleRequest } from './alb/rule-engine.js';

/** Where one route's requests go through the listener rules, found by running them. */
export interface RouteReach {
  readonly route: string;
  /** A path the route serves, used to ask the rules. */
  readonly samplePath: string;
  readonly priority: number | 'default';
  readonly target: string;
  /** Where `OPTIONS` on the same path goes (preflights, and the 405 for other methods). */
  readonly optionsTarget: string;
}

/** `/leads/*` → `/leads/example`: a concrete path every pattern of the route matches. */
export function samplePath(path: string): string {
  return (expressPathToPatterns(path)[0] ?? path).replaceAll('*', 'example').replaceAll('?', 'x');
}

function targetName(
  config: LoadBalancerConfig,
  request: RuleRequest,
): { priority: number | 'default'; target: string } {
  const { rule, action } = decide(config, request);
  const priority = rule?.priority ?? 'default';
  if (action.type !== 'forward') return { priority, target: action.type };
  const groups = action.targetGroups
    .filter((g) => g.weight > 0)
    .map((g) => {
      const group = config.targetGroups.get(g.id);
      return group ? `${group.kind === 'lambda' ? 'lambda' : 'ecs'} ${group.name}` : g.id;
    });
  return { priority, target: groups.join(' + ') };
}

export function routeReach(config: LoadBalancerConfig): RouteReach[] {
  return routes.map((route) => {
    const path = samplePath(route.path);
    const ask = (method: string): RuleRequest => ({
      method,
      path,
      query: '',
      headers: [],
      sourceIp: '203.0.113.10',
    });
    const reached = targetName(config, ask(route.method));
    return {
      route: routeId(route),
      samplePath: path,
      priority: reached.priority,
      target: reached.target,
      optionsTarget: targetName(config, ask('OPTIONS')).target,
    };
  });
}

export function formatRouteReach(reach: readonly RouteReach[]): string {
  const width = Math.max(...reach.map((r) => r.route.length));
  return reach
    .map(
      (r) =>
        `  ${r.route.padEnd(width)}  rule ${String(r.priority).padStart(5)} → ${r.target.padEnd(26)} OPTIONS → ${r.optionsTarget}`,
    )
    .join('\n');
}
