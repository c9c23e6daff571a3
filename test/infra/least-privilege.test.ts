import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_RECEIVE_COUNT } from '../../infra/constructs/jobs-storage.js';
import { one, resourcesOf, type StackJson, synthStacks } from './synth.js';

/**
 * The permissions the jobs path needs, as narrow as the calls it makes (what test/aws proves
 * the code uses, with `npm run iam-report`), and the ordering Terraform needs to apply them.
 */

interface Statement {
  readonly Effect: string;
  readonly Action: string[];
  readonly Resource: string | string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

let stack: StackJson;
beforeAll(() => {
  stack = synthStacks().dev as StackJson;
});

/** The statements of the inline policy whose resource name contains `fragment`. */
function statementsOf(fragment: string): Statement[] {
  const [, policy] =
    resourcesOf(stack, 'aws_iam_role_policy').find(([name]) => name.includes(fragment)) ?? [];
  if (!policy) throw new Error(`no policy ${fragment}`);
  return (JSON.parse(policy.policy as string) as { Statement: Statement[] }).Statement;
}

const granting = (statements: Statement[], action: string) =>
  statements.filter((s) => s.Action.includes(action));

describe('jobs permissions', () => {
  it('lets the simulation list only its prefix (so a missing key is 404) and delete its checkpoint', () => {
    const statements = statementsOf('simulation-task-role');

    const [list] = granting(statements, 's3:ListBucket');
    const [objects] = granting(statements, 's3:DeleteObject');

    expect(list?.Resource).toEqual([
      expect.stringMatching(/^\$\{aws_s3_bucket\.jobs-storage_bucket_\w+\.arn\}$/),
    ]);
    expect(list?.Condition).toEqual({ StringLike: { 's3:prefix': ['simulations/*'] } });
    expect(objects?.Action.sort()).toEqual(['s3:DeleteObject', 's3:GetObject', 's3:PutObject']);
    expect(objects?.Resource).toEqual([expect.stringMatching(/\/simulations\/\*$/)]);
  });

  it('lets the API (task and jobs Lambda) stop tasks of the jobs cluster only, and no other group touch jobs', () => {
    for (const fragment of ['api_task-role', 'lambda_jobs_role']) {
      const [stop] = granting(statementsOf(fragment), 'ecs:StopTask');
      expect(stop?.Resource, fragment).toEqual([
        expect.stringMatching(/:task\/\$\{aws_ecs_cluster\.cluster_\w+\.name\}\/\*$/),
      ]);
      expect(stop?.Condition, fragment).toEqual({
        ArnEquals: { 'ecs:cluster': expect.stringMatching(/aws_ecs_cluster/) },
      });
    }
    for (const fragment of ['lambda_leads_role', 'lambda_api_role']) {
      const actions = statementsOf(fragment).flatMap((s) => s.Action);
      expect(
        actions.filter((a) => /^(s3|sqs|ecs):/.test(a)),
        fragment,
      ).toEqual([]);
    }
  });

  it('lets the API (task and jobs Lambda) read results and list only their prefix, so an expired result is 404', () => {
    for (const fragment of ['api_task-role', 'lambda_jobs_role']) {
      const statements = statementsOf(fragment);

      const [list] = granting(statements, 's3:ListBucket');
      const [read] = granting(statements, 's3:GetObject');

      expect(list?.Condition, fragment).toEqual({ StringLike: { 's3:prefix': ['simulations/*'] } });
      expect(list?.Action, fragment).toEqual(['s3:ListBucket']);
      expect(read?.Resource, fragment).toEqual([expect.stringMatching(/\/simulations\/\*$/)]);
    }
  });

  it('gives the pacer and task-events only the calls they make', () => {
    const pacer = statementsOf('jobs_pacer_role').flatMap((s) => s.Action);
    const taskEvents = statementsOf('jobs_task-events_role').flatMap((s) => s.Action);

    expect(pacer).not.toContain('sqs:SendMessage');
    expect(granting(statementsOf('jobs_pacer_role'), 'ecs:StopTask')[0]?.Condition).toBeDefined();
    expect(taskEvents).toContain('s3:DeleteObject');
    expect(taskEvents).not.toContain('s3:GetObject');
  });

  it('creates every function and the API service after its role policy', () => {
    for (const [name, fn] of resourcesOf(stack, 'aws_lambda_function')) {
      expect(fn.depends_on, name).toEqual(
        expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\./)]),
      );
    }
    expect(one(stack, 'aws_ecs_service', 'api').depends_on).toEqual(
      expect.arrayContaining([expect.stringMatching(/^aws_iam_role_policy\.api_task-role_policy/)]),
    );
  });
});

describe('dead-lettered job messages', () => {
  it('dead-letters after MAX_RECEIVE_COUNT receives, and a reader on the dead-letter queue marks the job failed', () => {
    const queue = one(stack, 'aws_sqs_queue', 'jobs-storage_queue');
    const dlq = one(stack, 'aws_sqs_queue', 'jobs-storage_dlq');
    const reader = one(stack, 'aws_lambda_function', 'dead-letters');
    const mapping = one(stack, 'aws_lambda_event_source_mapping', 'dead-letters-source');

    expect(JSON.parse(queue.redrive_policy as string).maxReceiveCount).toBe(MAX_RECEIVE_COUNT);
    expect(MAX_RECEIVE_COUNT).toBeGreaterThanOrEqual(10);
    expect(mapping).toMatchObject({
      event_source_arn: expect.stringMatching(/^\$\{aws_sqs_queue\.jobs-storage_dlq_\w+\.arn\}$/),
      function_name: expect.stringMatching(/jobs_dead-letters_function_\w+\.arn/),
      function_response_types: ['ReportBatchItemFailures'],
    });
    expect(reader.handler).toBe('dead-letters.handler');
    // Lambda refuses a mapping on a queue whose visibility timeout is below the function's timeout.
    expect(dlq.visibility_timeout_seconds as number).toBeGreaterThanOrEqual(reader.timeout as number);
    const readerActions = statementsOf('jobs_dead-letters_role').flatMap((s) => s.Action);
    expect(readerActions).toEqual(
      expect.arrayContaining(['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']),
    );
  });
});
