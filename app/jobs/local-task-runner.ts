import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { bindJobSocket, descriptorOf } from './attempt-lock.js';
import type { LaunchOutcome, TaskLaunch, TaskRunner, TaskStopped } from './task-runner.js';

export interface LocalRunnerOptions {
  readonly logger: Logger;
  /** Called once per task when its process ends, with what ECS would put in its STOPPED event. */
  readonly onStopped: (stopped: TaskStopped) => void | Promise<void>;
  /** Simulations at once; past it, launches answer "Capacity is unavailable" as Fargate would. */
  readonly maxRunning?: number;
  /** The program to run; defaults to the simulation program next to this file. */
  readonly command?: { readonly file: string; readonly args: readonly string[] };
  /**
   * Names this runner in its task ARNs (`arn:local:ecs:task/<instance>/<id>`), so another process
   * can tell whether the runner of a recorded task is still alive (see runner-lease.ts).
   */
  readonly instanceId?: string;
  /**
   * How long a launch waits for a live process of the same job (an orphan of a dead server that
   * has not noticed yet) to exit; past it the launch answers an error and the pacer tries again
   * later. Default 2 s.
   */
  readonly previousAttemptWaitMs?: number;
}

/** The ECS stop code for a task stopped because its host goes away; the job is requeued. */
export const HOST_SHUTDOWN_STOP_CODE = 'TerminationNotice';

/** The runner instance named in a local task ARN, if it is one. */
export function localTaskInstance(taskArn: string): string | undefined {
  return /^arn:local:ecs:task\/([^/]+)\/[^/]+$/.exec(taskArn)?.[1];
}

interface LocalTask {
  readonly arn: string;
  readonly child: ChildProcess;
  stopCode: string | null;
  stoppedReason: string | null;
}

/**
 * Runs the simulation program with node, through tsx when running from source. The parent watch
 * is preloaded so it is on before the program's imports load (see exit-with-parent.ts).
 */
function defaultCommand(): { file: string; args: string[] } {
  const compiled = fileURLToPath(new URL('./simulation/main.js', import.meta.url));
  const compiledWatch = new URL('./simulation/exit-with-parent.js', import.meta.url);
  if (existsSync(compiled))
    return { file: process.execPath, args: ['--import', compiledWatch.href, compiled] };
  const source = fileURLToPath(new URL('./simulation/main.ts', import.meta.url));
  const sourceWatch = new URL('./simulation/exit-with-parent.ts', import.meta.url);
  return { file: process.execPath, args: ['--import', 'tsx', '--import', sourceWatch.href, source] };
}

/**
 * A built simulation program (JOBS_LOCAL_PROGRAM), run with node. The bundle carries
 * exit-with-parent.ts (the program imports it) and loads in a fraction of the time sources take
 * through tsx, so it goes without the preload.
 */
export function localProgramCommand(program: string | undefined): {
  command?: { file: string; args: string[] };
} {
  return program ? { command: { file: process.execPath, args: [program] } } : {};
}

/**
 * The embedded task runner: each launch is a child process running the simulation program with
 * exactly the environment a Fargate task gets (`JOB_ID`, `INPUT_URI`, `OUTPUT_URI`). It honours
 * the client token like RunTask, and reports stops in ECS's terms (exit code, stop code).
 */
export class LocalTaskRunner implements TaskRunner {
  private readonly tasks = new Map<string, LocalTask>();
  private readonly byToken = new Map<string, string>();
  /** Launches waiting for an earlier attempt's process to exit, by client token. */
  private readonly launching = new Map<string, Promise<LaunchOutcome>>();
  private readonly command: { readonly file: string; readonly args: readonly string[] };
  /** Stop handlers still writing their record; close() waits for them before clients close. */
  private readonly stopping = new Set<Promise<void>>();
  private closing = false;
  readonly instanceId: string;

  constructor(private readonly options: LocalRunnerOptions) {
    this.command = options.command ?? defaultCommand();
    this.instanceId = options.instanceId ?? randomUUID();
  }

  get running(): number {
    return this.tasks.size;
  }

  async launch(request: TaskLaunch): Promise<LaunchOutcome> {
    const existing = this.byToken.get(request.clientToken);
    if (existing) return { kind: 'started', taskArn: existing, capacityProvider: 'local', existing: true };
    const pending = this.launching.get(request.clientToken);
    if (pending) {
      const outcome = await pending;
      return outcome.kind === 'started' ? { ...outcome, existing: true } : outcome;
    }
    if (this.closing) return { kind: 'error', reason: 'runner is shutting down' };
    if (this.tasks.size + this.launching.size >= (this.options.maxRunning ?? 4)) {
      return {
        kind: 'capacity-unavailable',
        reason: 'Capacity is unavailable at this time (local runner is full)',
      };
    }
    const launched = this.launchAlone(request);
    this.launching.set(request.clientToken, launched);
    try {
      return await launched;
    } finally {
      this.launching.delete(request.clientToken);
    }
  }

