import type { TerraformJson } from './alb/load-balancer-config.js';
import { referencedName } from './alb/load-balancer-config.js';

/**
 * What runs behind each target group of a synthesized stack: the Lambda function registered in a
 * Lambda target group (its bundle, handler, timeout, memory and environment), and the ECS service
 * registered in an IP target group (its task definition's container: port, environment, secrets).
 */

type Json = Record<string, unknown>;

export interface FunctionDescription {
  readonly resource: string;
  readonly name: string;
  readonly handler: string;
  /** The bundle's name under dist/lambda/, from the function's `filename`. */
  readonly artifact: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** The function's reserved concurrency, when it has one. */
  readonly reservedConcurrency: number | undefined;
  readonly environment: Readonly<Record<string, string>>;
}

export interface ContainerDescription {
  readonly service: string;
  readonly containerName: string;
  readonly containerPort: number;
  readonly environment: Readonly<Record<string, string>>;
  /** Variable → Secrets Manager ARN (AWS-only). */
  readonly secrets: Readonly<Record<string, string>>;
}

export function describeFunction(stack: TerraformJson, resource: string): FunctionDescription {
  const fn = stack.resource.aws_lambda_function?.[resource];
  if (!fn) throw new Error(`no aws_lambda_function.${resource} in the stack`);
  const filename = String(fn.filename ?? '');
  const artifact = /\/dist\/lambda\/([^/]+)\.zip$/.exec(filename)?.[1];
  if (!artifact) throw new Error(`${resource}: filename ${filename} is not a bundle under dist/lambda/`);
  const variables = ((fn.environment as Json | undefined)?.variables ?? {}) as Record<string, unknown>;
  return {
    resource,
    name: String(fn.function_name),
    handler: String(fn.handler),
    artifact,
    // Lambda's defaults ("Configuring Lambda function options"): 3 s timeout, 128 MB memory.
    timeoutSeconds: Number(fn.timeout ?? 3),
    memoryMb: Number(fn.memory_size ?? 128),
    reservedConcurrency:
      fn.reserved_concurrent_executions === undefined ? undefined : Number(fn.reserved_concurrent_executions),
    environment: Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
  };
}

/** The ECS service whose load_balancer block registers tasks in this target group. */
export function describeServiceFor(
  stack: TerraformJson,
  targetGroupId: string,
): ContainerDescription | undefined {
  for (const [serviceId, service] of Object.entries(stack.resource.aws_ecs_service ?? {})) {
    const balancers = (service.load_balancer ?? []) as Json[];
    const attachment = balancers.find(
      (b) => referencedName(b.target_group_arn, 'aws_lb_target_group') === targetGroupId,
    );
    if (!attachment) continue;
    const taskId = referencedName(service.task_definition, 'aws_ecs_task_definition');
    const task = taskId ? stack.resource.aws_ecs_task_definition?.[taskId] : undefined;
    if (!task) throw new Error(`${serviceId}: its task definition is not in the stack`);
    const containers = JSON.parse(String(task.container_definitions)) as {
      name: string;
      environment?: { name: string; value: string }[];
      secrets?: { name: string; valueFrom: string }[];
    }[];
    const container = containers.find((c) => c.name === attachment.container_name);
    if (!container) throw new Error(`${serviceId}: no container ${String(attachment.container_name)}`);
    return {
      service: String(service.name),
      containerName: container.name,
      containerPort: Number(attachment.container_port),
      environment: Object.fromEntries((container.environment ?? []).map((e) => [e.name, e.value])),
      secrets: Object.fromEntries((container.secrets ?? []).map((s) => [s.name, s.valueFrom])),
    };
  }
  return undefined;
}
