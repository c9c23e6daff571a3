import { UNSCOPED_READ_ACTIONS } from '../../infra/constructs/iam-role.js';
import type { StackJson } from './synth.js';

/**
 * Security rules on the synthesized JSON, each named by the checkov check it mirrors. They read
 * the same arguments checkov reads in Terraform; they are not checkov, but a violation here would
 * be one there.
 */
export interface Violation {
  readonly check: string;
  /** `type.name` of the resource. */
  readonly address: string;
  readonly detail: string;
}

type Json = Record<string, unknown>;
interface Statement {
  Effect: string;
  Action: string | string[];
  Resource?: string | string[];
  Principal?: unknown;
}

const each = (stack: StackJson, type: string) =>
  Object.entries(stack.resource[type] ?? {}).map(
    ([name, body]) => [`${type}.${name}`, body] as [string, Json],
  );
const list = <T>(value: T | T[] | undefined): T[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** TLS 1.2+ only policies (ELB docs, "Security policies for your Application Load Balancer"). */
const TLS12_POLICY = /^ELBSecurityPolicy-(TLS13-1-[23]-|TLS-1-2-|FS-1-2-)/;

/**
 * Actions the IAM checks treat as dangerous on `"Resource": "*"`, by check: privilege escalation
 * (286), credentials exposure (287), data exfiltration (288), permissions management (289).
 * Write access (290) is any action that is not a read (Describe/Get/List/Head).
 */
const DANGEROUS: Readonly<Record<string, readonly string[]>> = {
  CKV_AWS_286: [
    'iam:AttachRolePolicy',
    'iam:CreatePolicyVersion',
    'iam:PassRole',
    'iam:PutRolePolicy',
    'iam:UpdateAssumeRolePolicy',
    'lambda:CreateFunction',
    'lambda:UpdateFunctionCode',
    'ecs:RunTask',
    'ecs:RegisterTaskDefinition',
  ],
  CKV_AWS_287: [
    'ecr:GetAuthorizationToken',
    'iam:CreateAccessKey',
    'iam:CreateLoginProfile',
    'sts:GetFederationToken',
    'sts:GetSessionToken',
    'redshift:GetClusterCredentials',
  ],
  CKV_AWS_288: [
    's3:GetObject',
    'secretsmanager:GetSecretValue',
    'ssm:GetParameter',
    'kms:Decrypt',
    'sqs:ReceiveMessage',
  ],
  CKV_AWS_289: [
    'iam:CreateRole',
    'iam:PutRolePolicy',
    's3:PutBucketPolicy',
    'sqs:SetQueueAttributes',
    'lambda:AddPermission',
  ],
};
const isRead = (action: string) => /^[a-z0-9-]+:(Describe|Get|List|Head)/.test(action);

function policyDocuments(stack: StackJson): [string, Statement[]][] {
  const docs: [string, Statement[]][] = [];
  const add = (address: string, text: unknown) => {
    if (typeof text !== 'string') return;
    docs.push([address, list((JSON.parse(text) as { Statement: Statement | Statement[] }).Statement)]);
  };
  for (const [address, r] of each(stack, 'aws_iam_role_policy')) add(address, r.policy);
  for (const [address, r] of each(stack, 'aws_iam_role')) add(address, r.assume_role_policy);
  for (const [address, r] of each(stack, 'aws_s3_bucket_policy')) add(address, r.policy);
  for (const [address, r] of each(stack, 'aws_sqs_queue_policy')) add(address, r.policy);
  for (const [address, r] of each(stack, 'aws_cloudwatch_log_resource_policy'))
    add(address, r.policy_document);
  return docs;
}

export function securityViolations(stack: StackJson): Violation[] {
  const v: Violation[] = [];
  const fail = (check: string, address: string, detail: string) => v.push({ check, address, detail });

  // ALB
  for (const [address, lb] of each(stack, 'aws_lb')) {
    if (lb.drop_invalid_header_fields !== true)
      fail('CKV_AWS_131', address, 'invalid header fields not dropped');
    if (lb.enable_deletion_protection !== true) fail('CKV_AWS_150', address, 'deletion protection off');
  }
  for (const [address, listener] of each(stack, 'aws_lb_listener')) {
    const actions = list(listener.default_action as Json[]);
    const redirects = actions.every(
      (a) => a.type === 'redirect' && (a.redirect as Json)?.protocol === 'HTTPS',
    );
    if (listener.protocol !== 'HTTPS' && !redirects)
      fail('CKV_AWS_2', address, `${listener.protocol} listener`);
    if (listener.protocol === 'HTTPS' && !TLS12_POLICY.test(String(listener.ssl_policy))) {
      fail('CKV_AWS_103', address, `TLS policy ${listener.ssl_policy}`);
    }
  }

  // ECS
  for (const [address, cluster] of each(stack, 'aws_ecs_cluster')) {
    const insights = list(cluster.setting as Json[]).find((s) => s.name === 'containerInsights');
    if (!insights || !['enabled', 'enhanced'].includes(String(insights.value))) {
      fail('CKV_AWS_65', address, 'Container Insights off');
    }
  }
  for (const [address, service] of each(stack, 'aws_ecs_service')) {
    if ((service.network_configuration as Json | undefined)?.assign_public_ip === true) {
      fail('CKV_AWS_333', address, 'public IP assigned');
    }
  }
  for (const [address, task] of each(stack, 'aws_ecs_task_definition')) {
    if (!task.execution_role_arn || task.execution_role_arn === task.task_role_arn) {
      fail('CKV_AWS_249', address, 'execution and task roles are the same');
    }
    for (const container of JSON.parse(String(task.container_definitions)) as Json[]) {
      if (container.readonlyRootFilesystem !== true)
        fail('CKV_AWS_336', address, `${container.name}: writable root`);
      if (container.privileged === true) fail('CKV_AWS_334', address, `${container.name}: privileged`);
    }
  }

  // ElastiCache
  for (const [address, redis] of each(stack, 'aws_elasticache_replication_group')) {
    if (String(redis.at_rest_encryption_enabled) !== 'true')
      fail('CKV_AWS_29', address, 'not encrypted at rest');
    if (redis.transit_encryption_enabled !== true) fail('CKV_AWS_30', address, 'not encrypted in transit');
    if (redis.transit_encryption_enabled !== true || !redis.auth_token)
      fail('CKV_AWS_31', address, 'no AUTH token');
  }

  // S3: the settings are separate resources that name their bucket.
  const bucketSettings = (type: string) =>
    each(stack, type).map(([, r]) => [String(r.bucket).replace(/\.id\}$/, ''), r] as [string, Json]);
  const access = bucketSettings('aws_s3_bucket_public_access_block');
  const encryption = bucketSettings('aws_s3_bucket_server_side_encryption_configuration');
  const versioning = bucketSettings('aws_s3_bucket_versioning');
  for (const [address] of each(stack, 'aws_s3_bucket')) {
    const ref = `\${${address}`;
    const block = access.find(([b]) => b === ref)?.[1];
    if (block?.block_public_acls !== true) fail('CKV_AWS_53', address, 'public ACLs not blocked');
    if (block?.block_public_policy !== true) fail('CKV_AWS_54', address, 'public policies not blocked');
    if (block?.ignore_public_acls !== true) fail('CKV_AWS_55', address, 'public ACLs not ignored');
    if (block?.restrict_public_buckets !== true) fail('CKV_AWS_56', address, 'public buckets not restricted');
    if (!encryption.some(([b]) => b === ref)) fail('CKV_AWS_19', address, 'no default encryption');
    const status = (versioning.find(([b]) => b === ref)?.[1]?.versioning_configuration as Json | undefined)
      ?.status;
    if (status !== 'Enabled') fail('CKV_AWS_21', address, 'versioning off');
  }

  // SQS: encrypted, and every queue that is not itself a dead-letter queue has one.
  const whole = JSON.stringify(stack.resource);
  for (const [address, queue] of each(stack, 'aws_sqs_queue')) {
    if (queue.sqs_managed_sse_enabled !== true && !queue.kms_master_key_id)
      fail('CKV_AWS_27', address, 'unencrypted');
    const isDeadLetterQueue =
      whole.includes(`\\"deadLetterTargetArn\\":\\"\${${address}.arn}`) ||
      each(stack, 'aws_lambda_function').some(
        ([, f]) => (f.dead_letter_config as Json)?.target_arn === `\${${address}.arn}`,
      );
    if (!isDeadLetterQueue && !queue.redrive_policy) fail('SQS_DLQ', address, 'no dead-letter queue');
  }

  // IAM
  for (const [address, statements] of policyDocuments(stack)) {
    for (const s of statements) {
      const actions = list(s.Action);
      const resources = list(s.Resource);
      if (s.Effect === 'Allow' && actions.some((a) => a === '*' || a.endsWith(':*'))) {
        fail('CKV_AWS_63', address, `wildcard action ${actions.join(',')}`);
      }
      if (s.Effect !== 'Allow' || !resources.includes('*')) continue;
      for (const action of actions) {
        if (!(UNSCOPED_READ_ACTIONS as readonly string[]).includes(action))
          fail('CKV_AWS_355', address, action);
        for (const [check, dangerous] of Object.entries(DANGEROUS)) {
          if (dangerous.includes(action)) fail(check, address, action);
        }
        if (!isRead(action)) fail('CKV_AWS_290', address, action);
      }
    }
  }

  // Logs and Lambda
  for (const [address, group] of each(stack, 'aws_cloudwatch_log_group')) {
    if (!(Number(group.retention_in_days) > 0)) fail('CKV_AWS_66', address, 'no retention');
  }
  for (const [address, fn] of each(stack, 'aws_lambda_function')) {
    if (!(fn.dead_letter_config as Json | undefined)?.target_arn)
      fail('CKV_AWS_116', address, 'no dead-letter queue');
  }
  return v;
}
