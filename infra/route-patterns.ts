import { createHash } from 'node:crypto';
import type { RouteAssignment } from '../app/route-targets.js';
import type { HttpMethod } from '../app/routes.js';
import { pinnedRulePriorities } from './rule-priorities.js';

/**
 * Turns the route table into ALB listener rules: the `path-pattern` values for each Express path,
 * the methods to match, and priorities. Pure data, no cdktf, so `npm run routes` and the local
 * ALB can show and run the same plan the stacks deploy.
 *
 * Two kinds of rule:
 * - a route rule per route (`http-request-method` + `path-pattern`) forwarding to its target;
 * - a path rule per route path (`path-pattern` only), after every route rule, so `OPTIONS` and a
 *   method the path does not have reach the app (its 405 with `Allow`, or a CORS preflight) instead
 *   of the listener's fixed 404.
 *
 * Priorities never depend on the other routes: each is derived from the rule's own key (a hash)
 * inside a band for its specificity, so adding, removing or flipping a route leaves every other
 * rule's priority as it was (ELB refuses a priority another rule still holds, `PriorityInUse`,
 * and Terraform updates rules in no particular order).
 */

/**
 * ALB quotas ("Quotas for your Application Load Balancers", Elastic Load Balancing docs): 100 rules
 * per load balancer besides the default ones, 5 condition values and 5 wildcards per rule, path
 * patterns of at most 128 characters, priorities 1–50,000.
 */
export const ALB_LIMITS = {
  rulesPerLoadBalancer: 100,
  conditionValuesPerRule: 5,
  wildcardsPerRule: 5,
  pathPatternLength: 128,
  maxPriority: 50_000,
} as const;

/**
 * Priority bands. 1–999 stay free for hand-made rules (maintenance pages, blocks). Route rules
 * come before every path rule, so a path rule never takes a request a route rule would match.
 * Inside a band, one tier per count of literal characters (0–64; longer ones share the last
 * tier), more literal characters first; inside a tier, a slot from the rule key's hash (369 slots:
 * two rules of the same literal length collide with a chance of 1 in 369, and synthesis then says
 * which one to pin).
 */
export const PRIORITY_BANDS = {
  route: { first: 1_000, size: 24_000 },
  path: { first: 25_000, size: 24_000 },
} as const;
const MAX_TIERED_LITERAL = 64;
const TIERS = MAX_TIERED_LITERAL + 1;
export const TIER_WIDTH = Math.floor(PRIORITY_BANDS.route.size / TIERS);

