import { constants, type PerformanceEntry, PerformanceObserver } from 'node:perf_hooks';
import { configure as serverlessExpress } from '@vendia/serverless-express';
import { createLambdaHandler } from '../app/lambda-handler.js';
import { routes } from '../app/routes.js';
import { benchDeps, seededLeads } from './adapter-apps.js';
import { nativeApp } from './adapter-native-app.js';
import { formatSpread, median, spread } from './support/stats.js';

/**
 * The Lambda path of the adapter benchmark, run in its own process on the server core by
 * adapter.bench.ts: warm invocations of our Lambda handler against bare serverless-express around
 * the native route, the same ALB event. Inside a round the two take turns in blocks of BLOCK
 * invokes (a few ms each), so a burst of other work on the machine falls on both alike. Per round:
 * wall µs per invoke and CPU µs per invoke (process.cpuUsage).
 */

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const INVOKES = Number(process.env.BENCH_INVOKES ?? 20_000);
const BLOCK = 100;
const TARGET_ADDED = 0.1;

// A fresh event per invoke, as Lambda gives: the shape follows ELB's documented Lambda event.
const albEvent = () => ({
  requestContext: {
    elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/bench/1' },
  },
  httpMethod: 'GET',
  path: '/leads/bench-1',
  queryStringParameters: {},
  headers: {
    accept: 'application/json',
    host: 'bench.example.com',
    'user-agent': 'bench',
    'x-amzn-trace-id': 'Root=1-5f84c7a9-0e5b1d6a3c8e4f1a2b3c4d5e',
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  },
  body: '',
  isBase64Encoded: false,
});
const context = {
  awsRequestId: 'bench',
  functionName: 'api-bench',
  getRemainingTimeInMillis: () => 30_000,
} as never;

interface Timing {
  wallMicros: number;
  cpuMicros: number;
  /** Young-generation collections that began inside this side's blocks: one starts each time the
   * young generation fills, so their count follows what each side allocates (their durations
   * would follow the machine's load). */
  scavenges: number;
}

// Every young-generation collection of the process, matched afterwards to the block it began in.
const scavenges: number[] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) {
    const { detail } = entry as PerformanceEntry & { detail?: { kind?: number } };
    if (detail?.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges.push(entry.startTime);
  }
});
gcObserver.observe({ entryTypes: ['gc'] });
const blocks: { startMs: number; endMs: number; into: Timing }[] = [];

async function block(invoke: () => Promise<unknown>, into: Timing): Promise<void> {
  const cpu = process.cpuUsage();
  const startMs = performance.now();
  const started = process.hrtime.bigint();
  for (let i = 0; i < BLOCK; i += 1) await invoke();
  into.wallMicros += Number(process.hrtime.bigint() - started) / 1e3;
  const used = process.cpuUsage(cpu);
  into.cpuMicros += used.user + used.system;
  blocks.push({ startMs, endMs: performance.now(), into });
}

/** Charges each collection seen so far to the block it began in. */
async function chargeGc(): Promise<void> {
  // The observer hears of a collection a moment later.
  await new Promise((resolve) => setTimeout(resolve, 20));
  for (const startMs of scavenges.splice(0)) {
    const owner = blocks.find((b) => startMs >= b.startMs && startMs <= b.endMs);
    if (owner) owner.into.scavenges += 1;
  }
  blocks.length = 0;
}

/** INVOKES of each, taking turns block by block; µs per invoke. */
async function round(
  first: () => Promise<unknown>,
  second: () => Promise<unknown>,
): Promise<[Timing, Timing]> {
  const a: Timing = { wallMicros: 0, cpuMicros: 0, scavenges: 0 };
  const b: Timing = { wallMicros: 0, cpuMicros: 0, scavenges: 0 };
  for (let done = 0; done < INVOKES; done += BLOCK) {
    await block(first, a);
    await block(second, b);
  }
  await chargeGc();
  const perInvoke = (t: Timing): Timing => ({
    wallMicros: t.wallMicros / INVOKES,
    cpuMicros: t.cpuMicros / INVOKES,
    scavenges: (t.scavenges * 1000) / INVOKES,
  });
  return [perInvoke(a), perInvoke(b)];
}

const leads = await seededLeads();
const ours = createLambdaHandler(benchDeps(leads), {
  stage: 'bench',
  maxBodyBytes: 256 * 1024,
  routes,
}).handler;
const bare = serverlessExpress({ app: nativeApp(leads), logSettings: { level: 'error' } });
const invokeOurs = () => ours(albEvent() as never, context);
const invokeBare = () => bare(albEvent(), context, () => {}) as Promise<unknown>;

const check = (await ours(albEvent() as never, context)) as { statusCode: number; body: string };
const checkBare = (await bare(albEvent(), context, () => {})) as { statusCode: number; body: string };
if (check.statusCode !== 200 || checkBare.statusCode !== 200 || check.body !== checkBare.body)
  throw new Error(
    `the two Lambda handlers do not give the same 200 answer: ${JSON.stringify({ check, checkBare })}`,
  );

const wallRatios: number[] = [];
const cpuRatios: number[] = [];
const oursWall: number[] = [];
const bareWall: number[] = [];
const oursGc: number[] = [];
const bareGc: number[] = [];
await round(invokeOurs, invokeBare); // warm-up: JIT and caches
for (let index = 1; index <= ROUNDS; index += 1) {
  // Alternate which opens each pair of blocks, so neither always follows the other.
  let o: Timing;
  let b: Timing;
  if (index % 2 === 1) [b, o] = await round(invokeBare, invokeOurs);
  else [o, b] = await round(invokeOurs, invokeBare);
  oursWall.push(o.wallMicros);
  bareWall.push(b.wallMicros);
  oursGc.push(o.scavenges);
  bareGc.push(b.scavenges);
  wallRatios.push(o.wallMicros / b.wallMicros);
  cpuRatios.push(o.cpuMicros / b.cpuMicros);
  console.log(
    `  round ${index}/${ROUNDS}: ours ${o.wallMicros.toFixed(1)} µs (CPU ${o.cpuMicros.toFixed(1)}, ${o.scavenges.toFixed(2)} scavenges per 1000), bare serverless-express ${b.wallMicros.toFixed(1)} µs (CPU ${b.cpuMicros.toFixed(1)}, ${b.scavenges.toFixed(2)} per 1000), ratio ${(o.wallMicros / b.wallMicros).toFixed(3)}`,
  );
}
const wall = spread(wallRatios);
const cpu = spread(cpuRatios);
const added = wall.median - 1;
console.log(
  `Young-generation collections per 1000 invokes (follows what each allocates): ours ${median(oursGc).toFixed(2)}, bare ${median(bareGc).toFixed(2)} → ratio ${(median(oursGc) / median(bareGc)).toFixed(2)}`,
);
console.log(
  `Lambda path: ${median(oursWall).toFixed(1)} vs ${median(bareWall).toFixed(1)} µs per warm invoke; ours ÷ bare ${formatSpread(wall)}; CPU per invoke ÷ ${formatSpread(cpu)} → adds ${(added * 100).toFixed(1)} % (target ≤ ${TARGET_ADDED * 100} %) ${added <= TARGET_ADDED ? 'PASS' : 'MISS'}`,
);
