import { DataAwsCallerIdentity } from '@cdktf/provider-aws/lib/data-aws-caller-identity/index.js';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider/index.js';
import {
  dependable,
  LocalBackend,
  S3Backend,
  TerraformOutput,
  TerraformStack,
  TerraformVariable,
} from 'cdktf';
import type { Construct } from 'constructs';
import { formatConcurrencyOverrides, unknownConcurrencyNames } from '../adapters/concurrency/bounds.js';
import { lambdaGroups } from '../app/lambda-groups.js';
import { type RouteAssignment, resolveRouteTargets } from '../app/route-targets.js';
import type { RouteDefinition } from '../app/routes.js';
import { Alb } from './constructs/alb.js';
import { ApiKeys } from './constructs/api-keys.js';
import { AppSecurityGroups } from './constructs/app-security-groups.js';
import { API_CONTAINER, EcsApiService } from './constructs/ecs-api-service.js';
import { EcsCluster } from './constructs/ecs-cluster.js';
import type { PolicyStatement } from './constructs/iam-role.js';
import { Jobs, PACER_TIMEOUT_SECONDS } from './constructs/jobs.js';
import { JobsStorage, SIMULATION_OBJECT_PREFIX } from './constructs/jobs-storage.js';
import { LambdaGroups } from './constructs/lambda-groups.js';
import { Network } from './constructs/network.js';
import { Redis } from './constructs/redis.js';
import { RouteRules } from './constructs/route-rules.js';
import { SpotScaleOut } from './constructs/spot-scale-out.js';
import type { StackConfig } from './stack-config.js';
import type { StateBackendInput } from './synth-inputs.js';

export const PROJECT = 'dual-runtime-api';

/** "Amazon Resource Names (ARNs)" (IAM docs) for ACM: arn:<partition>:acm:<region>:<account>:certificate/<id>. */
export const ACM_CERTIFICATE_ARN = /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/;

/** `dual-runtime-api-dev`: the stack (and state file) of one environment. */
export function stackName(env: string): string {
  return `${PROJECT}-${env}`;
}

export interface ApiStackOptions {
  readonly config: StackConfig;
  readonly routes: readonly RouteDefinition[];
  /** Parsed ROUTE_TARGETS; applied after the environment's own overrides. */
  readonly deployRouteTargets: Readonly<Record<string, string>>;
  readonly apiImage: string;
  readonly simulationImage: string;
  readonly stateBackend: StateBackendInput | undefined;
}

/** One environment: network, ALB with per-route rules, ECS service, Lambda groups, Redis, jobs. */
export class ApiStack extends TerraformStack {
  readonly assignments: readonly RouteAssignment[];

