import { spawn } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { RATE_LIMIT_REDIS_OPTIONS } from '../../adapters/rate-limit/store-client.js';
import { createRedisClient } from '../../app/redis.js';
import { sharedRedisUrl, useSharedRedis } from '../helpers/redis-server.js';
import {
  boundedGuard,
  ecsApp,
  HELD_GROUP,
  heldRoute,
  inFlightProbe,
  quickHandler,
  untilReady,
} from './support.js';

const holderScript = join(dirname(fileURLToPath(import.meta.url)), 'holder-process.ts');

/** Redis server time in epoch ms: the clock lease expiries are written in. */
async function redisNow(redis: Redis): Promise<number> {
  const [seconds, micros] = await redis.time();
  return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
}

describe('a holder killed mid-request', () => {
  const shared = useSharedRedis('cc-expiry');
  const clients: Redis[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.disconnect();
  });

  it('gives its slot back when its lease expires at the request deadline, not later', async () => {
    // Prepare: a holder process takes the group's only slot with a request whose deadline is 1.5 s
    // away, and is killed with SIGKILL while its handler runs (it never sends a release).
    const prefix = shared.prefix();
    const holder = spawn(
      process.execPath,
      ['--import', 'tsx', holderScript, sharedRedisUrl(), prefix, '1500'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    try {
      const port = Number(
        (await createInterface({ input: holder.stdout })[Symbol.asyncIterator]().next()).value,
      );
      httpRequest({ host: '127.0.0.1', port, path: '/held/1' })
        .on('error', () => {})
        .end();
      const probe = inFlightProbe(prefix);
      while (Number(await shared.redis().get(probe.inFlightKey)) < 1) await sleep(5);
      const [, expiry] = await shared.redis().zrange(`${prefix}cc:group:${HELD_GROUP}`, 0, 0, 'WITHSCORES');
      const leaseEnds = Number(expiry);
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));

      const leases = createRedisClient({ url: sharedRedisUrl() }, RATE_LIMIT_REDIS_OPTIONS);
      clients.push(leases);
      await untilReady(leases);
      const routes = [heldRoute('GET', '/quick', quickHandler)];
      const { guard } = boundedGuard({
        redis: leases,
        prefix,
        routes,
        groups: { [HELD_GROUP]: { maxConcurrency: 1 } },
      });
      const app = ecsApp(routes, guard);

      // Act: ask every 20 ms until a request gets the slot, noting Redis time around each.
      const refusedSentAt: number[] = [];
      let admitted: { sentAt: number; answeredAt: number } | undefined;
      while (admitted === undefined) {
        const sentAt = await redisNow(shared.redis());
        const answer = await request(app).get('/quick');
        const answeredAt = await redisNow(shared.redis());
        if (answer.status === 200) admitted = { sentAt, answeredAt };
        else {
          expect(answer.status).toBe(503);
          refusedSentAt.push(sentAt);
          await sleep(20);
        }
        if (answeredAt > leaseEnds + 5_000) throw new Error('the slot never came back');
      }

      // Assess: no request sent after the dead holder's lease ended was refused, none answered
      // before it ended was admitted, and the slot was taken within one poll of its end.
      expect(refusedSentAt.length).toBeGreaterThan(0);
      expect(Math.max(...refusedSentAt)).toBeLessThan(leaseEnds);
      expect(admitted.answeredAt).toBeGreaterThanOrEqual(leaseEnds);
      expect(admitted.sentAt - leaseEnds).toBeLessThan(250);
    } finally {
      if (holder.exitCode === null) holder.kill('SIGKILL');
    }
  }, 30_000);
});
