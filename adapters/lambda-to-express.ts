import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { RouteDefinition } from '../app/routes.js';
import type { ApiHandler } from '../handlers/types.js';
import { DeadlineTicker, type WatchedDeadline } from './deadline-ticker.js';
import { sendError } from './error-response.js';
import { expressRequestToProxyEvent } from './express-request-to-event.js';
import { Abort, createHandlerContext } from './handler-context.js';
import { ClientClosedRequestError, GatewayTimeoutError, InternalError } from './http-error.js';
import type { Invocation } from './invocation.js';
import { malformedResultReason, proxyResultToExpressResponse } from './proxy-result-to-express.js';
import { bodyDeadline, readBodyBy } from './read-body.js';

/**
 * A step that runs before the handler (rate limiting, authentication). It throws an HttpError to
 * refuse the request; the headers it returns are added to whatever response follows, refused or not.
 * Guards run before the body is read and the event is built, so every request is counted before
 * any parsing that could fail; they see what the runtime told about the request, nothing parsed.
 */
export type RequestGuard = (input: {
  route: RouteDefinition;
  invocation: Invocation;
  /** The request's path as the router matched it (for logs and measurements). */
  path: string;
  /** Epoch ms by which the response is sent (the handler's deadline, 504 past it). */
  deadlineAt?: number;
  /** Registers a step to run once the response has been sent, whatever it was (a slot's release). */
  onFinished?: (step: () => void) => void;
}) => Promise<Readonly<Record<string, string>> | undefined>;

export interface LambdaToExpressOptions {
  readonly logger: Logger;
  /** Largest request body when the route sets none; past it the client gets a 413. */
  readonly maxBodyBytes: number;
  readonly guards?: readonly RequestGuard[];
  /** On Lambda the route deadline is cut this much short of the invocation's end, to answer 504 in time. */
  readonly lambdaSafetyMarginMs?: number;
  /** What watches handlers' deadlines; one for the whole process by default. */
  readonly deadlines?: DeadlineTicker;
}

/** Every route's handler deadlines, watched by one ticker (adapters/deadline-ticker.ts). */
const processDeadlines = new DeadlineTicker();

/** The invocation that `createApp` attached to this request. */
export function invocationOf(res: Response): Invocation {
  const invocation: unknown = res.locals.invocation;
  if (!invocation) throw new Error('lambdaToExpress needs the invocation middleware of createApp before it');
  return invocation as Invocation;
}

/**
 * Serves a Lambda-style handler as an Express route: Express request → API Gateway event, guards,
 * handler with a deadline, result → Express response. Errors never leak internals to the client.
 */
export function lambdaToExpress(
  route: RouteDefinition,
  handler: ApiHandler,
  options: LambdaToExpressOptions,
): RequestHandler {
  const guards = options.guards ?? [];
  const margin = options.lambdaSafetyMarginMs ?? 250;
  const deadlines = options.deadlines ?? processDeadlines;
  const id = `${route.method} ${route.path}`;
  const readRawBody = express.raw({
    type: () => true,
    limit: route.maxBodyBytes ?? options.maxBodyBytes,
    // Bodies reach handlers as sent (base64 when binary), never silently inflated.
    inflate: false,
  });
  // One route handler rather than a chain of middleware: each Express layer costs a dispatch.
  const readBody = (req: Request, res: Response) =>
    new Promise<void>((resolve, reject) =>
      readRawBody(req, res, (error?: unknown) => (error ? reject(error) : resolve())),
    );

  return async (req: Request, res: Response, _next: NextFunction) => {
    res.locals.route = id;
    const invocation = invocationOf(res);
    const startedAt = Date.now();
    const routeDeadline = startedAt + route.timeoutMs;
    const deadlineAt =
      invocation.platformDeadline === undefined
        ? routeDeadline
        : Math.min(routeDeadline, invocation.platformDeadline - margin);

    let extraHeaders: Readonly<Record<string, string>> = NO_HEADERS;
    let deadline: WatchedDeadline | undefined;
    // Tells the handler when its answer can no longer reach the client: at the deadline, or when
    // the client went away first. A handler with side effects (POST /simulations) undoes them then.
    // Only a socket's client can go away mid-request (on Lambda the service holds the connection),
    // and only a handler that reads its signal can care: the listener starts then.
    let onClose: (() => void) | undefined;
    const abort = new Abort(
      invocation.runtime === 'ecs'
        ? (self) => {
            const gone = () => {
              if (!res.writableFinished) self.abort(new ClientClosedRequestError());
            };
            if (res.destroyed || req.socket?.destroyed) gone();
            else {
              onClose = gone;
              res.once('close', gone);
            }
          }
        : undefined,
    );
    let finished: (() => void)[] | undefined;
    const onFinished = (step: () => void) => {
      if (finished) finished.push(step);
      else finished = [step];
    };
    try {
      for (const guard of guards) {
        const added = await guard({ route, invocation, path: req.path, deadlineAt, onFinished });
        // The first guard's headers are used as they are; only a second one's are merged in.
        if (added) extraHeaders = extraHeaders === NO_HEADERS ? added : { ...extraHeaders, ...added };
      }
      // The body counts against the route's deadline: it must arrive within its share of it.
      if (hasBody(req)) {
        const bodyBy = bodyDeadline(startedAt, route.timeoutMs, deadlineAt);
        await readBodyBy(req, readBody(req, res), bodyBy, bodyBy - startedAt);
      }
      const event = expressRequestToProxyEvent(req, route, invocation, new Date(startedAt));
      const context = createHandlerContext({
        requestId: invocation.requestId,
        functionName: invocation.functionName,
        deadlineAt,
        abort,
      });
      // Past its deadline the handler's eventual result is dropped; its signal has told it so.
      const result: unknown = await new Promise((resolve, reject) => {
        deadline = deadlines.add(deadlineAt, () => {
          const timeout = new GatewayTimeoutError(route.timeoutMs);
          abort.abort(timeout);
          reject(timeout);
        });
        Promise.resolve(handler(event, context)).then(resolve, reject);
      });
      const malformed = malformedResultReason(result);
      if (malformed)
        throw new InternalError(
          `Handler for ${route.method} ${route.path} returned a malformed result: ${malformed}`,
        );
      proxyResultToExpressResponse(
        result as Parameters<typeof proxyResultToExpressResponse>[0],
        res,
        extraHeaders,
      );
    } catch (error) {
      sendError(res, error, options.logger, extraHeaders);
    } finally {
      if (deadline) deadlines.remove(deadline);
      if (onClose) res.off('close', onClose);
      // The response has been handed to the socket (ECS) or to serverless-express (Lambda).
      if (finished) for (const step of finished) step();
    }
  };
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * RFC 9112: a request has a body when it says so with Content-Length (> 0) or Transfer-Encoding.
 * Read from the raw header lines: `req.headers` is built on first use, and most requests never
 * need it.
 */
function hasBody(req: Request): boolean {
  const raw = req.rawHeaders;
  if (raw.length === 0) {
    // A request made in memory may carry only the joined map.
    const declared = req.headers['content-length'];
    return req.headers['transfer-encoding'] !== undefined || (declared !== undefined && declared !== '0');
  }
  let length: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] as string;
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return true;
    if (length === undefined && name.length === 14 && name.toLowerCase() === 'content-length')
      length = raw[i + 1];
  }
  return length !== undefined && length !== '0';
}
