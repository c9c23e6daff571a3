import { beforeAll, describe, expect, it } from 'vitest';
import { SECURITY_EXCEPTIONS, type SecurityException } from '../../infra/security-exceptions.js';
import { securityViolations, type Violation } from './security-rules.js';
import { type StackJson, synthStacks } from './synth.js';

let stacks: Record<string, StackJson>;
beforeAll(() => {
  stacks = synthStacks();
});

const ENVS = ['dev', 'prod'] as const;

const excuses = (env: string, violation: Violation) => (exception: SecurityException) =>
  exception.check === violation.check &&
  (exception.envs === undefined || exception.envs.includes(env)) &&
  exception.match.test(`${violation.address} ${violation.detail}`);

describe('security rules (checkov IDs) on the synthesized stacks', () => {
  it.each(ENVS)('the %s stack has no violation outside the listed exceptions', (env) => {
    const violations = securityViolations(stacks[env] as StackJson);

    const unexcused = violations.filter((v) => !SECURITY_EXCEPTIONS.some(excuses(env, v)));

    expect(unexcused).toEqual([]);
  });

  it('lists no exception that no longer matches anything', () => {
    const all = ENVS.flatMap((env) =>
      securityViolations(stacks[env] as StackJson).map((v) => [env, v] as const),
    );

    const unused = SECURITY_EXCEPTIONS.filter((e) => !all.some(([env, v]) => excuses(env, v)(e)));

    expect(unused).toEqual([]);
  });

  it('the prod stack needs no ALB exception: HTTPS, TLS 1.2+, deletion protection', () => {
    const checks = securityViolations(stacks.prod as StackJson).map((v) => v.check);

    expect(
      checks.filter((c) => ['CKV_AWS_2', 'CKV_AWS_103', 'CKV_AWS_131', 'CKV_AWS_150'].includes(c)),
    ).toEqual([]);
  });
});

describe('the rules catch what they look for', () => {
  type Json = Record<string, unknown>;
  const mutate = (
    change: (stack: StackJson & { resource: Record<string, Record<string, Json>> }) => void,
  ) => {
    const copy = structuredClone(stacks.prod) as StackJson & {
      resource: Record<string, Record<string, Json>>;
    };
    change(copy);
    return securityViolations(copy).map((v) => v.check);
  };
  const first = (stack: { resource: Record<string, Record<string, Json>> }, type: string) =>
    Object.values(stack.resource[type] ?? {})[0] as Json;

  it('flags a writable root filesystem, a privileged container and a shared role', () => {
    const checks = mutate((s) => {
      const task = first(s, 'aws_ecs_task_definition');
      const [container] = JSON.parse(task.container_definitions as string) as Json[];
      task.container_definitions = JSON.stringify([
        { ...container, readonlyRootFilesystem: false, privileged: true },
      ]);
      task.task_role_arn = task.execution_role_arn;
    });
    expect(checks).toEqual(expect.arrayContaining(['CKV_AWS_336', 'CKV_AWS_334', 'CKV_AWS_249']));
  });

  it('flags a public IP, missing Container Insights and unencrypted Redis', () => {
    const checks = mutate((s) => {
      (first(s, 'aws_ecs_service').network_configuration as Json).assign_public_ip = true;
      first(s, 'aws_ecs_cluster').setting = [];
      first(s, 'aws_elasticache_replication_group').transit_encryption_enabled = false;
    });
    expect(checks).toEqual(expect.arrayContaining(['CKV_AWS_333', 'CKV_AWS_65', 'CKV_AWS_30', 'CKV_AWS_31']));
  });

  it('flags wildcard actions, write access on "*", logs without retention and an unversioned bucket', () => {
    const checks = mutate((s) => {
      first(s, 'aws_iam_role_policy').policy = JSON.stringify({
        Statement: [{ Effect: 'Allow', Action: ['s3:*', 'iam:PassRole'], Resource: '*' }],
      });
      first(s, 'aws_cloudwatch_log_group').retention_in_days = undefined;
      first(s, 'aws_s3_bucket_versioning').versioning_configuration = { status: 'Suspended' };
    });
    expect(checks).toEqual(
      expect.arrayContaining([
        'CKV_AWS_63',
        'CKV_AWS_355',
        'CKV_AWS_286',
        'CKV_AWS_290',
        'CKV_AWS_66',
        'CKV_AWS_21',
      ]),
    );
  });
});
