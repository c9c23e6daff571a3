import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freePort } from '../test/helpers/redis-server.js';
import { median } from './support/stats.js';

/**
 * The local stack (`npm run stack`), two figures:
 * - time from `npm run stack -- --env dev` (build, synth, start every process) to the first answered
 *   request through its ALB;
 * - requests/s of GET /healthz through the local ALB ÷ the same request straight to the ECS task it
 *   forwards to, same run, alternating paired rounds (and the same through the ALB to the Lambda
 *   `api` function, with `GET /healthz=lambda`). The ALB and each target run in their own processes;
 *   autocannon runs here.
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);

interface StackProcess {
  readonly child: ChildProcess;
  readonly alb: string;
  readonly ecs: string;
}

function startStackProcess(args: readonly string[]): { child: ChildProcess; urls: Promise<StackProcess> } {
  const child = spawn('npm', ['run', '--silent', 'stack', '--', '--quiet', ...args], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'inherit'],
    // Its own process group, so stopping it is what Ctrl-C in a terminal does: SIGINT to the group.
    detached: true,
  });
  const urls = new Promise<StackProcess>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const alb = /Local \w+ stack on (http:\/\/\S+)/.exec(out)?.[1];
      const ecs = /ECS task directly: (http:\/\/\S+)/.exec(out)?.[1];
      if (alb && ecs) resolve({ child, alb, ecs });
    });
    child.once('exit', (code) => reject(new Error(`npm run stack exited with ${code}:\n${out}`)));
  });
  return { child, urls };
}

async function stopStack(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid !== undefined) process.kill(-child.pid, 'SIGINT');
  await exited;
}

async function timeToFirstAnswer(): Promise<number> {
  const port = await freePort();
  const started = performance.now();
  const { child } = startStackProcess(['--env', 'dev', '--port', String(port)]);
  try {
    for (;;) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (response.status === 200) return performance.now() - started;
      } catch {
        // not listening yet
      }
      if (child.exitCode !== null) throw new Error('npm run stack exited before answering');
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  } finally {
    await stopStack(child);
  }
}

async function load(url: string, seconds: number): Promise<number> {
  const result = await autocannon({ url, connections: 32, pipelining: 1, duration: seconds });
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${url}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.average;
}

async function ratio(label: string, args: readonly string[]): Promise<number> {
  const { child, urls } = startStackProcess(['--no-build', '--port', '0', ...args]);
  try {
    const { alb, ecs } = await urls;
    await load(`${alb}/healthz`, 1);
    await load(`${ecs}/healthz`, 1);
    const ratios: number[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      // Alternate which goes first, so a drift in the machine's load favours neither.
      const viaAlbFirst = round % 2 === 1;
      const first = await load(viaAlbFirst ? `${alb}/healthz` : `${ecs}/healthz`, SECONDS);
      const second = await load(viaAlbFirst ? `${ecs}/healthz` : `${alb}/healthz`, SECONDS);
      const [through, direct] = viaAlbFirst ? [first, second] : [second, first];
      ratios.push(through / direct);
      console.log(
        `  ${label} round ${round}/${ROUNDS}: through the ALB ${through.toFixed(0)} req/s, ECS task directly ${direct.toFixed(0)} req/s, ratio ${(through / direct).toFixed(3)}`,
      );
    }
    return median(ratios);
  } finally {
    await stopStack(child);
  }
}

const firstAnswer = await timeToFirstAnswer();
console.log(
  `npm run stack -- --env dev → first answered request: ${(firstAnswer / 1000).toFixed(1)} s (build, synth, start)`,
);
const toEcs = await ratio('ALB→ECS', ['--env', 'dev']);
const toLambda = await ratio('ALB→Lambda', ['--env', 'dev', '--route-targets', 'GET /healthz=lambda']);
console.log(
  `\nGET /healthz, req/s through the local ALB ÷ straight to the ECS task (median of ${ROUNDS} paired rounds):`,
);
console.log(`  ALB → ECS target:    ${toEcs.toFixed(3)}`);
console.log(`  ALB → Lambda target: ${toLambda.toFixed(3)}`);
console.log(`  time to first answered request: ${(firstAnswer / 1000).toFixed(1)} s`);
