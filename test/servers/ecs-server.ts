import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  FakeTask,
  LocalEcsOptions,
  RunTaskCall,
  TaskEnding,
  TaskStateChangeEvent,
} from './ecs-types.js';
import { TokenBucketModel } from './token-bucket-model.js';

/**
 * A local ECS endpoint for the real @aws-sdk/client-ecs (AWS_ENDPOINT_URL_ECS): the awsJson1_1
 * protocol (`X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Action>`) for RunTask, StopTask and
 * DescribeTasks, with the documented Fargate limits as token buckets (AWS "Fargate throttling
 * quotas": RunTask 20 calls/s burst and sustained; task launches 100 burst, 20/s), clientToken
 * idempotency, injectable "Capacity is unavailable" failures and Spot interruptions, and
 * "ECS Task State Change" events for the task-events handler.
 */

const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const ACCOUNT = '000000000000';
const REGION = 'us-east-1';
export const CAPACITY_UNAVAILABLE =
  'Capacity is unavailable at this time. Please try again later or in a different availability zone';

export type {
  FakeTask,
  LocalEcsOptions,
  RunTaskCall,
  TaskEnding,
  TaskStateChangeEvent,
} from './ecs-types.js';

type Json = Record<string, unknown>;

export class LocalEcsServer {
  readonly calls: RunTaskCall[] = [];
  readonly tasks = new Map<string, FakeTask>();
  private readonly tokens = new Map<string, { fingerprint: string; taskArn: string }>();
  private readonly listeners: ((event: TaskStateChangeEvent) => void)[] = [];
  private readonly runTaskBucket: TokenBucketModel;
  private readonly launchBucket: TokenBucketModel;
  private readonly started = performance.now();
  private spotFailuresLeft = 0;
  /** When set, RunTask answers with this error (e.g. InvalidParameterException) before anything else. */
  rejectRunTask: { readonly type: string; readonly message: string } | undefined;
  /** Awaited after a task is created and before RunTask answers (fault tests kill the caller here). */
  beforeRunTaskResponse: ((call: RunTaskCall) => Promise<void> | void) | undefined;
  ending: LocalEcsOptions['ending'];

  private constructor(
    private readonly server: Server,
    options: LocalEcsOptions,
  ) {
    const call = options.runTaskBucket ?? { capacity: 20, perSecond: 20 };
    const launch = options.launchBucket ?? { capacity: 100, perSecond: 20 };
    this.runTaskBucket = new TokenBucketModel(call.capacity, call.perSecond);
    this.launchBucket = new TokenBucketModel(launch.capacity, launch.perSecond);
    this.ending = options.ending;
  }

