/**
 * Whether an error means "the store (Redis) is not answering", as opposed to a bug or a bad
 * request. ioredis reports these as plain errors, told apart by name or message:
 * - `Command timed out`: no reply within `commandTimeout` (a frozen or overloaded server);
 * - `Stream isn't writeable and enableOfflineQueue options is false`: not connected;
 * - `Connection is closed.`, `MaxRetriesPerRequestError`: the connection dropped under the command;
 * - replies `LOADING` (restarted, replaying its data), `READONLY` (a failover made this node a
 *   replica), `MASTERDOWN`, `TRYAGAIN`: the server is there but cannot serve yet.
 * A wrapped error counts by its cause (e.g. a job that could not be queued because Redis was down).
 */
const OUTAGE_MESSAGES = [
  'Command timed out',
  "Stream isn't writeable",
  'Connection is closed',
  'Reached the max retries per request limit',
  'LOADING ',
  'READONLY ',
  'MASTERDOWN ',
  'TRYAGAIN ',
];
const OUTAGE_NAMES = new Set(['MaxRetriesPerRequestError']);

export function isStoreOutage(error: unknown, depth = 0): boolean {
  if (!(error instanceof Error) || depth > 5) return false;
  if (OUTAGE_NAMES.has(error.name)) return true;
  if (OUTAGE_MESSAGES.some((start) => error.message.startsWith(start))) return true;
  return isStoreOutage(error.cause, depth + 1);
}
