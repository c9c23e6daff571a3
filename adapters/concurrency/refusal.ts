import { HttpError } from '../http-error.js';

/** Seconds a refused client is told to wait: slots free as requests finish, usually within this. */
export const CONCURRENCY_RETRY_AFTER_SECONDS = 1;

/**
 * A bound on requests in flight is full. 503, not 429: it protects the service, whoever calls,
 * and says nothing about the client's quota. The message is shown (unlike other 5xx) because it is
 * a deliberate answer, not a failure, and names no internals.
 */
export class ConcurrencyLimitedError extends HttpError {
  constructor(scope: 'group' | 'route', headers: Readonly<Record<string, string>> = {}) {
    super(
      503,
      'concurrency_limited',
      `Too many requests to this ${scope === 'group' ? 'service' : 'endpoint'} are in flight; retry after ${CONCURRENCY_RETRY_AFTER_SECONDS} s`,
      {
        details: { bound: scope, retryAfterSeconds: CONCURRENCY_RETRY_AFTER_SECONDS },
        headers: { ...headers, 'retry-after': String(CONCURRENCY_RETRY_AFTER_SECONDS) },
        expected: true,
      },
    );
  }

  override toJSON(): { error: { code: string; message: string; details?: unknown } } {
    return { error: { code: this.code, message: this.message, details: this.details } };
  }
}

/**
 * Redis did not answer the lease request within the command timeout (a frozen or overloaded
 * Redis): the lease may still be granted, so admitting on a local count could pass the bound.
 * It is a store outage like any other, so the client sees the one outage code every Redis-backed
 * step gives (`store_unavailable`); the log line names the step.
 * Logged once per outage by the gate, so not again per request.
 */
export class ConcurrencyUnavailableError extends HttpError {
  constructor(headers: Readonly<Record<string, string>> = {}) {
    super(503, 'store_unavailable', 'Concurrency bounds cannot be checked right now; retry shortly', {
      headers: { ...headers, 'retry-after': String(CONCURRENCY_RETRY_AFTER_SECONDS) },
      expected: true,
    });
  }
}
