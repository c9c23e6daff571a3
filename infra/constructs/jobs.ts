import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target/index.js';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition/index.js';
import { LambdaEventSourceMapping } from '@cdktf/provider-aws/lib/lambda-event-source-mapping/index.js';
import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue/index.js';
import { SqsQueuePolicy } from '@cdktf/provider-aws/lib/sqs-queue-policy/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { Construct } from 'constructs';
import { SHUTDOWN_TIMING } from './ecs-api-service.js';
import {
  ecrPullStatements,
  listPrefixStatement,
  logWriteStatement,
  type PolicyStatement,
  policyDocument,
  ServiceRole,
  stopTasksStatement,
} from './iam-role.js';
import { type JobsStorage, SIMULATION_OBJECT_PREFIX } from './jobs-storage.js';
import { NodeFunction } from './node-function.js';

export const SIMULATION_CONTAINER = 'simulation';
/** The pacer waits for RunTask tokens inside one batch; the queue's visibility timeout is 6x this. */
export const PACER_TIMEOUT_SECONDS = 30;

export interface JobsOptions {
  readonly name: string;
  readonly region: string;
  readonly accountId: string;
  readonly clusterArn: string;
  readonly clusterName: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  readonly lambdaSecurityGroupId: string;
  readonly storage: JobsStorage;
  readonly simulationImage: string;
  readonly simulationCpu: number;
  readonly simulationMemory: number;
  readonly pacerMaxConcurrency: number;
  readonly lambdaMemoryMb: number;
  /** Variables every function gets (APP_ENV, REDIS_URL...). */
  readonly lambdaEnvironment: Readonly<Record<string, string>>;
  /** Statements every function gets (reading the Redis AUTH secret...). */
  readonly lambdaStatements: readonly PolicyStatement[];
  readonly logRetentionDays: number;
}

/**
 * The paced-jobs machinery: the simulation task definition (own roles, own prefix), the pacer on
 * the queue, and the task-events function fed by ECS task state changes.
 */