  /**
   * Starts the task once no process of the job is alive on this host, and hands it the job's
   * socket, which it holds for as long as it lives (attempt-lock.ts): a requeued attempt never
   * starts beside the previous one, even when that one is an orphan of a dead server that has not
   * noticed yet, however long that orphan takes to die.
   */
  private async launchAlone(request: TaskLaunch): Promise<LaunchOutcome> {
    const bound = await bindJobSocket(request.jobId, this.options.previousAttemptWaitMs ?? 2_000);
    if (!bound) {
      return { kind: 'error', reason: 'another process of this job is still running on this host' };
    }
    try {
      return this.spawnTask(request, bound.socket);
    } finally {
      // The child has its own copy now; the job's socket lives exactly as long as the child.
      bound.socket?.close();
    }
  }

  private spawnTask(request: TaskLaunch, jobSocket: Server | undefined): LaunchOutcome {
    if (this.closing) return { kind: 'error', reason: 'runner is shutting down' };
    const socketFd = jobSocket ? descriptorOf(jobSocket) : undefined;
    // The job's socket becomes the child's descriptor 3, which nothing in it uses or closes.
    const stdio: ('pipe' | number)[] =
      socketFd === undefined ? ['pipe', 'pipe', 'pipe'] : ['pipe', 'pipe', 'pipe', socketFd];
    const arn = `arn:local:ecs:task/${this.instanceId}/${randomUUID()}`;
    const child = spawn(this.command.file, [...this.command.args], {
      // The child's stdin is a pipe from this process, which nothing writes to: when this process
      // dies, even by SIGKILL, the pipe closes and the program stops (simulation/
      // exit-with-parent.ts; Node has no prctl(PR_SET_PDEATHSIG)). Its own process group keeps a Ctrl-C meant for the
      // server away from it, and lets close() signal everything the program started.
      env: {
        ...process.env,
        ...request.environment,
        EXIT_WHEN_STDIN_CLOSES: '1',
      },
      stdio,
      detached: true,
    });
    // Nothing is written to it; a child that exits first must not fail this process with EPIPE.
    child.stdin?.on('error', () => {});
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
      const recording = Promise.resolve(this.options.onStopped(stopped))
        .catch((error: unknown) => {
          log.error({ err: error }, 'local runner: stop handler failed');
        })
        .finally(() => this.stopping.delete(recording));
      this.stopping.add(recording);
    });
    log.info('local runner: task started');
    return { kind: 'started', taskArn: arn, capacityProvider: 'local', existing: false };
  }

  async stop(taskArn: string, reason: string): Promise<void> {
    const task = this.tasks.get(taskArn);
    if (!task) return;
    task.stopCode = 'UserInitiated';
    task.stoppedReason = reason;
    signalGroup(task.child, 'SIGTERM');
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
    signalGroup(task.child, 'SIGTERM');
  }

  /** Launches from now on answer an error (the pacer puts the message back). */
  stopLaunching(): void {
    this.closing = true;
  }

  /**
   * Stops every task as a host going away (SIGTERM: they checkpoint; stop code
   * `TerminationNotice`, so the job is requeued, not failed), waits for them to exit and for their
   * stop records to be written, up to `timeoutMs`; whatever is left is killed.
   */
  async close(timeoutMs = 10_000): Promise<void> {
    this.closing = true;
    const exits = [...this.tasks.values()].map(
      (task) =>
        new Promise<void>((resolve) => {
          if (task.child.exitCode !== null || task.child.signalCode !== null) return resolve();
          task.child.once('close', () => resolve());
          task.stopCode ??= HOST_SHUTDOWN_STOP_CODE;
          task.stoppedReason ??= 'The server running the task shut down';
          signalGroup(task.child, 'SIGTERM');
        }),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    // 'close' comes once the child is gone; its stop handler is then in `stopping`.
    await Promise.race([Promise.all(exits).then(() => Promise.all([...this.stopping])), deadline]);
    clearTimeout(timer);
    for (const task of this.tasks.values()) signalGroup(task.child, 'SIGKILL');
  }
}

/** Signals the child's whole process group (it was spawned detached, as its group leader). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    // The group is gone already.
  }
}
