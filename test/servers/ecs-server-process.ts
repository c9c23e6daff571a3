import { LocalEcsServer, type RunTaskCall } from './ecs-server.js';
import { UNCHECKED_ACCESS } from './iam/local-iam.js';

/**
 * The local ECS server in a process of its own, for benchmarks: there its clock and event loop
 * judge the calls, undisturbed by the load the benchmark itself generates. It sends
 * `{ url }` once listening and answers `progress` and (once, at the end) `snapshot` requests over
 * IPC; only the small progress answer is asked for while calls are being judged.
 */
/** Cheap enough to ask for every 250 ms without stalling the server's event loop. */
export interface EcsProgress {
  readonly now: number;
  readonly jobsLaunched: number;
  readonly throttled: number;
}

export interface EcsSnapshot {
  readonly now: number;
  readonly calls: readonly RunTaskCall[];
  /** One entry per launched task: the job it ran (JOB_ID override) and its client token. */
  readonly tasks: readonly { readonly jobId: string | undefined; readonly clientToken: string | undefined }[];
}

const runTask = Number(process.env.ECS_RUNTASK_LIMIT ?? 20);
const launch = {
  capacity: Number(process.env.ECS_LAUNCH_BURST ?? 100),
  perSecond: Number(process.env.ECS_LAUNCH_RATE ?? 20),
};
// The benchmark measures pacing, not permissions.
const server = await LocalEcsServer.start({
  access: UNCHECKED_ACCESS,
  runTaskBucket: { capacity: runTask, perSecond: runTask },
  launchBucket: launch,
});
process.on('message', (message: { id: number; type: string }) => {
  if (message.type === 'progress') {
    const progress: EcsProgress = {
      now: server.now(),
      jobsLaunched: new Set([...server.tasks.values()].map((t) => t.environment.JOB_ID)).size,
      throttled: server.calls.reduce((n, c) => n + (c.outcome === 'throttled' ? 1 : 0), 0),
    };
    process.send?.({ id: message.id, progress });
    return;
  }
  if (message.type !== 'snapshot') return;
  const snapshot: EcsSnapshot = {
    now: server.now(),
    calls: server.calls,
    tasks: [...server.tasks.values()].map((t) => ({
      jobId: t.environment.JOB_ID,
      clientToken: t.clientToken,
    })),
  };
  process.send?.({ id: message.id, snapshot });
});
process.on('disconnect', () => {
  void server.close().then(() => process.exit(0));
});
process.send?.({ url: server.url });
