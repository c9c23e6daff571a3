import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { DrainState } from './readiness.js';

export interface ShutdownOptions {
  /** How long to keep serving after SIGTERM while the ALB notices /healthz is 503 and deregisters us. */
  readonly drainMs: number;
  /** From SIGTERM to exit at the latest; must stay below Fargate's 120 s stopTimeout / Spot notice. */
  readonly timeoutMs: number;
}

/**
 * Drains an http server without failing a request that reached it:
 * 1. readiness goes false at once (/healthz 503, responses say `Connection: close`);
 * 2. requests keep being served for `drainMs`, so the ALB can deregister the task;
 * 3. the server stops accepting and closes idle keep-alive sockets;
 * 4. in-flight requests get until `timeoutMs` (from the signal) to finish, then sockets are cut;
 * 5. clients are closed.
 * Resolves with whether every connection ended by itself.
 */
export async function drainAndClose(
  server: Server,
  readiness: DrainState,
  options: ShutdownOptions,
  closeClients: () => Promise<void>,
  logger: Logger,
): Promise<{ clean: boolean }> {
  const startedAt = Date.now();
  readiness.startDraining(startedAt);
  logger.info({ drainMs: options.drainMs, timeoutMs: options.timeoutMs }, 'shutdown: draining');
  await sleep(options.drainMs);

  logger.info('shutdown: no longer accepting connections');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // close() ends the sockets idle at that moment only; a keep-alive socket whose response finishes
  // later turns idle afterwards and would hold the server open until the deadline.
  const sweep = setInterval(() => server.closeIdleConnections(), 50);
  server.closeIdleConnections();
  const remaining = Math.max(0, options.timeoutMs - (Date.now() - startedAt));
  let forced = false;
  const deadline = sleep(remaining, undefined, { ref: false }).then(() => {
    forced = true;
  });
  await Promise.race([closed, deadline]);
  clearInterval(sweep);
  if (forced) {
    logger.warn('shutdown: deadline reached, closing remaining connections');
    server.closeAllConnections();
  }
  await closeClients();
  logger.info({ elapsedMs: Date.now() - startedAt, clean: !forced }, 'shutdown: complete');
  return { clean: !forced };
}
