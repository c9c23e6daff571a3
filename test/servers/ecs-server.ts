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
import { accessKeyOf } from './iam/local-iam.js';
import { TokenBucketModel } from './token-bucket-model.js';

/**
 * A local ECS endpoint for the real @aws-sdk/client-ecs (AWS_ENDPOINT_URL_ECS): the awsJson1_1
 * protocol (`X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Action>`) for RunTask, StopTask and
 * DescribeTasks, with the documented Fargate limits as token buckets (AWS "Fargate throttling
 * quotas": RunTask 20 calls/s burst and sustained; task launches 100 burst, 20/s), clientToken
 * idempotency, injectable "Capacity is unavailable" failures and Spot interruptions, and
 * "ECS Task State Change" events for the task-events handler.
 *
 * Every call is checked against the caller's role (iam/local-iam.ts) with the resource and
 * condition keys of "Actions, resources, and condition keys for Amazon ECS" (`ecs:cluster` on
 * RunTask, StopTask, DescribeTasks), plus what RunTask checks by itself: `iam:PassRole` on the
 * task definition's task and execution roles with `iam:PassedToService` ecs-tasks.amazonaws.com
 * (ECS Developer Guide, "Amazon ECS task IAM role" and "task execution IAM role"), and
 * `ecs:TagResource` with `ecs:CreateAction` RunTask when the call passes tags (ECS Developer
 * Guide, "Grant permission to tag resources on creation"). A refusal is AccessDeniedException.
 * With `containers`, a task runs a real process: StopTask and Spot interruptions send it SIGTERM,
 * and the task stops, with the process's exit code, when it exits.
 */

const TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
const ACCOUNT = '000000000000';
const ECS_TASKS_SERVICE = 'ecs-tasks.amazonaws.com';
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
  private readonly region: string;

  private constructor(
    private readonly server: Server,
    private readonly options: LocalEcsOptions,
  ) {
    this.region = options.region ?? 'us-east-1';
    const call = options.runTaskBucket ?? { capacity: 20, perSecond: 20 };
    const launch = options.launchBucket ?? { capacity: 100, perSecond: 20 };
    this.runTaskBucket = new TokenBucketModel(call.capacity, call.perSecond);
    this.launchBucket = new TokenBucketModel(launch.capacity, launch.perSecond);
    this.ending = options.ending;
  }

  static async start(options: LocalEcsOptions): Promise<LocalEcsServer> {
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
    if (task.container) {
      // The container gets SIGTERM; the task stops when it exits, with its exit code.
      if (!task.stopping) {
        task.stopping = {
          stopCode: ending.stopCode ?? 'EssentialContainerExited',
          stoppedReason: ending.stoppedReason ?? 'Essential container in task exited',
        };
        task.container.terminate();
      }
      return task;
    }
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
    const running = [...this.tasks.values()].flatMap((t) =>
      t.container && t.lastStatus !== 'STOPPED' ? [t.container] : [],
    );
    for (const container of running) container.terminate();
    await Promise.all(running.map((c) => c.exited));
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
    const accessKey = accessKeyOf(req);
    const clusterArn = this.clusterArn(body.cluster);
    const allowed = async (
      permission: string,
      resource: string,
      context: Record<string, string | string[]> = {},
      implicit = false,
    ) => {
      const decision = await this.options.access.authorize(accessKey, {
        action: permission,
        resource,
        context,
        implicit,
      });
      if (decision.allowed) return true;
      if (decision.reason === 'unknown-key') {
        send(res, 400, {
          __type: 'UnrecognizedClientException',
          message: 'The security token included in the request is invalid.',
        });
      } else {
        send(res, 400, { __type: 'AccessDeniedException', message: decision.message });
      }
      return false;
    };
    if (action === 'RunTask') return this.runTask(body, res, clusterArn, allowed);
    if (action === 'StopTask') {
      const arn = this.taskArnOf(String(body.task), clusterArn);
      if (!(await allowed('ecs:StopTask', arn, { 'ecs:cluster': clusterArn }))) return;
      const task = this.stop(arn, {
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
      const arns = (Array.isArray(body.tasks) ? (body.tasks as string[]) : []).map((t) =>
        this.taskArnOf(t, clusterArn),
      );
      for (const arn of arns)
        if (!(await allowed('ecs:DescribeTasks', arn, { 'ecs:cluster': clusterArn }))) return;
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

  /** The cluster's ARN from a name, an ARN or nothing (`default`). */
  private clusterArn(cluster: unknown): string {
    const text = typeof cluster === 'string' && cluster ? cluster : 'default';
    return text.startsWith('arn:') ? text : `arn:aws:ecs:${this.region}:${ACCOUNT}:cluster/${text}`;
  }

  /** A task's ARN from its ARN or its id in the cluster. */
  private taskArnOf(task: string, clusterArn: string): string {
    if (task.startsWith('arn:')) return task;
    return `arn:aws:ecs:${this.region}:${ACCOUNT}:task/${clusterArn.slice(clusterArn.lastIndexOf('/') + 1)}/${task}`;
  }

  private async runTask(
    body: Json,
    res: ServerResponse,
    clusterArn: string,
    allowed: (
      action: string,
      resource: string,
      context?: Record<string, string | string[]>,
      implicit?: boolean,
    ) => Promise<boolean>,
  ): Promise<void> {
    const at = this.now();
    const clusterName = clusterArn.slice(clusterArn.lastIndexOf('/') + 1);
    const requested = String(body.taskDefinition ?? '');
    const family = requested.replace(/^arn:.*:task-definition\//, '').split(':')[0] ?? requested;
    const definition = this.options.taskDefinitions?.get(family);
    const taskDefinitionArn = requested.startsWith('arn:')
      ? requested
      : `arn:aws:ecs:${this.region}:${ACCOUNT}:task-definition/${requested.includes(':') ? requested : `${requested}:1`}`;
    const taskArn = `arn:aws:ecs:${this.region}:${ACCOUNT}:task/${clusterName}/${randomUUID().replaceAll('-', '')}`;
    if (!(await allowed('ecs:RunTask', taskDefinitionArn, { 'ecs:cluster': clusterArn }))) return;
    for (const role of [definition?.taskRoleName, definition?.executionRoleName]) {
      if (!role) continue;
      const roleArn = `arn:aws:iam::${ACCOUNT}:role/${role}`;
      if (!(await allowed('iam:PassRole', roleArn, { 'iam:PassedToService': ECS_TASKS_SERVICE }, true)))
        return;
    }
    const tags = Array.isArray(body.tags) ? (body.tags as { key: string; value: string }[]) : [];
    if (tags.length > 0) {
      const context: Record<string, string | string[]> = {
        'ecs:CreateAction': 'RunTask',
        'aws:TagKeys': tags.map((t) => t.key),
      };
      for (const tag of tags) context[`aws:RequestTag/${tag.key}`] = tag.value;
      if (!(await allowed('ecs:TagResource', taskArn, context, true))) return;
    }
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
      taskArn,
      clusterArn,
      taskDefinitionArn,
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
    const container = this.options.containers?.(task);
    task.lastStatus = 'RUNNING';
    if (container) {
      task.container = container;
      void container.exited.then((exitCode) => {
        task.container = undefined;
        this.stop(task.taskArn, {
          stopCode: task.stopping?.stopCode ?? 'EssentialContainerExited',
          stoppedReason: task.stopping?.stoppedReason ?? 'Essential container in task exited',
          exitCode,
        });
      });
      return;
    }
    const ending = this.ending?.(task);
    if (!ending) return;
    task.timer = setTimeout(() => {
      task.timer = undefined;
      this.stop(task.taskArn, ending);
    }, ending.afterMs);
  }

  private describe(task: FakeTask): Json {
    return {
      taskArn: task.taskArn,
      clusterArn: task.clusterArn,
      taskDefinitionArn: task.taskDefinitionArn,
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
      region: this.region,
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
