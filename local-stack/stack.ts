import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stackName } from '../infra/api-stack.js';
import { synthesize } from '../infra/app.js';
import { readSynthInputs } from '../infra/synth-inputs.js';
import { HealthChecker } from './alb/health-checks.js';
import {
  type LoadBalancerConfig,
  loadBalancerConfig,
  type TerraformJson,
} from './alb/load-balancer-config.js';
import { type IpTarget, LocalAlb, type RoutedRequest } from './alb/local-alb.js';
import { EcsTask } from './ecs-task.js';
import { LambdaFunction } from './lambda/lambda-function.js';
import { localEnvironment } from './local-environment.js';
import { type RouteReach, routeReach } from './route-reach.js';
import { describeFunction, describeServiceFor } from './stack-description.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Execution environments per function at most on this machine. */
const LOCAL_ENVIRONMENTS = 4;

export interface StackOptions {
  /** The environment whose stack runs (`dev`, `prod`). */
  readonly env: string;
  /** The local ALB's port; 0 (default) picks a free one. */
  readonly port?: number;
  readonly host?: string;
  /** Deploy-time ROUTE_TARGETS, as the Jenkins parameter: `GET /healthz=lambda,...`. */
  readonly routeTargets?: string;
  /** A Redis every process shares (as they share ElastiCache); without it each counts in memory. */
  readonly redisUrl?: string;
  readonly redisKeyPrefix?: string;
  /** Overrides the stack's LOG_LEVEL in every process (tests pass `silent`). */
  readonly logLevel?: string;
  /**
   * Local runs only: CORS_ALLOWED_ORIGINS for the ECS task and every function, in place of the
   * stack's (e.g. a page served from another local port). The CORS checks themselves are unchanged.
   */
  readonly corsAllowedOrigins?: string;
  /** Read this synthesized stack (cdk.tf.json) instead of synthesizing one. */
  readonly stackFile?: string;
  /** Where `npm run build` wrote the artifacts (default dist/); the stack's zips are read from here. */
  readonly distDir?: string;
  /** Process logs: a directory (default: a temporary one), or `inherit`. */
  readonly logs?: string | 'inherit';
  readonly onRequest?: (routed: RoutedRequest) => void;
}

export interface RunningStack {
  readonly url: string;
  readonly port: number;
  /** The ECS task, reachable directly (for comparisons: ALB vs target). */
  readonly ecsUrl: string;
  readonly config: LoadBalancerConfig;
  /** Per route: the rule that takes it and the target it reaches. */
  readonly routes: readonly RouteReach[];
  /** Variables dropped because they name AWS resources. */
  readonly droppedVariables: readonly string[];
  /** The environment the ECS task runs with (the task definition's, made local). */
  readonly ecsEnvironment: Readonly<Record<string, string>>;
  readonly logDir: string | undefined;
  stop(): Promise<void>;
}

