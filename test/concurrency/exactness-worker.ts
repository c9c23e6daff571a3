import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestGuard } from '../../adapters/lambda-to-express.js';
import { RATE_LIMIT_REDIS_OPTIONS } from '../../adapters/rate-limit/store-client.js';
import { createRedisClient } from '../../app/redis.js';
import { toAlbEvent } from '../parity/event-builders.js';
import { fakeLambdaContext, invokeLambda } from '../parity/runtimes.js';
import {
  boundedGuard,
  ecsApp,
  HELD_GROUP,
  heldHandler,
  heldRoute,
  inFlightProbe,
  lambdaHandler,
  quickHandler,
  untilReady,
} from './support.js';

/**
 * One process of the exactness run, an instance of the API as deployed: its own Redis clients,
 * rate limiter and concurrency gate. `ecs` serves over a real HTTP server and sends its requests
 * to it; `lambda` serves through the Lambda entry and invokes it with ALB events. It says `ready`,
 * waits for `go` on stdin so every process starts together, sends its requests in quick waves and
 * prints one JSON line: statuses, refusal bodies and times.
 *
 * argv: runtime redisUrl prefix requests limit holdMs
 */
const [runtime = 'ecs', redisUrl = '', prefix = '', requestsText = '50', limitText = '5', holdText = '400'] =
  process.argv.slice(2);
const requests = Number(requestsText);

const leaseRedis = createRedisClient({ url: redisUrl }, RATE_LIMIT_REDIS_OPTIONS);
const handlerRedis = createRedisClient({ url: redisUrl });
await untilReady(leaseRedis);
await untilReady(handlerRedis);
const routes = [
  heldRoute(
    'GET',
    '/held/:n',
    heldHandler({ redis: handlerRedis, probe: inFlightProbe(prefix), holdMs: Number(holdText) }),
    // A deadline no starved machine reaches: past it the slot is freed (504) while the handler,
    // which cannot be cancelled, still runs and would be counted beside the next holder.
    { timeoutMs: 30_000 },
  ),
  // The same path through the app in another group, to warm the process up without a slot.
  heldRoute('GET', '/warm/:n', quickHandler, { lambdaGroup: 'warm-up', maxConcurrency: 1_000 }),
];
const bounded = boundedGuard({
  redis: leaseRedis,
  prefix,
  routes,
  groups: { [HELD_GROUP]: { maxConcurrency: Number(limitText) } },
});
/**
 * How many times this process asked for slots for the measured requests: once per request means
 * no request waited or retried (a queued one asks again until its queue time is over).
 */
let tries = 0;
const tryAcquire = bounded.gate.tryAcquire.bind(bounded.gate);
bounded.gate.tryAcquire = (bounds, deadlineAt) => {
  if (measuring) tries += 1;
  return tryAcquire(bounds, deadlineAt);
};
let measuring = false;
/** Per request id: ms from the guard step's start (rate limit + slot) to its decision. */
const decisionMs = new Map<string, number>();
const guard: RequestGuard = async (input) => {
  const started = performance.now();
  try {
    return await bounded.guard(input);
  } finally {
    decisionMs.set(input.event.path, performance.now() - started);
  }
};

/** ECS: from the request reaching the server to its answer being written, per path. */
const serverMs = new Map<string, number>();

interface Answer {
  readonly status: number;
  /** From sending the request to the whole answer, as the client saw it. */
  readonly ms: number;
  /** Inside the API: ECS from the server's request event, Lambda from the invocation. */
  readonly serverMs: number;
  /** Inside the guard step: from asking for the count and the slot to the decision. */
  readonly decisionMs: number;
  readonly code: string | undefined;
  readonly retryAfter: string | undefined;
}

let send: (n: number, path?: string) => Promise<Answer>;
if (runtime === 'lambda') {
  const handler = lambdaHandler(routes, guard);
  send = async (n, path = 'held') => {
    const event = toAlbEvent({ name: 'held', method: 'GET', path: `/${path}/${n}` }, { multiValue: true });
    const started = performance.now();
    const answer = await invokeLambda(handler, event, fakeLambdaContext());
    const body = JSON.parse(answer.body.toString('utf8')) as { error?: { code: string } };
    const ms = performance.now() - started;
    return {
      status: answer.status,
      ms,
      serverMs: ms,
      decisionMs: decisionMs.get(`/${path}/${n}`) ?? Number.NaN,
      code: body.error?.code,
      retryAfter: answer.headers['retry-after']?.[0],
    };
  };
} else {
  const app = ecsApp(routes, guard);
  const server = createServer((req, res) => {
    const arrived = performance.now();
    res.once('finish', () => serverMs.set(req.url ?? '', performance.now() - arrived));
    app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  send = (n, path = 'held') =>
    new Promise((resolve, reject) => {
      const started = performance.now();
      const req = httpRequest({ host: '127.0.0.1', port, path: `/${path}/${n}`, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { error?: { code: string } };
          const retryAfter = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            ms: performance.now() - started,
            serverMs: serverMs.get(`/${path}/${n}`) ?? Number.NaN,
            decisionMs: decisionMs.get(`/${path}/${n}`) ?? Number.NaN,
            code: body.error?.code,
            retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined,
          });
        });
      });
      req.on('error', reject);
      req.end();
    });
}

// A deployed instance is warm: compile the request path (and load the scripts into Redis) first.
for (let round = 0; round < 4; round += 1) {
  await Promise.all(Array.from({ length: requests }, (_, n) => send(n, 'warm')));
}

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

// Waves of 10 every 25 ms: the first waves of every process race for the slots together, and all
// of them arrive within 100 ms, while the first admitted requests still hold their slots (400 ms).
const WAVE = 10;
measuring = true;
const sending: Promise<Answer>[] = [];
for (let n = 0; n < requests; n += 1) {
  if (n > 0 && n % WAVE === 0) await sleep(25);
  sending.push(send(n));
}
const answers = await Promise.all(sending);
process.stdout.write(`${JSON.stringify({ answers, tries })}\n`);
leaseRedis.disconnect();
handlerRedis.disconnect();
process.exit(0);
