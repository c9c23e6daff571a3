import { randomUUID } from 'node:crypto';
import { ECSClient, RunTaskCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EcsTaskRunner } from '../../app/jobs/ecs-task-runner.js';
import { MemoryJobStore } from '../../app/jobs/job-store.js';
import { JobsService } from '../../app/jobs/jobs-service.js';
import { S3ObjectStore } from '../../app/jobs/s3-object-store.js';
import { cancelSimulationHandler } from '../../handlers/simulations.js';
import type { HandlerContext } from '../../handlers/types.js';
import { synthStacks } from '../infra/synth.js';
import { LocalEcsServer } from '../servers/ecs-server.js';
import { LocalIam } from '../servers/iam/local-iam.js';
import { type LocalRole, type LocalStack, localStackFrom } from '../servers/iam/local-stack.js';
import { LocalS3Server } from '../servers/s3-server.js';
import { LocalSqsServer } from '../servers/sqs-server.js';

/**
 * The rules the local servers enforce, one by one, with the dev stack's real roles and the real
 * SDK clients: what each role may do, what AWS checks by itself, and the exact error AWS answers
 * when it may not.
 */

let stack: LocalStack;
let iam: LocalIam;
let s3: LocalS3Server;
let sqs: LocalSqsServer;
let ecs: LocalEcsServer;
const clients: { destroy(): void }[] = [];
/** Puts another IAM (the stack with a grant removed) in front of the servers; undefined restores it. */
let useIam: (next: LocalIam | undefined) => void = () => {};

const role = (suffix: string): string => {
  const found = [...stack.roles.keys()].find((name) => name.endsWith(suffix));
  if (!found) throw new Error(`no role ending in ${suffix}`);
  return found;
};
const bucket = () => [...stack.buckets.keys()][0] as string;
const cluster = () => [...stack.clusters.keys()][0] as string;
const simulationFamily = () =>
  [...stack.taskDefinitions.keys()].find((f) => f.endsWith('-simulation')) as string;

function s3As(roleName: string, access = iam): S3Client {
  const client = new S3Client({
    region: stack.region,
    endpoint: s3.url,
    forcePathStyle: true,
    credentials: access.credentialsFor(roleName),
  });
  clients.push(client);
  return client;
}

function ecsAs(roleName: string, access = iam): ECSClient {
  const client = new ECSClient({
    region: stack.region,
    endpoint: ecs.url,
    maxAttempts: 1,
    credentials: access.credentialsFor(roleName),
  });
  clients.push(client);
  return client;
}

function runTask(client: ECSClient, clusterName = cluster(), tags = [{ key: 'job-id', value: 'j' }]) {
  return client.send(
    new RunTaskCommand({
      cluster: clusterName,
      taskDefinition: simulationFamily(),
      clientToken: randomUUID(),
      networkConfiguration: { awsvpcConfiguration: { subnets: ['subnet-1'] } },
      ...(tags.length > 0 ? { tags } : {}),
    }),
  );
}

/** The error a call fails with (and fails the test if it succeeds). */
async function failure(call: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await call;
  } catch (error) {
    return error as Error & { $metadata?: { httpStatusCode?: number } };
  }
  throw new Error('expected the call to be refused');
}

/** The stack with one role's statements filtered (a policy someone forgot to write). */
function withoutAction(action: string, roleName: string): LocalIam {
  const roles = new Map(stack.roles);
  const original = roles.get(roleName) as LocalRole;
  roles.set(roleName, {
    ...original,
    policies: original.policies.map((p) => {
      const document = p.document as { Version: string; Statement: { Action: string[] }[] };
      return {
        ...p,
        document: { ...document, Statement: document.Statement.filter((s) => !s.Action.includes(action)) },
      };
    }),
  });
  return new LocalIam({ ...stack, roles }, { record: false });
}

beforeAll(async () => {
  const stackJson = synthStacks({ env: { STACK_ENV: 'dev' } }).dev;
  if (!stackJson) throw new Error('no dev stack');
  let current: LocalIam | undefined;
  // Servers ask whichever IAM the test put in `current` (the stack's, or one with a grant removed).
  const access = {
    authorize: (key: string | undefined, call: Parameters<LocalIam['authorize']>[1]) =>
      (current ?? iam).authorize(key, call),
  };
  sqs = await LocalSqsServer.start({ access, region: 'eu-west-1' });
  stack = localStackFrom(stackJson, { sqsEndpoint: sqs.url });
  // Probes of the rules, refusals on purpose: not calls the code makes, so not in the report.
  iam = new LocalIam(stack, { record: false });
  sqs.createQueuesFrom(stack);
  s3 = await LocalS3Server.start({ access });
  ecs = await LocalEcsServer.start({ access, region: stack.region, taskDefinitions: stack.taskDefinitions });
  useIam = (next) => {
    current = next;
  };
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.destroy();
  await Promise.all([s3?.close(), sqs?.close(), ecs?.close()]);
});

