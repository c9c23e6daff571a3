import { type ChildProcess, fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { deletePrefix, hasRedisServerBinary, PrivateRedis } from '../test/helpers/redis-server.js';
import { runAccuracy } from '../test/rate-limit/accuracy-run.js';

/**
 * What the rate limiter costs on the ECS path, against the same route with it off: both apps run
 * in one server process (bench/rate-limit-servers.ts), loaded over loopback from this one so the
 * load generator takes none of their CPU, counting in a loopback Redis:
 * - added latency, p50 and p99: sequential keep-alive requests timed with hrtime, limiter on and
 *   off interleaved in blocks so drift hits both alike. Target: p99 added ≤ 1 ms.
 *   Also the time spent inside the guard itself, which is the limiter's own share of that.
 * - throughput ratio: autocannon, 10 connections, alternating rounds. Target ≥ 0.80. With it, the
 *   CPU per request of the server process and of redis-server, which a busy machine does not skew.
 * - accuracy: 4 processes × 500 simultaneous requests on one key, limit 100 → admitted / limit.
 *   Target exactly 1.00.
 * The quota is set far above the load so every request is counted in Redis and none is refused.
 */

// A private redis-server when the binary is there, so other work on the shared Redis does not
// land in these figures; REDIS_URL, when set, wins.
const privateRedis =
  process.env.REDIS_URL === undefined && hasRedisServerBinary() ? await PrivateRedis.start() : undefined;
const REDIS_URL = process.env.REDIS_URL ?? privateRedis?.url ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const PROBES = Number(process.env.BENCH_PROBES ?? 6_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const PATH = '/leads/bench-1';

const here = dirname(fileURLToPath(import.meta.url));

interface Servers {
  readonly child: ChildProcess;
  readonly offPort: number;
  readonly onPort: number;
}

/** Starts bench/rate-limit-servers.ts and waits for its ports. */
async function startServers(prefix: string): Promise<Servers> {
  const child = fork(join(here, 'rate-limit-servers.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, REDIS_URL, BENCH_PREFIX: prefix },
  });
  const ready = await reply<{ offPort: number; onPort: number }>(child, 'ready');
  return { child, offPort: ready.offPort, onPort: ready.onPort };
}

/** The next message of a type from the server process, optionally after asking for it. */
function reply<T>(child: ChildProcess, type: string, ask = false): Promise<T> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`bench servers exited with ${code}`));
    const onMessage = (message: { type: string } & T) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
    if (ask) child.send({ type });
  });
}

