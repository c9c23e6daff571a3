import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { buildAll, bundle } from '../scripts/build.js';
import { cpuPlan, onCores } from './support/cpus.js';
import { formatSpread, spread } from './support/stats.js';

/**
 * Lambda bundles: zip size per function (target ≤ 1.5 MB) and cold start: a fresh node process
 * imports the `leads` bundle and answers its first ALB event, against bare serverless-express
 * around one native route (bench/cold-start-baseline.ts), bundled the same way. Each run is a
 * pair of processes, one of each, in alternating order, on one core; the figure is the ratio
 * ours ÷ bare of each pair (target median ≤ 1.5), so the machine's drift cancels out.
 * BENCH_COLD_RUNS pairs (default 21). The first event is a read (GET, 404); for information, the
 * leads function is also timed with a create as its first event (POST, 201), which loads zod with
 * the body schema on top, paired with a read first.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 21);
const ZIP_TARGET = 1.5 * 1024 * 1024;
const RATIO_TARGET = 1.5;

interface Probe {
  importMs: number;
  firstEventMs: number;
  totalMs: number;
  importCpuMs: number;
  totalCpuMs: number;
  status: number;
}

const cpus = cpuPlan();

/** A first event other than the read: path, method and JSON body, with the status it must get. */
interface FirstEvent {
  readonly args: readonly string[];
  readonly status: number;
}
const READ: FirstEvent = { args: [], status: 404 };
const CREATE: FirstEvent = {
  args: ['/leads/cold-1', 'POST', JSON.stringify({ name: 'Ada', email: 'ada@example.com' })],
  status: 201,
};

function probe(bundlePath: string, env: Record<string, string>, first: FirstEvent = READ): Probe {
  const [command, args] = onCores(cpus.server, process.execPath, [
    join(root, 'bench', 'cold-start-probe.mjs'),
    bundlePath,
    ...first.args,
  ]);
  const run = spawnSync(command, args, {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', APP_ENV: 'bench', ...env },
    encoding: 'utf8',
  });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !line.startsWith('{'))
    throw new Error(`probe failed (${run.status}): ${run.stderr}${run.stdout}`);
  const result = JSON.parse(line) as Probe;
  if (result.status !== first.status)
    throw new Error(`first event answered ${result.status}, not ${first.status}`);
  return result;
}

console.log('building Lambda bundles (npm run build)…');
const sizes = await buildAll((line) => console.log(`  ${line}`));

console.log('\nZip sizes (target ≤ 1.5 MB each):');
for (const [name, size] of Object.entries(sizes).filter(([n]) => n.endsWith('.zip'))) {
  console.log(
    `  ${name.padEnd(24)} ${(size / 1024 / 1024).toFixed(2)} MB  ${size <= ZIP_TARGET ? 'PASS' : 'MISS'}`,
  );
}

// Unpack the leads function as Lambda would, inside the project so external @aws-sdk/* resolves
// from node_modules the way it resolves from the runtime on Lambda.
const coldDir = join(root, 'dist', 'cold');
rmSync(coldDir, { recursive: true, force: true });
mkdirSync(join(coldDir, 'leads'), { recursive: true });
for (const [name, bytes] of Object.entries(
  unzipSync(readFileSync(join(root, 'dist', 'lambda', 'leads.zip'))),
)) {
  mkdirSync(dirname(join(coldDir, 'leads', name)), { recursive: true });
  writeFileSync(join(coldDir, 'leads', name), bytes);
}
const baseline = join(coldDir, 'baseline', 'baseline.mjs');
await bundle({
  entry: 'bench/cold-start-baseline.ts',
  outfile: baseline,
  external: ['@aws-sdk/*', '@smithy/*'],
});

const runBare = () => probe(baseline, {});
const runOurs = (first: FirstEvent = READ) =>
  probe(join(coldDir, 'leads', 'lambda.mjs'), { LAMBDA_GROUP: 'leads' }, first);

console.log(`\nCold start: ${RUNS} pairs of fresh processes, ${cpus.describe} (probes on the server core)`);
// One unrecorded pair: the first read of each bundle from disk is not what the runs compare.
runBare();
runOurs();
const ours: Probe[] = [];
const bare: Probe[] = [];
for (let run = 1; run <= RUNS; run += 1) {
  // Alternate which goes first, so a drift in the machine's load favours neither.
  if (run % 2 === 1) {
    bare.push(runBare());
    ours.push(runOurs());
  } else {
    ours.push(runOurs());
    bare.push(runBare());
  }
  process.stdout.write(`\r  run ${run}/${RUNS}`);
}
process.stdout.write('\n');

const pick = (probes: Probe[], key: keyof Probe) => spread(probes.map((p) => p[key]));
const ratios = spread(ours.map((p, i) => p.totalMs / (bare[i] as Probe).totalMs));
const cpuRatios = spread(ours.map((p, i) => p.totalCpuMs / (bare[i] as Probe).totalCpuMs));
for (const [name, probes] of [
  ['leads (ours)', ours],
  ['bare serverless-express', bare],
] as const) {
  console.log(`  ${name}`);
  console.log(`    import + first event ms ${formatSpread(pick(probes, 'totalMs'), 1)}`);
  console.log(`    import ms               ${formatSpread(pick(probes, 'importMs'), 1)}`);
  console.log(`    first event ms          ${formatSpread(pick(probes, 'firstEventMs'), 1)}`);
  console.log(`    CPU ms (import+first)   ${formatSpread(pick(probes, 'totalCpuMs'), 1)}`);
}
const verdict = (s: { median: number }) => (s.median <= RATIO_TARGET ? 'PASS' : 'MISS');
// CPU time barely moves with what else the machine runs; wall time is the target's own measure.
console.log(
  `  CPU ratio ours ÷ bare per pair: ${formatSpread(cpuRatios, 2)}; target ≤ ${RATIO_TARGET}× ${verdict(cpuRatios)}`,
);
console.log(
  `Cold start ratio ours ÷ bare per pair: ${formatSpread(ratios, 2)}; target ≤ ${RATIO_TARGET}× ${verdict(ratios)}`,
);

// For information: a create (POST) as the first event, which also loads zod with the body schema,
// paired with a read (GET) as the first event of the same bundle.
const createOverRead: number[] = [];
const createMs: number[] = [];
for (let run = 1; run <= RUNS; run += 1) {
  let read: Probe;
  let create: Probe;
  if (run % 2 === 1) {
    read = runOurs();
    create = runOurs(CREATE);
  } else {
    create = runOurs(CREATE);
    read = runOurs();
  }
  createMs.push(create.totalMs);
  createOverRead.push(create.totalMs / read.totalMs);
  process.stdout.write(`\r  create as the first event: run ${run}/${RUNS}`);
}
process.stdout.write('\n');
console.log(
  `  leads with a create (POST, 201) as its first event: ${formatSpread(spread(createMs), 1)} ms; ÷ a read first, per pair: ${formatSpread(spread(createOverRead), 2)} (information)`,
);
