import { type RouteDefinition, routeId, TARGETS, type Target } from './routes.js';

export class RouteTargetError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Route targets are not valid:\n  - ${problems.join('\n  - ')}`);
    this.name = 'RouteTargetError';
  }
}

/** `POST /simulations=ecs,GET /leads/:leadId=lambda` → `{ 'POST /simulations': 'ecs', … }`. */
export function parseRouteTargets(text: string | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  if (!text || text.trim() === '') return result;
  const problems: string[] = [];
  for (const entry of text.split(',')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    const eq = trimmed.lastIndexOf('=');
    if (eq <= 0) {
      problems.push(`ROUTE_TARGETS entry ${JSON.stringify(trimmed)} is not "METHOD /path=target"`);
      continue;
    }
    const id = trimmed.slice(0, eq).trim().replace(/\s+/g, ' ');
    const [method = '', ...rest] = id.split(' ');
    result[`${method.toUpperCase()} ${rest.join(' ')}`] = trimmed.slice(eq + 1).trim();
  }
  if (problems.length > 0) throw new RouteTargetError(problems);
  return result;
}

export interface RouteAssignment {
  readonly route: RouteDefinition;
  readonly id: string;
  readonly target: Target;
  /** Where the target came from: the route's default, the environment config, or ROUTE_TARGETS. */
  readonly source: 'default' | 'environment' | 'ROUTE_TARGETS';
}

/**
 * Each route's target for one environment: route default, then the environment's overrides, then
 * the deploy-time ROUTE_TARGETS. An unknown route or a target the route does not allow is an error
 * that names it, so a typo never silently deploys the wrong thing.
 */
export function resolveRouteTargets(
  routes: readonly RouteDefinition[],
  layers: { environment?: Readonly<Record<string, string>>; deploy?: Readonly<Record<string, string>> },
): RouteAssignment[] {
  const byId = new Map(routes.map((route) => [routeId(route), route]));
  const problems: string[] = [];
  const check = (layer: string, overrides: Readonly<Record<string, string>>) => {
    for (const [id, target] of Object.entries(overrides)) {
      const route = byId.get(id);
      if (!route) {
        problems.push(
          `${layer}: unknown route ${JSON.stringify(id)} (known: ${[...byId.keys()].join(', ')})`,
        );
      } else if (!(TARGETS as readonly string[]).includes(target)) {
        problems.push(
          `${layer}: ${id}: unknown target ${JSON.stringify(target)} (use ${TARGETS.join(' or ')})`,
        );
      } else if (!route.targets.includes(target as Target)) {
        problems.push(`${layer}: ${id} cannot run on ${target} (allowed: ${route.targets.join(', ')})`);
      }
    }
  };
  check('environment config', layers.environment ?? {});
  check('ROUTE_TARGETS', layers.deploy ?? {});
  if (problems.length > 0) throw new RouteTargetError(problems);

  return routes.map((route) => {
    const id = routeId(route);
    const deploy = layers.deploy?.[id];
    const environment = layers.environment?.[id];
    if (deploy) return { route, id, target: deploy as Target, source: 'ROUTE_TARGETS' };
    if (environment) return { route, id, target: environment as Target, source: 'environment' };
    return { route, id, target: route.target, source: 'default' };
  });
}

/** An aligned text table of the assignments, for `npm start` and `npm run routes`. */
export function formatRouteTable(assignments: readonly RouteAssignment[]): string {
  const header = ['METHOD', 'PATH', 'TARGET', 'LAMBDA GROUP', 'RATE CLASS', 'SOURCE'];
  const rows = assignments.map((a) => [
    a.route.method,
    a.route.path,
    a.target,
    a.route.lambdaGroup,
    `${a.route.rateLimit.class}${a.route.rateLimit.cost > 1 ? ` x${a.route.rateLimit.cost}` : ''}`,
    a.source,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  return [header, ...rows]
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
