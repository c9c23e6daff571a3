import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const HOST = fileURLToPath(new URL('./lambda-host.ts', import.meta.url));

/**
 * A deployed function run locally: its handler module in a process of its own (lambda-host.ts)
 * with the environment given (the stack's variables for it, its role's credentials, local
 * endpoints). `invoke` is a synchronous invocation, as the event source mapping and EventBridge
 * make them; the function's timeout bounds each one.
 */
export class LocalLambda {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  readonly logs: string[] = [];

  private constructor(
    readonly name: string,
    private readonly child: ChildProcess,
    private readonly timeoutMs: number,
  ) {
    child.on('message', (message: { id?: number; result?: unknown; error?: string }) => {
      if (message.id === undefined) return;
      const waiter = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error !== undefined) waiter?.reject(new Error(`${name}: ${message.error}`));
      else waiter?.resolve(message.result);
    });
    child.once('exit', (code) => {
      for (const waiter of this.pending.values()) waiter.reject(new Error(`${name} exited with ${code}`));
      this.pending.clear();
    });
  }

  static async start(options: {
    name: string;
    entry: string;
    timeoutSeconds: number;
    environment: Record<string, string>;
    startTimeoutMs?: number;
  }): Promise<LocalLambda> {
    const child = spawn(process.execPath, ['--import', 'tsx', HOST], {
      env: {
        PATH: process.env.PATH,
        NODE_NO_WARNINGS: '1',
        ...options.environment,
        LAMBDA_ENTRY: fileURLToPath(new URL(`../../../${options.entry}`, import.meta.url)),
        AWS_LAMBDA_FUNCTION_NAME: options.name,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const lambda = new LocalLambda(options.name, child, options.timeoutSeconds * 1000);
    child.stdout?.on('data', (chunk: Buffer) => lambda.logs.push(chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => lambda.logs.push(chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${options.name} did not start:\n${lambda.logs.join('')}`)),
        options.startTimeoutMs ?? 20_000,
      );
      child.on('message', (message: { ready?: boolean }) => {
        if (!message.ready) return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} init failed (exit ${code}):\n${lambda.logs.join('')}`));
      });
    });
    return lambda;
  }

  invoke(event: unknown): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.child.send({ id, event, timeoutMs: this.timeoutMs });
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    await exited;
  }
}