/** The synthesized stack of one environment, as Terraform JSON. */
export function synthesizeStack(env: string, routeTargets: string | undefined): TerraformJson {
  const outdir = mkdtempSync(join(tmpdir(), 'stack-synth-'));
  try {
    const [summary] = synthesize({
      outdir,
      inputs: readSynthInputs({ STACK_ENV: env, ...(routeTargets ? { ROUTE_TARGETS: routeTargets } : {}) }),
    });
    if (!summary) throw new Error(`no stack for ${env}`);
    return JSON.parse(readFileSync(summary.file, 'utf8')) as TerraformJson;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * Starts one environment's stack on this machine from the artifacts that would be deployed: the
 * ECS task from dist/server, each Lambda group from its zip (each in its own process), and a local
 * ALB that applies the synthesized listener rules in front of them.
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const stack = options.stackFile
    ? (JSON.parse(readFileSync(options.stackFile, 'utf8')) as TerraformJson)
    : synthesizeStack(options.env, options.routeTargets);
  const config = loadBalancerConfig(stack);
  const distDir = options.distDir ?? join(root, 'dist');
  const work = mkdtempSync(join(tmpdir(), `${stackName(options.env)}-`));
  const logDir = options.logs === 'inherit' ? undefined : (options.logs ?? join(work, 'logs'));
  if (logDir) mkdirSync(logDir, { recursive: true });
  const openLog = (name: string): number | 'inherit' =>
    logDir ? openSync(join(logDir, `${name}.log`), 'a') : 'inherit';
  const fds: number[] = [];
  const local = {
    ...(options.redisUrl ? { redisUrl: options.redisUrl } : {}),
    ...(options.redisKeyPrefix ? { redisKeyPrefix: options.redisKeyPrefix } : {}),
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...(options.corsAllowedOrigins ? { corsAllowedOrigins: options.corsAllowedOrigins } : {}),
    jobsDataDir: join(work, 'jobs'),
    jobsProgram: join(distDir, 'simulation', 'main.mjs'),
  };
  const dropped = new Set<string>();
  const functions = new Map<string, LambdaFunction>();
  const ipTargets = new Map<string, IpTarget>();
  const tasks: EcsTask[] = [];
  let ecsEnvironment: Record<string, string> = {};
  const checkers: HealthChecker[] = [];
  let alb: LocalAlb | undefined;

  const stop = async () => {
    for (const checker of checkers) checker.stop();
    await alb?.stop();
    await Promise.all([
      ...[...functions.values()].map((fn) => fn.stop()),
      ...tasks.map((task) => task.stop()),
    ]);
    for (const fd of fds) closeSync(fd);
    rmSync(join(work, 'functions'), { recursive: true, force: true });
  };

  try {
    const starting: Promise<void>[] = [];
    for (const group of config.targetGroups.values()) {
      if (group.kind === 'lambda') {
        if (!group.functionResource) continue;
        const description = describeFunction(stack, group.functionResource);
        const env = localEnvironment(description.environment, local);
        for (const name of env.dropped) dropped.add(name);
        const log = openLog(description.name);
        if (typeof log === 'number') fds.push(log);
        starting.push(
          LambdaFunction.start({
            name: description.name,
            zipPath: join(distDir, 'lambda', `${description.artifact}.zip`),
            dir: join(work, 'functions', description.name),
            handler: description.handler,
            environment: env.environment,
            timeoutSeconds: description.timeoutSeconds,
            memoryMb: description.memoryMb,
            // Lambda would scale to the reserved concurrency (or the account's); a few here.
            maxEnvironments: Math.min(
              description.reservedConcurrency ?? LOCAL_ENVIRONMENTS,
              LOCAL_ENVIRONMENTS,
            ),
            logFd: log,
          }).then((fn) => {
            functions.set(group.id, fn);
          }),
        );
      } else {
        const container = describeServiceFor(stack, group.id);
        if (!container) continue;
        const env = localEnvironment(container.environment, local);
        ecsEnvironment = env.environment;
        for (const name of [...env.dropped, ...Object.keys(container.secrets)]) dropped.add(name);
        const log = openLog(container.service);
        if (typeof log === 'number') fds.push(log);
        starting.push(
          EcsTask.start({
            serverFile: join(distDir, 'server', 'server.mjs'),
            environment: env.environment,
            logFd: log,
            cwd: work,
          }).then(async (task) => {
            tasks.push(task);
            const health = new HealthChecker(() => (task.running ? task.port : undefined), group.healthCheck);
            checkers.push(health);
            ipTargets.set(group.id, {
              get port() {
                return task.port;
              },
              get running() {
                return task.running;
              },
              health,
            });
            // ELB sends nothing to a new target before it passes one health check.
            if (group.healthCheck.enabled) await health.start();
          }),
        );
      }
    }
    const results = await Promise.allSettled(starting);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;

    alb = await LocalAlb.start({
      config,
      targets: { lambda: (id) => functions.get(id), ip: (id) => ipTargets.get(id) },
      targetGroupArn: (group) =>
        `arn:aws:elasticloadbalancing:local:000000000000:targetgroup/${group.name}/local`,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.host ? { host: options.host } : {}),
      ...(options.onRequest ? { onRequest: options.onRequest } : {}),
    });
  } catch (error) {
    await stop();
    throw error;
  }

  const ecs = tasks[0];
  return {
    url: alb.url,
    port: alb.port,
    ecsUrl: ecs ? `http://127.0.0.1:${ecs.port}` : '',
    config,
    routes: routeReach(config),
    droppedVariables: [...dropped].sort(),
    ecsEnvironment,
    logDir,
    stop,
  };
}
