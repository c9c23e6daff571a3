import type { Response } from 'express';
import type { Logger } from 'pino';
import { type HttpError, toHttpError } from './http-error.js';

/**
 * Sends any error as the JSON error body with its status and headers. Server errors are logged
 * with their stack (and cause); client errors are not, they are the client's business.
 */
export function sendError(
  res: Response,
  error: unknown,
  logger: Logger,
  extraHeaders: Record<string, string> = {},
): HttpError {
  const httpError = toHttpError(error);
  if (httpError.statusCode >= 500 && !httpError.expected) {
    const original = httpError.cause ?? error;
    logger.error(
      {
        err: original instanceof Error ? original : new Error(String(original)),
        requestId: res.locals.requestId,
      },
      httpError.message,
    );
  }
  if (res.headersSent) {
    // Nothing more can be said to the client; end the response so the socket is not left hanging.
    res.end();
    return httpError;
  }
  const body = Buffer.from(JSON.stringify(httpError.toJSON()), 'utf8');
  res.status(httpError.statusCode);
  for (const [name, value] of Object.entries({ ...extraHeaders, ...httpError.headers }))
    res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', String(body.length));
  res.end(body);
  return httpError;
}
