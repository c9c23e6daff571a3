import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { constants } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { bundle } from '../scripts/build.js';
import { deletePrefix, hasRedisServerBinary, PrivateRedis } from '../test/helpers/redis-server.js';
import { runAccuracy } from '../test/rate-limit/accuracy-run.js';
import { cpuPlan, onCores } from './support/cpus.js';
import { formatSpread, median, percentile, spread } from './support/stats.js';

/**
 * What the rate limiter costs on the ECS path, against the same route with it off: both apps run
 * in one server process (bench/rate-limit-servers.ts), loaded over loopback from this one so the
 * load generator takes none of their CPU, counting in a loopback Redis. With two cores and
 * taskset, the server process has one core and this process and redis-server the other.
 * - added latency, p50 and p99: sequential keep-alive requests timed with hrtime, limiter on and
 *   off interleaved in blocks so drift hits both alike. Between the blocks the server process
 *   times sequential bare round trips (EVALSHA of `return 1`, on a client with the limiter's
 *   options). Target: added p99 ≤ EVALSHA p99 + 0.3 ms, in the median of BENCH_REPS repetitions
 *   (each one's figures are printed too). Also the time spent inside the guard itself, and the
 *   server's CPU per request of each mode, which swings far less than wall time on a shared box.
 *   BENCH_FLOOR=1 adds a third mode, a floor guard (one bare EVALSHA inside a request of the same
 *   app, constant headers): what any limiter that asks Redis adds as a request sees it. Back-to-back
 *   EVALSHA keeps both cores awake, so it is faster at p99 than one round trip in a request is.
 * - throughput ratio: autocannon, 10 connections, alternating rounds. Target ≥ 0.80. With it, the
 *   CPU per request of the server process and of redis-server, which a busy machine does not skew.
 * - accuracy: 4 processes × 500 simultaneous requests on one key, limit 100 → admitted / limit.
 *   Target exactly 1.00.
 * The quota is set far above the load so every request is counted in Redis and none is refused.
 * BENCH_CPU_PROF=<dir> writes a CPU profile of the server process there (BENCH_TRACE_GC=1 prints its collections); BENCH_SKIP=latency,
 * throughput,accuracy leaves parts out; BENCH_REPS, BENCH_PROBES, BENCH_ROUNDS, BENCH_SECONDS.
 */

const plan = cpuPlan();
// This process makes the load: it goes with redis-server, off the server's core.
if (plan.load !== undefined) spawnSync('taskset', ['-a', '-p', '-c', plan.load, String(process.pid)]);

// A private redis-server when the binary is there, so other work on the shared Redis does not
// land in these figures; REDIS_URL, when set, wins.
const privateRedis =
  process.env.REDIS_URL === undefined && hasRedisServerBinary()
    ? await PrivateRedis.start(plan.load === undefined ? {} : { cores: plan.load })
    : undefined;
const REDIS_URL = process.env.REDIS_URL ?? privateRedis?.url ?? 'redis://127.0.0.1:6379';
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const REPS = Number(process.env.BENCH_REPS ?? 5);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 5_000);
const PROBES = Number(process.env.BENCH_PROBES ?? 2_000);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
/** Also probe a floor guard: one bare EVALSHA on the limiter's client and constant headers. */
const FLOOR = process.env.BENCH_FLOOR === '1';
const SKIP = new Set((process.env.BENCH_SKIP ?? '').split(',').filter(Boolean));
const PATH = '/leads/bench-1';
/** Target: the limiter adds at most one bare round trip plus this, at p99. */
const SLACK_MICROS = 300;

const here = dirname(fileURLToPath(import.meta.url));

interface Servers {
  readonly child: ChildProcess;
  readonly offPort: number;
  readonly onPort: number;
  readonly floorPort: number;
}

/**
 * Starts bench/rate-limit-servers.ts on the server's core, bundled the way the container's server
 * is (no TypeScript loader, whose heap would lengthen every collection), and waits for its ports.
 */
