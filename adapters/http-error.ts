/** Errors that reach a client. Every one renders as `{ "error": { "code", "message" } }`. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly details: unknown;
  readonly headers: Readonly<Record<string, string>>;
  /** A deliberate refusal its raiser has logged already: not logged again as a server error. */
  readonly expected: boolean;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    options: {
      details?: unknown;
      headers?: Record<string, string>;
      cause?: unknown;
      expected?: boolean;
    } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.statusCode = statusCode;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
    this.expected = options.expected ?? false;
  }

  /** The client-facing body; below 500 the message and details are shown, above only a generic text. */
  toJSON(): { error: { code: string; message: string; details?: unknown } } {
    if (this.statusCode >= 500) {
      return {
        error: { code: this.code, message: GENERIC_MESSAGES[this.statusCode] ?? 'Internal server error' },
      };
    }
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

const GENERIC_MESSAGES: Record<number, string> = {
  500: 'Internal server error',
  502: 'Bad gateway',
  503: 'Service unavailable',
  504: 'The request took longer than this route allows',
};

export class BadRequestError extends HttpError {
  constructor(message: string, details?: unknown, code = 'bad_request') {
    super(400, code, message, { details });
  }
}

export class ValidationError extends HttpError {
  constructor(message: string, fields: readonly { path: string; message: string }[]) {
    super(400, 'validation_failed', message, { details: { fields } });
  }
}

export class UnauthorizedError extends HttpError {
  constructor(message: string) {
    super(401, 'unauthorized', message, { headers: { 'www-authenticate': 'Bearer' } });
  }
}

export class NotFoundError extends HttpError {
  constructor(message: string, code = 'not_found') {
    super(404, code, message);
  }
}

export class MethodNotAllowedError extends HttpError {
  constructor(method: string, path: string, allowed: readonly string[]) {
    super(405, 'method_not_allowed', `${method} is not allowed on ${path}`, {
      details: { allowed },
      headers: { allow: allowed.join(', ') },
    });
  }
}

export class ConflictError extends HttpError {
  constructor(message: string, code = 'conflict') {
    super(409, code, message);
  }
}

export class PayloadTooLargeError extends HttpError {
  constructor(limitBytes: number) {
    super(
      413,
      'payload_too_large',
      `The request body is larger than the ${limitBytes} bytes this route accepts`,
      {
        details: { limitBytes },
      },
    );
  }
}

export class UnsupportedMediaTypeError extends HttpError {
  constructor(message: string) {
    super(415, 'unsupported_media_type', message);
  }
}

export class TooManyRequestsError extends HttpError {
  constructor(retryAfterSeconds: number, headers: Record<string, string> = {}) {
    super(429, 'rate_limited', `Too many requests; retry after ${retryAfterSeconds} s`, {
      details: { retryAfterSeconds },
      headers: { ...headers, 'retry-after': String(retryAfterSeconds) },
    });
  }
}

export class InternalError extends HttpError {
  constructor(message: string, cause?: unknown) {
    super(500, 'internal_error', message, { cause });
  }
}

export class ServiceUnavailableError extends HttpError {
  constructor(message: string, code = 'unavailable') {
    super(503, code, message);
  }
}

/** The client did not send its whole body in time (RFC 9110, 15.5.9: the server closes the connection). */
export class RequestTimeoutError extends HttpError {
  constructor(timeoutMs: number) {
    super(408, 'request_timeout', `The request body did not arrive within ${timeoutMs} ms`, {
      headers: { connection: 'close' },
    });
  }
}

export class GatewayTimeoutError extends HttpError {
  constructor(timeoutMs: number) {
    super(504, 'handler_timeout', `The handler did not answer within ${timeoutMs} ms`);
  }
}

/** Maps anything thrown to an HttpError; unknown errors become a 500 that hides their message. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  // body-parser and the router signal client mistakes with a numeric `status` and an `expose` flag.
  if (typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number') {
    const status = error.status;
    const type = 'type' in error && typeof error.type === 'string' ? error.type : undefined;
    if (type === 'entity.too.large' && 'limit' in error && typeof error.limit === 'number') {
      return new PayloadTooLargeError(error.limit);
    }
    if (status >= 400 && status < 500) {
      const message = error instanceof Error ? error.message : 'Bad request';
      return new HttpError(status, type?.replaceAll('.', '_') ?? 'bad_request', message);
    }
  }
  return new InternalError('Unhandled error', error);
}
