import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisLeadStore } from '../../app/leads/redis-lead-store.js';
import { deletePrefix, sharedRedisUrl, uniquePrefix } from '../helpers/redis-server.js';

describe('RedisLeadStore on a real Redis', () => {
  const prefix = uniquePrefix('leads');
  let redis: Redis;
  let store: RedisLeadStore;

  beforeAll(() => {
    redis = new Redis(sharedRedisUrl());
    store = new RedisLeadStore(redis, prefix);
  });

  afterAll(async () => {
    await deletePrefix(redis, prefix);
    await redis.quit();
  });

  it('creates, reads and replaces a lead, keeping its creation time', async () => {
    // Prepare
    const first = new Date('2026-01-01T00:00:00Z');
    const later = new Date('2026-02-01T00:00:00Z');

    // Act
    const created = await store.put({ leadId: 'l-1', name: 'Ada', email: 'ada@example.com' }, first);
    const replaced = await store.put({ leadId: 'l-1', name: 'Ada L.', email: 'ada@example.com' }, later);
    const read = await store.get('l-1');

    // Assess
    expect(created).toMatchObject({ created: true, lead: { createdAt: first.toISOString() } });
    expect(replaced).toMatchObject({
      created: false,
      lead: { name: 'Ada L.', createdAt: first.toISOString(), updatedAt: later.toISOString() },
    });
    expect(read).toEqual(replaced.lead);
    expect(Object.keys(read ?? {})).toEqual(['leadId', 'name', 'email', 'createdAt', 'updatedAt']);
  });

  it('keeps unicode ids and names intact, and answers undefined for a missing lead', async () => {
    await store.put({ leadId: 'café 🚀', name: 'Zoë 李', email: 'z@example.com' }, new Date());
    expect((await store.get('café 🚀'))?.name).toBe('Zoë 李');
    expect(await store.get('missing')).toBeUndefined();
  });

  it('reports exactly one creation when many writers race on one id', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.put({ leadId: 'race', name: `n${i}`, email: 'r@example.com' }, new Date()),
      ),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
  });
});
