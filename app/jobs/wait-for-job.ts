import { setTimeout as sleep } from 'node:timers/promises';
import { isTerminal, type Job } from './job.js';

/** First re-read after this long, then each wait 1.5 times the last, never more than the cap. */
const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 1_000;

/**
 * Reads the job until it reaches a final state or `waitMs` has passed, whichever comes first, and
 * returns the last record read. The reads back off (100 ms, 150 ms … 1 s), so a frontend holding
 * a request for 20 s costs about 25 reads of one key, not a busy loop on the store.
 */
export async function waitForFinalState(
  read: () => Promise<Job | undefined>,
  initial: Job,
  waitMs: number,
  clock: () => number = Date.now,
): Promise<Job> {
  const until = clock() + waitMs;
  let job = initial;
  let pause = FIRST_POLL_MS;
  while (!isTerminal(job.status)) {
    const left = until - clock();
    if (left <= 0) break;
    await sleep(Math.min(pause, left));
    pause = Math.min(MAX_POLL_MS, Math.round(pause * 1.5));
    const next = await read();
    if (!next) break;
    job = next;
  }
  return job;
}
