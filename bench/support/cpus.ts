import { spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';

/**
 * Where benchmark processes run. With two or more cores and `taskset`, the server under test gets
 * the last core to itself and everything that makes load (the load generator, redis-server) the
 * others, so the generator never steals the server's CPU. Without them, processes run unpinned
 * and the benchmark says so.
 */
export interface CpuPlan {
  readonly pinned: boolean;
  /** Core list for `taskset -c` (e.g. "1"), or undefined when unpinned. */
  readonly server: string | undefined;
  readonly load: string | undefined;
  readonly describe: string;
}

function hasTaskset(): boolean {
  return spawnSync('taskset', ['-c', '0', 'true']).status === 0;
}

export function cpuPlan(): CpuPlan {
  const cores = availableParallelism();
  if (process.env.BENCH_NO_PIN === '1' || cores < 2 || !hasTaskset()) {
    return {
      pinned: false,
      server: undefined,
      load: undefined,
      describe: `unpinned (${cores} core${cores === 1 ? '' : 's'}${cores >= 2 ? ', no taskset' : ''})`,
    };
  }
  const last = cores - 1;
  const others = last === 1 ? '0' : `0-${last - 1}`;
  return {
    pinned: true,
    server: String(last),
    load: others,
    describe: `server on CPU ${last}, load on CPU ${others}`,
  };
}

/** The command and arguments that run `command args…` on the given cores (as is when unpinned). */
export function onCores(
  cores: string | undefined,
  command: string,
  args: readonly string[],
): [string, string[]] {
  return cores === undefined ? [command, [...args]] : ['taskset', ['-c', cores, command, ...args]];
}
