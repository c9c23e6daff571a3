import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type FaultRow, type FaultScenario, type RuntimeName, runScenario } from './faults/harness.js';

/**
 * The fault matrix: every scenario in bench/faults/scenarios/ (one file each, exporting
 * `scenario`; add a file to add a row), on both runtimes with Redis-backed stores. For each: the
 * requests answered 2xx / 4xx / 503 / other 5xx / no answer, the slowest answer, the time from the
 * end of the fault to the first 2xx, and the scenario's own figures. The slowest answer is also
 * given as a ratio to the no-fault baseline of the same runtime, measured in this run.
 * Targets: 0 other 5xx, 0 unanswered, slowest ≤ 1.5 s apart from handler work.
 * `FAULT_SCENARIOS=frozen,killed` runs only the scenarios whose file name contains one of these
 * (and the baseline); `FAULT_DEBUG=1` lists each row's slowest requests on stderr.
 */

const here = dirname(fileURLToPath(import.meta.url));
const dir = join(here, 'faults', 'scenarios');
const only = (process.env.FAULT_SCENARIOS ?? '').split(',').filter(Boolean);
const files = readdirSync(dir)
  .filter((name) => name.endsWith('.ts'))
  .filter((name) => only.length === 0 || name.startsWith('0-') || only.some((word) => name.includes(word)))
  .sort();
const scenarios: FaultScenario[] = [];
for (const file of files) {
  const module = (await import(pathToFileURL(join(dir, file)).href)) as { scenario: FaultScenario };
  scenarios.push(module.scenario);
}
const runtimes: RuntimeName[] = ['ecs', 'lambda'];

const rows: FaultRow[] = [];
let step = 0;
for (const scenario of scenarios) {
  for (const runtime of runtimes) {
    step += 1;
    console.log(
      `[${step}/${scenarios.length * runtimes.length}] ${scenario.name} on ${runtime}: ${scenario.description}`,
    );
    rows.push(await runScenario(scenario, runtime));
  }
}

const baseline = new Map(rows.filter((r) => r.scenario === 'no fault').map((r) => [r.runtime, r.slowestMs]));
const header = [
  'scenario',
  'runtime',
  '2xx',
  '4xx',
  '503',
  'other 5xx',
  'no answer',
  'slowest',
  '× baseline',
  'recovered in',
  'other',
];
const table = rows.map((row) => {
  const base = baseline.get(row.runtime);
  return [
    row.scenario,
    row.runtime,
    String(row.counts.ok2xx),
    String(row.counts.client4xx),
    String(row.counts.unavailable503),
    String(row.counts.other5xx),
    String(row.counts.failed),
    `${row.slowestMs} ms`,
    base ? `${(row.slowestMs / base).toFixed(1)}×` : '',
    row.recoverMs === undefined ? '' : `${row.recoverMs} ms`,
    Object.entries(row.extra ?? {})
      .map(([key, value]) => `${key}=${value}`)
      .join(' '),
  ];
});
const widths = header.map((title, i) =>
  Math.max(title.length, ...table.map((cells) => (cells[i] ?? '').length)),
);
const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
console.log(`\n${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const cells of table) console.log(line(cells));

const bad = rows.filter((row) => row.counts.other5xx > 0 || row.counts.failed > 0 || row.slowestMs > 1_500);
console.log(
  bad.length === 0
    ? '\nTargets met: no other 5xx, every request answered, slowest ≤ 1.5 s.'
    : `\nTargets missed in: ${bad.map((row) => `${row.scenario} (${row.runtime})`).join(', ')}`,
);
