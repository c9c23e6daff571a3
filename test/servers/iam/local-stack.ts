import { createHash } from 'node:crypto';
import type { StackJson } from '../../infra/synth.js';
import { managedPolicyDocument } from './managed-policies.js';

/**
 * What the local AWS servers need to know about a synthesized stack, with every `${...}` reference
 * resolved to the value AWS would give the resource here (account `000000000000`, the stack's own
 * region, queue URLs on the local SQS server). Built from `cdk.tf.json` only, so the local checks
 * follow exactly what Terraform would deploy.
 */

export const LOCAL_ACCOUNT = '000000000000';

export interface RolePolicy {
  readonly name: string;
  /** Where the document comes from: the Terraform resource, or the managed policy's data file. */
  readonly source: string;
  readonly document: unknown;
}

export interface LocalRole {
  readonly name: string;
  readonly arn: string;
  /** The service principal its trust policy names (`lambda.amazonaws.com`, `ecs-tasks.amazonaws.com`). */
  readonly trustedService: string | undefined;
  readonly policies: readonly RolePolicy[];
}

export interface LocalQueue {
  readonly name: string;
  readonly arn: string;
  readonly visibilityTimeoutSeconds: number;
  readonly redrive: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number } | undefined;
}

export interface LocalFunction {
  readonly name: string;
  readonly arn: string;
  readonly roleName: string;
  readonly handler: string;
  readonly timeoutSeconds: number;
  readonly environment: Readonly<Record<string, string>>;
}

export interface LocalTaskDefinition {
  readonly family: string;
  readonly arn: string;
  readonly taskRoleName: string | undefined;
  readonly executionRoleName: string | undefined;
  readonly containers: readonly { name: string; environment: Readonly<Record<string, string>> }[];
}

export interface LocalStack {
  readonly accountId: string;
  readonly region: string;
  readonly roles: ReadonlyMap<string, LocalRole>;
  readonly queues: ReadonlyMap<string, LocalQueue>;
  readonly buckets: ReadonlyMap<string, { readonly arn: string; readonly kmsKeyArn: string | undefined }>;
  readonly clusters: ReadonlyMap<string, { readonly arn: string }>;
  readonly functions: ReadonlyMap<string, LocalFunction>;
  readonly taskDefinitions: ReadonlyMap<string, LocalTaskDefinition>;
  readonly eventSourceMappings: readonly {
    readonly functionName: string;
    readonly queueName: string;
    readonly batchSize: number;
  }[];
  /** EventBridge rules with the functions they invoke. */
  readonly eventRules: readonly {
    readonly name: string;
    readonly pattern: unknown;
    readonly functionNames: readonly string[];
  }[];
}

type Resource = Record<string, unknown>;
const REFERENCE = /\$\{(data\.)?([a-z0-9_]+)\.([A-Za-z0-9_-]+)\.([a-z_]+)\}/g;

