import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ConnectionTracker } from './connection-tracker.js';
import type { DrainState } from './readiness.js';

export interface ShutdownOptions {
  /** How long to keep serving after SIGTERM while the ALB notices /healthz is 503 and deregisters us. */
  readonly drainMs: number;
  /** From SIGTERM to exit at the latest; must stay below Fargate's 120 s stopTimeout / Spot notice. */
  readonly timeoutMs: number;
}

export interface ShutdownSteps {
  /** Runs the moment draining starts: work that must not begin any more (launching jobs) stops. */
  readonly onDrainStart?: () => void;
  /** Closes jobs and clients; must be done within `budgetMs` (it is not waited for longer). */
  readonly closeClients: (budgetMs: number) => Promise<void>;
  /** When given, sockets without a complete request are cut as soon as draining ends. */
  readonly connections?: ConnectionTracker;
}

/**
 * Time kept back from the deadline for closing jobs and clients: a quarter of it, at most 5 s.
 * Closing is bounded (app/redis.ts closeRedisClient), so this is enough even with Redis frozen.
 */
export function closeReserveMs(timeoutMs: number): number {
  return Math.min(5_000, Math.floor(timeoutMs / 4));
}

/**
 * Drains an http server without failing a request that reached it, and ends within `timeoutMs`
 * whatever its dependencies do:
 * 1. readiness goes false at once (/healthz 503, responses say `Connection: close`), and
 *    `onDrainStart` runs (the embedded pacer stops launching);
 * 2. requests keep being served for `drainMs`, so the ALB can deregister the task;
 * 3. the server stops accepting; idle sockets and sockets without a complete request (slow
 *    headers, trickled bodies) are cut — nothing was accepted on them that could be lost;
 * 4. requests being handled get until the deadline less the closing reserve, then are cut;
 * 5. jobs and clients are closed within what is left (never less than the reserve).
 * Resolves with whether every connection ended by itself and closing finished in its budget.
 */
export async function drainAndClose(
  server: Server,
  readiness: DrainState,
  options: ShutdownOptions,
  steps: ShutdownSteps | ShutdownSteps['closeClients'],
  logger: Logger,
): Promise<{ clean: boolean }> {
  const { onDrainStart, closeClients, connections } =
    typeof steps === 'function'
      ? { closeClients: steps, onDrainStart: undefined, connections: undefined }
      : steps;
  const startedAt = Date.now();
  const reserveMs = closeReserveMs(options.timeoutMs);
  readiness.startDraining(startedAt);
  onDrainStart?.();
  logger.info({ drainMs: options.drainMs, timeoutMs: options.timeoutMs }, 'shutdown: draining');
  await sleep(Math.min(options.drainMs, Math.max(0, options.timeoutMs - reserveMs)));

  logger.info('shutdown: no longer accepting connections');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  // close() ends the sockets idle at that moment only; a keep-alive socket whose response finishes
  // later turns idle afterwards and would hold the server open until the deadline.
  const sweep = () => {
    server.closeIdleConnections();
    return connections?.destroyIncomplete() ?? 0;
  };
  const cut = sweep();
  if (cut > 0) logger.info({ sockets: cut }, 'shutdown: cut sockets without a complete request');
  const sweeper = setInterval(sweep, 50);
  const inFlightBudget = Math.max(0, options.timeoutMs - reserveMs - (Date.now() - startedAt));
  let forced = false;
  const deadline = sleep(inFlightBudget, undefined, { ref: false }).then(() => {
    forced = true;
  });
  await Promise.race([closed, deadline]);
  clearInterval(sweeper);
  if (forced) {
    logger.warn('shutdown: deadline reached, closing remaining connections');
    server.closeAllConnections();
  }

  // Never more than the reserve: a dependency that does not answer in 5 s will not answer in 50.
  const remaining = options.timeoutMs - (Date.now() - startedAt);
  const closeBudget = Math.min(reserveMs, remaining) - 100;
  let late = false;
  await Promise.race([
    closeClients(Math.max(0, closeBudget)).catch((error: unknown) => {
      logger.error({ err: error }, 'shutdown: closing clients failed');
    }),
    sleep(Math.max(0, closeBudget), undefined, { ref: false }).then(() => {
      late = true;
    }),
  ]);
  if (late) logger.warn({ budgetMs: closeBudget }, 'shutdown: clients did not close in their budget');
  const clean = !forced && !late;
  logger.info({ elapsedMs: Date.now() - startedAt, clean }, 'shutdown: complete');
  return { clean };
}
