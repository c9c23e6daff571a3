import type { ConcurrencyOverrides } from '../adapters/concurrency/bounds.js';
import { type EnvironmentRouting, environmentRouting } from './environments.js';

/**
 * The typed configuration of each deployed environment: one stack per entry. Pure data (no cdktf
 * import) so tests, `npm run routes` and the stacks all read the same values.
 */

export type NetworkConfig =
  | {
      readonly kind: 'new';
      readonly cidr: string;
      /** At least two: the ALB, ElastiCache failover and Fargate spread need two AZs. */
      readonly azCount: number;
      /** One NAT gateway is cheap; one per AZ survives the loss of an AZ. */
      readonly natGateways: 'single' | 'per-az';
    }
  | {
      readonly kind: 'existing';
      readonly vpcId: string;
      readonly publicSubnetIds: readonly string[];
      readonly privateSubnetIds: readonly string[];
    };

/**
 * Reserved concurrency for one Lambda group: an explicit opt-in, with its reason. It is a floor
 * kept for the group and a ceiling on it, and it subtracts from every other function's share of
 * the account's pool, so it is not how a group is bounded: `maxConcurrency` is (README, "Max
 * concurrency").
 */
export interface ReservedConcurrency {
  readonly concurrency: number;
  /** Why this group must be guaranteed capacity at the expense of every other function. */
  readonly reason: string;
}

export interface StackConfig {
  readonly env: string;
  readonly region: string;
  /** Prefix of every AWS resource name; short, because ALB and target group names stop at 32. */
  readonly namePrefix: string;
  readonly logRetentionDays: number;
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /**
   * `terraform destroy` then `apply` must work (dev): secrets are deleted without Secrets Manager's
   * recovery window (which keeps their names taken for up to 30 days) and the jobs bucket is emptied
   * on destroy. Prod keeps both protections, and the ALB's deletion protection.
   */
  readonly destroyable: boolean;
  readonly routing: EnvironmentRouting;
  readonly network: NetworkConfig;
  readonly alb: {
    /**
     * HTTPS when set: the certificate ARN here, or when it is omitted from the Terraform variable
     * `certificate_arn` given at plan time. Without it the listener is plain HTTP (dev only).
     */
    readonly https?: { readonly certificateArn?: string };
    readonly deletionProtection: boolean;
    /** Existing bucket for access logs (it needs the ELB log delivery bucket policy). */
    readonly accessLogsBucket?: string;
    /** Where a request no route matches goes: a JSON 404 from the ALB, or the ECS service. */
    readonly defaultAction: 'not-found' | 'ecs';
  };
  readonly api: {
    readonly cpu: number;
    readonly memory: number;
    readonly minTasks: number;
    readonly maxTasks: number;
    /** Tasks always on on-demand FARGATE; the rest split by weight. */
    readonly onDemandBase: number;
    readonly onDemandWeight: number;
    readonly spotWeight: number;
    readonly cpuTargetPercent: number;
    readonly requestsPerTargetPerMinute: number;
    /** Tasks added per Spot interruption notice seen in a minute. */
    readonly spotInterruptionScaleOut: number;
  };
  readonly lambda: {
    readonly memoryMb: number;
    /** Lambda group → reserved concurrency, only where a group opts in; none by default. */
    readonly reservedConcurrency: Readonly<Record<string, ReservedConcurrency>>;
    /**
     * Concurrency a group without a reservation is expected to reach. While Redis is down each
     * instance allows `quota / RATE_LIMIT_EXPECTED_INSTANCES`, so this keeps the total near the quota.
     */
    readonly expectedConcurrency: number;
  };
  /**
   * Max Concurrency per Lambda group or route id over the route table's (`off` lifts one). Both
   * runtimes get the same `MAX_CONCURRENCY`, so moving a route between them keeps its bound.
   */
  readonly maxConcurrency: ConcurrencyOverrides;
  readonly redis: {
    readonly nodeType: string;
    /** Primary plus replicas; two or more enables automatic failover. */
    readonly nodes: number;
    readonly automaticFailover: boolean;
    readonly snapshotRetentionDays: number;
  };
  /**
   * Browser origins allowed to call the API (`CORS_*` on the ECS task and the API Lambdas).
   * Empty: no cross-origin access; the API still answers other clients.
   */
  readonly cors: {
    readonly allowedOrigins: readonly string[];
    readonly allowCredentials: boolean;
    readonly maxAgeSeconds: number;
  };
  readonly jobs: {
    /** The pacer's event source maximum concurrency (AWS minimum 2). */
    readonly pacerMaxConcurrency: number;
    readonly simulationCpu: number;
    readonly simulationMemory: number;
    readonly objectExpirationDays: number;
    readonly queueRetentionDays: number;
  };
}

