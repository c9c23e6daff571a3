import { LambdaPermission } from '@cdktf/provider-aws/lib/lambda-permission/index.js';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group/index.js';
import { LbTargetGroupAttachment } from '@cdktf/provider-aws/lib/lb-target-group-attachment/index.js';
import { Construct } from 'constructs';
import type { RouteDefinition } from '../../app/routes.js';
import { awsName } from '../names.js';
import type { ReservedConcurrency } from '../stack-config.js';
import type { PolicyStatement } from './iam-role.js';
import { NodeFunction } from './node-function.js';

/** The API bundle's entry: app/lambda.ts, built into each group's zip as `lambda.js`. */
export const API_LAMBDA_HANDLER = 'lambda.handler';

/** Seconds past the slowest route's deadline, so the app answers 504 itself before Lambda kills it. */
const TIMEOUT_MARGIN_SECONDS = 2;

export interface LambdaGroupsOptions {
  readonly namePrefix: string;
  readonly routes: readonly RouteDefinition[];
  readonly memoryMb: number;
  /** Lambda group → reserved concurrency, for the groups that opt in. */
  readonly reservedConcurrency: Readonly<Record<string, ReservedConcurrency>>;
  /** Concurrency a group without a reservation is expected to reach; splits rate limits if Redis fails. */
  readonly expectedConcurrency: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly statements: readonly PolicyStatement[];
  readonly logRetentionDays: number;
  readonly region: string;
  readonly accountId: string;
  readonly subnetIds: readonly string[];
  readonly securityGroupId: string;
}

export interface LambdaGroup {
  readonly name: string;
  readonly function: NodeFunction;
  readonly targetGroup: LbTargetGroup;
}

/**
 * One function per Lambda group of the route table, each behind its own ALB target group. Every
 * group exists whatever the routes' current targets are, so moving a route between Lambda and ECS
 * changes only its listener rule.
 */
export class LambdaGroups extends Construct {
  readonly groups: ReadonlyMap<string, LambdaGroup>;

  constructor(scope: Construct, id: string, options: LambdaGroupsOptions) {
    super(scope, id);
    const routesByGroup = new Map<string, RouteDefinition[]>();
    for (const route of options.routes) {
      routesByGroup.set(route.lambdaGroup, [...(routesByGroup.get(route.lambdaGroup) ?? []), route]);
    }
    for (const group of Object.keys(options.reservedConcurrency)) {
      if (!routesByGroup.has(group)) {
        throw new Error(
          `reserved concurrency for unknown Lambda group ${JSON.stringify(group)} (groups: ${[...routesByGroup.keys()].join(', ')})`,
        );
      }
    }

    const groups = new Map<string, LambdaGroup>();
    for (const [group, routes] of [...routesByGroup].sort(([a], [b]) => a.localeCompare(b, 'en'))) {
      const name = awsName([options.namePrefix, 'api', group], 64);
      const reserved = options.reservedConcurrency[group]?.concurrency;
      const slowest = Math.max(...routes.map((r) => r.timeoutMs));
      const fn = new NodeFunction(this, group, {
        name,
        handler: API_LAMBDA_HANDLER,
        artifact: group,
        timeoutSeconds: Math.ceil(slowest / 1000) + TIMEOUT_MARGIN_SECONDS,
        memoryMb: options.memoryMb,
        environment: {
          ...options.environment,
          // The shared API bundle serves only this group's routes.
          LAMBDA_GROUP: group,
          RATE_LIMIT_EXPECTED_INSTANCES: String(reserved ?? options.expectedConcurrency),
        },
        statements: options.statements,
        logRetentionDays: options.logRetentionDays,
        region: options.region,
        accountId: options.accountId,
        vpc: { subnetIds: options.subnetIds, securityGroupId: options.securityGroupId },
        ...(reserved !== undefined ? { reservedConcurrency: reserved } : {}),
      });
      const targetGroup = new LbTargetGroup(this, `${group}-target-group`, {
        name: awsName([options.namePrefix, 'fn', group], 32),
        targetType: 'lambda',
        // Several Set-Cookie headers and repeated query keys only survive with multi-value headers
        // ("Lambda functions as targets", ELB docs).
        lambdaMultiValueHeadersEnabled: true,
      });
      const permission = new LambdaPermission(this, `${group}-alb-invoke`, {
        statementId: 'AllowInvokeFromAlbTargetGroup',
        action: 'lambda:InvokeFunction',
        functionName: fn.function.functionName,
        principal: 'elasticloadbalancing.amazonaws.com',
        sourceArn: targetGroup.arn,
      });
      new LbTargetGroupAttachment(this, `${group}-attachment`, {
        targetGroupArn: targetGroup.arn,
        targetId: fn.function.arn,
        dependsOn: [permission],
      });
      groups.set(group, { name, function: fn, targetGroup });
    }
    this.groups = groups;
  }
}
