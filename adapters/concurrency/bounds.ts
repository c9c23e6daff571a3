import type { LambdaGroupDefinition } from '../../app/lambda-groups.js';
import type { RouteDefinition } from '../../app/routes.js';

/** As app/routes.ts `routeId`, which this file does not import so configuration stays light. */
const routeId = (route: Pick<RouteDefinition, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** One bound a request must fit in: its group's (Group Max Concurrency) or its route's own. */
export interface ConcurrencyBound {
  /** `group:jobs` or `route:GET /simulations/:id`: its Redis key and its name in logs. */
  readonly id: string;
  readonly scope: 'group' | 'route';
  /** The group name or the route id. */
  readonly name: string;
  readonly limit: number;
}

/** What a route's requests are held to: every bound at once, and how long one may queue. */
export interface RouteBounds {
  readonly group: string;
  readonly bounds: readonly ConcurrencyBound[];
  readonly maxQueueMs: number;
}

/** Group name or route id → a bound, or `off` to lift the route table's. */
export type ConcurrencyOverrides = Readonly<Record<string, number | 'off'>>;

const MAX_LIMIT = 1_000_000;

/**
 * Parses `MAX_CONCURRENCY`: comma-separated `name=N` pairs, the name a Lambda group (`jobs=3`) or a
 * route id (`GET /simulations/:id=2`), N a positive integer or `off`. Syntax only; names are
 * checked against the route table by `unknownConcurrencyNames`.
 */
export function parseConcurrencyOverrides(text: string): {
  overrides: ConcurrencyOverrides;
  problems: string[];
} {
  const overrides: Record<string, number | 'off'> = {};
  const problems: string[] = [];
  for (const pair of text.split(',').map((p) => p.trim())) {
    if (pair === '') continue;
    const eq = pair.lastIndexOf('=');
    const name = eq === -1 ? '' : pair.slice(0, eq).trim();
    const value = eq === -1 ? '' : pair.slice(eq + 1).trim();
    if (name === '' || value === '') {
      problems.push(`${JSON.stringify(pair)} is not group=N (e.g. jobs=3,leads=50)`);
      continue;
    }
    if (name in overrides) problems.push(`${name} is given twice`);
    if (value === 'off') {
      overrides[name] = 'off';
    } else if (/^\d+$/.test(value) && Number(value) >= 1 && Number(value) <= MAX_LIMIT) {
      overrides[name] = Number(value);
    } else {
      problems.push(`${name}: ${JSON.stringify(value)} is not a whole number from 1 to ${MAX_LIMIT} or off`);
    }
  }
  return { overrides, problems };
}

/** A name with a space is a route id (`GET /simulations/:id`), any other a Lambda group. */
export function isRouteName(name: string): boolean {
  return name.includes(' ');
}

/**
 * Names in the overrides that are not a Lambda group, or (when the route table is given) not a
 * route id of it. Without the table, route ids are checked for their shape only.
 */
export function unknownConcurrencyNames(
  overrides: ConcurrencyOverrides,
  groups: Readonly<Record<string, LambdaGroupDefinition>>,
  routes?: readonly RouteDefinition[],
): string[] {
  const ids = routes ? new Set(routes.map(routeId)) : undefined;
  const problems: string[] = [];
  for (const name of Object.keys(overrides)) {
    if (!isRouteName(name)) {
      if (!(name in groups))
        problems.push(
          `unknown Lambda group ${JSON.stringify(name)} (groups: ${Object.keys(groups).join(', ')})`,
        );
    } else if (ids ? !ids.has(name) : !/^[A-Z]+ \/\S*$/.test(name)) {
      problems.push(
        `unknown route ${JSON.stringify(name)} (a route id is METHOD /path, as in the route table)`,
      );
    }
  }
  return problems;
}

/** Writes overrides back in `MAX_CONCURRENCY` form, for the stacks to hand to both runtimes. */
export function formatConcurrencyOverrides(overrides: ConcurrencyOverrides): string {
  return Object.entries(overrides)
    .map(([name, value]) => `${name}=${value}`)
    .join(',');
}

/**
 * The bounds of every route that has any: the route's own bound (if any) and its group's, after
 * the overrides (later ones win). Routes without a bound are left out: they cost nothing.
 */
export function resolveConcurrencyBounds(
  routes: readonly RouteDefinition[],
  groups: Readonly<Record<string, LambdaGroupDefinition>>,
  ...overrides: readonly ConcurrencyOverrides[]
): ReadonlyMap<string, RouteBounds> {
  const merged: Record<string, number | 'off'> = Object.assign({}, ...overrides);
  const effective = (name: string, declared: number | undefined): number | undefined => {
    const override = merged[name];
    if (override === 'off') return undefined;
    return override ?? declared;
  };
  const byRoute = new Map<string, RouteBounds>();
  for (const route of routes) {
    const id = routeId(route);
    const group = groups[route.lambdaGroup];
    const bounds: ConcurrencyBound[] = [];
    const routeLimit = effective(id, route.maxConcurrency);
    if (routeLimit !== undefined)
      bounds.push({ id: `route:${id}`, scope: 'route', name: id, limit: routeLimit });
    const groupLimit = effective(route.lambdaGroup, group?.maxConcurrency);
    if (groupLimit !== undefined)
      bounds.push({
        id: `group:${route.lambdaGroup}`,
        scope: 'group',
        name: route.lambdaGroup,
        limit: groupLimit,
      });
    if (bounds.length > 0)
      byRoute.set(id, { group: route.lambdaGroup, bounds, maxQueueMs: group?.maxQueueMs ?? 0 });
  }
  return byRoute;
}