const routingFor = (env: string): EnvironmentRouting => environmentRouting[env] ?? { routeTargets: {} };

export const stackConfigs: Readonly<Record<string, StackConfig>> = {
  dev: {
    env: 'dev',
    region: 'eu-west-1',
    namePrefix: 'dra-dev',
    logRetentionDays: 14,
    logLevel: 'debug',
    destroyable: true,
    routing: routingFor('dev'),
    network: { kind: 'new', cidr: '10.40.0.0/16', azCount: 2, natGateways: 'single' },
    alb: { deletionProtection: false, defaultAction: 'not-found' },
    api: {
      cpu: 256,
      memory: 512,
      minTasks: 1,
      maxTasks: 4,
      onDemandBase: 1,
      onDemandWeight: 0,
      spotWeight: 1,
      cpuTargetPercent: 60,
      requestsPerTargetPerMinute: 1_000,
      spotInterruptionScaleOut: 1,
    },
    lambda: { memoryMb: 512, reservedConcurrency: {}, expectedConcurrency: 5 },
    // A small environment: a burst in dev must not take the account's pool from anything else.
    maxConcurrency: { leads: 20, jobs: 10 },
    redis: { nodeType: 'cache.t4g.micro', nodes: 1, automaticFailover: false, snapshotRetentionDays: 0 },
    // The example frontend (`npm run web`) on a developer's machine may call dev.
    cors: { allowedOrigins: ['http://localhost:8417'], allowCredentials: false, maxAgeSeconds: 600 },
    jobs: {
      pacerMaxConcurrency: 2,
      simulationCpu: 512,
      simulationMemory: 1024,
      objectExpirationDays: 14,
      queueRetentionDays: 4,
    },
  },
  prod: {
    env: 'prod',
    region: 'eu-west-1',
    namePrefix: 'dra-prod',
    logRetentionDays: 90,
    logLevel: 'info',
    destroyable: false,
    routing: routingFor('prod'),
    network: { kind: 'new', cidr: '10.50.0.0/16', azCount: 3, natGateways: 'per-az' },
    alb: { https: {}, deletionProtection: true, defaultAction: 'not-found' },
    api: {
      cpu: 512,
      memory: 1024,
      minTasks: 2,
      maxTasks: 20,
      onDemandBase: 2,
      onDemandWeight: 1,
      spotWeight: 3,
      cpuTargetPercent: 55,
      requestsPerTargetPerMinute: 1_500,
      spotInterruptionScaleOut: 2,
    },
    // Leads used to reserve 200, taking them from every other function even when idle; they are
    // bounded at 200 instead, which takes nothing from the pool until used.
    lambda: { memoryMb: 1024, reservedConcurrency: {}, expectedConcurrency: 50 },
    maxConcurrency: { leads: 200 },
    redis: { nodeType: 'cache.t4g.small', nodes: 2, automaticFailover: true, snapshotRetentionDays: 7 },
    // List the production frontends' origins here (https://app.example.com); none until then.
    cors: { allowedOrigins: [], allowCredentials: false, maxAgeSeconds: 7_200 },
    jobs: {
      pacerMaxConcurrency: 5,
      simulationCpu: 1024,
      simulationMemory: 2048,
      objectExpirationDays: 90,
      queueRetentionDays: 14,
    },
  },
};
