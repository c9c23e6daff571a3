import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { handlerModule, unpackBundle } from './bundle.js';

const HOST = join(dirname(fileURLToPath(import.meta.url)), 'lambda-host.mjs');

export interface LambdaFunctionOptions {
  readonly name: string;
  readonly zipPath: string;
  /** Where the zip is unpacked (the function's /var/task). */
  readonly dir: string;
  /** `file.export`, as in the function's `handler`. */
  readonly handler: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  /** Where the function's stdout and stderr go (its CloudWatch log group, here a file descriptor). */
  readonly logFd: number | 'ignore' | 'inherit';
}

export type InvokeOutcome =
  | { readonly kind: 'result'; readonly json: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'timeout' };

interface Pending {
  resolve(outcome: InvokeOutcome): void;
  timer: NodeJS.Timeout;
}

/**
 * A Lambda function from its built zip, in its own node process with the function's environment.
 * One process serves every invocation (Lambda would add instances under load; memory is not
 * enforced). An invocation past the function's timeout ends as Lambda ends it: the environment is
 * thrown away and the next invocation starts a fresh one (a cold start).
 */
export class LambdaFunction {
  private child: ChildProcess | undefined;
  private ready: Promise<void> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopped = false;
  private readonly module: { file: string; exportName: string };

  private constructor(private readonly options: LambdaFunctionOptions) {
    const files = unpackBundle(options.zipPath, options.dir);
    this.module = handlerModule(options.dir, options.handler, files);
  }

  static async start(options: LambdaFunctionOptions): Promise<LambdaFunction> {
    const fn = new LambdaFunction(options);
    await fn.boot();
    return fn;
  }

  get name(): string {
    return this.options.name;
  }

  private boot(): Promise<void> {
    const { options } = this;
    const child = fork(
      HOST,
      [this.module.file, this.module.exportName, options.name, String(options.memoryMb)],
      {
        cwd: options.dir,
        // Only the function's own environment, as on Lambda (plus PATH for the runtime itself).
        env: { PATH: process.env.PATH ?? '', ...options.environment },
        stdio: ['ignore', options.logFd, options.logFd, 'ipc'],
        execArgv: [],
      },
    );
    this.child = child;
    this.ready = new Promise<void>((resolve, reject) => {
      child.on('message', (message: { type: string; id?: number; json?: string; message?: string }) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'init-error')
          reject(new Error(`${options.name} init failed: ${message.message}`));
        else if (message.id !== undefined) {
          const pending = this.pending.get(message.id);
          if (!pending) return;
          this.pending.delete(message.id);
          clearTimeout(pending.timer);
          pending.resolve(
            message.type === 'result'
              ? { kind: 'result', json: message.json ?? 'null' }
              : { kind: 'error', message: message.message ?? 'error' },
          );
        }
      });
      child.once('exit', (code) => {
        reject(new Error(`${options.name} exited during init (code ${code})`));
        if (this.child === child) this.child = undefined;
        for (const [id, pending] of this.pending) {
          clearTimeout(pending.timer);
          this.pending.delete(id);
          pending.resolve({ kind: 'error', message: `process exited (code ${code})` });
        }
      });
    });
    return this.ready;
  }

  /** Runs one invocation; the outcome says how it ended (ELB maps all but a result to 502). */
  async invoke(event: unknown): Promise<InvokeOutcome> {
    if (this.stopped) return { kind: 'error', message: 'function stopped' };
    if (!this.child) await this.boot();
    await this.ready;
    const child = this.child;
    if (!child) return { kind: 'error', message: 'no execution environment' };
    const id = this.nextId++;
    const timeoutMs = this.options.timeoutSeconds * 1000;
    return new Promise<InvokeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        resolve({ kind: 'timeout' });
        // Lambda stops the environment at the timeout; the next invocation gets a fresh one.
        if (this.child === child) this.child = undefined;
        child.kill('SIGKILL');
      }, timeoutMs);
      this.pending.set(id, { resolve, timer });
      child.send({ type: 'invoke', id, event, deadline: Date.now() + timeoutMs });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
    });
  }
}
