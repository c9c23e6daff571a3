import { createInterface } from 'node:readline';
import { pino } from 'pino';
import { HttpError } from '../../adapters/http-error.js';
import type { Invocation } from '../../adapters/invocation.js';
import { RATE_LIMIT_REDIS_OPTIONS } from '../../adapters/rate-limit/store-client.js';
import { createRedisClient } from '../../app/redis.js';
import { guardFor, TEST_ROUTES, testSettings } from './support.js';

/**
 * One process of the accuracy test: its own Redis client and rate-limit guard, as an instance of
 * the API has. It says `ready`, waits for `go` on stdin so every process starts together, runs its
 * requests through the guard all at once, and prints what was admitted as one JSON line.
 *
 * argv: redisUrl prefix requests limit
 */
const [redisUrl = '', prefix = '', requestsText = '500', limitText = '100'] = process.argv.slice(2);
const requests = Number(requestsText);
const limit = Number(limitText);

const redis = createRedisClient({ url: redisUrl }, RATE_LIMIT_REDIS_OPTIONS);
while (redis.status !== 'ready') await new Promise((resolve) => setTimeout(resolve, 10));
const guard = guardFor({
  redis,
  prefix,
  settings: testSettings({ standard: { anonymous: limit, authenticated: limit } }),
  logger: pino({ level: 'warn' }, pino.destination(2)),
});
const route = TEST_ROUTES.find((r) => r.method === 'GET' && r.path === '/items/:id');
if (!route) throw new Error('test route missing');
const invocation: Invocation = {
  runtime: 'ecs',
  requestId: 'accuracy',
  sourceIp: '198.51.100.99',
  functionName: 'api-test',
  stage: 'test',
  platformDeadline: undefined,
  headerPairs: [],
};

process.stdout.write('ready\n');
await new Promise<void>((resolve) => {
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === 'go') {
      lines.close();
      resolve();
    }
  });
});

const started = performance.now();
let slowestMs = 0;
const outcomes = await Promise.all(
  Array.from({ length: requests }, () =>
    guard({ route, invocation, path: route.path })
      .then(
        () => 'admitted' as const,
        (error: unknown) => (error instanceof HttpError && error.statusCode === 429 ? 'refused' : 'failed'),
      )
      .finally(() => {
        slowestMs = Math.max(slowestMs, performance.now() - started);
      }),
  ),
);
const count = (what: string) => outcomes.filter((o) => o === what).length;
process.stdout.write(
  `${JSON.stringify({ admitted: count('admitted'), refused: count('refused'), failed: count('failed'), slowestMs })}\n`,
);
redis.disconnect();
