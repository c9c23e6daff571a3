/**
 * The load balancer of one synthesized stack, read from its Terraform JSON (`cdk.tf.json`) as ELB
 * would hold it after `terraform apply`: the listener that serves requests, its rules, its default
 * action and the target groups with what is registered in them. References between resources
 * (`${aws_lb_target_group.<name>.arn}`) are resolved to the resource they name.
 */

type Json = Record<string, unknown>;

export interface TerraformJson {
  readonly resource: Record<string, Record<string, Json>>;
}

export interface HealthCheckSettings {
  readonly enabled: boolean;
  readonly path: string;
  readonly matcher: string;
  readonly intervalSeconds: number;
  readonly timeoutSeconds: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

export type TargetGroupConfig =
  | {
      readonly kind: 'lambda';
      readonly id: string;
      readonly name: string;
      readonly multiValueHeaders: boolean;
      /** The Terraform name of the registered function (aws_lambda_function.<name>). */
      readonly functionResource: string | undefined;
      readonly healthCheck: HealthCheckSettings;
    }
  | {
      readonly kind: 'ip';
      readonly id: string;
      readonly name: string;
      readonly port: number;
      readonly healthCheck: HealthCheckSettings;
    };

export type Condition =
  | { readonly field: 'http-request-method'; readonly values: readonly string[] }
  | { readonly field: 'path-pattern'; readonly values: readonly string[] }
  | { readonly field: 'host-header'; readonly values: readonly string[] }
  | { readonly field: 'source-ip'; readonly values: readonly string[] }
  | { readonly field: 'http-header'; readonly name: string; readonly values: readonly string[] }
  | {
      readonly field: 'query-string';
      readonly values: readonly { readonly key: string | undefined; readonly value: string }[];
    };

export type Action =
  | {
      readonly type: 'forward';
      readonly targetGroups: readonly { readonly id: string; readonly weight: number }[];
    }
  | {
      readonly type: 'fixed-response';
      readonly statusCode: number;
      readonly contentType: string | undefined;
      readonly body: string;
    }
  | {
      readonly type: 'redirect';
      readonly statusCode: 301 | 302;
      readonly protocol: string;
      readonly host: string;
      readonly port: string;
      readonly path: string;
      readonly query: string;
    };

export interface ListenerRule {
  readonly id: string;
  readonly priority: number;
  readonly conditions: readonly Condition[];
  readonly action: Action;
  readonly tags: Readonly<Record<string, string>>;
}

export interface LoadBalancerConfig {
  readonly listener: { readonly id: string; readonly protocol: string; readonly port: number };
  /** Sorted by priority, lowest first: the order ELB evaluates them in. */
  readonly rules: readonly ListenerRule[];
  readonly defaultAction: Action;
  readonly targetGroups: ReadonlyMap<string, TargetGroupConfig>;
}

/** `${aws_lb_target_group.name.arn}` → `name` (for the given type). */
export function referencedName(value: unknown, type: string): string | undefined {
  const match = new RegExp(`^\\$\\{${type}\\.([^.}]+)\\.[a-z_]+\\}$`).exec(String(value ?? ''));
  return match?.[1];
}

const list = (value: unknown): Json[] =>
  Array.isArray(value) ? (value as Json[]) : value ? [value as Json] : [];
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);

/**
 * Target group defaults when the stack leaves health_check out ("Health checks for Application
 * Load Balancer target groups", ELB docs): HTTP on `/`, every 30 s, 5 s timeout (Lambda: 30 s / 35 s),
 * 5 healthy and 2 unhealthy in a row, matcher 200; disabled by default for Lambda targets.
 */
function healthCheckOf(group: Json, kind: 'lambda' | 'ip'): HealthCheckSettings {
  const check = list(group.health_check)[0] ?? {};
  const lambda = kind === 'lambda';
  return {
    enabled: check.enabled === undefined ? !lambda || Object.keys(check).length > 0 : Boolean(check.enabled),
    path: String(check.path ?? '/'),
    matcher: String(check.matcher ?? '200'),
    intervalSeconds: Number(check.interval ?? (lambda ? 35 : 30)),
    timeoutSeconds: Number(check.timeout ?? (lambda ? 30 : 5)),
    healthyThreshold: Number(check.healthy_threshold ?? 5),
    unhealthyThreshold: Number(check.unhealthy_threshold ?? 2),
  };
}