  static async start(options: LocalEcsOptions = {}): Promise<LocalEcsServer> {
    let instance: LocalEcsServer | undefined;
    const server = createServer((req, res) => {
      instance?.handle(req, res).catch((error: unknown) => {
        send(res, 500, { __type: 'ServerException', message: String(error) });
      });
    });
    instance = new LocalEcsServer(server, options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** The next `count` launches on FARGATE_SPOT answer "Capacity is unavailable". */
  failSpotCapacity(count: number): void {
    this.spotFailuresLeft = count;
  }

  onTaskStateChange(listener: (event: TaskStateChangeEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Spot reclaims the task: STOPPED with stopCode SpotInterruption (after the SIGTERM notice). */
  interrupt(taskArn: string): void {
    this.stop(taskArn, {
      stopCode: 'SpotInterruption',
      stoppedReason: 'Your Spot Task was interrupted.',
      exitCode: 143,
    });
  }

  stop(taskArn: string, ending: Omit<TaskEnding, 'afterMs'>): FakeTask | undefined {
    const task = this.tasks.get(taskArn);
    if (!task || task.lastStatus === 'STOPPED') return task;
    if (task.timer) clearTimeout(task.timer);
    task.lastStatus = 'STOPPED';
    task.stopCode = ending.stopCode ?? 'EssentialContainerExited';
    task.stoppedReason = ending.stoppedReason ?? 'Essential container in task exited';
    task.exitCode = ending.exitCode === undefined ? 0 : ending.exitCode;
    if (ending.containerReason !== undefined) task.containerReason = ending.containerReason;
    this.emit(task);
    return task;
  }

  /** Launched tasks per client token; more than one would mean a job ran twice. */
  tasksForToken(token: string): FakeTask[] {
    return [...this.tasks.values()].filter((t) => t.clientToken === token);
  }

  async close(): Promise<void> {
    for (const task of this.tasks.values()) if (task.timer) clearTimeout(task.timer);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** ms since the server started, the clock `calls[].at` uses. */
  now(): number {
    return performance.now() - this.started;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const target = String(req.headers['x-amz-target'] ?? '');
    const body = (chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {}) as Json;
    if (!target.startsWith(TARGET_PREFIX)) {
      return send(res, 400, { __type: 'UnknownOperationException', message: `Unknown target ${target}` });
    }
    const action = target.slice(TARGET_PREFIX.length);
    if (action === 'RunTask') return this.runTask(body, res);
    if (action === 'StopTask') {
      const task = this.stop(String(body.task), {
        stopCode: 'UserInitiated',
        stoppedReason: String(body.reason ?? 'Task stopped by user'),
        exitCode: 143,
      });
      if (!task)
        return send(res, 400, {
          __type: 'InvalidParameterException',
          message: 'The referenced task was not found.',
        });
      return send(res, 200, { task: this.describe(task) });
    }
    if (action === 'DescribeTasks') {
      const arns = Array.isArray(body.tasks) ? (body.tasks as string[]) : [];
      const found = arns.flatMap((arn) => {
        const task = this.tasks.get(arn);
        return task ? [task] : [];
      });
      return send(res, 200, {
        tasks: found.map((t) => this.describe(t)),
        failures: arns.filter((a) => !this.tasks.has(a)).map((arn) => ({ arn, reason: 'MISSING' })),
      });
    }
    return send(res, 400, { __type: 'InvalidParameterException', message: `Unsupported action ${action}` });
  }

  private async runTask(body: Json, res: ServerResponse): Promise<void> {
    const at = this.now();
    const clientToken = typeof body.clientToken === 'string' ? body.clientToken : undefined;
    const strategy = Array.isArray(body.capacityProviderStrategy)
      ? (body.capacityProviderStrategy as { capacityProvider?: string }[])
      : [];
    const capacityProvider =
      strategy[0]?.capacityProvider ?? (body.launchType as string | undefined) ?? 'FARGATE';
    const count = typeof body.count === 'number' ? body.count : 1;
    const record = (outcome: RunTaskCall['outcome'], taskArn?: string): RunTaskCall => {
      const call: RunTaskCall = {
        at,
        clientToken,
        capacityProvider,
        outcome,
        ...(taskArn ? { taskArn } : {}),
      };
      this.calls.push(call);
      return call;
    };
    if (this.rejectRunTask) {
      record('rejected');
      return send(res, 400, { __type: this.rejectRunTask.type, message: this.rejectRunTask.message });
    }
    // The API bucket first: a refused call takes no token from either bucket.
    if (!this.runTaskBucket.has(1) || !this.launchBucket.has(count)) {
      record('throttled');
      return send(res, 400, { __type: 'ThrottlingException', message: 'Rate exceeded' });
    }
    this.runTaskBucket.take(1);
    const { clientToken: _omit, ...rest } = body;
    const fingerprint = JSON.stringify(rest);
    const known = clientToken ? this.tokens.get(clientToken) : undefined;
    if (known) {
      const task = this.tasks.get(known.taskArn);
      if (known.fingerprint !== fingerprint || !task) {
        record('conflict', known.taskArn);
        return send(res, 400, {
          __type: 'ConflictException',
          message: 'The clientToken is already in use with a different RunTask request.',
          resourceIds: [known.taskArn],
        });
      }
      const call = record('idempotent', task.taskArn);
      await this.beforeRunTaskResponse?.(call);
      return send(res, 200, { tasks: [this.describe(task)], failures: [] });
    }
    if (capacityProvider === 'FARGATE_SPOT' && this.spotFailuresLeft > 0) {
      this.spotFailuresLeft -= 1;
      record('capacity-unavailable');
      return send(res, 200, { tasks: [], failures: [{ reason: CAPACITY_UNAVAILABLE }] });
    }
    this.launchBucket.take(count);
    const overrides = (body.overrides ?? {}) as {
      containerOverrides?: { environment?: { name: string; value: string }[] }[];
    };
    const environment = Object.fromEntries(
      (overrides.containerOverrides?.[0]?.environment ?? []).map((e) => [e.name, e.value]),
    );
    const task: FakeTask = {
      taskArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:task/${String(body.cluster ?? 'default')}/${randomUUID().replaceAll('-', '')}`,
      clientToken,
      startedBy: typeof body.startedBy === 'string' ? body.startedBy : undefined,
      capacityProviderName: capacityProvider,
      environment,
      createdAt: Date.now(),
      lastStatus: 'PROVISIONING',
    };
    this.tasks.set(task.taskArn, task);
    if (clientToken) this.tokens.set(clientToken, { fingerprint, taskArn: task.taskArn });
    const call = record('started', task.taskArn);
    this.schedule(task);
    await this.beforeRunTaskResponse?.(call);
    return send(res, 200, { tasks: [this.describe(task)], failures: [] });
  }

  private schedule(task: FakeTask): void {
    const ending = this.ending?.(task);
    task.lastStatus = 'RUNNING';
    if (!ending) return;
    task.timer = setTimeout(() => {
      task.timer = undefined;
      this.stop(task.taskArn, ending);
    }, ending.afterMs);
  }

  private describe(task: FakeTask): Json {
    return {
      taskArn: task.taskArn,
      clusterArn: `arn:aws:ecs:${REGION}:${ACCOUNT}:cluster/default`,
      lastStatus: task.lastStatus,
      desiredStatus: task.lastStatus === 'STOPPED' ? 'STOPPED' : 'RUNNING',
      capacityProviderName: task.capacityProviderName,
      launchType: 'FARGATE',
      createdAt: task.createdAt / 1000,
      ...(task.startedBy ? { startedBy: task.startedBy } : {}),
      ...(task.stopCode ? { stopCode: task.stopCode, stoppedReason: task.stoppedReason } : {}),
      containers: [
        {
          name: 'simulation',
          lastStatus: task.lastStatus,
          ...(typeof task.exitCode === 'number' ? { exitCode: task.exitCode } : {}),
          ...(task.containerReason ? { reason: task.containerReason } : {}),
        },
      ],
      overrides: {
        containerOverrides: [
          {
            name: 'simulation',
            environment: Object.entries(task.environment).map(([name, value]) => ({ name, value })),
          },
        ],
      },
    };
  }

  private emit(task: FakeTask): void {
    const event: TaskStateChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      account: ACCOUNT,
      time: new Date().toISOString(),
      region: REGION,
      resources: [task.taskArn],
      detail: this.describe(task),
    };
    for (const listener of this.listeners) listener(structuredClone(event));
  }
}

function send(res: ServerResponse, status: number, body: Json): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.1',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  });
  res.end(text);
}
