import { parseArgs } from 'node:util';
import { buildAll } from '../scripts/build.js';
import { formatRouteReach } from './route-reach.js';
import { startStack } from './stack.js';

const HELP = `npm run stack -- [options]: one environment's synthesized stack, running on this machine

  --env <env>              dev (default) or prod
  --port <n>               the local ALB's port (default 8080; 0 picks a free one)
  --host <addr>            the address it listens on (default 127.0.0.1)
  --route-targets <list>   deploy-time ROUTE_TARGETS: 'GET /healthz=lambda,...'
  --cors-origins <list>    local runs only: CORS_ALLOWED_ORIGINS for the ECS task and every function,
                           in place of the stack's (e.g. 'http://localhost:5173' for a page served here)
  --from <dir>             read the stack from an existing synthesis (cdktf.out) instead of synthesizing
  --no-build               reuse dist/ instead of running npm run build
  --quiet                  no line per request
  --help                   this text

REDIS_URL, when set, is the Redis every process shares; without it each counts in memory.
`;

/**
 * `npm run stack -- --env <env> [--port N] [--route-targets "..."] [--cors-origins "..."] [--from cdktf.out] [--no-build]`:
 * one environment's deployed topology on this machine. Synthesizes the stack (or reads it from
 * cdktf.out), builds the artifacts, starts the ECS task and each Lambda group from what was built,
 * and a local ALB that runs the synthesized listener rules. REDIS_URL, when set, is the Redis every
 * process shares; without it each counts in memory. Ctrl-C stops everything.
 */
async function main(): Promise<void> {
  const startedAt = performance.now();
  const { values } = parseArgs({
    options: {
      env: { type: 'string', default: 'dev' },
      port: { type: 'string', default: '8080' },
      host: { type: 'string', default: '127.0.0.1' },
      'route-targets': { type: 'string' },
      from: { type: 'string' },
      build: { type: 'boolean', default: true },
      'no-build': { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      'cors-origins': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const env = values.env as string;
  const routeTargets = values['route-targets'] ?? process.env.ROUTE_TARGETS;
  const step = (text: string) => process.stdout.write(`[stack] ${text}\n`);

  if (values['no-build']) step('using the artifacts already in dist/ (--no-build)');
  else {
    step('building (npm run build)…');
    await buildAll((line) => step(`  ${line}`));
  }
  step(values.from ? `reading the ${env} stack from ${values.from}` : `synthesizing the ${env} stack…`);
  const stack = await startStack({
    env,
    port: Number(values.port),
    host: values.host as string,
    ...(routeTargets ? { routeTargets } : {}),
    ...(values['cors-origins'] ? { corsAllowedOrigins: values['cors-origins'] } : {}),
    ...(values.from ? { stackFile: `${values.from}/stacks/dual-runtime-api-${env}/cdk.tf.json` } : {}),
    ...(process.env.REDIS_URL ? { redisUrl: process.env.REDIS_URL } : {}),
    ...(values.quiet
      ? {}
      : {
          onRequest: (r) =>
            step(
              `${r.method} ${r.path} → rule ${r.priority} → ${r.target} ${r.status} (${r.ms.toFixed(1)} ms)`,
            ),
        }),
  });
  const seconds = ((performance.now() - startedAt) / 1000).toFixed(1);
  process.stdout.write(
    [
      '',
      `Local ${env} stack on ${stack.url} (ready in ${seconds} s; Redis: ${process.env.REDIS_URL ?? 'none, memory stores'})`,
      `ECS task directly: ${stack.ecsUrl}`,
      `Process logs: ${stack.logDir ?? 'this terminal'}`,
      ...(values['cors-origins'] ? [`CORS_ALLOWED_ORIGINS (local override): ${values['cors-origins']}`] : []),
      stack.droppedVariables.length > 0
        ? `AWS-only variables left out: ${stack.droppedVariables.join(', ')}`
        : 'No AWS-only variables.',
      '',
      'Routes through the listener rules:',
      formatRouteReach(stack.routes),
      '',
    ].join('\n'),
  );
  const shutdown = () => {
    step('stopping…');
    void stack.stop().then(() => process.exit(0));
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
  process.once('SIGHUP', shutdown);
}

main().catch((error: unknown) => {
  process.stderr.write(`stack failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