async function serverCpuMicros(servers: Servers): Promise<number> {
  const { usage } = await reply<{ usage: NodeJS.CpuUsage }>(servers.child, 'cpu', true);
  return usage.user + usage.system;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One request on a kept-alive socket; resolves with its status and µs taken. */
function timedGet(port: number): Promise<{ status: number; micros: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: PATH, agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, micros: Number(process.hrtime.bigint() - started) / 1e3 }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

async function probeLatency(servers: Servers): Promise<void> {
  const { offPort, onPort } = servers;
  await reply(servers.child, 'guard-start', true);
  const off: number[] = [];
  const on: number[] = [];
  // Small alternating blocks: load from anything else on the machine falls on both modes alike.
  const block = 20;
  for (let done = 0; done < PROBES; done += block) {
    for (const [port, into] of [
      [offPort, off],
      [onPort, on],
    ] as const) {
      for (let i = 0; i < block; i += 1) {
        const { status, micros } = await timedGet(port);
        if (status !== 200) throw new Error(`probe got ${status}`);
        into.push(micros);
      }
    }
    if ((done + block) % 1_000 === 0)
      console.log(`  latency probe: ${done + block}/${PROBES} requests per mode`);
  }
  const { micros: guardMicros } = await reply<{ micros: number[] }>(servers.child, 'guard-report', true);
  off.sort((a, b) => a - b);
  on.sort((a, b) => a - b);
  guardMicros.sort((a, b) => a - b);
  const ms = (us: number) => (us / 1000).toFixed(3);
  const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
  for (const p of [50, 99] as const) {
    const added = percentile(on, p) - percentile(off, p);
    const verdict = p === 99 ? ` (target ≤ 1 ms) ${added <= 1000 ? 'PASS' : 'MISS'}` : '';
    console.log(
      `Latency p${p}: limiter on ${ms(percentile(on, p))} ms, off ${ms(percentile(off, p))} ms → added ${ms(added)} ms, ratio ${(percentile(on, p) / percentile(off, p)).toFixed(2)}${verdict}`,
    );
  }
  console.log(
    `Latency mean: limiter on ${ms(mean(on))} ms, off ${ms(mean(off))} ms → added ${ms(mean(on) - mean(off))} ms`,
  );
  console.log(
    `Inside the guard (Redis round trip included): p50 ${ms(percentile(guardMicros, 50))} ms, p99 ${ms(percentile(guardMicros, 99))} ms, mean ${ms(mean(guardMicros))} ms`,
  );
}

/** CPU seconds redis-server has used so far (INFO cpu). */
async function redisCpuSeconds(admin: Redis): Promise<number> {
  const info = await admin.info('cpu');
  const field = (name: string) => Number(new RegExp(`${name}:([\\d.]+)`).exec(info)?.[1] ?? Number.NaN);
  return field('used_cpu_user') + field('used_cpu_sys');
}

interface LoadResult {
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU µs per request: the server process and redis-server. */
  readonly nodeMicros: number;
  readonly redisMicros: number;
}

async function load(servers: Servers, port: number, admin: Redis): Promise<LoadResult> {
  const cpuBefore = await serverCpuMicros(servers);
  const redisBefore = await redisCpuSeconds(admin);
  const result = await autocannon({
    url: `http://127.0.0.1:${port}${PATH}`,
    connections: CONNECTIONS,
    duration: SECONDS,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
  const cpuMicros = (await serverCpuMicros(servers)) - cpuBefore;
  const redisSeconds = (await redisCpuSeconds(admin)) - redisBefore;
  const requests = result.requests.total;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    nodeMicros: cpuMicros / requests,
    redisMicros: (redisSeconds * 1e6) / requests,
  };
}

async function throughput(servers: Servers, admin: Redis): Promise<void> {
  const { offPort, onPort } = servers;
  const off: number[] = [];
  const on: number[] = [];
  const cpu = { off: [] as number[], on: [] as number[], redis: [] as number[] };
  for (let round = 1; round <= ROUNDS; round += 1) {
    // Alternate which mode goes first, so a machine getting busier or quieter favours neither.
    const offFirst = round % 2 === 1;
    const early = offFirst ? await load(servers, offPort, admin) : undefined;
    const limited = await load(servers, onPort, admin);
    const plain = early ?? (await load(servers, offPort, admin));
    off.push(plain.rps);
    on.push(limited.rps);
    cpu.off.push(plain.nodeMicros);
    cpu.on.push(limited.nodeMicros);
    cpu.redis.push(limited.redisMicros - plain.redisMicros);
    console.log(
      `  round ${round}/${ROUNDS}: limiter on ${limited.rps.toFixed(0)} req/s (p50 ${limited.p50} ms, p99 ${limited.p99} ms), off ${plain.rps.toFixed(0)} req/s (p50 ${plain.p50} ms, p99 ${plain.p99} ms)`,
    );
  }
  // Each round pairs the two modes a few seconds apart; the median of those ratios resists drift.
  const ratio = median(on.map((rps, i) => rps / (off[i] as number)));
  console.log(
    `Throughput: ${median(on).toFixed(0)} vs ${median(off).toFixed(0)} req/s → ratio ${ratio.toFixed(3)} (target ≥ 0.80) ${ratio >= 0.8 ? 'PASS' : 'MISS'}`,
  );
  // CPU per request does not depend on what else the machine runs, unlike req/s on a shared box.
  const [offCpu, onCpu, redisCpu] = [median(cpu.off), median(cpu.on), median(cpu.redis)];
  console.log(
    `CPU per request: limiter on ${onCpu.toFixed(1)} µs + Redis ${redisCpu.toFixed(1)} µs, off ${offCpu.toFixed(1)} µs → capacity ratio ${(offCpu / (onCpu + redisCpu)).toFixed(3)} (node's share alone ${(offCpu / onCpu).toFixed(3)})`,
  );
}

async function accuracy(prefix: string): Promise<void> {
  console.log('  accuracy: 4 processes × 500 simultaneous requests, one key, limit 100');
  const result = await runAccuracy({
    redisUrl: REDIS_URL,
    prefix,
    processes: 4,
    requestsEach: 500,
    limit: 100,
  });
  const ratio = result.admitted / 100;
  console.log(
    `Accuracy: admitted ${result.admitted} / limit 100 = ${ratio.toFixed(2)} (target exactly 1.00) ${ratio === 1 ? 'PASS' : 'MISS'}; refused ${result.refused}, failed ${result.failed}, ${result.elapsedMs.toFixed(0)} ms for 2000 decisions`,
  );
}

const prefix = `bench-rl-${randomUUID()}:`;
const admin = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
let servers: Servers | undefined;
try {
  await admin.ping();
  servers = await startServers(prefix);
  console.log(
    `rate-limit bench: GET ${PATH}, Redis ${REDIS_URL}, ${PROBES} probes per mode, ${ROUNDS} × ${SECONDS} s load rounds; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  for (let i = 0; i < 500; i += 1) {
    await timedGet(servers.offPort);
    await timedGet(servers.onPort);
  }
  await probeLatency(servers);
  await throughput(servers, admin);
  await accuracy(prefix);
  console.log(
    `load average at the end: ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  agent.destroy();
} finally {
  servers?.child.disconnect();
  await deletePrefix(admin, prefix);
  admin.disconnect();
  await privateRedis?.stop();
}