async function startServers(prefix: string): Promise<Servers> {
  const profile = process.env.BENCH_CPU_PROF;
  const bundled = join(here, '..', 'dist', 'bench', 'rate-limit-servers.mjs');
  await bundle({
    entry: 'bench/rate-limit-servers.ts',
    outfile: bundled,
    external: ['@aws-sdk/*', '@smithy/*'],
  });
  const [command, args] = onCores(plan.server, process.execPath, [
    ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profile}`, '--cpu-prof-interval=50'] : []),
    ...(process.env.BENCH_TRACE_GC === '1' ? ['--trace-gc'] : []),
    bundled,
  ]);
  const child = spawn(command, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, REDIS_URL, BENCH_PREFIX: prefix },
  });
  const ready = await reply<{ offPort: number; onPort: number; floorPort: number }>(child, 'ready');
  return { child, offPort: ready.offPort, onPort: ready.onPort, floorPort: ready.floorPort };
}

/** The next message of a type from the server process, optionally after asking for it. */
function reply<T>(
  child: ChildProcess,
  type: string,
  ask: false | Record<string, unknown> = false,
): Promise<T> {
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
    if (ask) child.send({ type, ...ask });
  });
}

async function serverCpuMicros(servers: Servers): Promise<number> {
  const { usage } = await reply<{ usage: NodeJS.CpuUsage }>(servers.child, 'cpu', {});
  return usage.user + usage.system;
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One request on a kept-alive socket; resolves with its status and µs taken. */
function timedGet(port: number): Promise<{ status: number; micros: number; atMs: number }> {
  const atMs = performance.timeOrigin + performance.now();
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: PATH, agent }, (res) => {
      res.resume();
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          micros: Number(process.hrtime.bigint() - started) / 1e3,
          atMs,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

const ms = (us: number) => (us / 1000).toFixed(3);

interface Repetition {
  readonly off: { p50: number; p99: number };
  readonly on: { p50: number; p99: number };
  readonly added: { p50: number; p99: number };
  readonly evalsha: { p50: number; p99: number };
  readonly guard: { p50: number; p99: number };
  readonly floor?: { p50: number; p99: number };
  /** Server CPU µs per request the limiter adds (median block), and the floor guard adds. */
  readonly cpuAdded: number;
  readonly floorCpuAdded?: number;
}

function quantiles(values: number[]): { p50: number; p99: number } {
  values.sort((a, b) => a - b);
  return { p50: percentile(values, 50), p99: percentile(values, 99) };
}

/** One repetition: PROBES requests per mode and as many bare round trips, interleaved in blocks. */
async function probeOnce(servers: Servers, rep: number): Promise<Repetition> {
  const { offPort, onPort } = servers;
  await reply(servers.child, 'guard-start', {});
  const off: number[] = [];
  const on: number[] = [];
  /** When each probe began and how long it took (epoch ms), to match with the server's GC pauses. */
  const spans = { off: [] as [number, number][], on: [] as [number, number][] };
  const evalsha: number[] = [];
  const floor: number[] = [];
  /** Server CPU µs per request, one figure per block. */
  const cpu = { off: [] as number[], on: [] as number[], floor: [] as number[] };
  // Small blocks: load from anything else on the machine falls on all three alike. The order of
  // the two modes alternates, so neither always follows the bare round trips.
  const block = 20;
  for (let done = 0; done < PROBES; done += block) {
    const modes: [number, number[], number[]][] = [
      [offPort, off, cpu.off],
      [onPort, on, cpu.on],
      ...(FLOOR ? [[servers.floorPort, floor, cpu.floor] as [number, number[], number[]]] : []),
    ];
    for (const [port, into, cpuInto] of done % (2 * block) === 0 ? modes : [...modes].reverse()) {
      const cpuBefore = await serverCpuMicros(servers);
      for (let i = 0; i < block; i += 1) {
        const { status, micros, atMs } = await timedGet(port);
        if (status !== 200) throw new Error(`probe got ${status}`);
        into.push(micros);
        if (into === off) spans.off.push([atMs, micros / 1000]);
        if (into === on) spans.on.push([atMs, micros / 1000]);
      }
      // The IPC ask costs every mode alike; it cancels out of the differences.
      cpuInto.push(((await serverCpuMicros(servers)) - cpuBefore) / block);
    }
    const bare = await reply<{ micros: number[] }>(servers.child, 'evalsha', { count: block });
    evalsha.push(...bare.micros);
    if ((done + block) % 1_000 === 0)
      console.log(`  latency repetition ${rep}/${REPS}: ${done + block}/${PROBES} requests per mode`);
  }
  const { micros: guardMicros, gcPauses } = await reply<{
    micros: number[];
    gcPauses: { atMs: number; ms: number; kind?: number }[];
  }>(servers.child, 'guard-report', {});
  reportGcHits(spans, gcPauses);
  const o = quantiles(off);
  const n = quantiles(on);
  const result: Repetition = {
    off: o,
    on: n,
    added: { p50: n.p50 - o.p50, p99: n.p99 - o.p99 },
    evalsha: quantiles(evalsha),
    guard: quantiles(guardMicros),
    ...(FLOOR ? { floor: quantiles(floor) } : {}),
    cpuAdded: median(cpu.on) - median(cpu.off),
    ...(FLOOR ? { floorCpuAdded: median(cpu.floor) - median(cpu.off) } : {}),
  };
  const pass = result.added.p99 <= result.evalsha.p99 + SLACK_MICROS;
  console.log(
    `  repetition ${rep}: p50/p99 ms: off ${ms(o.p50)}/${ms(o.p99)}, on ${ms(n.p50)}/${ms(n.p99)}, added ${ms(result.added.p50)}/${ms(result.added.p99)}, bare EVALSHA ${ms(result.evalsha.p50)}/${ms(result.evalsha.p99)}, inside guard ${ms(result.guard.p50)}/${ms(result.guard.p99)}${result.floor ? `, floor guard added ${ms(result.floor.p50 - o.p50)}/${ms(result.floor.p99 - o.p99)}` : ''}; server CPU added ${result.cpuAdded.toFixed(1)} µs/request${result.floorCpuAdded === undefined ? '' : ` (floor ${result.floorCpuAdded.toFixed(1)})`} → ${pass ? 'PASS' : 'MISS'}`,
  );
  return result;
}

/**
 * Which probes a server GC pause fell on, and the p99 of the others: tells a tail the limiter's
 * round trip makes from one that collections make (the limiter allocates, so it meets more).
 */
function reportGcHits(
  spans: { off: [number, number][]; on: [number, number][] },
  pauses: readonly { atMs: number; ms: number; kind?: number }[],
): void {
  const kinds = new Map<string, number>();
  for (const p of pauses) {
    const kind =
      p.kind === constants.NODE_PERFORMANCE_GC_MINOR
        ? 'minor'
        : p.kind === constants.NODE_PERFORMANCE_GC_MAJOR
          ? 'major'
          : p.kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL
            ? 'incremental'
            : 'other';
    kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  }
  const hit = ([at, took]: [number, number]) => pauses.some((p) => p.atMs < at + took && p.atMs + p.ms > at);
  const p99 = (values: number[]) => quantiles(values.map((ms) => ms * 1000)).p99;
  const clean = (mode: [number, number][]) => mode.filter((span) => !hit(span)).map(([, took]) => took);
  const pauseMs = pauses.map((p) => p.ms).sort((a, b) => a - b);
  console.log(
    `    GC in the server during the probe: ${pauses.length} pauses (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')}; median ${(pauseMs[Math.floor(pauseMs.length / 2)] ?? 0).toFixed(2)} ms, longest ${(pauseMs.at(-1) ?? 0).toFixed(2)} ms); probes a pause fell on: off ${spans.off.filter(hit).length}/${spans.off.length}, on ${spans.on.filter(hit).length}/${spans.on.length}; p99 of the others: off ${ms(p99(clean(spans.off)))}, on ${ms(p99(clean(spans.on)))} → added ${ms(p99(clean(spans.on)) - p99(clean(spans.off)))} ms`,
  );
}

async function probeLatency(servers: Servers): Promise<void> {
  const reps: Repetition[] = [];
  for (let rep = 1; rep <= REPS; rep += 1) reps.push(await probeOnce(servers, rep));
  const line = (label: string, pick: (r: Repetition) => number) =>
    console.log(`  ${label.padEnd(22)} ${formatSpread(spread(reps.map((r) => pick(r) / 1000)))} ms`);
  console.log(`Latency over ${REPS} repetitions × ${PROBES} probes per mode (median, IQR, range):`);
  line('limiter off p50', (r) => r.off.p50);
  line('limiter off p99', (r) => r.off.p99);
  line('limiter on p50', (r) => r.on.p50);
  line('limiter on p99', (r) => r.on.p99);
  line('added p50', (r) => r.added.p50);
  line('added p99', (r) => r.added.p99);
  line('bare EVALSHA p50', (r) => r.evalsha.p50);
  line('bare EVALSHA p99', (r) => r.evalsha.p99);
  line('inside guard p50', (r) => r.guard.p50);
  line('inside guard p99', (r) => r.guard.p99);
  if (FLOOR) {
    line('floor guard added p50', (r) => (r.floor?.p50 ?? Number.NaN) - r.off.p50);
    line('floor guard added p99', (r) => (r.floor?.p99 ?? Number.NaN) - r.off.p99);
  }
  const cpuLine = (label: string, pick: (r: Repetition) => number) =>
    console.log(`  ${label.padEnd(22)} ${formatSpread(spread(reps.map(pick)), 1)} µs`);
  cpuLine('server CPU added/req', (r) => r.cpuAdded);
  if (FLOOR) cpuLine('floor CPU added/req', (r) => r.floorCpuAdded ?? Number.NaN);
  line('added − EVALSHA p99', (r) => r.added.p99 - r.evalsha.p99);
  const added = median(reps.map((r) => r.added.p99));
  const bare = median(reps.map((r) => r.evalsha.p99));
  const passing = reps.filter((r) => r.added.p99 <= r.evalsha.p99 + SLACK_MICROS).length;
  console.log(
    `Added p99 ${ms(added)} ms vs bare EVALSHA p99 ${ms(bare)} ms + 0.3 ms = ${ms(bare + SLACK_MICROS)} ms (target added p99 ≤ EVALSHA p99 + 0.3 ms) ${added <= bare + SLACK_MICROS ? 'PASS' : 'MISS'}; ${passing}/${REPS} repetitions pass`,
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
  const loadedAdded = { p50: [] as number[], p99: [] as number[] };
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
    loadedAdded.p50.push(limited.p50 - plain.p50);
    loadedAdded.p99.push(limited.p99 - plain.p99);
    console.log(
      `  round ${round}/${ROUNDS}: limiter on ${limited.rps.toFixed(0)} req/s (p50 ${limited.p50} ms, p99 ${limited.p99} ms), off ${plain.rps.toFixed(0)} req/s (p50 ${plain.p50} ms, p99 ${plain.p99} ms)`,
    );
  }
  // Each round pairs the two modes a few seconds apart; the median of those ratios resists drift.
  const ratio = median(on.map((rps, i) => rps / (off[i] as number)));
  console.log(
    `Throughput: ${median(on).toFixed(0)} vs ${median(off).toFixed(0)} req/s → ratio ${ratio.toFixed(3)} (target ≥ 0.80) ${ratio >= 0.8 ? 'PASS' : 'MISS'}`,
  );
  console.log(
    `Latency added under load (${CONNECTIONS} connections, autocannon): p50 ${formatSpread(spread(loadedAdded.p50), 2)} ms, p99 ${formatSpread(spread(loadedAdded.p99), 2)} ms`,
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
    `rate-limit bench: GET ${PATH}, Redis ${REDIS_URL}, ${REPS} × ${PROBES} probes per mode, ${ROUNDS} × ${SECONDS} s load rounds; ${plan.describe}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  // Until V8 has optimised every path a probe takes (the limiter's code, the Redis client's parser),
  // a repetition measures the compiler at work: 500 requests left the first repetitions' tails
  // several times longer than the later ones'.
  const warm = [servers.offPort, servers.onPort, ...(FLOOR ? [servers.floorPort] : [])];
  for (let i = 1; i <= WARMUP; i += 1) {
    for (const port of warm) await timedGet(port);
    if (i % 1_000 === 0) console.log(`  warm-up: ${i}/${WARMUP} requests per mode`);
  }
  await reply(servers.child, 'evalsha', { count: WARMUP });
  if (!SKIP.has('latency')) await probeLatency(servers);
  if (!SKIP.has('throughput')) await throughput(servers, admin);
  if (!SKIP.has('accuracy')) await accuracy(prefix);
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
