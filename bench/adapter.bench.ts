import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { configure as serverlessExpress } from '@vendia/serverless-express';
import autocannon from 'autocannon';
import { pino } from 'pino';
import { createLambdaHandler } from '../app/lambda-handler.js';
import { type LeadStore, MemoryLeadStore } from '../app/leads/lead-store.js';
import { DrainState } from '../app/readiness.js';
import { routes } from '../app/routes.js';
import type { HandlerDeps } from '../handlers/types.js';
import { nativeApp } from './adapter-servers.js';

/**
 * The adapter's cost, against the same logic written natively, in this one process:
 * - ECS path: requests/s of GET /leads/:leadId through createApp + lambdaToExpress vs a plain
 *   Express route; both apps in one server process (bench/adapter-servers.ts), autocannon in
 *   this one over loopback, alternating rounds. Target ratio ≥ 0.90.
 * - Lambda path: warm µs per invocation of our Lambda handler vs bare serverless-express around
 *   the plain route, same ALB event, in this process. Target: ours adds ≤ 25 %.
 * Rate limiting is off here (bench/rate-limit.bench.ts measures it).
 */

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
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

/** Starts bench/adapter-servers.ts (both apps in one process) and reads their URLs. */
async function startServers(): Promise<{ child: ChildProcess; ours: string; native: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'adapter-servers.ts')], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`bench servers exited with ${code}`)));
  });
  return { child, ...(JSON.parse(line) as { ours: string; native: string }) };
}

async function ecsPath(): Promise<void> {
  const servers = await startServers();
  try {
    await load(servers.ours, 1);
    await load(servers.native, 1);
    const ratios: number[] = [];
    const oursRps: number[] = [];
    const nativeRps: number[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      // Alternate which goes first, so a drift in the machine's load favours neither.
      const first = round % 2 === 1 ? 'native' : 'ours';
      const a = await load(servers[first], SECONDS);
      const b = await load(servers[first === 'native' ? 'ours' : 'native'], SECONDS);
      const [ours, native] = first === 'native' ? [b, a] : [a, b];
      oursRps.push(ours);
      nativeRps.push(native);
      ratios.push(ours / native);
      console.log(
        `  round ${round}/${ROUNDS}: lambdaToExpress ${ours.toFixed(0)} req/s, native ${native.toFixed(0)} req/s, ratio ${(ours / native).toFixed(3)}`,
      );
    }
    const ratio = median(ratios);
    console.log(
      `ECS path: ${median(oursRps).toFixed(0)} vs ${median(nativeRps).toFixed(0)} req/s → ratio ${ratio.toFixed(3)} (median of paired rounds; target ≥ 0.90) ${ratio >= 0.9 ? 'PASS' : 'MISS'}`,
    );
  } finally {
    servers.child.kill();
  }
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
  const ratios: number[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    const runBare = () =>
      perInvokeMicros(() => bare(albEvent(), context, () => {}) as Promise<unknown>, INVOKES);
    const runOurs = () => perInvokeMicros(() => ours(albEvent() as never, context), INVOKES);
    // Alternate which goes first, so a drift in the machine's load favours neither.
    let o2: number;
    let b2: number;
    if (round % 2 === 1) {
      b2 = await runBare();
      o2 = await runOurs();
    } else {
      o2 = await runOurs();
      b2 = await runBare();
    }
    oursUs.push(o2);
    bareUs.push(b2);
    ratios.push(o2 / b2);
    console.log(
      `  round ${round}/${ROUNDS}: ours ${o2.toFixed(1)} µs, bare serverless-express ${b2.toFixed(1)} µs, ratio ${(o2 / b2).toFixed(3)}`,
    );
  }
  const added = median(ratios) - 1;
  console.log(
    `Lambda path: ${median(oursUs).toFixed(1)} vs ${median(bareUs).toFixed(1)} µs per warm invoke → adds ${(added * 100).toFixed(1)} % (median of paired rounds; target ≤ 25 %) ${added <= 0.25 ? 'PASS' : 'MISS'}`,
  );
}

console.log(`adapter bench: ${ROUNDS} rounds, ${SECONDS} s of load per round, ${INVOKES} invokes per round`);
await ecsPath();
await lambdaPath();
