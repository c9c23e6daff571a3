import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { LaunchOutcome, TaskLaunch, TaskRunner, TaskStopped } from './task-runner.js';

export interface LocalRunnerOptions {
  readonly logger: Logger;
  /** Called once per task when its process ends, with what ECS would put in its STOPPED event. */
  readonly onStopped: (stopped: TaskStopped) => void | Promise<void>;
  /** Simulations at once; past it, launches answer "Capacity is unavailable" as Fargate would. */
  readonly maxRunning?: number;
  /** The program to run; defaults to the simulation program next to this file. */
  readonly command?: { readonly file: string; readonly args: readonly string[] };
}

interface LocalTask {
  readonly arn: string;
  readonly child: ChildProcess;
  stopCode: string | null;
  stoppedReason: string | null;
}

/** Runs the simulation program with node, through tsx when running from source. */
function defaultCommand(): { file: string; args: string[] } {
  const compiled = fileURLToPath(new URL('./simulation/main.js', import.meta.url));
  if (existsSync(compiled)) return { file: process.execPath, args: [compiled] };
  const source = fileURLToPath(new URL('./simulation/main.ts', import.meta.url));
  return { file: process.execPath, args: ['--import', 'tsx', source] };
}

/**
 * The embedded task runner: each launch is a child process running the simulation program with
 * exactly the environment a Fargate task gets (`JOB_ID`, `INPUT_URI`, `OUTPUT_URI`). It honours
 * the client token like RunTask, and reports stops in ECS's terms (exit code, stop code).
 */
export class LocalTaskRunner implements TaskRunner {
  private readonly tasks = new Map<string, LocalTask>();
  private readonly byToken = new Map<string, string>();
  private readonly command: { readonly file: string; readonly args: readonly string[] };
  private closing = false;

  constructor(private readonly options: LocalRunnerOptions) {
    this.command = options.command ?? defaultCommand();
  }

  get running(): number {
    return this.tasks.size;
  }

  async launch(request: TaskLaunch): Promise<LaunchOutcome> {
    const existing = this.byToken.get(request.clientToken);
    if (existing) return { kind: 'started', taskArn: existing, capacityProvider: 'local', existing: true };
    if (this.closing) return { kind: 'error', reason: 'runner is shutting down' };
    if (this.tasks.size >= (this.options.maxRunning ?? 4)) {
      return {
        kind: 'capacity-unavailable',
        reason: 'Capacity is unavailable at this time (local runner is full)',
      };
    }
    const arn = `arn:local:ecs:task/${randomUUID()}`;
    const child = spawn(this.command.file, [...this.command.args], {
      env: { ...process.env, ...request.environment },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const task: LocalTask = { arn, child, stopCode: null, stoppedReason: null };
    this.tasks.set(arn, task);
    this.byToken.set(request.clientToken, arn);
    let lastLine = '';
    const log = this.options.logger.child({ jobId: request.jobId, taskArn: arn });
    child.stdout?.on('data', (chunk: Buffer) => {
      lastLine = chunk.toString('utf8').trim().split('\n').at(-1) ?? lastLine;
      log.debug({ output: lastLine }, 'simulation output');
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      lastLine = chunk.toString('utf8').trim().split('\n').at(-1) ?? lastLine;
    });
    child.once('error', (error) => {
      task.stopCode = 'TaskFailedToStart';
      task.stoppedReason = error.message;
    });
    child.once('close', (code, signal) => {
      this.tasks.delete(arn);
      const exitCode = code ?? (signal ? 128 + (signal === 'SIGKILL' ? 9 : 15) : null);
      const stopped: TaskStopped = {
        taskArn: arn,
        startedBy: request.clientToken,
        jobId: request.jobId,
        stopCode: task.stopCode ?? 'EssentialContainerExited',
        stoppedReason: task.stoppedReason ?? 'Essential container in task exited',
        exitCode: task.stopCode === 'TaskFailedToStart' ? null : exitCode,
        containerReason: exitCode === 0 ? null : lastLine.slice(0, 255) || null,
      };
      Promise.resolve(this.options.onStopped(stopped)).catch((error: unknown) => {
        log.error({ err: error }, 'local runner: stop handler failed');
      });
    });
    log.info('local runner: task started');
    return { kind: 'started', taskArn: arn, capacityProvider: 'local', existing: false };
  }

  async stop(taskArn: string, reason: string): Promise<void> {
    const task = this.tasks.get(taskArn);
    if (!task) return;
    task.stopCode = 'UserInitiated';
    task.stoppedReason = reason;
    task.child.kill('SIGTERM');
  }

  /**
   * Plays a Spot interruption locally: SIGTERM (the program checkpoints and exits), then the stop
   * is reported with stopCode `SpotInterruption`, as ECS reports a reclaimed Fargate Spot task.
   */
  interrupt(taskArn: string): void {
    const task = this.tasks.get(taskArn);
    if (!task) return;
    task.stopCode = 'SpotInterruption';
    task.stoppedReason = 'Your Spot Task was interrupted.';
    task.child.kill('SIGTERM');
  }

  /** Stops every task (SIGTERM: they checkpoint) and waits for them to exit, up to `timeoutMs`. */
  async close(timeoutMs = 10_000): Promise<void> {
    this.closing = true;
    const exits = [...this.tasks.values()].map(
      (task) =>
        new Promise<void>((resolve) => {
          if (task.child.exitCode !== null || task.child.signalCode !== null) return resolve();
          task.child.once('close', () => resolve());
          task.stopCode = 'UserInitiated';
          task.stoppedReason = 'Server shutting down';
          task.child.kill('SIGTERM');
        }),
    );
    const deadline = setTimeout(() => {
      for (const task of this.tasks.values()) task.child.kill('SIGKILL');
    }, timeoutMs);
    await Promise.all(exits);
    clearTimeout(deadline);
  }
}
