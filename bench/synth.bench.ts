import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median } from './support/stats.js';

/**
 * Full synthesis of every stack (`npm run synth`, in a fresh node process each time) against the
 * slow path the infra code avoids: importing `@cdktf/provider-aws` from its package root, which
 * loads all ~1,500 resource modules. Also a bare node start, the floor under both. Median of RUNS.
 * Target: synthesis ≤ 10 s.
 */
const RUNS = 5;
const TARGET_MS = 10_000;
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function timeProcess(args: readonly string[]): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, STACK_ENV: '' },
  });
  const elapsed = performance.now() - started;
  if (run.status !== 0) throw new Error(`node ${args.join(' ')} failed:\n${run.stderr}`);
  return elapsed;
}

function measure(label: string, args: () => readonly string[]): number {
  const times: number[] = [];
  for (let i = 1; i <= RUNS; i += 1) {
    const ms = timeProcess(args());
    times.push(ms);
    console.log(`  ${label.padEnd(34)} run ${i}/${RUNS}: ${(ms / 1000).toFixed(2)} s`);
  }
  const m = median(times);
  console.log(`  ${label.padEnd(34)} median ${(m / 1000).toFixed(2)} s\n`);
  return m;
}

const outdir = mkdtempSync(join(tmpdir(), 'synth-bench-'));
try {
  console.log(`Synthesis benchmark: ${RUNS} fresh node processes per measurement\n`);
  const bare = measure('node start (floor)', () => ['-e', '']);
  const rootImport = measure('import @cdktf/provider-aws (root)', () => [
    '-e',
    "require('@cdktf/provider-aws')",
  ]);
  const synth = measure('synth all stacks (npm run synth)', () => [
    '--import',
    'tsx',
    'infra/main.ts',
    '--outdir',
    join(outdir, String(Date.now())),
  ]);

  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  console.log('Results (median):');
  console.log(`  node start                      ${s(bare)}`);
  console.log(`  root import of provider-aws     ${s(rootImport)}`);
  console.log(`  full synthesis, all stacks      ${s(synth)}`);
  console.log(`  synthesis / root import         ${(synth / rootImport).toFixed(2)}x`);
  console.log(`  synthesis / node start          ${(synth / bare).toFixed(1)}x`);
  console.log(
    `  target ≤ ${s(TARGET_MS)}: ${synth <= TARGET_MS ? 'met' : 'MISSED'} (${((synth / TARGET_MS) * 100).toFixed(0)}% of budget)`,
  );
  if (synth > TARGET_MS) process.exitCode = 1;
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
