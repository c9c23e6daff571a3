import { AppautoscalingPolicy } from '@cdktf/provider-aws/lib/appautoscaling-policy/index.js';
import { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target/index.js';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { EcsService } from '@cdktf/provider-aws/lib/ecs-service/index.js';
import { EcsTaskDefinition } from '@cdktf/provider-aws/lib/ecs-task-definition/index.js';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group/index.js';
import type { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { onRedisFailureEnvironment } from '../rate-limit-failure-modes.js';
import type { StackConfig } from '../stack-config.js';
import { ecrPullStatements, logWriteStatement, type PolicyStatement, ServiceRole } from './iam-role.js';

/**
 * Stopping a task, in seconds from SIGTERM (a deploy, a scale-in, or a Spot interruption, whose
 * notice arrives with the SIGTERM, 120 s before the kill — "AWS Fargate Spot", ECS docs):
 *
 * - 0–20 s (SHUTDOWN_DRAIN_MS): the app keeps serving and answers /healthz with 503. ECS has
 *   already deregistered the target, so the ALB stops sending new requests within a few seconds;
 *   the failing health check (2 x 5 s) covers the case where deregistration lags.
 * - 20–100 s (SHUTDOWN_TIMEOUT_MS): no new connections; in-flight requests finish; then exit.
 * - 110 s (deregistration delay): the ALB gives up on connections still open. It must be longer
 *   than the app's own deadline (100 s), or the ALB would cut requests the app is still finishing,
 *   and shorter than the 120 s Spot notice, so draining ends while the task still exists.
 * - 120 s (stopTimeout, the Fargate maximum): SIGKILL, never reached when the app keeps its deadline.
 */
export const SHUTDOWN_TIMING = {
  drainMs: 20_000,
  timeoutMs: 100_000,
  deregistrationDelaySeconds: 110,
  stopTimeoutSeconds: 120,
  healthCheckIntervalSeconds: 5,
  unhealthyThreshold: 2,
} as const;

export const API_CONTAINER = { name: 'api', port: 3000 } as const;

export interface EcsApiServiceOptions {
  readonly namePrefix: string;
  readonly config: StackConfig;
  readonly clusterArn: string;
  readonly clusterName: string;
  /** The service must not be created before the cluster has its capacity providers. */
  readonly clusterReady: ITerraformDependable;
  readonly image: string;
  readonly vpcId: string;
  readonly subnetIds: readonly string[];
  /** From AppSecurityGroups: the ALB in, HTTPS and Redis out. */
  readonly securityGroupId: string;
  /** `arn_suffix` of the ALB, for the requests-per-target metric. */
  readonly albArnSuffix: string;
  readonly environment: Readonly<Record<string, string>>;
  /** Container variable → Secrets Manager secret ARN; injected by ECS, never in plaintext. */
  readonly secrets: Readonly<Record<string, string>>;
  /** What the app itself may do (S3, SQS...). */
  readonly taskStatements: readonly PolicyStatement[];
}

/** The API on Fargate: task definition, IP target group, service and its autoscaling. */
export class EcsApiService extends Construct {
  readonly service: EcsService;
  readonly targetGroup: LbTargetGroup;
  readonly taskDefinition: EcsTaskDefinition;
  readonly scalingTarget: AppautoscalingTarget;

  constructor(scope: Construct, id: string, options: EcsApiServiceOptions) {
    super(scope, id);
    const { namePrefix, config } = options;
    const name = `${namePrefix}-api`;

    const logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/ecs/${name}`,
      retentionInDays: config.logRetentionDays,
    });
    // Two roles (CKV_AWS_249): ECS itself pulls the image, writes logs and reads secrets; the app
    // gets only what it calls.
    const executionRole = new ServiceRole(this, 'execution-role', {
      name: `${name}-execution`,
      service: 'ecs-tasks.amazonaws.com',
      statements: [
        logWriteStatement(logGroup.arn),
        ...ecrPullStatements(options.image),
        ...(Object.keys(options.secrets).length > 0
          ? [
              {
                Effect: 'Allow' as const,
                Action: ['secretsmanager:GetSecretValue'],
                Resource: [...new Set(Object.values(options.secrets))],
              },
            ]
          : []),
      ],
    });
    const taskRole = new ServiceRole(this, 'task-role', {
      name: `${name}-task`,
      service: 'ecs-tasks.amazonaws.com',
      statements: options.taskStatements,
    });

    this.taskDefinition = new EcsTaskDefinition(this, 'task', {
      family: name,
      requiresCompatibilities: ['FARGATE'],
      networkMode: 'awsvpc',
      cpu: String(config.api.cpu),
      memory: String(config.api.memory),
      runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
      executionRoleArn: executionRole.arn,
      taskRoleArn: taskRole.arn,
      // The root filesystem is read-only; /tmp is a task-local scratch volume.
      volume: [{ name: 'tmp' }],
      containerDefinitions: JSON.stringify([
        {
          name: API_CONTAINER.name,
          image: options.image,
          essential: true,
          // The `node` user of the official Node images.
          user: '1000:1000',
          readonlyRootFilesystem: true,
          privileged: false,
          stopTimeout: SHUTDOWN_TIMING.stopTimeoutSeconds,
          // An init process forwards SIGTERM to node and reaps zombies.
          linuxParameters: { initProcessEnabled: true },
          portMappings: [{ containerPort: API_CONTAINER.port, protocol: 'tcp' }],
          mountPoints: [{ sourceVolume: 'tmp', containerPath: '/tmp', readOnly: false }],
          environment: Object.entries({
            ...options.environment,
            PORT: String(API_CONTAINER.port),
            SHUTDOWN_DRAIN_MS: String(SHUTDOWN_TIMING.drainMs),
            SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMING.timeoutMs),
            // While Redis is down each task allows quota / this; at most maxTasks run.
            RATE_LIMIT_EXPECTED_INSTANCES: String(config.api.maxTasks),
            ...onRedisFailureEnvironment(config.api.maxTasks),
          })
            .sort(([a], [b]) => a.localeCompare(b, 'en'))
            .map(([key, value]) => ({ name: key, value })),
          secrets: Object.entries(options.secrets).map(([key, valueFrom]) => ({ name: key, valueFrom })),
          logConfiguration: {
            logDriver: 'awslogs',
            options: {
              'awslogs-group': logGroup.name,
              'awslogs-region': config.region,
              'awslogs-stream-prefix': API_CONTAINER.name,
            },
          },
        },
      ]),
    });

    this.targetGroup = new LbTargetGroup(this, 'target-group', {
      name: `${namePrefix}-ecs`,
      targetType: 'ip',
      protocol: 'HTTP',
      port: API_CONTAINER.port,
      vpcId: options.vpcId,
      deregistrationDelay: String(SHUTDOWN_TIMING.deregistrationDelaySeconds),
      healthCheck: {
        path: '/healthz',
        matcher: '200',
        interval: SHUTDOWN_TIMING.healthCheckIntervalSeconds,
        timeout: 3,
        healthyThreshold: 2,
        unhealthyThreshold: SHUTDOWN_TIMING.unhealthyThreshold,
      },
    });

    this.service = new EcsService(this, 'service', {
      name,
      cluster: options.clusterArn,
      taskDefinition: this.taskDefinition.arn,
      desiredCount: config.api.minTasks,
      // Fargate never replaces missing Spot capacity with on-demand by itself: the base keeps the
      // minimum on FARGATE, the weights split the rest.
      capacityProviderStrategy: [
        { capacityProvider: 'FARGATE', base: config.api.onDemandBase, weight: config.api.onDemandWeight },
        { capacityProvider: 'FARGATE_SPOT', base: 0, weight: config.api.spotWeight },
      ],
      // ECS applies a changed capacity provider strategy only with a new deployment, and provider
      // 6.x refuses the plan without this flag ("aws_ecs_service", Terraform AWS provider docs);
      // it starts a deployment only when the service is updated, never on an unchanged plan.
      forceNewDeployment: true,
      platformVersion: 'LATEST',
      deploymentCircuitBreaker: { enable: true, rollback: true },
      deploymentMinimumHealthyPercent: 100,
      deploymentMaximumPercent: 200,
      healthCheckGracePeriodSeconds: 30,
      networkConfiguration: {
        subnets: [...options.subnetIds],
        securityGroups: [options.securityGroupId],
        assignPublicIp: false,
      },
      loadBalancer: [
        {
          targetGroupArn: this.targetGroup.arn,
          containerName: API_CONTAINER.name,
          containerPort: API_CONTAINER.port,
        },
      ],
      propagateTags: 'SERVICE',
      enableEcsManagedTags: true,
      // Tasks must not start before the app's permissions exist (the policy is its own resource).
      dependsOn: [options.clusterReady, ...(taskRole.policy ? [taskRole.policy] : [])],
      // Autoscaling owns the task count after creation.
      lifecycle: { ignoreChanges: ['desired_count'] },
    });

    const resourceId = `service/${options.clusterName}/${this.service.name}`;
    this.scalingTarget = new AppautoscalingTarget(this, 'scaling-target', {
      serviceNamespace: 'ecs',
      scalableDimension: 'ecs:service:DesiredCount',
      resourceId,
      minCapacity: config.api.minTasks,
      maxCapacity: config.api.maxTasks,
    });
    const targetTracking = (
      key: string,
      metric: { predefinedMetricType: string; resourceLabel?: string },
      targetValue: number,
    ) =>
      new AppautoscalingPolicy(this, key, {
        name: `${name}-${key}`,
        policyType: 'TargetTrackingScaling',
        serviceNamespace: this.scalingTarget.serviceNamespace,
        scalableDimension: this.scalingTarget.scalableDimension,
        resourceId: this.scalingTarget.resourceId,
        targetTrackingScalingPolicyConfiguration: {
          predefinedMetricSpecification: metric,
          targetValue,
          scaleOutCooldown: 60,
          scaleInCooldown: 300,
        },
      });
    targetTracking(
      'cpu',
      { predefinedMetricType: 'ECSServiceAverageCPUUtilization' },
      config.api.cpuTargetPercent,
    );
    targetTracking(
      'requests',
      {
        predefinedMetricType: 'ALBRequestCountPerTarget',
        resourceLabel: `${options.albArnSuffix}/${this.targetGroup.arnSuffix}`,
      },
      config.api.requestsPerTargetPerMinute,
    );
  }
}