function actionOf(raw: Json, where: string): Action {
  switch (raw.type) {
    case 'forward': {
      const single = referencedName(raw.target_group_arn, 'aws_lb_target_group');
      if (single) return { type: 'forward', targetGroups: [{ id: single, weight: 1 }] };
      const groups = list(list(raw.forward)[0]?.target_group).map((g) => {
        const id = referencedName(g.arn, 'aws_lb_target_group');
        if (!id) throw new Error(`${where}: forward to an unknown target group ${String(g.arn)}`);
        return { id, weight: g.weight === undefined ? 1 : Number(g.weight) };
      });
      if (groups.length === 0) throw new Error(`${where}: forward action without a target group`);
      return { type: 'forward', targetGroups: groups };
    }
    case 'fixed-response': {
      const fixed = list(raw.fixed_response)[0] ?? {};
      return {
        type: 'fixed-response',
        statusCode: Number(fixed.status_code),
        contentType: fixed.content_type === undefined ? undefined : String(fixed.content_type),
        body: String(fixed.message_body ?? ''),
      };
    }
    case 'redirect': {
      const redirect = list(raw.redirect)[0] ?? {};
      return {
        type: 'redirect',
        statusCode: redirect.status_code === 'HTTP_302' ? 302 : 301,
        protocol: String(redirect.protocol ?? '#{protocol}'),
        host: String(redirect.host ?? '#{host}'),
        port: String(redirect.port ?? '#{port}'),
        path: String(redirect.path ?? '/#{path}'),
        query: String(redirect.query ?? '#{query}'),
      };
    }
    default:
      throw new Error(`${where}: action type ${String(raw.type)} is not supported by the local ALB`);
  }
}

function conditionsOf(rule: Json, where: string): Condition[] {
  return list(rule.condition).flatMap((raw): Condition[] => {
    const found: Condition[] = [];
    const method = list(raw.http_request_method)[0];
    if (method) found.push({ field: 'http-request-method', values: strings(method.values) });
    const path = list(raw.path_pattern)[0];
    if (path) found.push({ field: 'path-pattern', values: strings(path.values) });
    const host = list(raw.host_header)[0];
    if (host) found.push({ field: 'host-header', values: strings(host.values) });
    const source = list(raw.source_ip)[0];
    if (source) found.push({ field: 'source-ip', values: strings(source.values) });
    const header = list(raw.http_header)[0];
    if (header) {
      found.push({
        field: 'http-header',
        name: String(header.http_header_name),
        values: strings(header.values),
      });
    }
    const query = list(raw.query_string);
    if (query.length > 0) {
      found.push({
        field: 'query-string',
        values: query.map((q) => ({
          key: q.key === undefined ? undefined : String(q.key),
          value: String(q.value),
        })),
      });
    }
    if (found.length === 0)
      throw new Error(`${where}: a condition the local ALB does not know: ${JSON.stringify(raw)}`);
    return found;
  });
}

/** The listener that serves requests: the HTTPS one, or the only HTTP one that does not redirect. */
export function loadBalancerConfig(stack: TerraformJson): LoadBalancerConfig {
  const listeners = Object.entries(stack.resource.aws_lb_listener ?? {});
  const serving = listeners.filter(([, l]) => list(l.default_action)[0]?.type !== 'redirect');
  const [listenerId, listener] =
    serving.find(([, l]) => l.protocol === 'HTTPS') ?? serving[0] ?? ([] as unknown as [string, Json]);
  if (!listenerId || !listener) throw new Error('the stack has no listener that serves requests');

  const targetGroups = new Map<string, TargetGroupConfig>();
  const attachments = Object.values(stack.resource.aws_lb_target_group_attachment ?? {});
  for (const [id, group] of Object.entries(stack.resource.aws_lb_target_group ?? {})) {
    if (group.target_type === 'lambda') {
      const attachment = attachments.find(
        (a) => referencedName(a.target_group_arn, 'aws_lb_target_group') === id,
      );
      targetGroups.set(id, {
        kind: 'lambda',
        id,
        name: String(group.name),
        multiValueHeaders: group.lambda_multi_value_headers_enabled === true,
        functionResource: attachment
          ? referencedName(attachment.target_id, 'aws_lambda_function')
          : undefined,
        healthCheck: healthCheckOf(group, 'lambda'),
      });
    } else {
      targetGroups.set(id, {
        kind: 'ip',
        id,
        name: String(group.name),
        port: Number(group.port),
        healthCheck: healthCheckOf(group, 'ip'),
      });
    }
  }

  const rules = Object.entries(stack.resource.aws_lb_listener_rule ?? {})
    .filter(([, rule]) => referencedName(rule.listener_arn, 'aws_lb_listener') === listenerId)
    .map(([id, rule]): ListenerRule => {
      const [action] = list(rule.action).filter(
        (a) => a.type !== 'authenticate-cognito' && a.type !== 'authenticate-oidc',
      );
      if (!action) throw new Error(`${id}: rule without an action`);
      return {
        id,
        priority: Number(rule.priority),
        conditions: conditionsOf(rule, id),
        action: actionOf(action, id),
        tags: Object.fromEntries(
          Object.entries((rule.tags as Json | undefined) ?? {}).map(([k, v]) => [k, String(v)]),
        ),
      };
    })
    .sort((a, b) => a.priority - b.priority);

  const defaultAction = list(listener.default_action)[0];
  if (!defaultAction) throw new Error(`${listenerId}: listener without a default action`);
  return {
    listener: { id: listenerId, protocol: String(listener.protocol), port: Number(listener.port) },
    rules,
    defaultAction: actionOf(defaultAction, `${listenerId} default action`),
    targetGroups,
  };
}
