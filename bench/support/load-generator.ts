import autocannon from 'autocannon';

/**
 * The load generator, run in its own process (pinned away from the server by bench/support/load.ts)
 * so it never takes the CPU of the server it measures. Reads its options as JSON from argv[2],
 * prints one JSON line with the result.
 */
export interface LoadOptions {
  readonly url: string;
  readonly connections: number;
  /** Seconds of load, or… */
  readonly seconds?: number;
  /** …a number of requests. */
  readonly amount?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface LoadResult {
  readonly requests: number;
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly non2xx: number;
  readonly errors: number;
}

if (process.argv[1]?.endsWith('load-generator.ts')) {
  const options = JSON.parse(process.argv[2] ?? '{}') as LoadOptions;
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    ...(options.amount === undefined ? { duration: options.seconds ?? 3 } : { amount: options.amount }),
    headers: { ...options.headers },
  });
  const answer: LoadResult = {
    requests: result.requests.total,
    rps: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    non2xx: result.non2xx,
    errors: result.errors,
  };
  process.stdout.write(`${JSON.stringify(answer)}\n`);
}
