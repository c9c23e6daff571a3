import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import { createRedisClient } from '../../../app/redis.js';
import { deletePrefix, uniquePrefix } from '../../helpers/redis-server.js';
import { synthStacks } from '../../infra/synth.js';
import { LocalEcsServer, type TaskStateChangeEvent } from '../../servers/ecs-server.js';
import type { FakeTask, TaskContainer } from '../../servers/ecs-types.js';
import { type AccessCheck, LocalIam } from '../../servers/iam/local-iam.js';
import { type LocalStack, localStackFrom } from '../../servers/iam/local-stack.js';
import { LocalS3Server } from '../../servers/s3-server.js';
import { LocalSqsServer } from '../../servers/sqs-server.js';
import { type ServerProcess, startServerProcess } from '../../shutdown/server-process.js';
import { matchesPattern } from './event-pattern.js';
import { LocalLambda } from './local-lambda.js';
import { SqsEventSource } from './sqs-event-source.js';

/** Several processes compile TypeScript at once on a shared 2-core machine: starts can be slow. */
const START_TIMEOUT_MS = 90_000;
const SIMULATION = fileURLToPath(new URL('../../../app/jobs/simulation/main.ts', import.meta.url));

/** The module each deployed handler comes from (the same entries scripts/build.ts bundles). */
const ENTRIES: Readonly<Record<string, string>> = {
  'pacer.handler': 'app/jobs/pacer-lambda.ts',
  'task-events.handler': 'app/jobs/task-events-lambda.ts',
  'dead-letters.handler': 'app/jobs/dead-letters-lambda.ts',
};

export interface LocalAwsOptions {
  readonly redisUrl: string;
  /** SQS time runs this much faster (see LocalSqsServer); 1 by default. */
  readonly sqsTimeScale?: number;
}

/**
 * The dev stack's AWS side, run locally from its synthesized Terraform: local S3, SQS and ECS
 * that check every call against the caller's role; the API server as its ECS task would run it
 * (the task definition's environment, the task role's identity); the pacer, task-events and
 * dead-letter functions each in a process of their own with their function's environment and
 * role; the SQS event source mappings and the EventBridge rule that feed them; and simulation
 * tasks as real child processes with the simulation task role and RunTask's overrides.
 *
 * What is replaced, and why: Redis is a local one (`redisUrl`, a key prefix per run) without
 * AUTH, so the Secrets Manager lookups of the AUTH token are left out; the API's ECS secrets
 * (API key hashes) are not injected; network ids are placeholders.
 */
export class LocalAws {
  readonly prefix = uniquePrefix('aws');
  readonly lambdas = new Map<string, LocalLambda>();
  readonly eventSources: SqsEventSource[] = [];
  readonly eventErrors: string[] = [];
  readonly containers = new Set<ChildProcess>();
  api: ServerProcess | undefined;

  private constructor(
    readonly stack: LocalStack,
    readonly iam: LocalIam,
    readonly s3: LocalS3Server,
    readonly sqs: LocalSqsServer,
    readonly ecs: LocalEcsServer,
    readonly redis: Redis,
    private readonly options: LocalAwsOptions,
  ) {}

