import type { RouteAssignment } from '../app/route-targets.js';
import type { HttpMethod } from '../app/routes.js';

/**
 * Turns the route table into ALB listener rules: the `path-pattern` values for each Express path,
 * the methods to match, and a priority order in which the most specific pattern wins. Pure data,
 * no cdktf, so `npm run routes` can show the same plan the stacks deploy.
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

/** Gap between priorities, so a hand-made rule can be slotted in without renumbering. */
export const PRIORITY_STEP = 10;

export class RouteRulesError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Listener rules cannot be generated:\n  - ${problems.join('\n  - ')}`);
    this.name = 'RouteRulesError';
  }
}

export interface PlannedRule {
  readonly assignment: RouteAssignment;
  /** `http-request-method` values; GET routes also take HEAD, as Express answers HEAD for them. */
  readonly methods: readonly string[];
  readonly pathPatterns: readonly string[];
  readonly priority: number;
}

/**
 * Express 5 path → ALB path patterns. `:param` and `*splat` become `*`; an optional group
 * `{...}` yields one pattern with and one without it. ALB's `*` also matches `/`, so `/leads/*`
 * takes `/leads/a/b` too: the app's own 404 answers those.
 */
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

/** Sort key: more literal characters first, then fewer wildcards, then a stable tie-break by id. */
function specificity(patterns: readonly string[]): [number, number] {
  const literal = Math.min(...patterns.map((p) => p.replace(/[*?]/g, '').length));
  const wildcards = Math.max(...patterns.map((p) => (p.match(/[*?]/g) ?? []).length));
  return [literal, wildcards];
}

function methodsFor(method: HttpMethod): string[] {
  return method === 'GET' ? ['GET', 'HEAD'] : [method];
}

/**
 * One rule per route, ordered most specific first. `reservedRules` counts rules added beside the
 * routes (the ECS attachment rule), so the quota check sees the whole listener.
 */
export function planListenerRules(
  assignments: readonly RouteAssignment[],
  options: { reservedRules?: number } = {},
): PlannedRule[] {
  const problems: string[] = [];
  const drafts = assignments.map((assignment) => {
    const pathPatterns = expressPathToPatterns(assignment.route.path);
    const methods = methodsFor(assignment.route.method);
    const values = pathPatterns.length + methods.length;
    const wildcards = pathPatterns.join('').match(/[*?]/g)?.length ?? 0;
    if (values > ALB_LIMITS.conditionValuesPerRule) {
      problems.push(
        `${assignment.id}: ${values} condition values (${[...methods, ...pathPatterns].join(', ')}); an ALB rule takes at most ${ALB_LIMITS.conditionValuesPerRule}`,
      );
    }
    if (wildcards > ALB_LIMITS.wildcardsPerRule) {
      problems.push(
        `${assignment.id}: ${wildcards} wildcards; an ALB rule takes at most ${ALB_LIMITS.wildcardsPerRule}`,
      );
    }
    for (const pattern of pathPatterns) {
      if (pattern.length > ALB_LIMITS.pathPatternLength) {
        problems.push(
          `${assignment.id}: path pattern is ${pattern.length} characters; ALB allows ${ALB_LIMITS.pathPatternLength}`,
        );
      }
    }
    return { assignment, methods, pathPatterns, key: specificity(pathPatterns) };
  });

  const total = drafts.length + (options.reservedRules ?? 0);
  if (total > ALB_LIMITS.rulesPerLoadBalancer) {
    problems.push(
      `${total} listener rules (${drafts.length} routes + ${options.reservedRules ?? 0} reserved); an ALB takes at most ${ALB_LIMITS.rulesPerLoadBalancer}: group routes under fewer paths or split the API`,
    );
  }
  if (problems.length > 0) throw new RouteRulesError(problems);

  drafts.sort(
    (a, b) =>
      b.key[0] - a.key[0] || a.key[1] - b.key[1] || a.assignment.id.localeCompare(b.assignment.id, 'en'),
  );
  return drafts.map(({ assignment, methods, pathPatterns }, index) => ({
    assignment,
    methods,
    pathPatterns,
    priority: (index + 1) * PRIORITY_STEP,
  }));
}
