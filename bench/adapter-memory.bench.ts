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
 * STEP requests up to TOTAL. After each step: RSS now, the most RSS held so far (the high-water
 * mark), and the heap left after a full collection. RSS sampled at one instant swings ±10 % in a
 * leak-free process (native allocations come and go with the sockets in flight), so the targets
 * read the high-water mark, which only rises: RSS after 500,000 requests ≤ 1.2× the native app's,
 * and no growth between 100,000 and 500,000 — high-water mark up by ≤ 5 % and live heap by
 * ≤ 1 MB (a leak of 3 bytes per request would show).
 *
 * Two things V8 does with any server, and does at moments of its own choosing, would otherwise
 * be measured as growth. Both servers answer 100,000 requests within seconds, so the count starts
 * after WARMUP requests (BENCH_MEMORY_WARMUP, default 100,000) that are not counted, by which time
 * the code is compiled and the heap sized. And V8 grows the young generation in one step, from 16
 * to 32 MB, when it judges the allocation rate high enough: measured without a fixed size, the step
 * came at 400,000–500,000 requests for ours and at 600,000–700,000 for the native app, +12–16 MB
 * of RSS each, while the old generation and the live heap stayed flat. Both servers therefore run
 * with the young generation at its largest from the start (--min-semi-space-size=16), which is
 * where a busy server ends anyway; each step prints the young and old generations' sizes.
 */

const here = dirname(fileURLToPath(import.meta.url));
const TOTAL = Number(process.env.BENCH_MEMORY_REQUESTS ?? 500_000);
const STEP = Number(process.env.BENCH_MEMORY_STEP ?? 100_000);
const WARMUP = Number(process.env.BENCH_MEMORY_WARMUP ?? 100_000);
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
  startBenchServer(
    plan,
    bundled,
    [app],
    {},
    {
      exposeGc: true,
      bundled: true,
      nodeFlags: ['--min-semi-space-size=16'],
    },
  );
const servers = { ours: await start('ours'), native: await start('native') };
const samples: Record<(typeof apps)[number], Sample[]> = { ours: [], native: [] };
try {
  if (WARMUP > 0) {
    console.log(`  warming up: ${WARMUP.toLocaleString('en')} requests per app, not counted`);
    await Promise.all(apps.map((app) => step(servers[app], WARMUP)));
  }
  for (const app of apps) samples[app].push({ requests: 0, usage: await servers[app].usage({ gc: true }) });
  for (let done = STEP; done <= TOTAL; done += STEP) {
    const started = Date.now();
    await Promise.all(apps.map((app) => step(servers[app], STEP)));
    for (const app of apps)
      samples[app].push({ requests: done, usage: await servers[app].usage({ gc: true }) });
    const [o, n] = [samples.ours.at(-1)?.usage, samples.native.at(-1)?.usage] as [ServerUsage, ServerUsage];
    console.log(
      `  ${done.toLocaleString('en').padStart(9)} requests (${((Date.now() - started) / 1000).toFixed(0)} s): ours RSS ${mb(o.rssBytes).toFixed(1)} MB (most ${mb(o.maxRssBytes).toFixed(1)}), live heap ${mb(o.heapUsedBytes).toFixed(1)} MB (young ${mb(o.newSpaceBytes).toFixed(0)}, old ${mb(o.oldSpaceBytes).toFixed(1)} MB); native RSS ${mb(n.rssBytes).toFixed(1)} MB (most ${mb(n.maxRssBytes).toFixed(1)}), live heap ${mb(n.heapUsedBytes).toFixed(1)} MB (young ${mb(n.newSpaceBytes).toFixed(0)}, old ${mb(n.oldSpaceBytes).toFixed(1)} MB)`,
    );
  }
} finally {
  await servers.ours.stop();
  await servers.native.stop();
}

const at = (app: (typeof apps)[number], requests: number) =>
  samples[app].find((s) => s.requests === requests)?.usage as ServerUsage;
const first = Math.min(STEP, TOTAL);
const peak = (app: (typeof apps)[number], requests: number) => at(app, requests).maxRssBytes;
const ratio = peak('ours', TOTAL) / peak('native', TOTAL);
console.log(
  `RSS after ${TOTAL.toLocaleString('en')} requests (high-water mark): ours ${mb(peak('ours', TOTAL)).toFixed(1)} MB ÷ native ${mb(peak('native', TOTAL)).toFixed(1)} MB = ${ratio.toFixed(3)} (target ≤ ${RSS_RATIO_TARGET}; at that instant ${mb(at('ours', TOTAL).rssBytes).toFixed(1)} vs ${mb(at('native', TOTAL).rssBytes).toFixed(1)} MB) ${ratio <= RSS_RATIO_TARGET ? 'PASS' : 'MISS'}`,
);
for (const app of apps) {
  const rssGrowth = peak(app, TOTAL) / peak(app, first) - 1;
  const heapGrowth = mb(at(app, TOTAL).heapUsedBytes - at(app, first).heapUsedBytes);
  const ok = rssGrowth <= RSS_GROWTH_TARGET && heapGrowth <= HEAP_GROWTH_TARGET_MB;
  console.log(
    `Growth ${first.toLocaleString('en')} → ${TOTAL.toLocaleString('en')} requests, ${app}: RSS high-water mark ${(rssGrowth * 100).toFixed(1)} % (target ≤ +${RSS_GROWTH_TARGET * 100} %), live heap ${heapGrowth >= 0 ? '+' : ''}${heapGrowth.toFixed(2)} MB (target ≤ +${HEAP_GROWTH_TARGET_MB} MB) ${ok ? 'PASS' : 'MISS'}`,
  );
}
