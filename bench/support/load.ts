import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CpuPlan, onCores } from './cpus.js';
import type { LoadOptions, LoadResult } from './load-generator.js';

const here = dirname(fileURLToPath(import.meta.url));

/** Output of a child process, or its failure with what it printed. */
function finished(child: ChildProcess, what: string): Promise<string> {
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${what} exited with ${code}: ${err}${out}`)),
    );
  });
}

/** Runs autocannon in its own process on the load cores; every answer must be 2xx. */
export async function generateLoad(plan: CpuPlan, options: LoadOptions): Promise<LoadResult> {
  const [command, args] = onCores(plan.load, process.execPath, [
    '--import',
    'tsx',
    join(here, 'load-generator.ts'),
    JSON.stringify(options),
  ]);
  const out = await finished(spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] }), 'load generator');
  const result = JSON.parse(out.trim().split('\n').at(-1) ?? '{}') as LoadResult;
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${options.url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result;
}

/** What a bench server reports about itself (see bench/support/serve.ts). */
export interface ServerUsage {
  /** CPU µs (user + system) since the process started. */
  readonly cpuMicros: number;
  readonly rssBytes: number;
  /** The most RSS the process has held so far (its high-water mark). */
  readonly maxRssBytes: number;
  readonly heapUsedBytes: number;
  /** V8's young generation as committed now (it grows in steps, see adapter-memory.bench.ts). */
  readonly newSpaceBytes: number;
  /** V8's old generation as committed now. */
  readonly oldSpaceBytes: number;
}

/** A server under test in its own process, on the server cores, talking over IPC. */
export interface BenchServer {
  readonly url: string;
  /** With `gc`, after a full collection (the server must have been started with `exposeGc`). */
  usage(options?: { gc?: boolean }): Promise<ServerUsage>;
  stop(): Promise<void>;
}

/**
 * Starts `module` (which calls `serveForBench`) pinned to the server cores, and waits for its URL.
 * `args` reach the module as process.argv.slice(2). With BENCH_PROFILE_DIR set, the server writes
 * a V8 CPU profile there when it stops (open it in Chrome DevTools or speedscope).
 */
export async function startBenchServer(
  plan: CpuPlan,
  module: string,
  args: readonly string[] = [],
  env: Readonly<Record<string, string>> = {},
  /**
   * `exposeGc` for usage({ gc }); `bundled` when `module` is plain JavaScript (no TypeScript
   * loader); `nodeFlags` go to node before the module.
   */
  options: { exposeGc?: boolean; bundled?: boolean; nodeFlags?: readonly string[] } = {},
): Promise<BenchServer> {
  const profile = process.env.BENCH_PROFILE_DIR;
  const nodeArgs = profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`] : [];
  if (options.exposeGc) nodeArgs.push('--expose-gc');
  nodeArgs.push(...(options.nodeFlags ?? []));
  const [command, argv] = onCores(plan.server, process.execPath, [
    ...nodeArgs,
    ...(options.bundled ? [] : ['--import', 'tsx']),
    module,
    ...args,
  ]);
  const child = spawn(command, argv, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, ...env },
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`bench server ${module} exited with ${code}`))),
  );
  exited.catch(() => {});
  const next = <T>(type: string): Promise<T> =>
    Promise.race([
      exited,
      new Promise<T>((resolve) => {
        const onMessage = (message: { type: string } & T) => {
          if (message.type !== type) return;
          child.off('message', onMessage);
          resolve(message);
        };
        child.on('message', onMessage);
      }),
    ]);
  const { url } = await next<{ url: string }>('ready');
  return {
    url,
    async usage(options) {
      const answer = next<ServerUsage>('usage');
      child.send({ type: 'usage', gc: options?.gc === true });
      return answer;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
