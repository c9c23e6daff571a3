import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { median } from './support/stats.js';

/**
 * What CORS costs on the ECS path: requests/s of GET /leads/:leadId from a browser origin
 * (`Origin: http://localhost:8417`, allowed, so every CORS header is written) against the same
 * app without CORS, alternating rounds in one run; and preflights/s against those GETs.
 */

const here = dirname(fileURLToPath(import.meta.url));
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ORIGIN = 'http://localhost:8417';

async function load(url: string, method: 'GET' | 'OPTIONS', seconds: number): Promise<number> {
  const headers: Record<string, string> = { origin: ORIGIN };
  if (method === 'OPTIONS') headers['access-control-request-method'] = 'POST';
  const result = await autocannon({
    url,
    method,
    headers,
    connections: 32,
    pipelining: 1,
    duration: seconds,
  });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${method} ${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

async function startServers(): Promise<{ child: ChildProcess; cors: string; plain: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(here, 'cors-servers.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString().trim()));
    child.once('exit', (code) => reject(new Error(`bench servers exited with ${code}`)));
  });
  return { child, ...(JSON.parse(line) as { cors: string; plain: string }) };
}

const servers = await startServers();
try {
  await load(servers.cors, 'GET', 1);
  await load(servers.plain, 'GET', 1);
  const getRatios: number[] = [];
  const preflightRatios: number[] = [];
  for (let round = 1; round <= ROUNDS; round += 1) {
    // Alternate which goes first, so a drift in the machine's load favours neither.
    const order = round % 2 === 1 ? (['plain', 'cors'] as const) : (['cors', 'plain'] as const);
    const rps: Record<string, number> = {};
    for (const which of order) rps[which] = await load(servers[which], 'GET', SECONDS);
    const preflights = await load(servers.cors, 'OPTIONS', SECONDS);
    getRatios.push((rps.cors as number) / (rps.plain as number));
    preflightRatios.push(preflights / (rps.cors as number));
    console.log(
      `round ${round}: GET with CORS ${rps.cors?.toFixed(0)} req/s, without ${rps.plain?.toFixed(0)} req/s, preflights ${preflights.toFixed(0)} req/s`,
    );
  }
  console.log(
    `GET from an allowed origin, CORS on ÷ off: median ${median(getRatios).toFixed(2)} (${ROUNDS} paired rounds)`,
  );
  console.log(`preflights/s ÷ GETs/s on the same app: median ${median(preflightRatios).toFixed(2)}`);
} finally {
  servers.child.kill();
}
