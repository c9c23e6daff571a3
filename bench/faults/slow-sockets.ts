import { setTimeout as sleep } from 'node:timers/promises';
import { openSlowClient } from '../../test/shutdown/slow-clients.js';
import { healthCheckUntilOut, Load, type LoadRequest } from './support/load.js';
import type { FaultRow, FaultScenario } from './support/matrix.js';
import { setUp } from './support/servers.js';

/** Clients holding sockets: 70 sending headers, 70 trickling a body, 60 saying nothing. */
const SLOW_SOCKETS = Number(process.env.FAULTS_SLOW_SOCKETS ?? 200);
const BYTE_EVERY_MS = 5_000;
const DRAIN_MS = 1_000;
const TIMEOUT_MS = 10_000;

const traffic = (worker: number, i: number): LoadRequest =>
  i % 2 === 0
    ? { method: 'GET', path: `/leads/slow-${worker}` }
    : {
        method: 'POST',
        path: `/leads/slow-${worker}`,
        body: JSON.stringify({ name: 'Ada Lovelace', email: 'ada@example.com' }),
      };

/** One SIGTERM under light load, with or without the slow sockets; the shutdown is timed. */
async function sigterm(withSlowSockets: boolean) {
  const setup = await setUp({ SHUTDOWN_DRAIN_MS: String(DRAIN_MS), SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS) });
  try {
    const server = await setup.start();
    const slow = withSlowSockets
      ? Array.from({ length: SLOW_SOCKETS }, (_, i) =>
          openSlowClient(server.port, i % 10 < 3.5 ? 'headers' : i % 10 < 7 ? 'body' : 'idle', BYTE_EVERY_MS),
        )
      : [];
    const load = new Load(server.port, 4, traffic);
    await sleep(1_500);
    const signalledAt = Date.now();
    server.child.kill('SIGTERM');
    const out = healthCheckUntilOut(server.port, { intervalMs: 100, unhealthyAfter: 2, giveUpMs: 15_000 });
    await out;
    await load.stop();
    await server.exited;
    const shutdownMs = Date.now() - signalledAt;
    const ends = await Promise.all(slow.map((s) => s.ended));
    for (const s of slow) s.stop();
    return {
      shutdownMs,
      ...load.tally(),
      cut: ends.filter((e) => e.at - signalledAt < TIMEOUT_MS && e.response === '').length,
      answered408: ends.filter((e) => e.response.startsWith('HTTP/1.1 408')).length,
      slowSockets: slow.length,
    };
  } finally {
    await setup.destroy();
  }
}

export const scenario: FaultScenario = {
  name: 'slow-sockets',
  description: `${SLOW_SOCKETS} slow sockets (headers, trickled bodies, idle; a byte every ${BYTE_EVERY_MS / 1000} s), then SIGTERM (drain ${DRAIN_MS} ms, SHUTDOWN_TIMEOUT_MS ${TIMEOUT_MS}); baseline: the same SIGTERM without them`,
  async run(): Promise<FaultRow[]> {
    const baseline = await sigterm(false);
    const fault = await sigterm(true);
    return [
      {
        scenario: `${fault.slowSockets} slow sockets + SIGTERM`,
        runtime: 'ecs',
        answered: fault.answered,
        slowestMs: fault.slowestMs,
        recoverMs: null,
        shutdownMs: fault.shutdownMs,
        jobs: null,
        baseline: {
          label: 'SIGTERM without slow sockets',
          value: baseline.shutdownMs,
          ratio: fault.shutdownMs / baseline.shutdownMs,
        },
        note: `${fault.cut} of ${fault.slowSockets} slow sockets cut by the server before exit, ${fault.answered408} answered 408 (body not in within half the route deadline); Lambda: no sockets of its own`,
      },
    ];
  },
};