  constructor(scope: Construct, id: string, options: ApiStackOptions) {
    super(scope, id);
    const { config } = options;
    const name = config.namePrefix;

    // Route targets first: a bad override stops synthesis before anything else is built.
    this.assignments = resolveRouteTargets(options.routes, {
      environment: config.routing.routeTargets,
      deploy: options.deployRouteTargets,
    });

    const unknownBounds = unknownConcurrencyNames(config.maxConcurrency, lambdaGroups, options.routes);
    if (unknownBounds.length > 0) {
      throw new Error(`maxConcurrency of ${config.env}: ${unknownBounds.join('; ')}`);
    }

    if (options.stateBackend) {
      const { bucket, region, lockTable } = options.stateBackend;
      new S3Backend(this, {
        bucket,
        key: `${PROJECT}/${id}.tfstate`,
        region: region ?? config.region,
        encrypt: true,
        ...(lockTable ? { dynamodbTable: lockTable } : {}),
      });
      // S3 native state locking (Terraform 1.10+); the cdktf backend class predates the option.
      if (!lockTable) this.addOverride('terraform.backend.s3.use_lockfile', true);
    } else {
      // Relative to the stack's directory under cdktf.out/stacks/.
      new LocalBackend(this, { path: `terraform.${id}.tfstate` });
    }
    new AwsProvider(this, 'aws', {
      region: config.region,
      defaultTags: [{ tags: { Project: PROJECT, Environment: config.env, ManagedBy: 'cdktf' } }],
    });
    const accountId = new DataAwsCallerIdentity(this, 'account').accountId;

    const network = new Network(this, 'network', { namePrefix: name, config: config.network });
    const alb = new Alb(this, 'alb', {
      namePrefix: name,
      vpcId: network.vpcId,
      publicSubnetIds: network.publicSubnetIds,
      deletionProtection: config.alb.deletionProtection,
      ...(config.alb.accessLogsBucket ? { accessLogsBucket: config.alb.accessLogsBucket } : {}),
    });
    const securityGroups = new AppSecurityGroups(this, 'security-groups', {
      namePrefix: name,
      vpcId: network.vpcId,
      albSecurityGroupId: alb.securityGroup.id,
      apiPort: API_CONTAINER.port,
    });
    const redis = new Redis(this, 'redis', {
      name,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      clientSecurityGroupIds: { tasks: securityGroups.tasks.id, lambdas: securityGroups.lambdas.id },
      nodeType: config.redis.nodeType,
      nodes: config.redis.nodes,
      automaticFailover: config.redis.automaticFailover,
      snapshotRetentionDays: config.redis.snapshotRetentionDays,
      destroyable: config.destroyable,
    });
    const cluster = new EcsCluster(this, 'cluster', { name });
    const storage = new JobsStorage(this, 'jobs-storage', {
      name,
      objectExpirationDays: config.jobs.objectExpirationDays,
      queueRetentionDays: config.jobs.queueRetentionDays,
      consumerTimeoutSeconds: PACER_TIMEOUT_SECONDS,
      destroyable: config.destroyable,
    });

    const apiKeys = new ApiKeys(this, 'api-keys', { name, destroyable: config.destroyable });
    const baseEnvironment = { APP_ENV: config.env, LOG_LEVEL: config.logLevel, REDIS_URL: redis.url };
    // Lambda has no secret injection: functions read the AUTH token from Secrets Manager at init.
    const lambdaSecret = {
      environment: { REDIS_AUTH_SECRET_ARN: redis.authSecret.arn },
      statement: {
        Effect: 'Allow' as const,
        Action: ['secretsmanager:GetSecretValue'],
        Resource: [redis.authSecret.arn],
      },
    };

    const jobs = new Jobs(this, 'jobs', {
      name,
      region: config.region,
      accountId,
      clusterArn: cluster.cluster.arn,
      clusterName: cluster.cluster.name,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      lambdaSecurityGroupId: securityGroups.lambdas.id,
      storage,
      simulationImage: options.simulationImage,
      simulationCpu: config.jobs.simulationCpu,
      simulationMemory: config.jobs.simulationMemory,
      pacerMaxConcurrency: config.jobs.pacerMaxConcurrency,
      lambdaMemoryMb: config.lambda.memoryMb,
      lambdaEnvironment: { ...baseEnvironment, ...lambdaSecret.environment },
      lambdaStatements: [lambdaSecret.statement],
      logRetentionDays: config.logRetentionDays,
    });

    // Every entry point reads the same configuration (app/config.ts validates the jobs variables
    // together), so the API gets the jobs variables too.
    // Both runtimes get the same bounds, so moving a route between them keeps its bound.
    const maxConcurrency = formatConcurrencyOverrides(config.maxConcurrency);
    const runtimeEnvironment = {
      ...baseEnvironment,
      ...jobs.environment,
      ...corsEnvironment(config),
      ...(maxConcurrency ? { MAX_CONCURRENCY: maxConcurrency } : {}),
    };
    // What the API itself does with jobs: store inputs, read results, queue, undo on failure.
    const apiStatements: PolicyStatement[] = [
      {
        Effect: 'Allow',
        Action: ['s3:DeleteObject', 's3:GetObject', 's3:PutObject'],
        Resource: [`${storage.bucket.arn}/${SIMULATION_OBJECT_PREFIX}*`],
      },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: [storage.queue.arn] },
    ];
    const api = new EcsApiService(this, 'api', {
      namePrefix: name,
      config,
      clusterArn: cluster.cluster.arn,
      clusterName: cluster.cluster.name,
      clusterReady: cluster.capacityProviders,
      image: options.apiImage,
      vpcId: network.vpcId,
      subnetIds: network.privateSubnetIds,
      securityGroupId: securityGroups.tasks.id,
      albArnSuffix: alb.lb.arnSuffix,
      environment: runtimeEnvironment,
      secrets: { REDIS_PASSWORD: redis.authSecret.arn, API_KEY_HASHES: apiKeys.secret.arn },
      taskStatements: apiStatements,
    });
    new SpotScaleOut(this, 'spot-scale-out', {
      name: `${name}-api`,
      clusterArn: cluster.cluster.arn,
      serviceName: api.service.name,
      scalingTarget: api.scalingTarget,
      tasksPerInterruption: config.api.spotInterruptionScaleOut,
      logRetentionDays: config.logRetentionDays,
    });

