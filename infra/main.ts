import { relative } from 'node:path';
import { formatSummary, synthesize } from './app.js';
import { readSynthInputs } from './synth-inputs.js';

/**
 * `npm run synth` (and `cdktf synth`, via cdktf.json): one stack per environment under
 * `cdktf.out/stacks/<stack>/cdk.tf.json`. `--outdir <dir>` writes elsewhere (the benchmark does).
 */
function main(argv: readonly string[]): void {
  const flag = argv.indexOf('--outdir');
  const outdir = flag >= 0 ? argv[flag + 1] : 'cdktf.out';
  if (!outdir) throw new Error('--outdir needs a directory');
  const started = performance.now();
  const summaries = synthesize({ outdir, inputs: readSynthInputs() });
  const shown = summaries.map((s) => ({ ...s, file: relative(process.cwd(), s.file) }));
  process.stdout.write(
    `${formatSummary(shown)}\nin ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
  );
}

try {
  main(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`synth failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