export class RouteRulesError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Listener rules cannot be generated:\n  - ${problems.join('\n  - ')}`);
    this.name = 'RouteRulesError';
  }
}

interface PlannedBase {
  /** What the priority is derived from: the route id, or `ANY <path>` for a path rule. */
  readonly key: string;
  readonly pathPatterns: readonly string[];
  readonly priority: number;
}

export interface PlannedRouteRule extends PlannedBase {
  readonly kind: 'route';
  readonly assignment: RouteAssignment;
  /** `http-request-method` values; GET routes also take HEAD, as Express answers HEAD for them. */
  readonly methods: readonly string[];
}

export interface PlannedPathRule extends PlannedBase {
  readonly kind: 'path';
  /** The Express path the rule stands for. */
  readonly path: string;
  /** The routes on this path (their methods are what `Allow` lists). */
  readonly routeIds: readonly string[];
  /**
   * Where `OPTIONS` and other methods go: the Lambda group serving every route of the path (its
   * concurrency bounds a flood; every group is always deployed), or ECS when the path's routes are
   * split over groups (only ECS serves them all, so only it answers with the full `Allow`). Never
   * depends on the routes' current targets, so a flip changes no path rule.
   */
  readonly target: { readonly type: 'lambda'; readonly group: string } | { readonly type: 'ecs' };
}

export type PlannedRule = PlannedRouteRule | PlannedPathRule;

/** Express 5 path → ALB path patterns. `:param` and `*splat` become `*`; see the test for examples. */
export function expressPathToPatterns(path: string): string[] {
  const open = path.indexOf('{');
  if (open >= 0) {
    const close = path.indexOf('}', open);
    if (close < 0) throw new RouteRulesError([`${path}: unbalanced "{" in path`]);
    const before = path.slice(0, open);
    const inside = path.slice(open + 1, close);
    const after = path.slice(close + 1);
    return [
      ...new Set([
        ...expressPathToPatterns(before + inside + after),
        ...expressPathToPatterns(before + after),
      ]),
    ];
  }
  const pattern = path.replace(/[:*](?:"[^"]*"|[A-Za-z_$][A-Za-z0-9_$]*)/g, '*').replace(/\*{2,}/g, '*');
  return [pattern === '' ? '/' : pattern];
}

/** Patterns are few and fixed per stack; the local ALB matches them on every request. */
const compiledPatterns = new Map<string, RegExp>();

/**
 * ALB `path-pattern` matching ("PathPatternConditionConfig", ELB API reference): case-sensitive,
 * `*` matches 0 or more characters (including `/`), `?` exactly one, against the path only.
 */
export function pathPatternMatches(pattern: string, path: string): boolean {
  let compiled = compiledPatterns.get(pattern);
  if (!compiled) {
    const source = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    compiled = new RegExp(`^${source}$`, 's');
    compiledPatterns.set(pattern, compiled);
  }
  return compiled.test(path);
}

function literalLength(patterns: readonly string[]): number {
  return Math.min(...patterns.map((p) => p.replace(/[*?]/g, '').length));
}

function methodsFor(method: HttpMethod): string[] {
  return method === 'GET' ? ['GET', 'HEAD'] : [method];
}

/** A slot in the tier from the key alone: the same key always lands on the same slot. */
function slotOf(key: string): number {
  return createHash('sha256').update(key).digest().readUInt32BE(0) % TIER_WIDTH;
}

function derivedPriority(
  band: keyof typeof PRIORITY_BANDS,
  key: string,
  patterns: readonly string[],
): number {
  const tier = MAX_TIERED_LITERAL - Math.min(literalLength(patterns), MAX_TIERED_LITERAL);
  return PRIORITY_BANDS[band].first + tier * TIER_WIDTH + slotOf(key);
}

function checkLimits(
  label: string,
  values: readonly string[],
  pathPatterns: readonly string[],
  problems: string[],
): void {
  const wildcards = pathPatterns.join('').match(/[*?]/g)?.length ?? 0;
  if (values.length > ALB_LIMITS.conditionValuesPerRule) {
    problems.push(
      `${label}: ${values.length} condition values (${values.join(', ')}); an ALB rule takes at most ${ALB_LIMITS.conditionValuesPerRule}`,
    );
  }
  if (wildcards > ALB_LIMITS.wildcardsPerRule) {
    problems.push(
      `${label}: ${wildcards} wildcards; an ALB rule takes at most ${ALB_LIMITS.wildcardsPerRule}`,
    );
  }
  for (const pattern of pathPatterns) {
    if (pattern.length > ALB_LIMITS.pathPatternLength) {
      problems.push(
        `${label}: path pattern is ${pattern.length} characters; ALB allows ${ALB_LIMITS.pathPatternLength}`,
      );
    }
  }
}

/** True when every request rule `b` matches is matched by the earlier rule `a` first. */
function shadows(a: PlannedRule, b: PlannedRule): boolean {
  if (a.kind === 'route' && b.kind === 'route' && !b.methods.every((m) => a.methods.includes(m)))
    return false;
  if (a.kind === 'route' && b.kind === 'path') return false;
  // Read b's pattern as a path: if a's glob takes it whole (wildcards included), a takes all of b's.
  return b.pathPatterns.every((pattern) => a.pathPatterns.some((p) => pathPatternMatches(p, pattern)));
}

export interface PlanOptions {
  /** Rules added beside the generated ones, counted against the ALB's rule quota. */
  readonly reservedRules?: number;
  /** Rule key → priority, for the rare rule whose derived priority collides; see rule-priorities.ts. */
  readonly pins?: Readonly<Record<string, number>>;
}

/**
 * Every listener rule for the route table, in priority order. Fails with every problem at once,
 * each naming the route: ALB limits, two rules on one priority, or a rule that an earlier, more
 * general one would hide.
 */
export function planListenerRules(
  assignments: readonly RouteAssignment[],
  options: PlanOptions = {},
): PlannedRule[] {
  const pins = options.pins ?? pinnedRulePriorities;
  const problems: string[] = [];
  const priorityFor = (band: keyof typeof PRIORITY_BANDS, key: string, patterns: readonly string[]) =>
    pins[key] ?? derivedPriority(band, key, patterns);

  const routeRules: PlannedRouteRule[] = assignments.map((assignment) => {
    const pathPatterns = expressPathToPatterns(assignment.route.path);
    const methods = methodsFor(assignment.route.method);
    checkLimits(assignment.id, [...methods, ...pathPatterns], pathPatterns, problems);
    return {
      kind: 'route',
      key: assignment.id,
      assignment,
      methods,
      pathPatterns,
      priority: priorityFor('route', assignment.id, pathPatterns),
    };
  });

  const byPath = new Map<string, RouteAssignment[]>();
  for (const assignment of assignments) {
    byPath.set(assignment.route.path, [...(byPath.get(assignment.route.path) ?? []), assignment]);
  }
  const pathRules: PlannedPathRule[] = [...byPath].map(([path, onPath]) => {
    const pathPatterns = expressPathToPatterns(path);
    const key = `ANY ${path}`;
    checkLimits(key, pathPatterns, pathPatterns, problems);
    const groups = new Set(onPath.map((a) => a.route.lambdaGroup));
    const lambdaServesAll = groups.size === 1 && onPath.every((a) => a.route.targets.includes('lambda'));
    return {
      kind: 'path',
      key,
      path,
      routeIds: onPath.map((a) => a.id),
      pathPatterns,
      target: lambdaServesAll ? { type: 'lambda', group: [...groups][0] as string } : { type: 'ecs' },
      priority: priorityFor('path', key, pathPatterns),
    };
  });

  const rules: PlannedRule[] = [...routeRules, ...pathRules];
  const total = rules.length + (options.reservedRules ?? 0);
  if (total > ALB_LIMITS.rulesPerLoadBalancer) {
    problems.push(
      `${total} listener rules (${routeRules.length} routes + ${pathRules.length} paths + ${options.reservedRules ?? 0} reserved); an ALB takes at most ${ALB_LIMITS.rulesPerLoadBalancer}: group routes under fewer paths or split the API`,
    );
  }
  if (problems.length > 0) throw new RouteRulesError(problems);

  rules.sort((a, b) => a.priority - b.priority);
  const seen = new Map<number, string>();
  for (const rule of rules) {
    const holder = seen.get(rule.priority);
    if (holder) {
      problems.push(
        `${rule.key} and ${holder} both get priority ${rule.priority}: pin one of them to a free priority in infra/rule-priorities.ts (existing rules keep theirs)`,
      );
    }
    seen.set(rule.priority, rule.key);
    if (rule.priority < 1 || rule.priority > ALB_LIMITS.maxPriority) {
      problems.push(`${rule.key}: priority ${rule.priority} is outside 1–${ALB_LIMITS.maxPriority}`);
    }
  }
  for (const [i, later] of rules.entries()) {
    const earlier = rules.slice(0, i).find((rule) => shadows(rule, later));
    if (earlier) {
      problems.push(
        `${later.key} (priority ${later.priority}) is hidden by ${earlier.key} (priority ${earlier.priority}), which matches every request it does: pin ${later.key} below ${earlier.priority} in infra/rule-priorities.ts`,
      );
    }
  }
  if (problems.length > 0) throw new RouteRulesError(problems);
  return rules;
}
