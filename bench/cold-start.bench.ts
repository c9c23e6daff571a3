import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync } from 'fflate';
import { buildAll, bundle } from '../scripts/build.js';

/**
 * Lambda bundles: zip size per function (target ≤ 1.5 MB) and cold start — the median time for a
 * fresh node process to import the `leads` bundle and answer its first ALB event (target ≤ 150 ms)
 * — against bare serverless-express around one native route, bundled the same way, same run.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 11);
const ZIP_TARGET = 1.5 * 1024 * 1024;
const COLD_TARGET_MS = 150;

interface Probe {
  importMs: number;
  firstEventMs: number;
  totalMs: number;
  status: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function probe(bundlePath: string, env: Record<string, string>): Probe {
  const run = spawnSync(process.execPath, [join(root, 'bench', 'cold-start-probe.mjs'), bundlePath], {
    env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', APP_ENV: 'bench', ...env },
    encoding: 'utf8',
  });
  const line = run.stdout.trim().split('\n').at(-1) ?? '';
  if (run.status !== 0 || !line.startsWith('{'))
    throw new Error(`probe failed (${run.status}): ${run.stderr}${run.stdout}`);
  return JSON.parse(line) as Probe;
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
  writeFileSync(join(coldDir, 'leads', name), bytes);
}
const baseline = join(coldDir, 'baseline', 'baseline.mjs');
await bundle({
  entry: 'bench/cold-start-baseline.ts',
  outfile: baseline,
  external: ['@aws-sdk/*', '@smithy/*'],
});

const ours: Probe[] = [];
const bare: Probe[] = [];
for (let run = 1; run <= RUNS; run += 1) {
  bare.push(probe(baseline, {}));
  ours.push(probe(join(coldDir, 'leads', 'lambda.mjs'), { LAMBDA_GROUP: 'leads' }));
  process.stdout.write(`\r  cold start run ${run}/${RUNS}`);
}
process.stdout.write('\n');
if (ours.some((p) => p.status !== 404) || bare.some((p) => p.status !== 404))
  throw new Error('first event did not answer 404');

const oursMs = median(ours.map((p) => p.totalMs));
const bareMs = median(bare.map((p) => p.totalMs));
console.log(
  `Cold start (median of ${RUNS}): leads ${oursMs.toFixed(1)} ms (import ${median(ours.map((p) => p.importMs)).toFixed(1)}, first event ${median(ours.map((p) => p.firstEventMs)).toFixed(1)}) vs bare serverless-express ${bareMs.toFixed(1)} ms → ratio ${(oursMs / bareMs).toFixed(2)}; target ≤ ${COLD_TARGET_MS} ms ${oursMs <= COLD_TARGET_MS ? 'PASS' : 'MISS'}`,
);
