import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { resolveRouteTargets } from '../../app/route-targets.js';
import { routeId, routes } from '../../app/routes.js';
import { SHUTDOWN_TIMING } from '../../infra/constructs/ecs-api-service.js';
import { LAMBDA_RUNTIME } from '../../infra/constructs/node-function.js';
import { NOT_FOUND_BODY, TLS_POLICY } from '../../infra/constructs/route-rules.js';
import { stackConfigs } from '../../infra/stack-config.js';
import { one, resourcesOf, type StackJson, synthStacks } from './synth.js';

type Json = Record<string, unknown>;

let stacks: Record<string, StackJson>;
beforeAll(() => {
  stacks = synthStacks();
});

const lambdaGroups = [...new Set(routes.map((r) => r.lambdaGroup))].sort();

describe.each(['dev', 'prod'])('%s stack', (env) => {
  const config = stackConfigs[env];
  if (!config) throw new Error(`no config for ${env}`);
  const stack = () => stacks[env] as StackJson;

  it('is named after its environment and keeps state locally without TF_STATE_BUCKET', () => {
    expect(Object.keys(stacks)).toEqual(['dev', 'prod']);
    expect(stack().terraform.backend).toEqual({
      local: { path: `terraform.dual-runtime-api-${env}.tfstate` },
    });
  });

  it('builds a VPC with public and private subnets in every configured AZ', () => {
    if (config.network.kind !== 'new') throw new Error('test expects a new network');
    const subnets = resourcesOf(stack(), 'aws_subnet');
    expect(subnets.filter(([, s]) => (s.tags as Json).Tier === 'public')).toHaveLength(
      config.network.azCount,
    );
    expect(subnets.filter(([, s]) => (s.tags as Json).Tier === 'private')).toHaveLength(
      config.network.azCount,
    );
    expect(config.network.azCount).toBeGreaterThanOrEqual(2);
    const azs = subnets.map(([, s]) => s.availability_zone);
    expect(new Set(azs).size).toBe(config.network.azCount);
    expect(resourcesOf(stack(), 'aws_nat_gateway')).toHaveLength(
      config.network.natGateways === 'per-az' ? config.network.azCount : 1,
    );
  });

  it('puts the ALB in the public subnets, dropping invalid headers, open on 80/443 only', () => {
    const lb = one(stack(), 'aws_lb');
    expect(lb.internal).toBe(false);
    expect(lb.drop_invalid_header_fields).toBe(true);
    expect(lb.enable_deletion_protection).toBe(env === 'prod');
    const albIngress = resourcesOf(stack(), 'aws_vpc_security_group_ingress_rule').filter(([name]) =>
      name.startsWith('alb_'),
    );
    expect(new Set(albIngress.map(([, r]) => r.from_port))).toEqual(new Set([80, 443]));
    for (const [, rule] of albIngress) expect(rule.to_port).toBe(rule.from_port);
  });

  it('serves HTTPS with a TLS 1.2+ policy and redirects HTTP when a certificate is configured', () => {
    const listeners = resourcesOf(stack(), 'aws_lb_listener').map(([, l]) => l);
    if (config.alb.https) {
      const https = listeners.find((l) => l.protocol === 'HTTPS') as Json;
      expect(https.ssl_policy).toBe(TLS_POLICY);
      expect(https.certificate_arn).toBe(`\${var.certificate_arn}`);
      const http = listeners.find((l) => l.protocol === 'HTTP') as Json;
      expect((http.default_action as Json[])[0]).toMatchObject({
        type: 'redirect',
        redirect: { protocol: 'HTTPS', port: '443', status_code: 'HTTP_301' },
      });
    } else {
      expect(listeners).toHaveLength(1);
      expect(listeners[0]?.protocol).toBe('HTTP');
    }
    const withRules = listeners.find((l) => (l.default_action as Json[])[0]?.type !== 'redirect') as Json;
    expect((withRules.default_action as Json[])[0]).toEqual({
      type: 'fixed-response',
      fixed_response: { status_code: '404', content_type: 'application/json', message_body: NOT_FOUND_BODY },
    });
  });

  it('has one listener rule per route, forwarding to the target the environment resolves', () => {
    const assignments = resolveRouteTargets(routes, { environment: config.routing.routeTargets });
    const rules = resourcesOf(stack(), 'aws_lb_listener_rule').filter(([, r]) => (r.tags as Json)?.Route);
    expect(rules).toHaveLength(routes.length);
    for (const assignment of assignments) {
      const [, rule] = rules.find(([, r]) => (r.tags as Json).Route === assignment.id) as [string, Json];
      const tg = (rule.action as Json[])[0]?.target_group_arn as string;
      if (assignment.target === 'ecs') expect(tg).toMatch(/^\$\{aws_lb_target_group\.api_target-group_/);
      else
        expect(tg).toMatch(
          new RegExp(`^\\$\\{aws_lb_target_group\\.lambda_${assignment.route.lambdaGroup}-`),
        );
      const conditions = rule.condition as Json[];
      expect(conditions[0]).toEqual({
        http_request_method: {
          values: assignment.route.method === 'GET' ? ['GET', 'HEAD'] : [assignment.route.method],
        },
      });
      expect(((conditions[1]?.path_pattern ?? {}) as Json).values).toEqual([
        assignment.route.path.replace(/:\w+/g, '*'),
      ]);
    }
    const priorities = rules.map(([, r]) => r.priority as number);
    expect(new Set(priorities).size).toBe(priorities.length);
  });

  it('runs the API on Fargate with a read-only, non-root container and secrets from Secrets Manager', () => {
    const cluster = one(stack(), 'aws_ecs_cluster');
    expect(cluster.setting).toEqual([{ name: 'containerInsights', value: 'enabled' }]);
    const task = one(stack(), 'aws_ecs_task_definition', 'api_');
    expect(task).toMatchObject({
      requires_compatibilities: ['FARGATE'],
      network_mode: 'awsvpc',
      cpu: String(config.api.cpu),
      memory: String(config.api.memory),
    });
    expect(task.execution_role_arn).not.toBe(task.task_role_arn);
    const [container] = JSON.parse(task.container_definitions as string) as Json[];
    expect(container).toMatchObject({
      readonlyRootFilesystem: true,
      user: '1000:1000',
      privileged: false,
      stopTimeout: 120,
      logConfiguration: { logDriver: 'awslogs' },
    });
    const environment = container?.environment as { name: string; value: string }[];
    expect(environment.map((e) => e.name)).not.toContain('REDIS_PASSWORD');
    expect(environment.map((e) => e.name)).not.toContain('API_KEY_HASHES');
    expect(environment).toContainEqual({ name: 'SHUTDOWN_DRAIN_MS', value: String(SHUTDOWN_TIMING.drainMs) });
    expect(container?.secrets).toEqual([
      {
        name: 'REDIS_PASSWORD',
        valueFrom: expect.stringMatching(/^\$\{aws_secretsmanager_secret\.redis_auth_/),
      },
      {
        name: 'API_KEY_HASHES',
        valueFrom: expect.stringMatching(/^\$\{aws_secretsmanager_secret\.api-keys_hashes_/),
      },
    ]);
  });

  it('mixes an on-demand base with Spot, rolls back failed deployments and scales on CPU and requests', () => {
    const service = one(stack(), 'aws_ecs_service');
    expect(service.capacity_provider_strategy).toEqual([
      { capacity_provider: 'FARGATE', base: config.api.onDemandBase, weight: config.api.onDemandWeight },
      { capacity_provider: 'FARGATE_SPOT', base: 0, weight: config.api.spotWeight },
    ]);
    expect(service.deployment_circuit_breaker).toEqual({ enable: true, rollback: true });
    expect(service.deployment_minimum_healthy_percent).toBe(100);
    expect(service.deployment_maximum_percent).toBe(200);
    expect(service.network_configuration).toMatchObject({ assign_public_ip: false });
    const metrics = resourcesOf(stack(), 'aws_appautoscaling_policy')
      .map(
        ([, p]) =>
          (p.target_tracking_scaling_policy_configuration as Json | undefined)
            ?.predefined_metric_specification,
      )
      .filter(Boolean)
      .map((m) => (m as Json).predefined_metric_type);
    expect(metrics.sort()).toEqual(['ALBRequestCountPerTarget', 'ECSServiceAverageCPUUtilization']);
  });

  it('drains ECS targets longer than the app finishes requests and shorter than the Spot notice', () => {
    const tg = one(stack(), 'aws_lb_target_group', 'api_');
    expect(tg).toMatchObject({ target_type: 'ip', health_check: { path: '/healthz', matcher: '200' } });
    const delayMs = Number(tg.deregistration_delay) * 1000;
    expect(delayMs).toBeGreaterThan(SHUTDOWN_TIMING.timeoutMs);
    expect(delayMs).toBeLessThan(120_000);
    const { healthCheckIntervalSeconds: interval, unhealthyThreshold } = SHUTDOWN_TIMING;
    expect(interval * unhealthyThreshold * 1000).toBeLessThan(SHUTDOWN_TIMING.drainMs);
  });

  it('scales the service out on a Spot interruption notice', () => {
    const rule = resourcesOf(stack(), 'aws_cloudwatch_event_rule').find(([name]) => name.includes('spot'));
    const pattern = JSON.parse(((rule?.[1] ?? {}) as Json).event_pattern as string) as Json;
    expect(pattern).toMatchObject({
      'detail-type': ['ECS Task State Change'],
      detail: { stopCode: ['SpotInterruption'] },
    });
    const alarm = one(stack(), 'aws_cloudwatch_metric_alarm', 'spot');
    expect(alarm).toMatchObject({ namespace: 'AWS/Events', metric_name: 'TriggeredRules' });
    expect(alarm.alarm_actions).toEqual([
      expect.stringMatching(/^\$\{aws_appautoscaling_policy\.spot-scale-out/),
    ]);
  });

  it('has one Lambda function per route-table group, in the VPC, behind a multi-value target group', () => {
    for (const group of lambdaGroups) {
      const fn = one(stack(), 'aws_lambda_function', `lambda_${group}_`);
      expect(fn).toMatchObject({
        handler: 'lambda.handler',
        runtime: LAMBDA_RUNTIME,
        filename: `../../../dist/lambda/${group}.zip`,
        source_code_hash: `\${filebase64sha256("../../../dist/lambda/${group}.zip")}`,
      });
      expect((fn.vpc_config as Json).subnet_ids).toHaveLength(
        config.network.kind === 'new' ? config.network.azCount : 2,
      );
      // Reserved concurrency only where a group opts in; bounds come from MAX_CONCURRENCY.
      expect(fn.reserved_concurrent_executions).toBe(config.lambda.reservedConcurrency[group]?.concurrency);
      expect((fn.environment as { variables: Json }).variables).toMatchObject({ LAMBDA_GROUP: group });
      const slowest = Math.max(...routes.filter((r) => r.lambdaGroup === group).map((r) => r.timeoutMs));
      expect((fn.timeout as number) * 1000).toBeGreaterThan(slowest);
      const tg = one(stack(), 'aws_lb_target_group', `lambda_${group}-`);
      expect(tg).toMatchObject({ target_type: 'lambda', lambda_multi_value_headers_enabled: true });
      const permission = one(stack(), 'aws_lambda_permission', `lambda_${group}-alb-invoke`);
      expect(permission).toMatchObject({ principal: 'elasticloadbalancing.amazonaws.com' });
      expect(permission.source_arn).toMatch(
        new RegExp(`^\\$\\{aws_lb_target_group\\.lambda_${group}-target-group_\\w+\\.arn\\}$`),
      );
    }
    for (const [name, group] of resourcesOf(stack(), 'aws_cloudwatch_log_group')) {
      expect(group.retention_in_days, name).toBe(config.logRetentionDays);
    }
  });

  it('keeps Redis encrypted, AUTH-protected and reachable only from the tasks and Lambdas', () => {
    const redis = one(stack(), 'aws_elasticache_replication_group');
    expect(redis).toMatchObject({
      at_rest_encryption_enabled: 'true',
      transit_encryption_enabled: true,
      automatic_failover_enabled: config.redis.automaticFailover,
      num_cache_clusters: config.redis.nodes,
    });
    expect(redis.auth_token).toMatch(
      /^\$\{aws_secretsmanager_secret_version\.redis_auth-value_\w+\.secret_string\}$/,
    );
    const ingress = resourcesOf(stack(), 'aws_vpc_security_group_ingress_rule').filter(([name]) =>
      name.startsWith('redis_'),
    );
    expect(ingress.map(([, r]) => r.referenced_security_group_id).sort()).toEqual([
      expect.stringMatching(/security-groups_lambdas_/),
      expect.stringMatching(/security-groups_tasks_/),
    ]);
    for (const [, rule] of ingress) expect(rule.cidr_ipv4).toBeUndefined();
  });

  it('stores jobs in a private, versioned bucket and an encrypted queue with a dead-letter queue', () => {
    expect(one(stack(), 'aws_s3_bucket_versioning').versioning_configuration).toEqual({ status: 'Enabled' });
    expect(one(stack(), 'aws_s3_bucket_lifecycle_configuration').rule).toHaveLength(1);
    const queue = one(stack(), 'aws_sqs_queue', 'jobs-storage_queue');
    expect(JSON.parse(queue.redrive_policy as string)).toMatchObject({
      deadLetterTargetArn: expect.stringMatching(/^\$\{aws_sqs_queue\.jobs-storage_dlq_/),
    });
    const mapping = one(stack(), 'aws_lambda_event_source_mapping');
    expect(mapping).toMatchObject({
      function_response_types: ['ReportBatchItemFailures'],
      scaling_config: { maximum_concurrency: Math.max(2, config.jobs.pacerMaxConcurrency) },
    });
    expect(one(stack(), 'aws_lambda_function', 'pacer')).toMatchObject({
      handler: 'pacer.handler',
      filename: '../../../dist/lambda/pacer.zip',
    });
    expect(one(stack(), 'aws_lambda_function', 'task-events')).toMatchObject({
      handler: 'task-events.handler',
      filename: '../../../dist/lambda/task-events.zip',
    });
  });

  it('sends state changes of simulation tasks (only) to the task-events function', () => {
    const [, rule] = resourcesOf(stack(), 'aws_cloudwatch_event_rule').find(([n]) =>
      n.includes('task-events'),
    ) as [string, Json];
    const pattern = JSON.parse(rule.event_pattern as string) as { detail: Json };
    expect(pattern.detail.taskDefinitionArn).toEqual([
      {
        prefix: expect.stringMatching(
          /^\$\{aws_ecs_task_definition\.jobs_simulation-task_\w+\.arn_without_revision\}:$/,
        ),
      },
    ]);
    const target = one(stack(), 'aws_cloudwatch_event_target', 'task-events');
    expect(target.arn).toMatch(/aws_lambda_function\.jobs_task-events_function_\w+\.arn/);
    const sim = one(stack(), 'aws_ecs_task_definition', 'simulation');
    const [container] = JSON.parse(sim.container_definitions as string) as Json[];
    expect(container).toMatchObject({ name: 'simulation', readonlyRootFilesystem: true, user: '1000:1000' });
  });

  it('lets the pacer run only the simulation family on its cluster and pass only its roles', () => {
    const pacerPolicy = resourcesOf(stack(), 'aws_iam_role_policy').find(([name]) => name.includes('pacer'));
    const statements = JSON.parse(((pacerPolicy?.[1] ?? {}) as Json).policy as string).Statement as Json[];
    const runTask = statements.find((s) => (s.Action as string[]).includes('ecs:RunTask')) as Json;
    expect(runTask.Resource).toEqual([expect.stringMatching(/:task-definition\/dra-\w+-simulation:\*$/)]);
    expect(runTask.Condition).toEqual({
      ArnEquals: { 'ecs:cluster': expect.stringMatching(/aws_ecs_cluster/) },
    });
    const passRole = statements.find((s) => (s.Action as string[]).includes('iam:PassRole')) as Json;
    expect(passRole.Resource).toEqual([
      expect.stringMatching(/jobs_simulation-task-role_\w+\.arn/),
      expect.stringMatching(/jobs_simulation-execution-role_\w+\.arn/),
    ]);
  });

  it('gives the API functions, and only them, the API key hashes secret to read at init', () => {
    const functions = resourcesOf(stack(), 'aws_lambda_function');
    const variables = (fn: Json) => (fn.environment as { variables: Json }).variables;
    const api = functions.filter(([name]) => name.includes('lambda_'));
    expect(api.length).toBeGreaterThan(0);
    for (const [name, fn] of api) {
      expect(variables(fn).API_KEY_HASHES_SECRET_ARN, name).toMatch(
        /^\$\{aws_secretsmanager_secret\.api-keys_hashes_/,
      );
    }
    const pacer = one(stack(), 'aws_lambda_function', 'pacer');
    expect(variables(pacer).API_KEY_HASHES_SECRET_ARN).toBeUndefined();
    const readsKeys = resourcesOf(stack(), 'aws_iam_role_policy').filter(([, policy]) =>
      (JSON.parse((policy as Json).policy as string).Statement as Json[]).some(
        (s) =>
          (s.Action as string[]).includes('secretsmanager:GetSecretValue') &&
          JSON.stringify(s.Resource).includes('api-keys_hashes'),
      ),
    );
    // The API task's execution role (ECS injects the secret) and one role per API function.
    expect(readsKeys.length).toBe(api.length + 1);
  });

  it('passes the jobs code the variables app/jobs/jobs-config.ts reads', () => {
    const env = (one(stack(), 'aws_lambda_function', 'pacer').environment as { variables: Json }).variables;
    for (const name of [
      'JOBS_QUEUE_URL',
      'JOBS_BUCKET',
      'JOBS_CLUSTER',
      'JOBS_TASK_DEFINITION',
      'JOBS_SUBNETS',
      'JOBS_SECURITY_GROUPS',
    ]) {
      expect(env[name], name).toEqual(expect.any(String));
    }
    expect(env.REDIS_PASSWORD).toBeUndefined();
  });

  it('gives every function and the API container a configuration app/config.ts accepts', () => {
    // Terraform fills the references at apply time; stand in plausible values of the same shape.
    const resolved: Record<string, string> = {
      JOBS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs',
      JOBS_BUCKET: 'dra-jobs-20260101',
      REDIS_URL: 'rediss://primary.cache.amazonaws.com:6379',
      REDIS_AUTH_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis-auth-AbCdEf',
      API_KEY_HASHES_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-key-hashes-AbCdEf',
    };
    const fill = (vars: Record<string, string>) =>
      Object.fromEntries(
        Object.entries(vars).map(([k, v]) => [k, v.includes('${') ? (resolved[k] ?? 'resolved') : v]),
      );
    const functions = resourcesOf(stack(), 'aws_lambda_function').map(
      ([name, fn]) => [name, (fn.environment as { variables: Record<string, string> }).variables] as const,
    );
    const [container] = JSON.parse(
      one(stack(), 'aws_ecs_task_definition', 'api_').container_definitions as string,
    ) as {
      environment: { name: string; value: string }[];
    }[];
    const task = Object.fromEntries((container?.environment ?? []).map((e) => [e.name, e.value]));

    for (const [name, vars] of [...functions, ['api task', task] as const]) {
      const config = loadConfig(fill(vars));
      expect(config.env, name).toBe(env);
      expect(config.jobs.mode, name).toBe('aws');
      expect(config.rateLimit.expectedInstances, name).toBeGreaterThan(name.includes('lambda_') ? 1 : 0);
    }
    // Every API runtime holds the same bounds, so moving a route keeps its bound.
    for (const [name, vars] of [
      ...functions.filter(([n]) => n.startsWith('lambda_')),
      ['api task', task] as const,
    ]) {
      expect(loadConfig(fill(vars)).maxConcurrency, name).toEqual(config.maxConcurrency);
    }
  });

  it('can be destroyed and re-created where the environment says so; prod keeps its protections', () => {
    const secrets = resourcesOf(stack(), 'aws_secretsmanager_secret').map(([, s]) => s);
    const bucket = one(stack(), 'aws_s3_bucket', 'jobs-storage');
    expect(secrets.length).toBeGreaterThanOrEqual(2);
    if (config.destroyable) {
      for (const secret of secrets) expect(secret.recovery_window_in_days).toBe(0);
      expect(bucket.force_destroy).toBe(true);
    } else {
      for (const secret of secrets) expect(secret.recovery_window_in_days).toBeUndefined();
      expect(bucket.force_destroy).toBeFalsy();
      expect(one(stack(), 'aws_lb').enable_deletion_protection).toBe(true);
    }
  });

  it('lets a capacity provider strategy change deploy (force_new_deployment)', () => {
    expect(one(stack(), 'aws_ecs_service', 'api_').force_new_deployment).toBe(true);
  });

  it('refuses at plan a certificate ARN that is empty or not an ACM ARN', () => {
    const variable = (stack().variable ?? {}) as Record<string, Json>;
    if (!config.alb.https) {
      expect(variable.certificate_arn).toBeUndefined();
      return;
    }
    const [validation] = (variable.certificate_arn?.validation ?? []) as Json[];
    expect(String(validation?.condition)).toMatch(/^\$\{can\(regex\(".*acm.*", var\.certificate_arn\)\)\}$/);
    expect(String(validation?.error_message)).toMatch(/CERTIFICATE_ARN_PROD/);
  });

  it('outputs the ALB DNS name, queue URL, bucket, cluster and service names', () => {
    expect(Object.keys(stack().output ?? {}).sort()).toEqual([
      'alb_dns_name',
      'api_service_name',
      'cluster_name',
      'jobs_bucket',
      'jobs_queue_url',
      'simulation_task_family',
    ]);
  });
});

describe('Max Concurrency in the stacks', () => {
  it('stops synthesis on a bound for a Lambda group the route table lacks', () => {
    const dev = stackConfigs.dev;
    if (!dev) throw new Error('no dev config');
    expect(() => synthStacks({ configs: { dev: { ...dev, maxConcurrency: { reports: 5 } } } })).toThrow(
      /maxConcurrency of dev: unknown Lambda group "reports"/,
    );
  });

  it('reserves concurrency for no group unless one opts in with a reason', () => {
    for (const config of Object.values(stackConfigs)) {
      for (const [group, reserved] of Object.entries(config.lambda.reservedConcurrency)) {
        expect(reserved.reason.length, `${config.env} ${group}`).toBeGreaterThan(10);
      }
    }
    expect(stackConfigs.prod?.lambda.reservedConcurrency).toEqual({});
    expect(stackConfigs.prod?.maxConcurrency).toEqual({ leads: 200 });
  });
});

describe('route ids', () => {
  it('are unique, so each route gets its own rule', () => {
    const ids = routes.map(routeId);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
