import { HttpError } from '../http-error.js';

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

/** Redis is down and the route's class is configured to fail closed. */
export class RateLimitUnavailableError extends HttpError {
  constructor(cause: unknown) {
    super(503, 'rate_limit_unavailable', 'Rate limiting is unavailable; retry shortly', {
      headers: { 'retry-after': '1' },
      cause,
    });
  }
}
