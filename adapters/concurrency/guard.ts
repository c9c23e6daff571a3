import type { RequestGuard } from '../lambda-to-express.js';
import type { ConcurrencyGate } from './gate.js';
import { ConcurrencyLimitedError, ConcurrencyUnavailableError } from './refusal.js';

/**
 * Adds Max Concurrency and Group Max Concurrency to a guard (the rate limiter), on both runtimes.
 *
 * The lease is asked for in the same event-loop turn as the rate limiter's count, before either is
 * awaited: the shared Redis client holds its writes until the end of the turn (`batchWrites`, see
 * adapters/rate-limit/store-client.ts), so both leave in one write and a request still pays one
 * round trip. A request the rate limiter refuses gives its lease straight
 * back (it held it for that round trip only). A full bound answers 503 at once, or after the
 * group's short queue; the slot is given back when the response has been sent, off its path.
 */
export function withConcurrencyBounds(inner: RequestGuard | undefined, gate: ConcurrencyGate): RequestGuard {
  return async (input) => {
    const bounds = gate.boundsOf(input.route);
    if (!bounds) return inner ? inner(input) : undefined;
    const { onFinished } = input;
    if (!onFinished) throw new Error('withConcurrencyBounds needs lambdaToExpress to release slots');
    const arrivedAt = Date.now();
    const deadlineAt = input.deadlineAt ?? arrivedAt + input.route.timeoutMs;

    const first = gate.tryAcquire(bounds, deadlineAt);
    let headers: Readonly<Record<string, string>> | undefined;
    try {
      headers = inner ? await inner(input) : undefined;
    } catch (refusal) {
      void first.then((decision) => decision.admitted && decision.release());
      throw refusal;
    }
    let decision = await first;
    if (!decision.admitted && bounds.maxQueueMs > 0)
      decision = await gate.queue(bounds, arrivedAt, deadlineAt, decision);
    if (!decision.admitted && decision.source === 'unanswered')
      throw new ConcurrencyUnavailableError(headers);
    if (!decision.admitted) {
      gate.noteRefusal(input.route, bounds, decision);
      throw new ConcurrencyLimitedError(decision.bound.scope, headers);
    }
    onFinished(decision.release);
    return headers;
  };
}
