import type { IncomingHttpHeaders } from 'node:http';
import cors, { type CorsOptions } from 'cors';
import type { Request, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { type CorsSettings, DEFAULT_PREFLIGHTS_PER_MINUTE } from './cors-settings.js';
import { sendError } from './error-response.js';
import { TooManyRequestsError } from './http-error.js';
import { invocationOf } from './lambda-to-express.js';

/**
 * CORS for both runtimes, as Express steps of the shared app (app/create-app.ts). The `cors`
 * package writes the headers; what is decided here is which origin gets them, and that a preflight
 * is answered per path: 204 with that path's methods, nothing for a method the path lacks.
 *
 * Preflights are answered before lambdaToExpress, so they never reach the rate-limit guard and
 * never spend a client's quota; a per-address limiter in memory bounds a flood of them instead.
 */

/** Response headers a page's script may read (Fetch standard: others are hidden from it). */
export const EXPOSED_HEADERS: readonly string[] = [
  'Location',
  'RateLimit',
  'RateLimit-Policy',
  'Retry-After',
  'X-Request-Id',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
  'Preference-Applied',
  'Idempotent-Replayed',
  'Allow',
];

/** Request headers the API reads; a preflight asking for others is not granted them. */
export const ACCEPTED_REQUEST_HEADERS: readonly string[] = [
  'content-type',
  'authorization',
  'x-api-key',
  'idempotency-key',
  'prefer',
];

/** Tells whether a browser on `origin` may read this API's answers. */
export function originPolicy(origins: CorsSettings['origins']): (origin: string) => boolean {
  if (origins === '*') return () => true;
  const exact = new Set<string>();
  const anyPort: string[] = [];
  for (const entry of origins) {
    if (entry.endsWith(':*')) anyPort.push(entry.slice(0, -2));
    else exact.add(entry);
  }
  return (origin) => {
    if (exact.has(origin)) return true;
    for (const base of anyPort) {
      if (origin === base) return true;
      if (origin.startsWith(`${base}:`) && /^\d{1,5}$/.test(origin.slice(base.length + 1))) return true;
    }
    return false;
  };
}

/** A CORS preflight (Fetch standard): OPTIONS naming the method it asks for. */
function isPreflight(req: Request): boolean {
  return req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
}

export interface CorsSteps {
  /** False when no origin is allowed: then `responseHeaders` need not be installed at all. */
  readonly enabled: boolean;
  /** App-wide, before routing: the response headers for an allowed origin on every answer. */
  readonly responseHeaders: RequestHandler;
  /** `OPTIONS` on one known path: a preflight for the browser, `Allow` for everyone. */
  optionsFor(methods: readonly string[]): RequestHandler;
}

export function createCorsSteps(settings: CorsSettings | undefined, logger: Logger): CorsSteps {
  const allowed = settings ? originPolicy(settings.origins) : () => false;
  const wildcard = settings?.origins === '*';
  const enabled = settings !== undefined && (wildcard || settings.origins.length > 0);
  const origin = (req: { headers: IncomingHttpHeaders }): string | false => {
    const sent = req.headers.origin;
    if (sent === undefined || !allowed(sent)) return false;
    // `*` is sent as `*` (cacheable for every origin); a listed origin is reflected, with Vary.
    return wildcard ? '*' : sent;
  };
  const credentials = settings?.allowCredentials === true;

  const actual = cors((req, callback) => {
    callback(null, {
      origin: origin(req),
      credentials,
      exposedHeaders: [...EXPOSED_HEADERS],
    } satisfies CorsOptions);
  });
  const responseHeaders: RequestHandler = (req, res, next) => {
    if (!enabled || isPreflight(req)) {
      next();
      return;
    }
    // The answer depends on Origin whether or not it is allowed: a shared cache must not give a
    // browser the answer fetched without (or with another) Origin.
    if (!wildcard) res.vary('Origin');
    // Most API clients are not browsers: no Origin, nothing more to decide.
    if (req.headers.origin === undefined) next();
    else actual(req, res, next);
  };

  const preflights = new RateLimiterMemory({
    points: settings?.preflightsPerMinute ?? DEFAULT_PREFLIGHTS_PER_MINUTE,
    duration: 60,
    keyPrefix: 'preflight',
  });

  const optionsFor = (methods: readonly string[]): RequestHandler => {
    const allow = [...new Set([...methods, 'OPTIONS'])].sort().join(', ');
    const preflight = cors((_req, callback) => {
      callback(null, {
        origin: origin(_req),
        credentials,
        methods: [...methods],
        allowedHeaders: [...ACCEPTED_REQUEST_HEADERS],
        maxAge: settings?.maxAgeSeconds ?? 0,
        optionsSuccessStatus: 204,
        preflightContinue: false,
      } satisfies CorsOptions);
    });
    const answerWithoutCors = (res: Response) => {
      res.statusCode = 204;
      res.setHeader('content-length', '0');
      res.end();
    };
    return (req, res, next) => {
      const address = invocationOf(res).sourceIp;
      preflights.consume(address, 1).then(
        () => {
          res.setHeader('allow', allow);
          if (!enabled || !isPreflight(req)) {
            answerWithoutCors(res);
            return;
          }
          if (!wildcard) res.vary('Origin');
          const method = String(req.headers['access-control-request-method']);
          // A method this path does not have gets no CORS headers, so the browser refuses to send
          // it (even a GET or POST, which need no Access-Control-Allow-Methods entry).
          if (!methods.includes(method)) {
            answerWithoutCors(res);
            return;
          }
          preflight(req, res, (error?: unknown) => (error ? next(error) : answerWithoutCors(res)));
        },
        (refusal: unknown) => {
          if (refusal instanceof RateLimiterRes) {
            sendError(
              res,
              new TooManyRequestsError(Math.max(1, Math.ceil(refusal.msBeforeNext / 1000))),
              logger,
            );
            return;
          }
          next(refusal);
        },
      );
    };
  };

  return { enabled, responseHeaders, optionsFor };
}