  static async start(options: LocalAwsOptions): Promise<LocalAws> {
    const stackJson = synthStacks({ env: { STACK_ENV: 'dev' } }).dev;
    if (!stackJson) throw new Error('no dev stack');
    const region = (stackJson.provider?.aws as { region: string }[] | undefined)?.[0]?.region ?? 'us-east-1';
    // The SQS server's URL is part of the queue URLs the stack resolves to; IAM needs the stack.
    let iam: LocalIam | undefined;
    const access: AccessCheck = {
      authorize: (key, call) => {
        if (!iam) throw new Error('IAM is not ready');
        return iam.authorize(key, call);
      },
    };
    const sqs = await LocalSqsServer.start({
      access,
      region,
      ...(options.sqsTimeScale ? { timeScale: options.sqsTimeScale } : {}),
    });
    const stack = localStackFrom(stackJson, { sqsEndpoint: sqs.url });
    iam = new LocalIam(stack);
    sqs.createQueuesFrom(stack);
    const s3 = await LocalS3Server.start({
      access,
      kmsKeyOf: (bucket) => stack.buckets.get(bucket)?.kmsKeyArn,
    });
    let aws: LocalAws | undefined;
    const ecs = await LocalEcsServer.start({
      access,
      region,
      taskDefinitions: stack.taskDefinitions,
      containers: (task) => aws?.runContainer(task),
    });
    aws = new LocalAws(stack, iam, s3, sqs, ecs, createRedisClient({ url: options.redisUrl }), options);
    const local = aws;
    ecs.onTaskStateChange((event) => void local.deliverEvent(event));
    return aws;
  }

  private endpoints(): Record<string, string> {
    return {
      AWS_ENDPOINT_URL_S3: this.s3.url,
      AWS_ENDPOINT_URL_SQS: this.sqs.url,
      AWS_ENDPOINT_URL_ECS: this.ecs.url,
    };
  }

  /** What every process of ours gets besides its own variables: identity, endpoints, Redis. */
  private processEnvironment(roleName: string): Record<string, string> {
    return {
      ...this.iam.environmentFor(roleName),
      ...this.endpoints(),
      REDIS_URL: this.options.redisUrl,
      REDIS_KEY_PREFIX: this.prefix,
      LOG_LEVEL: process.env.LOCAL_AWS_LOG_LEVEL ?? 'silent',
    };
  }

  /** The API as its ECS service runs it: the task definition's environment, the task role. */
  async startApi(): Promise<ServerProcess> {
    const family = [...this.stack.taskDefinitions.values()].find((t) => t.containers[0]?.name === 'api');
    if (!family?.taskRoleName) throw new Error('no API task definition');
    const environment = { ...(family.containers[0]?.environment ?? {}) };
    this.api = await startServerProcess(
      {
        ...environment,
        ...this.processEnvironment(family.taskRoleName),
        PORT: '0',
        HOST: '127.0.0.1',
        // The listening line is what startServerProcess waits for.
        LOG_LEVEL: 'info',
        // The tests poll job status; the limits are test/rate-limit's subject.
        RATE_LIMIT_STANDARD_ANONYMOUS: '100000',
        RATE_LIMIT_JOBS_ANONYMOUS: '100000',
        // Nothing to drain in a test: stop at once.
        SHUTDOWN_DRAIN_MS: '0',
        SHUTDOWN_TIMEOUT_MS: '2000',
      },
      undefined,
      START_TIMEOUT_MS,
    );
    return this.api;
  }

  get apiUrl(): string {
    if (!this.api) throw new Error('API not started');
    return `http://127.0.0.1:${this.api.port}`;
  }

  /** Starts every function of the stack this suite runs, as the stack configures it. */
  async startFunctions(): Promise<void> {
    const functions = [...this.stack.functions.values()].filter((f) => ENTRIES[f.handler]);
    await Promise.all(
      functions.map(async (fn) => {
        const { REDIS_AUTH_SECRET_ARN: _noAuth, ...environment } = fn.environment;
        const lambda = await LocalLambda.start({
          name: fn.name,
          entry: ENTRIES[fn.handler] as string,
          timeoutSeconds: fn.timeoutSeconds,
          startTimeoutMs: START_TIMEOUT_MS,
          environment: { ...environment, ...this.processEnvironment(fn.roleName) },
        });
        this.lambdas.set(fn.name, lambda);
      }),
    );
  }

