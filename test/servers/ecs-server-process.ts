import { LocalEcsServer, type RunTaskCall } from './ecs-server.js';

/**
 * The local ECS server in a process of its own, for benchmarks: there its clock and event loop
 * judge the calls, undisturbed by the load the benchmark itself generates. It sends
 * `{ url }` once listening and answers `{ id, snapshot }` messages over IPC.
 */
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
const server = await LocalEcsServer.start({
  runTaskBucket: { capacity: runTask, perSecond: runTask },
  launchBucket: launch,
});
process.on('message', (message: { id: number; type: string }) => {
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