/** Resolves a synthesized stack. `sqsEndpoint` gives queue URLs on the local SQS server. */
export function localStackFrom(stack: StackJson, options: { sqsEndpoint?: string } = {}): LocalStack {
  const provider = (stack.provider?.aws as { region?: string }[] | undefined)?.[0];
  const region = provider?.region ?? 'us-east-1';
  const account = LOCAL_ACCOUNT;
  const sqsEndpoint = options.sqsEndpoint ?? `https://sqs.${region}.amazonaws.com`;
  const resources = stack.resource;

  const attribute = (isData: boolean, type: string, name: string, attr: string): string => {
    if (isData) {
      if (type === 'aws_caller_identity' && attr === 'account_id') return account;
      return `unresolved-data-${type}-${name}-${attr}`;
    }
    const r = resources[type]?.[name];
    if (!r) throw new Error(`reference to a missing resource ${type}.${name}`);
    return attributeOf(type, name, r, attr);
  };
  const resolve = (text: string): string =>
    text.replace(REFERENCE, (_m, data: string | undefined, type: string, name: string, attr: string) =>
      attribute(Boolean(data), type, name, attr),
    );

  function attributeOf(type: string, name: string, r: Resource, attr: string): string {
    const str = (key: string) => (typeof r[key] === 'string' ? resolve(r[key] as string) : undefined);
    switch (type) {
      case 'aws_s3_bucket': {
        // A bucket_prefix gets a generated suffix; a fixed one here keeps names stable per stack.
        const bucket = str('bucket') ?? `${str('bucket_prefix') ?? 'bucket-'}${shortHash(name)}`;
        return attr === 'arn' ? `arn:aws:s3:::${bucket}` : bucket;
      }
      case 'aws_sqs_queue': {
        const queue = str('name') ?? name;
        if (attr === 'arn') return `arn:aws:sqs:${region}:${account}:${queue}`;
        if (attr === 'url' || attr === 'id') return `${sqsEndpoint}/${account}/${queue}`;
        return queue;
      }
      case 'aws_iam_role': {
        const role = str('name') ?? name;
        return attr === 'arn' ? `arn:aws:iam::${account}:role/${role}` : role;
      }
      case 'aws_ecs_cluster': {
        const cluster = str('name') ?? name;
        return attr === 'arn' || attr === 'id'
          ? `arn:aws:ecs:${region}:${account}:cluster/${cluster}`
          : cluster;
      }
      case 'aws_ecs_task_definition': {
        const base = `arn:aws:ecs:${region}:${account}:task-definition/${str('family') ?? name}`;
        if (attr === 'arn_without_revision') return base;
        return attr === 'family' ? (str('family') ?? name) : `${base}:1`;
      }
      case 'aws_ecs_service':
        return str('name') ?? name;
      case 'aws_secretsmanager_secret':
        return attr === 'arn' || attr === 'id'
          ? `arn:aws:secretsmanager:${region}:${account}:secret:${str('name') ?? name}-AbCdEf`
          : (str('name') ?? name);
      case 'aws_cloudwatch_log_group':
        return attr === 'arn'
          ? `arn:aws:logs:${region}:${account}:log-group:${str('name')}`
          : (str('name') ?? name);
      case 'aws_lambda_function':
        return attr === 'arn'
          ? `arn:aws:lambda:${region}:${account}:function:${str('function_name')}`
          : (str('function_name') ?? name);
      case 'aws_kms_key':
        return attr === 'arn' ? `arn:aws:kms:${region}:${account}:key/${shortHash(name)}` : shortHash(name);
      case 'aws_cloudwatch_event_rule':
        return attr === 'arn'
          ? `arn:aws:events:${region}:${account}:rule/${str('name')}`
          : (str('name') ?? name);
      default:
        // Network ids and endpoints: stable placeholders are enough, nothing checks them.
        return `${type.replace(/^aws_/, '')}-${shortHash(name)}`;
    }
  }

  const of = (type: string): [string, Resource][] => Object.entries(resources[type] ?? {});
  const roleNameOf = (reference: unknown): string | undefined => {
    if (typeof reference !== 'string') return undefined;
    const arn = resolve(reference);
    return arn.slice(arn.lastIndexOf('/') + 1);
  };

  const roles = new Map<string, LocalRole>();
  for (const [id, r] of of('aws_iam_role')) {
    const roleName = attributeOf('aws_iam_role', id, r, 'name');
    const trust = JSON.parse(String(r.assume_role_policy)) as {
      Statement: { Principal?: { Service?: string } }[];
    };
    const policies: RolePolicy[] = [];
    for (const [policyId, p] of of('aws_iam_role_policy')) {
      if (roleNameOf(p.role) !== roleName) continue;
      policies.push({
        name: String(p.name),
        source: `aws_iam_role_policy.${policyId}`,
        document: JSON.parse(resolve(String(p.policy))),
      });
    }
    for (const [attachmentId, a] of of('aws_iam_role_policy_attachment')) {
      if (roleNameOf(a.role) !== roleName) continue;
      const arn = resolve(String(a.policy_arn));
      const managed = managedPolicyDocument(arn);
      policies.push({
        name: arn,
        source: `aws_iam_role_policy_attachment.${attachmentId} → ${managed.source}`,
        document: managed.document,
      });
    }
    roles.set(roleName, {
      name: roleName,
      arn: `arn:aws:iam::${account}:role/${roleName}`,
      trustedService: trust.Statement[0]?.Principal?.Service,
      policies,
    });
  }

  const queues = new Map<string, LocalQueue>();
  for (const [id, r] of of('aws_sqs_queue')) {
    const name = attributeOf('aws_sqs_queue', id, r, 'name');
    const redrive =
      typeof r.redrive_policy === 'string'
        ? (JSON.parse(resolve(r.redrive_policy)) as { deadLetterTargetArn: string; maxReceiveCount: number })
        : undefined;
    queues.set(name, {
      name,
      arn: attributeOf('aws_sqs_queue', id, r, 'arn'),
      visibilityTimeoutSeconds: Number(r.visibility_timeout_seconds ?? 30),
      redrive: redrive
        ? {
            deadLetterTargetArn: redrive.deadLetterTargetArn,
            maxReceiveCount: Number(redrive.maxReceiveCount),
          }
        : undefined,
    });
  }

  const buckets = new Map<string, { arn: string; kmsKeyArn: string | undefined }>();
  for (const [id, r] of of('aws_s3_bucket')) {
    const bucket = attributeOf('aws_s3_bucket', id, r, 'bucket');
    let kmsKeyArn: string | undefined;
    for (const [, e] of of('aws_s3_bucket_server_side_encryption_configuration')) {
      if (resolve(String(e.bucket)) !== bucket) continue;
      const rule = (e.rule as { apply_server_side_encryption_by_default?: Resource }[] | undefined)?.[0];
      const defaults = rule?.apply_server_side_encryption_by_default;
      if (defaults?.sse_algorithm === 'aws:kms')
        kmsKeyArn =
          typeof defaults.kms_master_key_id === 'string' ? resolve(defaults.kms_master_key_id) : undefined;
    }
    buckets.set(bucket, { arn: `arn:aws:s3:::${bucket}`, kmsKeyArn });
  }

  const clusters = new Map<string, { arn: string }>();
  for (const [id, r] of of('aws_ecs_cluster')) {
    clusters.set(attributeOf('aws_ecs_cluster', id, r, 'name'), {
      arn: attributeOf('aws_ecs_cluster', id, r, 'arn'),
    });
  }

  const functions = new Map<string, LocalFunction>();
  for (const [id, r] of of('aws_lambda_function')) {
    const name = attributeOf('aws_lambda_function', id, r, 'function_name');
    const variables = ((r.environment as { variables?: Record<string, string> } | undefined)?.variables ??
      {}) as Record<string, string>;
    functions.set(name, {
      name,
      arn: attributeOf('aws_lambda_function', id, r, 'arn'),
      roleName: roleNameOf(r.role) ?? '',
      handler: String(r.handler),
      timeoutSeconds: Number(r.timeout ?? 3),
      environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, resolve(v)])),
    });
  }

  const taskDefinitions = new Map<string, LocalTaskDefinition>();
  for (const [id, r] of of('aws_ecs_task_definition')) {
    const family = String(r.family);
    const containers = JSON.parse(resolve(String(r.container_definitions))) as {
      name: string;
      environment?: { name: string; value: string }[];
    }[];
    taskDefinitions.set(family, {
      family,
      arn: attributeOf('aws_ecs_task_definition', id, r, 'arn'),
      taskRoleName: roleNameOf(r.task_role_arn),
      executionRoleName: roleNameOf(r.execution_role_arn),
      containers: containers.map((c) => ({
        name: c.name,
        environment: Object.fromEntries((c.environment ?? []).map((e) => [e.name, e.value])),
      })),
    });
  }

  const eventSourceMappings = of('aws_lambda_event_source_mapping').map(([, r]) => {
    const functionArn = resolve(String(r.function_name));
    const queueArn = resolve(String(r.event_source_arn));
    return {
      functionName: functionArn.slice(functionArn.lastIndexOf(':') + 1),
      queueName: queueArn.slice(queueArn.lastIndexOf(':') + 1),
      batchSize: Number(r.batch_size ?? 10),
    };
  });

  const eventRules = of('aws_cloudwatch_event_rule').map(([id, r]) => {
    const ruleName = attributeOf('aws_cloudwatch_event_rule', id, r, 'name');
    const functionNames = of('aws_cloudwatch_event_target')
      .filter(([, t]) => resolve(String(t.rule)) === ruleName)
      .map(([, t]) => resolve(String(t.arn)))
      .filter((arn) => arn.includes(':function:'))
      .map((arn) => arn.slice(arn.lastIndexOf(':') + 1));
    return {
      name: ruleName,
      pattern: JSON.parse(resolve(String(r.event_pattern))) as unknown,
      functionNames,
    };
  });

  return {
    eventRules,
    accountId: account,
    region,
    roles,
    queues,
    buckets,
    clusters,
    functions,
    taskDefinitions,
    eventSourceMappings,
  };
}

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}
