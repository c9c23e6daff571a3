import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EcsProgress, EcsSnapshot } from '../../test/servers/ecs-server-process.js';

/** The processes of the jobs benchmark: draining workers and the local ECS server. */

const here = dirname(fileURLToPath(import.meta.url));
const WORKER = join(here, 'worker.ts');
const ECS_SERVER = join(here, '..', '..', 'test', 'servers', 'ecs-server-process.ts');

export function spawnWorker(mode: string, env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, NODE_NO_WARNINGS: '1', BENCH_MODE: mode, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`${mode} worker exited early (${code})`)));
  });
}

/** The local ECS server in its own process (its clock must not share the benchmark's event loop). */
export class EcsProcess {
  private nextId = 0;
  private readonly pending = new Map<number, (answer: never) => void>();

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on('message', (message: { id?: number; snapshot?: EcsSnapshot; progress?: EcsProgress }) => {
      const answer = message.snapshot ?? message.progress;
      if (message.id === undefined || !answer) return;
      this.pending.get(message.id)?.(answer as never);
      this.pending.delete(message.id);
    });
  }

  static start(): Promise<EcsProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', ECS_SERVER], {
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new Promise((resolve, reject) => {
      child.once('message', (message: { url?: string }) => {
        if (message.url) resolve(new EcsProcess(child, message.url));
      });
      child.once('exit', (code) => reject(new Error(`ECS server exited (${code})`)));
    });
  }

  /** Everything recorded; large, so asked for once the run is over. */
  snapshot(): Promise<EcsSnapshot> {
    return this.ask<EcsSnapshot>('snapshot');
  }

  progress(): Promise<EcsProgress> {
    return this.ask<EcsProgress>('progress');
  }

  private ask<T>(type: string): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve) => {
      this.pending.set(id, resolve as (answer: never) => void);
      this.child.send({ id, type });
    });
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.disconnect();
    await exited;
  }
}

export async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
