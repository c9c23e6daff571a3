import type { Request } from 'express';
import { RequestTimeoutError } from './http-error.js';

/**
 * A body must arrive within this share of the route's deadline, so the handler keeps the rest.
 * A client trickling a byte every few seconds is refused with 408 while the request is still
 * inside its deadline, instead of holding a socket (and a shutdown) for as long as it likes.
 */
export const BODY_SHARE_OF_DEADLINE = 0.5;

/** When the body of a request started at `startedAt` must be read by, for a route deadline. */
export function bodyDeadline(startedAt: number, routeTimeoutMs: number, deadlineAt: number): number {
  return Math.min(deadlineAt, startedAt + Math.floor(routeTimeoutMs * BODY_SHARE_OF_DEADLINE));
}

/**
 * Waits for `reading` (the body parser) until `deadlineAt`; past it, stops reading and throws a
 * 408. The request stream is paused and the answer says `Connection: close`, so Node closes the
 * socket after answering instead of reading the rest of a body nobody wants.
 */
export async function readBodyBy(
  req: Request,
  reading: Promise<void>,
  deadlineAt: number,
  timeoutMs: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  // After a timeout the parser still settles (the socket closes); that outcome is nobody's.
  reading.catch(() => {});
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(
      () => {
        req.pause();
        reject(new RequestTimeoutError(timeoutMs));
      },
      Math.max(0, deadlineAt - Date.now()),
    );
  });
  try {
    await Promise.race([reading, expired]);
  } finally {
    clearTimeout(timer);
  }
}
