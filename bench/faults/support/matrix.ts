/** One row of the fault matrix: what clients and jobs saw during one fault, on one runtime. */
export interface FaultRow {
  readonly scenario: string;
  readonly runtime: 'ecs' | 'lambda';
  readonly answered: Tally;
  /** The slowest answer any client got, in ms. */
  readonly slowestMs: number;
  /** From the end of the fault to the first request served normally again; null when it does not apply. */
  readonly recoverMs: number | null;
  /** From SIGTERM to the process exiting; null when there is no shutdown. */
  readonly shutdownMs: number | null;
  readonly jobs: JobTally | null;
  /** The baseline measured in the same run, and the ratio of this row to it. */
  readonly baseline?: { readonly label: string; readonly value: number; readonly ratio: number };
  readonly note?: string;
}

export interface Tally {
  '2xx': number;
  '4xx': number;
  '503': number;
  'other 5xx': number;
  /** No HTTP answer at all: reset, refused, timed out. */
  'no answer': number;
}

export interface JobTally {
  readonly submitted: number;
  readonly lost: number;
  readonly stranded: number;
  readonly runTwice: number;
}

/** A fault scenario: one file in bench/faults/ exporting `scenario`. */
export interface FaultScenario {
  readonly name: string;
  /** One line saying what is done and what is measured. */
  readonly description: string;
  run(): Promise<FaultRow[]>;
}

export function emptyTally(): Tally {
  return { '2xx': 0, '4xx': 0, '503': 0, 'other 5xx': 0, 'no answer': 0 };
}

export function count(tally: Tally, status: number | undefined): void {
  if (status === undefined) tally['no answer'] += 1;
  else if (status >= 200 && status < 300) tally['2xx'] += 1;
  else if (status >= 400 && status < 500) tally['4xx'] += 1;
  else if (status === 503) tally['503'] += 1;
  else if (status >= 500) tally['other 5xx'] += 1;
}

const ms = (value: number | null) => (value === null ? '–' : `${Math.round(value)} ms`);

/** The matrix as a Markdown table (pasted as is into notes and the README). */
export function renderMatrix(rows: readonly FaultRow[]): string {
  const header =
    '| scenario | runtime | 2xx | 4xx | 503 | other 5xx | no answer | slowest | recover | shutdown | jobs lost / stranded / run twice | vs baseline |';
  const rule = `|${header
    .split('|')
    .slice(1, -1)
    .map(() => '---')
    .join('|')}|`;
  const lines = rows.map((row) => {
    const a = row.answered;
    const jobs = row.jobs
      ? `${row.jobs.lost} / ${row.jobs.stranded} / ${row.jobs.runTwice} of ${row.jobs.submitted}`
      : '–';
    const baseline = row.baseline
      ? `${row.baseline.ratio.toFixed(2)}x ${row.baseline.label} (${Math.round(row.baseline.value)} ms)`
      : '–';
    return `| ${row.scenario} | ${row.runtime} | ${a['2xx']} | ${a['4xx']} | ${a['503']} | ${a['other 5xx']} | ${a['no answer']} | ${ms(row.slowestMs)} | ${ms(row.recoverMs)} | ${ms(row.shutdownMs)} | ${jobs} | ${baseline} |`;
  });
  return [header, rule, ...lines].join('\n');
}
