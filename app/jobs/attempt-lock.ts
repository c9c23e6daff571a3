import { connect, createServer, type Server } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * One process per job at a time on this host, held by the kernel rather than by a clock.
 *
 * The runner binds a Unix socket named after the job before it starts the job's process, hands
 * the listening socket to that process (file descriptor 3) and closes its own copy. From then on
 * the socket is open exactly as long as the process lives: the kernel closes it when the process
 * ends, however it ends (SIGKILL included), and never while it lives (even stopped by SIGSTOP or
 * still loading its code). So a bind that fails means "a process of this job is alive", with no
 * lease to expire, no pid to be reused. A lease in Redis or a key with a TTL could only say
 * "probably dead by now".
 *
 * The socket is also how a newer attempt asks an older one to stop: a connection carries the
 * caller's attempt number, the holder answers with its own, and a holder of an older attempt
 * stops as on SIGTERM (checkpoint, exit 143), so the newer attempt resumes from its checkpoint.
 *
 * The name is in Linux's abstract namespace (unix(7)): nothing on disk, gone with the last
 * descriptor. Elsewhere there is no such namespace, and a socket file is unlinked when the runner
 * closes its copy, so the guard is off: there "never twice" rests on the runner lease alone.
 */
export function attemptLockAddress(jobId: string): string | undefined {
  if (process.platform !== 'linux') return undefined;
  return `\0simulation-job-${jobId.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/** The file descriptor the job's process finds its socket on. */
export const JOB_SOCKET_FD = 3;

/** What a connection to the job's socket found. */
export type Holder =
  | { readonly kind: 'free' }
  /** `attempt` is undefined when the holder did not answer (busy, starting, or stopped). */
  | { readonly kind: 'held'; readonly attempt: number | undefined };

const ANSWER_TIMEOUT_MS = 300;

/**
 * Connects to the job's socket, tells the holder our attempt, and reads its attempt. Only a
 * refused connection or a missing socket file means "free": any other error is taken as held.
 */
export function contactHolder(address: string, attempt: number): Promise<Holder> {
  return new Promise((resolve) => {
    const socket = connect(address);
    let answer = '';
    const done = (holder: Holder) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(holder);
    };
    const timer = setTimeout(() => done({ kind: 'held', attempt: undefined }), ANSWER_TIMEOUT_MS);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${attempt}\n`));
    socket.on('data', (chunk: string) => {
      answer += chunk;
      if (answer.includes('\n') || answer.length > 32) done({ kind: 'held', attempt: parseAttempt(answer) });
    });
    socket.on('end', () => done({ kind: 'held', attempt: parseAttempt(answer) }));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      done(
        error.code === 'ECONNREFUSED' || error.code === 'ENOENT'
          ? { kind: 'free' }
          : { kind: 'held', attempt: undefined },
      );
    });
  });
}

function parseAttempt(text: string): number | undefined {
  const value = Number(text.trim());
  return Number.isSafeInteger(value) && value > 0 ? value : undefined;
}

/**
 * For the launcher: binds the job's socket, asking any live process of an earlier attempt to
 * stop and waiting up to `waitMs` for it to exit. Undefined when a process of the job is still
 * alive; `{ socket: undefined }` where the guard is off (see attemptLockAddress).
 */
export async function bindJobSocket(
  jobId: string,
  attempt: number,
  waitMs: number,
): Promise<{ socket: Server | undefined } | undefined> {
  const address = attemptLockAddress(jobId);
  if (address === undefined) return { socket: undefined };
  const deadline = Date.now() + waitMs;
  for (;;) {
    const server = createServer();
    if (await listen(server, address)) return { socket: server };
    await contactHolder(address, attempt);
    if (Date.now() >= deadline) return undefined;
    await sleep(100);
  }
}

/**
 * The descriptor of a bound socket, to hand to a child process (`stdio`). Node has no public
 * accessor for it; the child side (`listen({ fd })`) is public.
 */
export function descriptorOf(server: Server): number | undefined {
  const fd = (server as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * For the job's process: serves the socket it was handed. A connection from a later attempt
 * calls `onSuperseded`. The socket does not keep the program alive.
 */
export function serveJobSocket(fd: number, attempt: number, onSuperseded: () => void): void {
  const server = createServer((socket) => {
    let request = '';
    socket.setEncoding('utf8');
    socket.on('error', () => {});
    socket.on('data', (chunk: string) => {
      request += chunk;
      if (!request.includes('\n') && request.length <= 32) return;
      socket.end(`${attempt}\n`);
      const requester = parseAttempt(request);
      if (requester !== undefined && requester > attempt) onSuperseded();
    });
  });
  server.on('error', () => {});
  server.listen({ fd });
  server.unref();
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
