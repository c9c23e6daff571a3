import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../app/config.js';

describe('jobs configuration', () => {
  it('defaults to embedded parts and a bucket at AWS RunTask limits less the headroom', () => {
    const config = loadConfig({});

    expect(config.jobs.mode).toBe('embedded');
    expect(config.jobs.runTaskBucket).toEqual({ capacity: 18, perSecond: 20 });
    expect(config.jobs.ecs.capacityProviderStrategy).toEqual([
      { capacityProvider: 'FARGATE_SPOT', weight: 1 },
    ]);
    expect(config.jobs.ecs.fallbackCapacityProvider).toBe('FARGATE');
    expect(config.jobs.maxAttempts).toBe(3);
  });

  it('parses a capacity provider strategy with weights and a base', () => {
    const config = loadConfig({ JOBS_CAPACITY_STRATEGY: 'FARGATE_SPOT:3,FARGATE:1:1' });

    expect(config.jobs.ecs.capacityProviderStrategy).toEqual([
      { capacityProvider: 'FARGATE_SPOT', weight: 3 },
      { capacityProvider: 'FARGATE', weight: 1, base: 1 },
    ]);
  });

  it('names every variable the AWS mode is missing', () => {
    const load = () =>
      loadConfig({ JOBS_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/jobs' });

    expect(load).toThrow(ConfigError);
    expect(load).toThrow(/JOBS_CLUSTER/);
    expect(load).toThrow(/JOBS_BUCKET/);
    expect(load).toThrow(/REDIS_URL/);
  });

  it('refuses a headroom that leaves no burst, and a malformed strategy', () => {
    expect(() => loadConfig({ RUNTASK_BUCKET_CAPACITY: '5', RUNTASK_BUCKET_HEADROOM: '5' })).toThrow(
      /RUNTASK_BUCKET_HEADROOM/,
    );
    expect(() => loadConfig({ JOBS_CAPACITY_STRATEGY: 'FARGATE_SPOT:x' })).toThrow(/JOBS_CAPACITY_STRATEGY/);
  });
});
