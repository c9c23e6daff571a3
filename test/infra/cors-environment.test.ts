import { beforeAll, describe, expect, it } from 'vitest';
import { originPolicy } from '../../adapters/cors.js';
import { loadConfig } from '../../app/config.js';
import { stackConfigs } from '../../infra/stack-config.js';
import { one, resourcesOf, type StackJson, synthStacks } from './synth.js';

let stacks: Record<string, StackJson>;
beforeAll(() => {
  stacks = synthStacks();
});

/** A value Terraform resolves at apply time, replaced by something the config accepts. */
const fill = (vars: Record<string, string>) =>
  Object.fromEntries(
    Object.entries(vars).map(([k, v]) => [
      k,
      !v.includes('${')
        ? v
        : k.endsWith('_ARN')
          ? 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:x-AbCdEf'
          : k === 'REDIS_URL'
            ? 'rediss://primary.cache.amazonaws.com:6379'
            : k === 'JOBS_QUEUE_URL'
              ? 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs'
              : 'dra-jobs-bucket',
    ]),
  );

describe.each(['dev', 'prod'])('%s stack: browser origins', (env) => {
  const config = stackConfigs[env];
  if (!config) throw new Error(`no config for ${env}`);

  it('the ECS task and every API Lambda read the origins the environment lists', () => {
    // Prepare: the variables as deployed, read by the app's own configuration loader.
    const stack = stacks[env] as StackJson;
    const [container] = JSON.parse(
      one(stack, 'aws_ecs_task_definition', 'api_').container_definitions as string,
    ) as {
      environment: { name: string; value: string }[];
    }[];
    const task = Object.fromEntries((container?.environment ?? []).map((e) => [e.name, e.value]));
    const apiFunctions = resourcesOf(stack, 'aws_lambda_function')
      .map(([, fn]) => (fn.environment as { variables: Record<string, string> }).variables)
      .filter((vars) => vars.LAMBDA_GROUP !== undefined);
    // Act + Assess
    expect(apiFunctions.length).toBeGreaterThan(0);
    for (const vars of [task, ...apiFunctions]) {
      const cors = loadConfig(fill(vars)).cors;
      expect(cors.origins).toEqual(config.cors.allowedOrigins);
      expect(cors.allowCredentials).toBe(config.cors.allowCredentials);
      expect(cors.maxAgeSeconds).toBe(config.cors.maxAgeSeconds);
      // Never the local default: a deployed API does not trust every localhost port.
      expect(originPolicy(cors.origins)('http://localhost:5173')).toBe(false);
    }
  });
});
