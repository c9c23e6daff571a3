import { IamRole } from '@cdktf/provider-aws/lib/iam-role/index.js';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy/index.js';
import { Construct } from 'constructs';

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: readonly string[];
  /** Absent only in trust policies, where the role itself is the resource. */
  readonly Resource?: readonly string[] | string;
  readonly Principal?: '*' | Readonly<Record<string, string | readonly string[]>>;
  readonly Condition?: Readonly<
    Record<string, Readonly<Record<string, string | readonly string[] | boolean>>>
  >;
}

/**
 * A policy document as the JSON string Terraform takes. Plain JSON (not `jsonencode`) keeps the
 * synthesized stack readable and lets the tests parse every statement; references inside it are
 * ordinary `${...}` interpolations.
 */
export function policyDocument(statements: readonly PolicyStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements });
}

/**
 * Actions that take no resource-level permission, so "*" is their only resource ("Actions,
 * resources, and condition keys" pages of the Service Authorization Reference). Read-only; the
 * security tests allow "*" for these and nothing else.
 */
export const UNSCOPED_READ_ACTIONS = [
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DescribeSecurityGroups',
  'ec2:DescribeVpcs',
  'ecr:GetAuthorizationToken',
] as const;

export interface ServiceRoleOptions {
  /** IAM role name (≤ 64 characters). */
  readonly name: string;
  /** Service principal allowed to assume the role, e.g. `ecs-tasks.amazonaws.com`. */
  readonly service: string;
  readonly statements: readonly PolicyStatement[];
  /** Extra trust conditions (e.g. `aws:SourceAccount`) against the confused-deputy problem. */
  readonly trustCondition?: PolicyStatement['Condition'];
}

/** A role one AWS service assumes, with one inline least-privilege policy. */
export class ServiceRole extends Construct {
  readonly role: IamRole;
  /** The inline policy; whatever the role runs must depend on it (IAM applies it separately). */
  readonly policy: IamRolePolicy | undefined;

  constructor(scope: Construct, id: string, options: ServiceRoleOptions) {
    super(scope, id);
    this.role = new IamRole(this, 'role', {
      name: options.name,
      assumeRolePolicy: policyDocument([
        {
          Effect: 'Allow',
          Principal: { Service: options.service },
          Action: ['sts:AssumeRole'],
          ...(options.trustCondition ? { Condition: options.trustCondition } : {}),
        },
      ]),
    });
    if (options.statements.length > 0) {
      this.policy = new IamRolePolicy(this, 'policy', {
        name: `${options.name}-policy`,
        role: this.role.id,
        policy: policyDocument(options.statements),
      });
    }
  }

  get arn(): string {
    return this.role.arn;
  }
}

/**
 * Pull permissions for one container image: the repository's layer actions scoped to its ARN, plus
 * GetAuthorizationToken (no resource-level permission). Nothing for images outside ECR.
 */
export function ecrPullStatements(image: string): PolicyStatement[] {
  const match = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([^:@]+)/.exec(image);
  if (!match) return [];
  const [, account, region, china, repository] = match;
  return [
    { Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
    {
      Effect: 'Allow',
      Action: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
      Resource: [`arn:${china ? 'aws-cn' : 'aws'}:ecr:${region}:${account}:repository/${repository}`],
    },
  ];
}

/**
 * Listing one prefix of a bucket. Besides listing, it makes S3 answer a missing key under that
 * prefix with 404 NoSuchKey instead of 403 AccessDenied (GetObject and HeadObject API reference,
 * "Permissions"), which code that probes for an object it may not have written yet relies on.
 */
export function listPrefixStatement(bucketArn: string, prefix: string): PolicyStatement {
  return {
    Effect: 'Allow',
    Action: ['s3:ListBucket'],
    Resource: [bucketArn],
    Condition: { StringLike: { 's3:prefix': [`${prefix}*`] } },
  };
}

/**
 * StopTask on tasks of one cluster only: the resource pattern and the `ecs:cluster` condition
 * ("Actions, resources, and condition keys for Amazon ECS", StopTask).
 */
export function stopTasksStatement(ecsArn: string, clusterName: string, clusterArn: string): PolicyStatement {
  return {
    Effect: 'Allow',
    Action: ['ecs:StopTask'],
    Resource: [`${ecsArn}:task/${clusterName}/*`],
    Condition: { ArnEquals: { 'ecs:cluster': clusterArn } },
  };
}

/** Write to one log group's streams. */
export function logWriteStatement(logGroupArn: string): PolicyStatement {
  return {
    Effect: 'Allow',
    Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: [`${logGroupArn}:*`],
  };
}
