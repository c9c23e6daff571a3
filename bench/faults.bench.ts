import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type FaultRow, type FaultScenario, renderMatrix } from './faults/support/matrix.js';

/**
 * The fault matrix: each file in bench/faults/ is one scenario (a fault done to a running server
 * and what its clients and jobs saw), run one after the other. `FAULTS=slow,sigkill npm run
 * bench -- faults` runs the scenarios whose name contains one of the words. Each scenario
 * measures its own baseline in the same run and prints its ratio to it.
 */
const here = join(dirname(fileURLToPath(import.meta.url)), 'faults');
const wanted = (process.env.FAULTS ?? '').split(',').filter(Boolean);
const files = readdirSync(here)
  .filter((name) => name.endsWith('.ts'))
  .sort();

const scenarios: FaultScenario[] = [];
for (const file of files) {
  const module = (await import(pathToFileURL(join(here, file)).href)) as { scenario?: FaultScenario };
  if (!module.scenario) continue;
  if (wanted.length === 0 || wanted.some((w) => module.scenario?.name.includes(w)))
    scenarios.push(module.scenario);
}

const rows: FaultRow[] = [];
for (const [index, scenario] of scenarios.entries()) {
  console.log(`\n--- [${index + 1}/${scenarios.length}] ${scenario.name}: ${scenario.description}`);
  const started = Date.now();
  const produced = await scenario.run();
  rows.push(...produced);
  console.log(renderMatrix(produced));
  console.log(`--- ${scenario.name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

console.log('\nFault matrix\n');
console.log(renderMatrix(rows));
for (const row of rows.filter((r) => r.note)) console.log(`- ${row.scenario} (${row.runtime}): ${row.note}`);
// Targets: no other 5xx, nothing lost, stranded or run twice.
const missed = rows.filter(
  (r) => r.answered['other 5xx'] > 0 || (r.jobs && r.jobs.lost + r.jobs.stranded + r.jobs.runTwice > 0),
);
if (missed.length > 0) {
  console.log(`\nTargets missed by: ${missed.map((r) => `${r.scenario} (${r.runtime})`).join(', ')}`);
  process.exitCode = 1;
}
