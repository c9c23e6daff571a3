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
  /** Execution environments at most (Lambda's concurrency); further invocations wait. Default 4. */
  readonly maxEnvironments?: number;
}

export type InvokeOutcome =
  | { readonly kind: 'result'; readonly json: string }
  | { readonly kind: 'error'; readonly message: string }
  | { readonly kind: 'timeout' };

type HostMessage = { type: string; id?: number; json?: string; message?: string };

/** One execution environment: a node process that has run the bundle's init once. */
class Environment {
  busy = false;
  /** Thrown away (killed at a timeout); the exit event may come later. */
  private discarded = false;
  private pending: ((outcome: InvokeOutcome) => void) | undefined;
  private nextId = 1;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: HostMessage) => {
      if (message.type !== 'result' && message.type !== 'error') return;
      const resolve = this.pending;
      this.pending = undefined;
      resolve?.(
        message.type === 'result'
          ? { kind: 'result', json: message.json ?? 'null' }
          : { kind: 'error', message: message.message ?? 'error' },
      );
    });
    child.once('exit', (code) => {
      const resolve = this.pending;
      this.pending = undefined;
      resolve?.({ kind: 'error', message: `process exited (code ${code})` });
    });
  }

  get alive(): boolean {
    return !this.discarded && this.child.exitCode === null && this.child.signalCode === null;
  }

  static boot(
    options: LambdaFunctionOptions,
    module: { file: string; exportName: string },
  ): Promise<Environment> {
    const child = fork(HOST, [module.file, module.exportName, options.name, String(options.memoryMb)], {
      cwd: options.dir,
      // Only the function's own environment, as on Lambda (plus PATH for the runtime itself).
      env: { PATH: process.env.PATH ?? '', ...options.environment },
      stdio: ['ignore', options.logFd, options.logFd, 'ipc'],
      execArgv: [],
    });
    return new Promise<Environment>((resolve, reject) => {
      const onMessage = (message: HostMessage) => {
        if (message.type === 'ready') {
          child.off('message', onMessage);
          resolve(new Environment(child));
        } else if (message.type === 'init-error')
          reject(new Error(`${options.name} init failed: ${message.message}`));
      };
      child.on('message', onMessage);
      child.once('exit', (code) => reject(new Error(`${options.name} exited during init (code ${code})`)));
    });
  }

  /** One invocation at a time, as Lambda gives each environment. */
  invoke(event: unknown, timeoutMs: number): Promise<InvokeOutcome> {
    const id = this.nextId++;
    return new Promise<InvokeOutcome>((resolve) => {
      const timer = setTimeout(() => {
        this.pending = undefined;
        resolve({ kind: 'timeout' });
        // Lambda stops the environment at the timeout; the next invocation gets a fresh one.
        this.discarded = true;
        this.child.kill('SIGKILL');
      }, timeoutMs);
      this.pending = (outcome) => {
        clearTimeout(timer);
        resolve(outcome);
      };
      this.child.send({ type: 'invoke', id, event, deadline: Date.now() + timeoutMs }, (error) => {
        if (!error) return;
        clearTimeout(timer);
        this.pending = undefined;
        this.discarded = true;
        resolve({ kind: 'error', message: error.message });
      });
    });
  }

  stop(): Promise<void> {
    if (!this.alive) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill('SIGTERM');
      setTimeout(() => this.child.kill('SIGKILL'), 2_000).unref();
    });
  }
}

/**
 * A Lambda function from its built zip. Each execution environment is its own node process with
 * the function's environment and runs one invocation at a time; concurrent invocations get more
 * environments (each a cold start) up to `maxEnvironments`, past which they wait for one to be
 * free. An invocation past the function's timeout ends as on Lambda: its environment is thrown
 * away. Memory is not enforced.
 */
export class LambdaFunction {
  private readonly idle: Environment[] = [];
  private readonly all = new Set<Environment>();
  private booting = 0;
  private readonly waiting: ((environment: Environment | undefined) => void)[] = [];
  private stopped = false;
  private readonly module: { file: string; exportName: string };

  private constructor(private readonly options: LambdaFunctionOptions) {
    const files = unpackBundle(options.zipPath, options.dir);
    this.module = handlerModule(options.dir, options.handler, files);
  }

  /** Unpacks the bundle and starts one environment (so a broken bundle fails here, at start). */
  static async start(options: LambdaFunctionOptions): Promise<LambdaFunction> {
    const fn = new LambdaFunction(options);
    fn.release(await fn.boot());
    return fn;
  }

  get name(): string {
    return this.options.name;
  }

  /** Execution environments alive now. */
  get environments(): number {
    return this.all.size;
  }

  private async boot(): Promise<Environment> {
    this.booting += 1;
    try {
      const environment = await Environment.boot(this.options, this.module);
      this.all.add(environment);
      environment.child.once('exit', () => {
        this.all.delete(environment);
        const index = this.idle.indexOf(environment);
        if (index >= 0) this.idle.splice(index, 1);
      });
      return environment;
    } finally {
      this.booting -= 1;
    }
  }

  private release(environment: Environment): void {
    environment.busy = false;
    if (this.stopped) return;
    if (!environment.alive) {
      // Thrown away (a timeout): a waiting invocation gets a fresh environment in its place.
      const next = this.waiting.shift();
      if (next) {
        this.boot().then(
          (fresh) => {
            fresh.busy = true;
            next(fresh);
          },
          () => next(undefined),
        );
      }
      return;
    }
    const next = this.waiting.shift();
    if (next) {
      environment.busy = true;
      next(environment);
    } else this.idle.push(environment);
  }

  private async acquire(): Promise<Environment | undefined> {
    const ready = this.idle.pop();
    if (ready) {
      ready.busy = true;
      return ready;
    }
    if (this.all.size + this.booting < (this.options.maxEnvironments ?? 4)) {
      const fresh = await this.boot();
      fresh.busy = true;
      return fresh;
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  /** Runs one invocation; the outcome says how it ended (ELB maps all but a result to 502). */
  async invoke(event: unknown): Promise<InvokeOutcome> {
    if (this.stopped) return { kind: 'error', message: 'function stopped' };
    let environment: Environment | undefined;
    try {
      environment = await this.acquire();
    } catch (error) {
      return { kind: 'error', message: error instanceof Error ? error.message : String(error) };
    }
    if (!environment) return { kind: 'error', message: 'function stopped' };
    try {
      return await environment.invoke(event, this.options.timeoutSeconds * 1000);
    } finally {
      this.release(environment);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const resolve of this.waiting.splice(0)) resolve(undefined);
    await Promise.all([...this.all].map((environment) => environment.stop()));
  }
}
