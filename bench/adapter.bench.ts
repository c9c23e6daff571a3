import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from '../scripts/build.js';
import { cpuPlan, onCores } from './support/cpus.js';
import { type BenchServer, generateLoad, startBenchServer } from './support/load.js';
import { formatSpread, median, spread } from './support/stats.js';

/**
 * What the adapter costs, against the same logic written natively, measured in one run:
 * - ECS path: GET /leads/:leadId through createApp + lambdaToExpress (every route of the table
 *   mounted, rate limiting off) vs a plain Express route. Each app in its own server process, both
 *   pinned to the same server core; each loaded by its own autocannon process on the other
 *   core(s). In a round both are loaded at the same time, so the kernel shares the core between
 *   them evenly and whatever else the machine runs slows both alike (BENCH_MODE=alternate loads
 *   them one after the other instead, the order alternating). Two figures per round: the req/s
 *   ratio, and the server's CPU µs per request (native ÷ ours). Target: req/s ratio ≥ 0.95.
 * - Lambda path (bench/adapter-lambda.ts, own process on the server core): warm µs per invoke of
 *   our Lambda handler ÷ bare serverless-express around the native route. Target: ≤ +10 %.
 * Both paths run bundled, the way the container's server and the Lambda zips run the code: under
 * a TypeScript loader every function expression made per request also gets a `__name` call,
 * which costs our per-request closures and none of Express's own code.
 * Memory under load is bench/adapter-memory.bench.ts; the rate limiter's cost is
 * bench/rate-limit.bench.ts.
 */

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const TARGET = 0.95;
const TOGETHER = (process.env.BENCH_MODE ?? 'together') === 'together';
const plan = cpuPlan();
const built = join(here, '..', 'dist', 'bench');

/** Bundles a bench entry as scripts/build.ts bundles the servers; returns its path. */
async function bundled(entry: string): Promise<string> {
  const outfile = join(built, `${entry.replace(/^bench\//, '').replace(/\.ts$/, '')}.mjs`);
  await bundle({ entry, outfile, external: ['@aws-sdk/*', '@smithy/*'] });
  return outfile;
}

interface Round {
  readonly rps: number;
  readonly cpuMicrosPerRequest: number;
}

async function measure(server: BenchServer, seconds: number): Promise<Round> {
  const before = await server.usage();
  const result = await generateLoad(plan, { url: server.url, connections: CONNECTIONS, seconds });
  const after = await server.usage();
  return { rps: result.rps, cpuMicrosPerRequest: (after.cpuMicros - before.cpuMicros) / result.requests };
}

async function ecsPath(): Promise<void> {
  const serve = await bundled('bench/adapter-servers.ts');
  const servers = {
    ours: await startBenchServer(plan, serve, ['ours'], {}, { bundled: true }),
    native: await startBenchServer(plan, serve, ['native'], {}, { bundled: true }),
  };
  try {
    // Warm both (JIT, sockets) before anything counts.
    await measure(servers.ours, 2);
    await measure(servers.native, 2);
    const rpsRatios: number[] = [];
    const cpuRatios: number[] = [];
    const ours: Round[] = [];
    const native: Round[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      let o: Round;
      let n: Round;
      if (TOGETHER) {
        [o, n] = await Promise.all([measure(servers.ours, SECONDS), measure(servers.native, SECONDS)]);
      } else if (round % 2 === 1) {
        // Alternate which goes first, so a drift in the machine's load favours neither.
        n = await measure(servers.native, SECONDS);
        o = await measure(servers.ours, SECONDS);
      } else {
        o = await measure(servers.ours, SECONDS);
        n = await measure(servers.native, SECONDS);
      }
      ours.push(o);
      native.push(n);
      rpsRatios.push(o.rps / n.rps);
      cpuRatios.push(n.cpuMicrosPerRequest / o.cpuMicrosPerRequest);
      console.log(
        `  round ${round}/${ROUNDS}: lambdaToExpress ${o.rps.toFixed(0)} req/s (CPU ${o.cpuMicrosPerRequest.toFixed(1)} µs/req), native ${n.rps.toFixed(0)} req/s (CPU ${n.cpuMicrosPerRequest.toFixed(1)} µs/req), ratio ${(o.rps / n.rps).toFixed(3)}`,
      );
    }
    const rps = spread(rpsRatios);
    const cpu = spread(cpuRatios);
    console.log(
      `ECS path: ${median(ours.map((r) => r.rps)).toFixed(0)} vs ${median(native.map((r) => r.rps)).toFixed(0)} req/s; req/s ratio ${formatSpread(rps)}; CPU per request native ÷ ours ${formatSpread(cpu)} (${median(ours.map((r) => r.cpuMicrosPerRequest)).toFixed(1)} vs ${median(native.map((r) => r.cpuMicrosPerRequest)).toFixed(1)} µs) → target ≥ ${TARGET} ${rps.median >= TARGET ? 'PASS' : 'MISS'}`,
    );
  } finally {
    await servers.ours.stop();
    await servers.native.stop();
  }
}

async function lambdaPath(): Promise<void> {
  const [command, args] = onCores(plan.server, process.execPath, [await bundled('bench/adapter-lambda.ts')]);
  const run = spawnSync(command, args, { stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`the Lambda path benchmark exited with ${run.status}`);
}

console.log(
  `adapter bench: ${ROUNDS} rounds, ${SECONDS} s of load per round, ${CONNECTIONS} connections, ${TOGETHER ? 'both apps loaded at once' : 'apps loaded in turn'}; ${plan.describe}; load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`,
);
// BENCH_ONLY=ecs or BENCH_ONLY=lambda runs one path.
const only = process.env.BENCH_ONLY;
if (only !== 'lambda') await ecsPath();
if (only !== 'ecs') await lambdaPath();