  /** Enables the stack's SQS event source mappings (each polls with its function's role). */
  startEventSources(filter: (functionName: string) => boolean = () => true): void {
    for (const mapping of this.stack.eventSourceMappings) {
      if (!filter(mapping.functionName)) continue;
      const lambda = this.lambdas.get(mapping.functionName);
      const fn = this.stack.functions.get(mapping.functionName);
      const queue = this.stack.queues.get(mapping.queueName);
      if (!lambda || !fn || !queue) throw new Error(`event source for ${mapping.functionName}: not running`);
      this.eventSources.push(
        new SqsEventSource({
          lambda,
          queueUrl: `${this.sqs.url}/${this.stack.accountId}/${queue.name}`,
          queueArn: queue.arn,
          region: this.stack.region,
          batchSize: mapping.batchSize,
          credentials: this.iam.credentialsFor(fn.roleName),
          endpoint: this.sqs.url,
        }),
      );
    }
  }

  /** Disables the event source mappings of the functions `filter` picks (a mapping disabled in the console). */
  async stopEventSources(filter: (functionName: string) => boolean): Promise<void> {
    const stopping = this.eventSources.filter((source) => filter(source.functionName));
    for (const source of stopping) this.eventSources.splice(this.eventSources.indexOf(source), 1);
    await Promise.all(stopping.map((source) => source.stop()));
  }

  functionNamed(suffix: string): string {
    const name = [...this.stack.functions.keys()].find((n) => n.endsWith(suffix));
    if (!name) throw new Error(`no function ending in ${suffix}`);
    return name;
  }

  queueNamed(suffix: string): string {
    const name = [...this.stack.queues.keys()].find((n) => n.endsWith(suffix));
    if (!name) throw new Error(`no queue ending in ${suffix}`);
    return name;
  }

  /**
   * EventBridge: the event goes to the targets of every rule whose pattern matches it, retried
   * a few times as the target's retry policy would.
   */
  private async deliverEvent(event: TaskStateChangeEvent): Promise<void> {
    for (const rule of this.stack.eventRules) {
      if (!matchesPattern(rule.pattern, event)) continue;
      for (const name of rule.functionNames) {
        const lambda = this.lambdas.get(name);
        if (!lambda) continue;
        for (let attempt = 1; ; attempt += 1) {
          try {
            await lambda.invoke(structuredClone(event));
            break;
          } catch (error) {
            this.eventErrors.push(String(error));
            if (attempt >= 3) break;
            await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
          }
        }
      }
    }
  }

  /** A simulation task's container: the program with the task role and RunTask's overrides. */
  private runContainer(task: FakeTask): TaskContainer | undefined {
    const family = task.taskDefinitionArn.replace(/^.*:task-definition\//, '').split(':')[0] ?? '';
    const definition = this.stack.taskDefinitions.get(family);
    if (!definition?.taskRoleName) return undefined;
    const child = spawn(process.execPath, ['--import', 'tsx', SIMULATION], {
      env: {
        PATH: process.env.PATH,
        NODE_NO_WARNINGS: '1',
        ...(definition.containers[0]?.environment ?? {}),
        ...task.environment,
        ...this.iam.environmentFor(definition.taskRoleName),
        AWS_ENDPOINT_URL_S3: this.s3.url,
        // A checkpoint every 200 ms instead of every second: interruptions land mid-run sooner.
        SIM_CHECKPOINT_INTERVAL_MS: '200',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const output: string[] = [];
    child.stdout?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    this.containers.add(child);
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code) => {
        this.containers.delete(child);
        this.containerLogs.push(output.join(''));
        resolve(code);
      }),
    );
    return { terminate: () => child.kill('SIGTERM'), exited };
  }

  readonly containerLogs: string[] = [];

  async stop(): Promise<void> {
    await Promise.all(this.eventSources.splice(0).map((source) => source.stop()));
    if (this.api && this.api.child.exitCode === null) {
      this.api.child.kill('SIGTERM');
      await this.api.exited;
    }
    await this.ecs.close();
    await Promise.all([...this.lambdas.values()].map((lambda) => lambda.stop()));
    await Promise.all([this.s3.close(), this.sqs.close()]);
    await deletePrefix(this.redis, this.prefix).catch(() => {});
    this.redis.disconnect();
  }
}
