import { readdirSync, readFileSync } from 'node:fs';

/**
 * A running simulation task, found by the `JOB_ID` in its environment: one process group (the
 * runner starts each task as a group leader), named by its leader's pid. Processes the program
 * starts (tsx's esbuild service, on a cold transform cache) inherit `JOB_ID` and belong to the
 * same task, so they are not counted as another one.
 */
export interface SimulationProcess {
  readonly pid: number;
  readonly jobId: string;
}

/** The simulation tasks of the given jobs that are alive now, from /proc (Linux). */
export function simulationProcesses(jobIds: ReadonlySet<string>): SimulationProcess[] {
  const groups = new Map<number, string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environ: string;
    let stat: string[];
    try {
      environ = readFileSync(`/proc/${entry}/environ`, 'latin1');
      // pid (comm) state ppid pgrp …; comm may hold spaces, so it is replaced first.
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1')
        .replace(/\(.*\)/, 'x')
        .split(' ');
    } catch {
      continue;
    }
    // A zombie is dead already; it only waits for its parent to read its exit status.
    if (stat[2] === 'Z') continue;
    const jobId = /(?:^|\0)JOB_ID=([^\0]+)/.exec(environ)?.[1];
    if (jobId && jobIds.has(jobId)) groups.set(Number(stat[4]), jobId);
  }
  return [...groups].map(([pid, jobId]) => ({ pid, jobId }));
}

/**
 * Watches the simulation tasks of some jobs until stopped: the most of one job alive at once
 * ("run twice" shows as 2) and every task each job had.
 */
export class SimulationWatch {
  private readonly jobIds = new Set<string>();
  private readonly mostAtOnce = new Map<string, number>();
  private readonly pids = new Map<string, Set<number>>();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 50) {
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  watch(jobId: string): void {
    this.jobIds.add(jobId);
  }

  sample(): SimulationProcess[] {
    const alive = simulationProcesses(this.jobIds);
    const perJob = new Map<string, number>();
    for (const { pid, jobId } of alive) {
      perJob.set(jobId, (perJob.get(jobId) ?? 0) + 1);
      const seen = this.pids.get(jobId) ?? new Set<number>();
      seen.add(pid);
      this.pids.set(jobId, seen);
    }
    for (const [jobId, count] of perJob) {
      this.mostAtOnce.set(jobId, Math.max(count, this.mostAtOnce.get(jobId) ?? 0));
    }
    return alive;
  }

  /** Jobs that ever had two processes alive at once. */
  ranTwiceAtOnce(): string[] {
    return [...this.mostAtOnce].filter(([, most]) => most > 1).map(([jobId]) => jobId);
  }

  processesOf(jobId: string): number {
    return this.pids.get(jobId)?.size ?? 0;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
