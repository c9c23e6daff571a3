import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/build.js';
import { cpuPlan } from './support/cpus.js';
import { type BenchServer, generateLoad, type ServerUsage, startBenchServer } from './support/load.js';

/**
 * Memory of the ECS server under load: ours (createApp + lambdaToExpress, every route mounted)
 * and the native Express route with the same logic, bundled the way the container's server is
 * (no TypeScript loader in the process), each in its own process on the server core,
 * both loaded at once with GET /leads/:leadId by their own autocannon processes, in steps of
 * STEP requests up to TOTAL. After each step: RSS, and the heap left after a full collection.
 * Targets: RSS after 500,000 requests ≤ 1.2× the native app's, and no growth between 100,000 and
 * 500,000: the live heap up by ≤ 1 MB (a leak of 3 bytes per request would show), and RSS up by no
 * more than the native app's own RSS moved in the same run + 5 points. RSS alone swings ±10 %
 * between samples of a leak-free process (V8 resizes its heap spaces), so the native app's swing
 * is the yardstick of that noise.
 */

const here = dirname(fileURLToPath(import.meta.url));
const TOTAL = Number(process.env.BENCH_MEMORY_REQUESTS ?? 500_000);
const STEP = Number(process.env.BENCH_MEMORY_STEP ?? 100_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const RSS_RATIO_TARGET = 1.2;
const RSS_GROWTH_TARGET = 0.05;
const HEAP_GROWTH_TARGET_MB = 1;
const plan = cpuPlan();
const mb = (bytes: number) => bytes / 1024 / 1024;

interface Sample {
  readonly requests: number;
  readonly usage: ServerUsage;
}

async function step(server: BenchServer, amount: number): Promise<void> {
  await generateLoad(plan, { url: server.url, connections: CONNECTIONS, amount });
}

console.log(
  `adapter memory bench: ${TOTAL.toLocaleString('en')} requests per app in steps of ${STEP.toLocaleString('en')}, both apps loaded at once; ${plan.describe}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
const bundled = join(here, '..', 'dist', 'bench', 'adapter-servers.mjs');
await bundle({ entry: 'bench/adapter-servers.ts', outfile: bundled, external: ['@aws-sdk/*', '@smithy/*'] });
const apps = ['ours', 'native'] as const;
const start = (app: (typeof apps)[number]) =>
  startBenchServer(plan, bundled, [app], {}, { exposeGc: true, bundled: true });
const servers = { ours: await start('ours'), native: await start('native') };
const samples: Record<(typeof apps)[number], Sample[]> = { ours: [], native: [] };
try {
  for (const app of apps) samples[app].push({ requests: 0, usage: await servers[app].usage({ gc: true }) });
  for (let done = STEP; done <= TOTAL; done += STEP) {
    const started = Date.now();
    await Promise.all(apps.map((app) => step(servers[app], STEP)));
    for (const app of apps)
      samples[app].push({ requests: done, usage: await servers[app].usage({ gc: true }) });
    const [o, n] = [samples.ours.at(-1)?.usage, samples.native.at(-1)?.usage] as [ServerUsage, ServerUsage];
    console.log(
      `  ${done.toLocaleString('en').padStart(9)} requests (${((Date.now() - started) / 1000).toFixed(0)} s): ours RSS ${mb(o.rssBytes).toFixed(1)} MB, live heap ${mb(o.heapUsedBytes).toFixed(1)} MB; native RSS ${mb(n.rssBytes).toFixed(1)} MB, live heap ${mb(n.heapUsedBytes).toFixed(1)} MB`,
    );
  }
} finally {
  await servers.ours.stop();
  await servers.native.stop();
}

const at = (app: (typeof apps)[number], requests: number) =>
  samples[app].find((s) => s.requests === requests)?.usage as ServerUsage;
const first = Math.min(STEP, TOTAL);
const ratio = at('ours', TOTAL).rssBytes / at('native', TOTAL).rssBytes;
console.log(
  `RSS after ${TOTAL.toLocaleString('en')} requests: ours ${mb(at('ours', TOTAL).rssBytes).toFixed(1)} MB ÷ native ${mb(at('native', TOTAL).rssBytes).toFixed(1)} MB = ${ratio.toFixed(3)} (target ≤ ${RSS_RATIO_TARGET}) ${ratio <= RSS_RATIO_TARGET ? 'PASS' : 'MISS'}`,
);
const rssGrowth = (app: (typeof apps)[number]) => at(app, TOTAL).rssBytes / at(app, first).rssBytes - 1;
const nativeSwing = Math.max(0, rssGrowth('native'));
for (const app of apps) {
  const heapGrowth = mb(at(app, TOTAL).heapUsedBytes - at(app, first).heapUsedBytes);
  const rssLimit = nativeSwing + RSS_GROWTH_TARGET;
  const ok = rssGrowth(app) <= rssLimit && heapGrowth <= HEAP_GROWTH_TARGET_MB;
  console.log(
    `Growth ${first.toLocaleString('en')} → ${TOTAL.toLocaleString('en')} requests, ${app}: live heap ${heapGrowth >= 0 ? '+' : ''}${heapGrowth.toFixed(2)} MB (target ≤ +${HEAP_GROWTH_TARGET_MB} MB), RSS ${(rssGrowth(app) * 100).toFixed(1)} % (target ≤ native's ${(nativeSwing * 100).toFixed(1)} % + ${RSS_GROWTH_TARGET * 100} points) ${ok ? 'PASS' : 'MISS'}`,
  );
}
