import { JOB_SOCKET_FD, serveJobSocket } from '../attempt-lock.js';
import { stopLocally } from './exit-with-parent.js';

/**
 * Preloaded by the local runner (`node --import`) before the simulation program: serves the
 * job's socket the runner handed over (app/jobs/attempt-lock.ts), so a later attempt of the job
 * asking for it stops this process as SIGTERM would (checkpoint, exit 143). The socket is this
 * process's from its first instruction, served or not: the exclusion does not wait for this.
 */
const attempt = Number(process.env.JOB_ATTEMPT);
if (process.env.JOB_SOCKET === '1' && Number.isSafeInteger(attempt) && attempt > 0) {
  serveJobSocket(JOB_SOCKET_FD, attempt, stopLocally);
}