describe('S3 (local server, stack roles)', () => {
  it('answers a missing key 404 to a role that may list the prefix, 403 AccessDenied to one that may not', async () => {
    // Prepare: the API task role as the stack writes it, and the same role without its list grant.
    const key = `simulations/jobs/${randomUUID()}/result.json`;
    const noList = withoutAction('s3:ListBucket', role('-api-task'));

    // Act
    const withList = await failure(
      s3As(role('-api-task')).send(new GetObjectCommand({ Bucket: bucket(), Key: key })),
    );
    useIam(noList);
    const withoutList = await failure(
      s3As(role('-api-task'), noList).send(new GetObjectCommand({ Bucket: bucket(), Key: key })),
    ).finally(() => useIam(undefined));

    // Assess (GetObject API reference, "Permissions")
    expect(withList.name).toBe('NoSuchKey');
    expect(withList.$metadata?.httpStatusCode).toBe(404);
    expect(withoutList.name).toBe('AccessDenied');
    expect(withoutList.$metadata?.httpStatusCode).toBe(403);
    expect(withoutList.message).toMatch(
      /assumed-role\/dra-dev-api-task\/.* is not authorized to perform: s3:ListBucket/,
    );
  });

  it('lets the object store read absence only where listing is granted', async () => {
    const key = `s3://${bucket()}/simulations/jobs/${randomUUID()}/result.json`;
    const noList = withoutAction('s3:ListBucket', role('-api-task'));

    const simulation = new S3ObjectStore(s3As(role('-simulation-task')), bucket());
    const api = new S3ObjectStore(s3As(role('-api-task')), bucket());
    const apiWithoutList = new S3ObjectStore(s3As(role('-api-task'), noList), bucket());

    expect(await simulation.get(key)).toBeUndefined();
    expect(await api.get(key)).toBeUndefined();
    useIam(noList);
    await expect(apiWithoutList.get(key))
      .rejects.toMatchObject({ name: 'AccessDenied' })
      .finally(() => useIam(undefined));
  });

  it('refuses writes outside the simulation prefix', async () => {
    const store = new S3ObjectStore(s3As(role('-simulation-task')), bucket());

    const error = await failure(store.put(`s3://${bucket()}/elsewhere/x.json`, '{}'));

    expect(error.name).toBe('AccessDenied');
    expect(error.message).toMatch(
      /s3:PutObject on resource: arn:aws:s3:::dra-dev-jobs-\w+\/elsewhere\/x\.json/,
    );
  });
});

describe('S3 with SSE-KMS (a bucket that encrypts with a key)', () => {
  it('needs kms:GenerateDataKey to write and kms:Decrypt to read, on top of the S3 actions', async () => {
    // Prepare: the same bucket served as if its default encryption named a KMS key; the stack's
    // roles have no KMS grant (the stacks use SSE-S3), so S3 access alone is not enough.
    const keyArn = `arn:aws:kms:${stack.region}:${stack.accountId}:key/1234abcd`;
    const encrypted = await LocalS3Server.start({ access: iam, kmsKeyOf: () => keyArn });
    const client = new S3Client({
      region: stack.region,
      endpoint: encrypted.url,
      forcePathStyle: true,
      credentials: iam.credentialsFor(role('-simulation-task')),
    });
    clients.push(client);
    const store = new S3ObjectStore(client, bucket());

    // Act
    const error = await failure(store.put(`s3://${bucket()}/simulations/jobs/k/result.json`, '{}'));
    await encrypted.close();

    // Assess
    expect(error.name).toBe('AccessDenied');
    expect(error.message).toMatch(/kms:GenerateDataKey on resource: arn:aws:kms:.*:key\/1234abcd/);
  });
});

describe('SQS (local server, stack roles)', () => {
  it('refuses SendMessage to a role without it, as AccessDenied 403', async () => {
    const client = new SQSClient({
      region: stack.region,
      endpoint: sqs.url,
      credentials: iam.credentialsFor(role('-simulation-task')),
    });
    clients.push(client);
    const queueUrl = `${sqs.url}/${stack.accountId}/dra-dev-jobs`;

    const error = await failure(
      client.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: '{}' })),
    );

    expect(error.name).toBe('AccessDenied');
    expect(error.$metadata?.httpStatusCode).toBe(403);
    expect(error.message).toMatch(
      /sqs:SendMessage on resource: arn:aws:sqs:eu-west-1:000000000000:dra-dev-jobs/,
    );
  });
});

