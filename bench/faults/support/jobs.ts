import { Agent } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SimulationWatch } from '../../../test/helpers/simulation-processes.js';
import { send } from './load.js';
import type { JobTally } from './matrix.js';

/** A simulation of about `seconds` on one core (the integration step sets the work). */
export function simulationBody(i: number, seconds: number): string {
  return JSON.stringify({
    model: 'projectile-drag',
    massKg: 0.145,
    areaM2: 0.0042,
    dragCoefficient: 0.3,
    speedMS: 45,
    angleDeg: 20 + (i % 50),
    heightM: 0,
    maxTimeS: 60,
    sampleIntervalS: 0.1,
    // About 2.2 s at 1e-5 on this machine's cores.
    timeStepS: Math.min(0.001, 1e-5 * (2.2 / seconds)),
  });
}

interface JobView {
  readonly id: string;
  readonly status: string;
  readonly result: { href: string } | null;
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/**
 * Polls every job on `port` until all have ended or `timeoutMs` passes, then counts: lost (gone,
 * failed, or "succeeded" without its result), stranded (never ended), run twice (two processes
 * of one job alive at once, as the watch saw them).
 */
export async function settleJobs(
  port: number,
  ids: readonly string[],
  watch: SimulationWatch,
  timeoutMs: number,
): Promise<{ tally: JobTally; endedAt: number }> {
  const agent = new Agent({ keepAlive: true });
  const views = new Map<string, JobView | undefined>();
  const deadline = Date.now() + timeoutMs;
  let endedAt = Date.now();
  while (Date.now() < deadline) {
    for (const id of ids) {
      if (views.get(id) && TERMINAL.has(views.get(id)?.status ?? '')) continue;
      const answer = await send(port, { method: 'GET', path: `/simulations/${id}` }, agent);
      views.set(id, answer.status === 200 ? (JSON.parse(answer.body) as JobView) : undefined);
    }
    endedAt = Date.now();
    if (ids.every((id) => TERMINAL.has(views.get(id)?.status ?? ''))) break;
    await sleep(200);
  }
  agent.destroy();
  let lost = 0;
  let stranded = 0;
  for (const id of ids) {
    const view = views.get(id);
    if (!view || view.status === 'failed' || view.status === 'cancelled') lost += 1;
    else if (!TERMINAL.has(view.status)) stranded += 1;
    else if (view.result) {
      // A succeeded job whose result route has nothing to serve lost its result.
      const result = await send(port, { method: 'GET', path: view.result.href }, agent);
      if (result.status !== 200) lost += 1;
    }
  }
  return {
    tally: { submitted: ids.length, lost, stranded, runTwice: watch.ranTwiceAtOnce().length },
    endedAt,
  };
}
