import { HttpError, StoreUnavailableError } from '../http-error.js';

/**
 * A request whose credentials are wrong. It is refused, never served as anonymous; it still carries
 * the rate-limit headers of the anonymous quota its attempt was counted against, so guessing keys
 * is limited like any other anonymous traffic.
 */
export class InvalidApiKeyError extends HttpError {
  constructor(reason: string, headers: Record<string, string>) {
    super(401, 'unauthorized', reason, { headers: { ...headers, 'www-authenticate': 'Bearer' } });
  }
}

/**
 * Redis is down and the route's class is configured to fail closed: the same answer as any other
 * store outage (503 `store_unavailable` with Retry-After), so clients handle one code.
 */
export class RateLimitUnavailableError extends StoreUnavailableError {}
