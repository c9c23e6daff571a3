import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface AccuracyResult {
  readonly admitted: number;
  readonly refused: number;
  readonly failed: number;
  readonly elapsedMs: number;
  /** The longest any process waited for all its decisions. */
  readonly slowestMs: number;
}

const worker = join(dirname(fileURLToPath(import.meta.url)), 'accuracy-worker.ts');

/**
 * Starts `processes` node processes, each with its own Redis connection and guard, waits until all
 * are connected, then lets them send `requestsEach` concurrent requests on one key at once.
 */
export async function runAccuracy(options: {
  redisUrl: string;
  prefix: string;
  processes: number;
  requestsEach: number;
  limit: number;
}): Promise<AccuracyResult> {
  const children = Array.from({ length: options.processes }, () =>
    spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        worker,
        options.redisUrl,
        options.prefix,
        String(options.requestsEach),
        String(options.limit),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    ),
  );
  const lines = children.map((child) => {
    let buffered = '';
    const seen: string[] = [];
    const waiters: ((line: string) => void)[] = [];
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      let nl = buffered.indexOf('\n');
      while (nl !== -1) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const waiter = waiters.shift();
        if (waiter) waiter(line);
        else seen.push(line);
        nl = buffered.indexOf('\n');
      }
    });
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code) => reject(new Error(`accuracy worker exited with ${code}`))),
    );
    return (): Promise<string> => {
      const next = seen.shift();
      if (next !== undefined) return Promise.resolve(next);
      return Promise.race([new Promise<string>((resolve) => waiters.push(resolve)), exited]);
    };
  });

  try {
    const ready = await Promise.all(lines.map((next) => next()));
    if (ready.some((line) => line !== 'ready')) throw new Error(`workers not ready: ${ready.join(', ')}`);
    const started = performance.now();
    for (const child of children) child.stdin.write('go\n');
    const results = (await Promise.all(lines.map((next) => next()))).map(
      (line) => JSON.parse(line) as { admitted: number; refused: number; failed: number; slowestMs: number },
    );
    const elapsedMs = performance.now() - started;
    const sum = (field: 'admitted' | 'refused' | 'failed') =>
      results.reduce((total, r) => total + r[field], 0);
    const slowestMs = Math.max(...results.map((r) => r.slowestMs));
    return {
      admitted: sum('admitted'),
      refused: sum('refused'),
      failed: sum('failed'),
      elapsedMs,
      slowestMs,
    };
  } finally {
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}
