import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const PARENT_WATCH = pathToFileURL(join(dirname(fileURLToPath(import.meta.url)), 'parent-watch.mjs')).href;

export interface EcsTaskOptions {
  /** The built server (dist/server/server.mjs), what the image's CMD runs. */
  readonly serverFile: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly logFd: number | 'ignore' | 'inherit';
  readonly cwd: string;
}

/**
 * The ECS service's task: the built server in its own node process with the task definition's
 * environment. It listens on a free loopback port (the container port is a Fargate ENI's business);
 * the port is read from the line the server prints when it listens.
 */
export class EcsTask {
  private constructor(
    readonly child: ChildProcess,
    readonly port: number,
    readonly exited: Promise<number | null>,
  ) {}

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  static async start(options: EcsTaskOptions): Promise<EcsTask> {
    const child = spawn(process.execPath, ['--import', PARENT_WATCH, options.serverFile], {
      cwd: options.cwd,
      env: { PATH: process.env.PATH ?? '', ...options.environment, PORT: '0', HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', options.logFd, 'ipc'],
    });
    // The channel only tells the task when the launcher is gone; it must not keep this process alive.
    child.unref();
    child.channel?.unref();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const port = await new Promise<number>((resolve, reject) => {
      let seen = '';
      const timer = setTimeout(
        () => reject(new Error(`the ECS task did not start in 30 s:\n${seen.slice(-2000)}`)),
        30_000,
      );
      child.stdout?.on('data', (chunk: Buffer) => {
        seen += chunk.toString();
        const match = /Listening on http:\/\/localhost:(\d+)/.exec(seen);
        if (match) {
          clearTimeout(timer);
          resolve(Number(match[1]));
        }
        if (seen.length > 100_000) seen = seen.slice(-10_000);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the ECS task exited with ${code}:\n${seen.slice(-2000)}`));
      });
    });
    // Past the start line, the task's output goes where the caller wants its logs.
    child.stdout?.removeAllListeners('data');
    if (typeof options.logFd === 'number') {
      const fd = options.logFd;
      const { writeSync } = await import('node:fs');
      child.stdout?.on('data', (chunk: Buffer) => writeSync(fd, chunk));
    } else if (options.logFd === 'inherit') child.stdout?.pipe(process.stdout);
    else child.stdout?.resume();
    return new EcsTask(child, port, exited);
  }

  /** SIGTERM as ECS sends it; SIGKILL after `graceMs` (ECS waits stopTimeout, here shorter). */
  async stop(graceMs = 1_000): Promise<void> {
    if (!this.running) return;
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    this.child.kill('SIGTERM');
    await this.exited;
    clearTimeout(timer);
  }
}