describe('ECS (local server, stack roles)', () => {
  it('lets the pacer run the simulation family on its cluster, passing its roles and tagging', async () => {
    const response = await runTask(ecsAs(role('-pacer')));

    expect(response.tasks?.[0]?.taskArn).toMatch(/:task\/dra-dev\//);
    const implicit = iam.calls.filter((c) => c.implicit && c.role.endsWith('-pacer')).map((c) => c.action);
    expect(implicit.sort()).toEqual(['ecs:TagResource', 'iam:PassRole', 'iam:PassRole']);
  });

  it('refuses RunTask on another cluster and to a role without it', async () => {
    const elsewhere = await failure(runTask(ecsAs(role('-pacer')), 'other-cluster'));
    const api = await failure(runTask(ecsAs(role('-api-task'))));

    expect(elsewhere.name).toBe('AccessDeniedException');
    expect(api.name).toBe('AccessDeniedException');
    expect(api.message).toMatch(
      /not authorized to perform: ecs:RunTask on resource: .*task-definition\/dra-dev-simulation:1/,
    );
  });

  it('checks iam:PassRole and ecs:TagResource on RunTask, as ECS does', async () => {
    const noPass = withoutAction('iam:PassRole', role('-pacer'));
    useIam(noPass);
    const passError = await failure(runTask(ecsAs(role('-pacer'), noPass)));
    const noTag = withoutAction('ecs:TagResource', role('-pacer'));
    useIam(noTag);
    const tagError = await failure(runTask(ecsAs(role('-pacer'), noTag)));
    const untagged = await runTask(ecsAs(role('-pacer'), noTag), cluster(), []);
    useIam(undefined);

    expect(passError.name).toBe('AccessDeniedException');
    expect(passError.message).toMatch(
      /iam:PassRole on resource: arn:aws:iam::000000000000:role\/dra-dev-simulation-/,
    );
    expect(tagError.message).toMatch(/ecs:TagResource/);
    expect(untagged.tasks).toHaveLength(1);
  });

  it('lets the API stop tasks of its cluster only', async () => {
    const started = await runTask(ecsAs(role('-pacer')));
    const taskArn = started.tasks?.[0]?.taskArn ?? '';
    const api = ecsAs(role('-api-task'));

    const elsewhere = await failure(
      api.send(
        new StopTaskCommand({
          cluster: 'other-cluster',
          task: taskArn.replace('/dra-dev/', '/other-cluster/'),
        }),
      ),
    );
    const stopped = await api.send(new StopTaskCommand({ cluster: cluster(), task: taskArn }));

    expect(elsewhere.name).toBe('AccessDeniedException');
    expect(stopped.task?.lastStatus).toBe('STOPPED');
  });

  it('refuses an access key that belongs to no role', async () => {
    const client = new ECSClient({
      region: stack.region,
      endpoint: ecs.url,
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' },
    });
    clients.push(client);

    const error = await failure(runTask(client));

    expect(error.name).toBe('UnrecognizedClientException');
  });
});

describe('cancel when StopTask is refused', () => {
  it('keeps the job running and answers 503 task_stop_failed instead of a cancel that did not happen', async () => {
    // Prepare: a running job whose cancel goes through a role without ecs:StopTask.
    const started = await runTask(ecsAs(role('-pacer')));
    const taskArn = started.tasks?.[0]?.taskArn ?? '';
    const store = new MemoryJobStore();
    const id = randomUUID();
    const now = new Date().toISOString();
    await store.create({
      id,
      status: 'running',
      attempt: 1,
      maxAttempts: 3,
      launch: 'primary',
      inputUri: 's3://b/in',
      inputSha256: 'x',
      outputUri: 's3://b/out',
      idempotencyKey: null,
      createdAt: now,
      updatedAt: now,
      submittedAt: now,
      finishedAt: null,
      taskArn,
      capacityProvider: 'FARGATE_SPOT',
      failureReason: null,
      history: [],
      version: 1,
    });
    const logger = pino({ level: 'silent' });
    const runner = new EcsTaskRunner(ecsAs(role('-task-events')), {
      cluster: cluster(),
      taskDefinition: simulationFamily(),
      containerName: 'simulation',
      capacityProviderStrategy: [],
      fallbackCapacityProvider: 'FARGATE',
      subnets: [],
      securityGroups: [],
      assignPublicIp: false,
    });
    const jobs = new JobsService({
      jobs: store,
      queue: { send: async () => {} },
      objects: new S3ObjectStore(s3As(role('-api-task')), bucket()),
      runner,
      maxAttempts: 3,
      logger,
    });
    const handler = cancelSimulationHandler({
      jobs,
      logger,
      clock: () => new Date(),
      leads: undefined as never,
      readiness: { isReady: () => true },
    });

    // Act
    const response = await handler(
      { pathParameters: { id } } as unknown as APIGatewayProxyEvent,
      { signal: new AbortController().signal } as HandlerContext,
    );

    // Assess
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body).error.code).toBe('task_stop_failed');
    expect(response.headers?.['retry-after']).toBe('5');
    expect((await store.get(id))?.status).toBe('running');
    expect(ecs.tasks.get(taskArn)?.lastStatus).toBe('RUNNING');
  });
});
