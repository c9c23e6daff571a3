import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { inFlightProbe } from './support.js';

export interface ExactnessResult {
  readonly admitted: number;
  readonly refused: number;
  /** Times the processes asked for slots: one per request when none waited or retried. */
  readonly tries: number;
  /** Answers that were neither 200 nor the documented 503. */
  readonly other: readonly number[];
  /** The most handlers ever running at once, counted inside them in Redis. */
  readonly maxInFlight: number;
  /** The slowest refusal inside the API: from the request reaching the server (ECS) or the invocation (Lambda) to its 503. */
  readonly slowestRefusalMs: number;
  /** The same as the sending client saw it, connection set-up and its own CPU included. */
  readonly slowestRefusalClientMs: number;
  /** The quickest admitted request inside the API: its hold plus everything else it waited for. */
  readonly fastestAdmittedMs: number;
  /** Every refusal's time inside the API, ascending. */
  readonly refusalMs: readonly number[];
  /** Refused because Redis did not answer within the command timeout (a starved machine). */
  readonly unanswered: number;
  /** Refusals without a documented code and `Retry-After: 1`. */
  readonly malformedRefusals: number;
}

/** The full bound, or Redis not answering in time: the two documented 503s. */
const REFUSAL_CODES = new Set(['concurrency_limited', 'store_unavailable']);

const worker = join(dirname(fileURLToPath(import.meta.url)), 'exactness-worker.ts');

/**
 * Starts one process per runtime listed (`ecs` or `lambda`), each with its own clients and gate on
 * one shared Redis, waits until all are connected, then lets each send `requestsEach` slow
 * requests at once to a group bounded at `limit`.
 */
export async function runExactness(options: {
  redisUrl: string;
  prefix: string;
  runtimes: readonly ('ecs' | 'lambda')[];
  requestsEach: number;
  limit: number;
  holdMs: number;
}): Promise<ExactnessResult> {
  const children = options.runtimes.map((runtime) =>
    spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        worker,
        runtime,
        options.redisUrl,
        options.prefix,
        String(options.requestsEach),
        String(options.limit),
        String(options.holdMs),
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    ),
  );
  const readers = children.map((child) => {
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    return async (): Promise<string> => {
      const next = await lines.next();
      if (next.done) throw new Error(`exactness worker ended early (exit ${child.exitCode})`);
      return next.value;
    };
  });
  const admin = new Redis(options.redisUrl, { maxRetriesPerRequest: 1 });
  try {
    const ready = await Promise.all(readers.map((next) => next()));
    if (ready.some((line) => line !== 'ready')) throw new Error(`workers not ready: ${ready.join(', ')}`);
    for (const child of children) child.stdin.write('go\n');
    const reports = (await Promise.all(readers.map((next) => next()))).map(
      (line) =>
        JSON.parse(line) as {
          answers: { status: number; ms: number; serverMs: number; code?: string; retryAfter?: string }[];
          tries: number;
        },
    );
    const answers = reports.flatMap((report) => report.answers);
    const refused = answers.filter((a) => a.status === 503);
    return {
      admitted: answers.filter((a) => a.status === 200).length,
      tries: reports.reduce((sum, report) => sum + report.tries, 0),
      refused: refused.length,
      other: answers.filter((a) => a.status !== 200 && a.status !== 503).map((a) => a.status),
      maxInFlight: Number(await admin.get(inFlightProbe(options.prefix).maxKey)),
      slowestRefusalMs: Math.max(0, ...refused.map((a) => a.serverMs)),
      slowestRefusalClientMs: Math.max(0, ...refused.map((a) => a.ms)),
      fastestAdmittedMs: Math.min(...answers.filter((a) => a.status === 200).map((a) => a.serverMs)),
      refusalMs: refused.map((a) => a.serverMs).sort((a, b) => a - b),
      malformedRefusals: refused.filter((a) => !REFUSAL_CODES.has(a.code ?? '') || a.retryAfter !== '1')
        .length,
      unanswered: refused.filter((a) => a.code === 'store_unavailable').length,
    };
  } finally {
    admin.disconnect();
    for (const child of children) if (child.exitCode === null) child.kill();
  }
}
