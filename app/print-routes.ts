import { pathToFileURL } from 'node:url';
import { environmentRouting } from '../infra/environments.js';
import { planListenerRules } from '../infra/route-patterns.js';
import { readSynthInputs } from '../infra/synth-inputs.js';
import { formatRouteTable, parseRouteTargets, resolveRouteTargets } from './route-targets.js';
import { routes } from './routes.js';

/**
 * `npm run routes -- --env <env> [--json]`: where each route runs in an environment (route
 * default, then the environment's overrides, then ROUTE_TARGETS, as synthesis decides it) and the
 * ALB rule it becomes. `--json` is for machines: one object per route, in rule priority order.
 */
export function printRoutes(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): string {
  const flag = argv.indexOf('--env');
  const name = flag >= 0 ? argv[flag + 1] : 'local';
  const routing = name ? environmentRouting[name] : undefined;
  if (!name || !routing) {
    throw new Error(
      `--env: unknown environment ${JSON.stringify(name ?? '')} (known: ${Object.keys(environmentRouting).join(', ')})`,
    );
  }
  const assignments = resolveRouteTargets(routes, {
    environment: routing.routeTargets,
    deploy: parseRouteTargets(readSynthInputs(env).routeTargets),
  });
  const rules = planListenerRules(assignments);
  const routeRules = rules.filter((r) => r.kind === 'route');

  if (argv.includes('--json')) {
    return `${JSON.stringify(
      routeRules.map(({ assignment: a, priority, methods, pathPatterns }) => ({
        id: a.id,
        method: a.route.method,
        path: a.route.path,
        target: a.target,
        source: a.source,
        lambdaGroup: a.route.lambdaGroup,
        rateLimit: a.route.rateLimit,
        timeoutMs: a.route.timeoutMs,
        rule: { priority, methods, pathPatterns },
      })),
      null,
      2,
    )}\n`;
  }
  const ruleLines = rules.map((r) =>
    r.kind === 'route'
      ? `  ${String(r.priority).padStart(5)}  ${r.methods.join(',').padEnd(9)} ${r.pathPatterns.join(' ').padEnd(18)} → ${r.assignment.target === 'ecs' ? 'ecs' : `lambda:${r.assignment.route.lambdaGroup}`}`
      : `  ${String(r.priority).padStart(5)}  ${'any other'.padEnd(9)} ${r.pathPatterns.join(' ').padEnd(18)} → ${r.target.type === 'ecs' ? 'ecs' : `lambda:${r.target.group}`} (405 with Allow, OPTIONS)`,
  );
  return `Routes (${name}):\n${formatRouteTable(assignments)}\n\nALB rules in priority order (priorities never change when routes are added, removed or moved):\n${ruleLines.join('\n')}\n`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    process.stdout.write(printRoutes(process.argv.slice(2), process.env));
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  }
}