export class Jobs extends Construct {
  readonly simulationTask: EcsTaskDefinition;
  readonly simulationSecurityGroup: SecurityGroup;
  readonly pacer: NodeFunction;
  readonly taskEvents: NodeFunction;
  readonly deadLetters: NodeFunction;
  readonly taskEventsRule: CloudwatchEventRule;
  /** Where the jobs code finds its resources (names from app/jobs/jobs-config.ts). */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, options: JobsOptions) {
    super(scope, id);
    const { name, storage } = options;
    const family = `${name}-simulation`;
    const objects = `${storage.bucket.arn}/${SIMULATION_OBJECT_PREFIX}*`;

    const logGroup = new CloudwatchLogGroup(this, 'simulation-logs', {
      name: `/ecs/${family}`,
      retentionInDays: options.logRetentionDays,
    });
    const executionRole = new ServiceRole(this, 'simulation-execution-role', {
      name: `${family}-execution`,
      service: 'ecs-tasks.amazonaws.com',
      statements: [logWriteStatement(logGroup.arn), ...ecrPullStatements(options.simulationImage)],
    });
    // The simulation reads its input, writes its result and checkpoints, and deletes the checkpoint
    // once the result is written, under its prefix: nothing else. It probes for a result and a
    // checkpoint that may not exist yet, so it may also list that prefix: S3 then answers a
    // missing key with 404, not 403.
    const taskRole = new ServiceRole(this, 'simulation-task-role', {
      name: `${family}-task`,
      service: 'ecs-tasks.amazonaws.com',
      statements: [
        { Effect: 'Allow', Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'], Resource: [objects] },
        listPrefixStatement(storage.bucket.arn, SIMULATION_OBJECT_PREFIX),
      ],
    });
    this.simulationTask = new EcsTaskDefinition(this, 'simulation-task', {
      family,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(options.simulationCpu),
      memory: String(options.simulationMemory),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRole.arn,
      volume: [{ name: 'tmp' }],
      containerDefinitions: JSON.stringify([
        {
          name: SIMULATION_CONTAINER,
          image: options.simulationImage,
          essential: true,
          user: '1000:1000',
          readonlyRootFilesystem: true,
          privileged: false,
          // On a Spot interruption the program checkpoints on SIGTERM within the notice.
          stopTimeout: SHUTDOWN_TIMING.stopTimeoutSeconds,
          linuxParameters: { initProcessEnabled: true },
          mountPoints: [{ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false }],
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': logGroup.name,
              'awslogs-region': options.region,
              'awslogs-stream-prefix': SIMULATION_CONTAINER,
            },
          },
        },
      ]),
    });
    this.simulationSecurityGroup = new SecurityGroup(this, 'simulation-sg', {
      name: `${family}-tasks`,
      description: 'Simulation tasks: HTTPS out to S3 and ECR, nothing in',
      vpcId: options.vpcId,
      tags: { Name: `${family}-tasks` },
    });
    new VpcSecurityGroupEgressRule(this, 'simulation-https-out', {
      securityGroupId: this.simulationSecurityGroup.id,
      description: 'S3 and ECR through the NAT gateway',
      ipProtocol: 'tcp',
      fromPort: 443,
      toPort: 443,
      cidrIpv4: '0.0.0.0/0',
    });

    this.environment = {
      JOBS_QUEUE_URL: storage.queue.url,
      JOBS_BUCKET: storage.bucket.bucket,
      JOBS_BUCKET_PREFIX: SIMULATION_OBJECT_PREFIX,
      JOBS_CLUSTER: options.clusterName,
      // The family: RunTask then takes the latest ACTIVE revision, so a new image needs no config change.
      JOBS_TASK_DEFINITION: family,
      JOBS_CONTAINER_NAME: SIMULATION_CONTAINER,
      // Plain concatenation of the references: a function call here would put quotes inside the
      // JSON of the container definitions.
      JOBS_SUBNETS: options.subnetIds.join(','),
      JOBS_SECURITY_GROUPS: this.simulationSecurityGroup.id,
      JOBS_ASSIGN_PUBLIC_IP: 'false',
      JOBS_CAPACITY_STRATEGY: 'FARGATE_SPOT:1',
      JOBS_FALLBACK_CAPACITY_PROVIDER: 'FARGATE',
    };
    const ecsArn = `arn:aws:ecs:${options.region}:${options.accountId}`;
    const tasksInCluster = `${ecsArn}:task/${options.clusterName}/*`;
    /** The actions Lambda's SQS event source polls with, on the function's role ("Using Lambda with Amazon SQS", execution role permissions). */
    const pollActions = ['sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:ReceiveMessage'];
    const common = {
      memoryMb: options.lambdaMemoryMb,
      logRetentionDays: options.logRetentionDays,
      region: options.region,
      accountId: options.accountId,
      vpc: { subnetIds: options.subnetIds, securityGroupId: options.lambdaSecurityGroupId },
      environment: { ...options.lambdaEnvironment, ...this.environment },
    };

    this.pacer = new NodeFunction(this, 'pacer', {
      ...common,
      name: `${name}-pacer`,
      handler: 'pacer.handler',
      artifact: 'pacer',
      timeoutSeconds: PACER_TIMEOUT_SECONDS,
      statements: [
        ...options.lambdaStatements,
        // Polling (the event source), and ChangeMessageVisibility to delay a message it gives back.
        {
          Effect: 'Allow',
          Action: ['sqs:ChangeMessageVisibility', ...pollActions],
          Resource: [storage.queue.arn],
        },
        {
          Sid: 'RunSimulationsOnly',
          Effect: 'Allow',
          Action: ['ecs:RunTask'],
          Resource: [`${ecsArn}:task-definition/${family}:*`],
          Condition: { ArnEquals: { 'ecs:cluster': options.clusterArn } },
        },
        // Stops a task it launched for a job that was cancelled meanwhile.
        stopTasksStatement(ecsArn, options.clusterName, options.clusterArn),
        {
          Sid: 'TagTasksAtLaunch',
          Effect: 'Allow',
          Action: ['ecs:TagResource'],
          Resource: [tasksInCluster],
          Condition: { StringEquals: { 'ecs:CreateAction': 'RunTask' } },
        },
        {
          Sid: 'PassSimulationRolesOnly',
          Effect: 'Allow',
          Action: ['iam:PassRole'],
          Resource: [taskRole.arn, executionRole.arn],
          Condition: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
        },
      ],
    });
    // Maximum concurrency bounds the pacer without reserved concurrency, whose throttles would
    // push messages to the DLQ ("Configuring maximum concurrency for Amazon SQS event sources").
    new LambdaEventSourceMapping(this, 'pacer-source', {
      functionName: this.pacer.function.arn,
      eventSourceArn: storage.queue.arn,
      batchSize: 10,
      maximumBatchingWindowInSeconds: 1,
      scalingConfig: { maximumConcurrency: Math.max(2, options.pacerMaxConcurrency) },
      functionResponseTypes: ['ReportBatchItemFailures'],
    });

    // Asynchronous invocations that still fail after Lambda's retries land here, as do events
    // EventBridge cannot deliver at all.
    const eventsDlq = new SqsQueue(this, 'task-events-dlq', {
      name: `${name}-task-events-dlq`,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: 14 * 86_400,
    });
    this.taskEvents = new NodeFunction(this, 'task-events', {
      ...common,
      name: `${name}-task-events`,
      handler: 'task-events.handler',
      artifact: 'task-events',
      timeoutSeconds: 30,
      deadLetterQueueArn: eventsDlq.arn,
      statements: [
        ...options.lambdaStatements,
        // Requeues a job whose task was interrupted (Spot), and deletes the checkpoint of a job
        // that ended without a result (failed or cancelled).
        { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [storage.queue.arn] },
        { Effect: 'Allow', Action: ['s3:DeleteObject'], Resource: [objects] },
      ],
    });

    // A job message that the queue dead-lettered (every delivery failed, e.g. through a long Redis
    // failover) would leave its job queued forever: this function marks it failed with the reason.
    this.deadLetters = new NodeFunction(this, 'dead-letters', {
      ...common,
      name: `${name}-job-dead-letters`,
      handler: 'dead-letters.handler',
      artifact: 'dead-letters',
      timeoutSeconds: 30,
      statements: [
        ...options.lambdaStatements,
        { Effect: 'Allow', Action: pollActions, Resource: [storage.deadLetterQueue.arn] },
      ],
    });
    new LambdaEventSourceMapping(this, 'dead-letters-source', {
      functionName: this.deadLetters.function.arn,
      eventSourceArn: storage.deadLetterQueue.arn,
      batchSize: 10,
      functionResponseTypes: ['ReportBatchItemFailures'],
      scalingConfig: { maximumConcurrency: 2 },
    });
    this.taskEventsRule = new CloudwatchEventRule(this, 'task-events-rule', {
      name: `${name}-simulation-task-events`,
      description: 'Simulation tasks started or stopped',
      eventPattern: JSON.stringify({
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: {
          clusterArn: [options.clusterArn],
          taskDefinitionArn: [{ prefix: `${this.simulationTask.arnWithoutRevision}:` }],
          lastStatus: ['RUNNING', 'STOPPED'],
        },
      }),
    });
    new CloudwatchEventTarget(this, 'task-events-target', {
      rule: this.taskEventsRule.name,
      arn: this.taskEvents.function.arn,
      retryPolicy: { maximumEventAgeInSeconds: 3_600, maximumRetryAttempts: 20 },
      deadLetterConfig: { arn: eventsDlq.arn },
    });
    new LambdaPermission(this, 'task-events-invoke', {
      statementId: 'AllowInvokeFromTaskEventsRule',
      action: 'lambda:InvokeFunction',
      functionName: this.taskEvents.function.functionName,
      principal: 'events.amazonaws.com',
      sourceArn: this.taskEventsRule.arn,
    });
    new SqsQueuePolicy(this, 'task-events-dlq-policy', {
      queueUrl: eventsDlq.url,
      policy: policyDocument([
        {
          Sid: 'EventBridgeDeadLetters',
          Effect: 'Allow',
          Principal: { Service: 'events.amazonaws.com' },
          Action: ['sqs:SendMessage'],
          Resource: [eventsDlq.arn],
          Condition: { ArnEquals: { 'aws:SourceArn': this.taskEventsRule.arn } },
        },
      ]),
    });
  }
}