    const lambdas = new LambdaGroups(this, 'lambda', {
      namePrefix: name,
      routes: options.routes,
      memoryMb: config.lambda.memoryMb,
      reservedConcurrency: config.lambda.reservedConcurrency,
      expectedConcurrency: config.lambda.expectedConcurrency,
      // The API functions also read the API key hashes (the pacer and task-events do not limit).
      environment: {
        ...runtimeEnvironment,
        ...lambdaSecret.environment,
        API_KEY_HASHES_SECRET_ARN: apiKeys.secret.arn,
      },
      statements: [
        lambdaSecret.statement,
        { Effect: 'Allow', Action: ['secretsmanager:GetSecretValue'], Resource: [apiKeys.secret.arn] },
        ...apiStatements,
      ],
      logRetentionDays: config.logRetentionDays,
      region: config.region,
      accountId,
      subnetIds: network.privateSubnetIds,
      securityGroupId: securityGroups.lambdas.id,
    });

    const configuredArn = config.alb.https?.certificateArn;
    if (configuredArn !== undefined && !ACM_CERTIFICATE_ARN.test(configuredArn)) {
      throw new Error(
        `${config.env}: alb.https.certificateArn ${JSON.stringify(configuredArn)} is not an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)`,
      );
    }
    const certificateArn = config.alb.https
      ? (configuredArn ??
        new TerraformVariable(this, 'certificate_arn', {
          type: 'string',
          description: `ACM certificate of the ${config.env} ALB's HTTPS listener`,
          nullable: false,
          // An empty ARN would pass plan and fail at apply, after other resources changed.
          validation: [
            {
              condition: `\${can(regex("${ACM_CERTIFICATE_ARN.source.replaceAll('\\', '\\\\')}", var.certificate_arn))}`,
              errorMessage: `certificate_arn must be the ACM certificate ARN of the ${config.env} ALB (arn:aws:acm:<region>:<account>:certificate/<id>); set TF_VAR_certificate_arn (Jenkins: CERTIFICATE_ARN_${config.env.toUpperCase()}).`,
            },
          ],
        }).stringValue)
      : undefined;
    const rules = new RouteRules(this, 'routes', {
      loadBalancerArn: alb.lb.arn,
      ...(certificateArn ? { certificateArn } : {}),
      assignments: this.assignments,
      ecsTargetGroupArn: api.targetGroup.arn,
      lambdaTargetGroupArns: new Map([...lambdas.groups].map(([group, g]) => [group, g.targetGroup.arn])),
      defaultAction: config.alb.defaultAction,
    });
    // ECS attaches tasks only to a target group that a listener already forwards to.
    api.service.dependsOn = [
      ...(api.service.dependsOn ?? []),
      ...rules.ecsAttachment.map((rule) => dependable(rule)),
    ];

    new TerraformOutput(this, 'alb_dns_name', { value: alb.lb.dnsName });
    new TerraformOutput(this, 'jobs_queue_url', { value: storage.queue.url });
    new TerraformOutput(this, 'jobs_bucket', { value: storage.bucket.bucket });
    new TerraformOutput(this, 'cluster_name', { value: cluster.cluster.name });
    new TerraformOutput(this, 'api_service_name', { value: api.service.name });
    new TerraformOutput(this, 'simulation_task_family', { value: jobs.simulationTask.family });
  }
}

/** The API's `CORS_*` variables (app/config.ts) for this environment; `none` when it lists no origin. */
export function corsEnvironment(config: Pick<StackConfig, 'cors'>): Record<string, string> {
  const { allowedOrigins, allowCredentials, maxAgeSeconds } = config.cors;
  return {
    CORS_ALLOWED_ORIGINS: allowedOrigins.length > 0 ? allowedOrigins.join(',') : 'none',
    CORS_ALLOW_CREDENTIALS: String(allowCredentials),
    CORS_MAX_AGE_SECONDS: String(maxAgeSeconds),
  };
}
