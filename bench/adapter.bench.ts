import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { configure as serverlessExpress } from '@vendia/serverless-express';
import autocannon from 'autocannon';
import express from 'express';
import { pino } from 'pino';
import { ecsInvocationResolver } from '../adapters/invocation.js';
import { createApp } from '../app/create-app.js';
import { createLambdaHandler } from '../app/lambda-handler.js';
import { type LeadStore, MemoryLeadStore } from '../app/leads/lead-store.js';
import { DrainState } from '../app/readiness.js';
import { routes } from '../app/routes.js';
import type { HandlerDeps } from '../handlers/types.js';

/**
 * The adapter's cost, against the same logic written natively, in this one process:
 * - ECS path: requests/s of GET /leads/:leadId through createApp + lambdaToExpress vs a plain
 *   Express route, autocannon over loopback, alternating rounds. Target ratio ≥ 0.90.
 * - Lambda path: warm µs per invocation of our Lambda handler vs bare serverless-express around
 *   the plain route, same ALB event. Target: ours adds ≤ 25 %.
 * Rate limiting is off here (bench/rate-limit.bench.ts measures it).
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const INVOKES = Number(process.env.BENCH_INVOKES ?? 20_000);

async function seeded(): Promise<LeadStore> {
  const store = new MemoryLeadStore();
  await store.put({ leadId: 'bench-1', name: 'Bench', email: 'bench@example.com' }, new Date());
  return store;
}

function deps(leads: LeadStore): HandlerDeps {
  return { leads, readiness: new DrainState(), logger: pino({ level: 'silent' }), clock: () => new Date() };
}

/** The same behaviour as GET /leads/:leadId, written as a native Express route. */
function nativeApp(leads: LeadStore): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.get('/leads/:leadId', async (req, res) => {
    const lead = await leads.get(req.params.leadId);
    if (!lead) {
      res.status(404).json({ error: { code: 'lead_not_found', message: 'not found' } });
      return;
    }
    res.json(lead);
  });
  return app;
}

async function listen(app: express.Express): Promise<{ server: Server; url: string }> {
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/leads/bench-1` };
}

async function load(url: string, seconds: number): Promise<number> {
  const result = await autocannon({ url, connections: 32, pipelining: 1, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function ecsPath(): Promise<void> {
  const ours = await listen(
    createApp(deps(await seeded()), {
      maxBodyBytes: 256 * 1024,
      resolveInvocation: ecsInvocationResolver({
        stage: 'bench',
        functionName: 'api-bench',
        trustForwardedFor: true,
      }),
    }),
  );
  const native = await listen(nativeApp(await seeded()));
  await load(ours.url, 1);
  await load(native.url, 1);
  const oursRps: number[] = [];
  const nativeRps: number[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    nativeRps.push(await load(native.url, SECONDS));
    oursRps.push(await load(ours.url, SECONDS));
    console.log(
      `  round ${round}/${ROUNDS}: lambdaToExpress ${oursRps.at(-1)?.toFixed(0)} req/s, native ${nativeRps.at(-1)?.toFixed(0)} req/s`,
    );
  }
  ours.server.close();
  native.server.close();
  const ratio = median(oursRps) / median(nativeRps);
  console.log(
    `ECS path: ${median(oursRps).toFixed(0)} vs ${median(nativeRps).toFixed(0)} req/s → ratio ${ratio.toFixed(3)} (target ≥ 0.90) ${ratio >= 0.9 ? 'PASS' : 'MISS'}`,
  );
}

const albEvent = () => ({
  requestContext: {
    elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bench/1' },
  },
  httpMethod: 'GET',
  path: '/leads/bench-1',
  queryStringParameters: {},
  headers: { host: 'bench.example.com', 'x-forwarded-for': '203.0.113.7', accept: 'application/json' },
  body: '',
  isBase64Encoded: false,
});
const context = {
  awsRequestId: 'bench',
  functionName: 'api-bench',
  getRemainingTimeInMillis: () => 30_000,
} as never;

async function perInvokeMicros(invoke: () => Promise<unknown>, count: number): Promise<number> {
  for (let i = 0; i < 1_000; i += 1) await invoke();
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i += 1) await invoke();
  return Number(process.hrtime.bigint() - started) / 1e3 / count;
}

async function lambdaPath(): Promise<void> {
  const ours = createLambdaHandler(deps(await seeded()), {
    stage: 'bench',
    maxBodyBytes: 256 * 1024,
    routes,
  }).handler;
  const bare = serverlessExpress({ app: nativeApp(await seeded()), logSettings: { level: 'error' } });
  const check = (await ours(albEvent() as never, context)) as { statusCode: number };
  const checkBare = (await bare(albEvent(), context, () => {})) as { statusCode: number };
  if (check.statusCode !== 200 || checkBare.statusCode !== 200)
    throw new Error('bench handlers do not answer 200');
  const oursUs: number[] = [];
  const bareUs: number[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    bareUs.push(
      await perInvokeMicros(() => bare(albEvent(), context, () => {}) as Promise<unknown>, INVOKES),
    );
    oursUs.push(await perInvokeMicros(() => ours(albEvent() as never, context), INVOKES));
    console.log(
      `  round ${round}/${ROUNDS}: ours ${oursUs.at(-1)?.toFixed(1)} µs, bare serverless-express ${bareUs.at(-1)?.toFixed(1)} µs`,
    );
  }
  const added = median(oursUs) / median(bareUs) - 1;
  console.log(
    `Lambda path: ${median(oursUs).toFixed(1)} vs ${median(bareUs).toFixed(1)} µs per warm invoke → adds ${(added * 100).toFixed(1)} % (target ≤ 25 %) ${added <= 0.25 ? 'PASS' : 'MISS'}`,
  );
}

console.log(`adapter bench: ${ROUNDS} rounds, ${SECONDS} s of load per round, ${INVOKES} invokes per round`);
await ecsPath();
await lambdaPath();
