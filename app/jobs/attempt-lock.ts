import { createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One process per job at a time on this host, held by the kernel rather than by a clock.
 *
 * The runner binds a Unix socket named after the job before it starts the job's process, passes
 * the listening socket to that process as an inherited descriptor, and closes its own copy. From
 * then on the socket is open exactly as long as the process lives: the kernel closes a process's
 * descriptors when it ends, however it ends (SIGKILL included), and never while it lives (stopped
 * by SIGSTOP, still loading its code, or ignoring its closed stdin). So a bind that fails means
 * "a process of this job is alive": no lease to expire, no pid that may have been reused, nothing
 * the program has to do. A key with a TTL could only say "probably dead by now".
 *
 * Nothing ever accepts on the socket: it is a lock, not a channel, so nobody on the host can stop
 * a simulation through it. Someone binding a job's name first only delays that job.
 *
 * The name is in Linux's abstract namespace (unix(7)): nothing on disk, gone with the last
 * descriptor. Elsewhere there is no such namespace (a socket file is unlinked when the runner
 * closes its copy), so the guard is off and "never twice" rests on the runner lease alone.
 */
export function attemptLockAddress(jobId: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  return `\0simulation-job-${jobId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/**
 * For the launcher: binds the job's socket, waiting up to `waitMs` for a live process of the
 * job (an orphan of a dead server that has not noticed yet) to exit. Undefined when one is still
 * alive; `{ socket: undefined }` where the guard is off (see attemptLockAddress).
 */
export async function bindJobSocket(
  jobId: string,
  waitMs: number,
): Promise<{ socket: Server | undefined } | undefined> {
  const address = attemptLockAddress(jobId);
  if (address === undefined) return { socket: undefined };
  const deadline = Date.now() + waitMs;
  for (;;) {
    const server = createServer();
    if (await listen(server, address)) return { socket: server };
    if (Date.now() >= deadline) return undefined;
    await sleep(100);
  }
}

/**
 * The descriptor of a bound socket, to pass to a child process through `stdio`. Node has no
 * public accessor for it; the handle's `fd` has been there since the first releases.
 */
export function descriptorOf(server: Server): number | undefined {
  const fd = (server as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

function listen(server: Server, address: string): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      server.close();
      if (error.code === 'EADDRINUSE') resolve(false);
      else reject(error);
    };
    server.once('error', onError);
    server.listen(address, () => {
      server.off('error', onError);
      resolve(true);
    });
  });
}
