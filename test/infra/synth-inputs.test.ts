import { beforeAll, describe, expect, it } from 'vitest';
import { PLACEHOLDER_IMAGES, readSynthInputs, SYNTH_INPUT_VARIABLES } from '../../infra/synth-inputs.js';
import { one, type StackJson, synthStacks } from './synth.js';

describe('readSynthInputs', () => {
  it('reads only the listed variables, with defaults that let a fresh clone synthesize', () => {
    const inputs = readSynthInputs({ UNRELATED: 'x' });

    expect(inputs).toEqual({
      environments: undefined,
      routeTargets: undefined,
      apiImage: PLACEHOLDER_IMAGES.api,
      simulationImage: PLACEHOLDER_IMAGES.simulation,
      stateBackend: undefined,
    });
    expect(SYNTH_INPUT_VARIABLES).toEqual(
      expect.arrayContaining(['ROUTE_TARGETS', 'STACK_ENV', 'API_IMAGE']),
    );
  });

  it('splits STACK_ENV and treats empty values as unset', () => {
    expect(readSynthInputs({ STACK_ENV: ' dev, prod ', ROUTE_TARGETS: '' })).toMatchObject({
      environments: ['dev', 'prod'],
      routeTargets: undefined,
    });
  });
});

describe('state backend and images', () => {
  const image = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.2.3';
  let s3Lockfile: StackJson;
  let s3Table: StackJson;
  beforeAll(() => {
    const base = { STACK_ENV: 'dev', TF_STATE_BUCKET: 'state-bucket', API_IMAGE: image };
    s3Lockfile = synthStacks({ env: base }).dev as StackJson;
    s3Table = synthStacks({ env: { ...base, TF_STATE_LOCK_TABLE: 'locks', TF_STATE_REGION: 'eu-central-1' } })
      .dev as StackJson;
  });

  it('uses S3 with native locking when a bucket is configured', () => {
    expect(s3Lockfile.terraform.backend).toEqual({
      s3: {
        bucket: 'state-bucket',
        key: 'dual-runtime-api/dual-runtime-api-dev.tfstate',
        region: 'eu-west-1',
        encrypt: true,
        use_lockfile: true,
      },
    });
  });

  it('uses the DynamoDB lock table instead when one is configured', () => {
    expect(s3Table.terraform.backend).toEqual({
      s3: {
        bucket: 'state-bucket',
        key: 'dual-runtime-api/dual-runtime-api-dev.tfstate',
        region: 'eu-central-1',
        encrypt: true,
        dynamodb_table: 'locks',
      },
    });
  });

  it('deploys the given API image and lets its execution role pull from that repository only', () => {
    const task = one(s3Lockfile, 'aws_ecs_task_definition', 'api_');
    expect(JSON.parse(task.container_definitions as string)[0].image).toBe(image);
    const policy = one(s3Lockfile, 'aws_iam_role_policy', 'api_execution-role').policy as string;
    expect(policy).toContain('arn:aws:ecr:eu-west-1:123456789012:repository/api');
  });
});
