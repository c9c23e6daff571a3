import type { APIGatewayProxyEvent } from 'aws-lambda';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { Logger } from 'pino';
import type { RouteDefinition } from '../app/routes.js';
import type { ApiHandler } from '../handlers/types.js';
import { sendError } from './error-response.js';
import { expressRequestToProxyEvent } from './express-request-to-event.js';
import { createHandlerContext } from './handler-context.js';
import { GatewayTimeoutError, InternalError } from './http-error.js';
import type { Invocation } from './invocation.js';
import { malformedResultReason, proxyResultToExpressResponse } from './proxy-result-to-express.js';
import { bodyDeadline, readBodyBy } from './read-body.js';

/**
 * A step that runs before the handler (rate limiting, authentication). It throws an HttpError to
 * refuse the request; the headers it returns are added to whatever response follows, refused or not.
 */
export type RequestGuard = (input: {
  route: RouteDefinition;
  event: APIGatewayProxyEvent;
  invocation: Invocation;
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
}

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

    let extraHeaders: Record<string, string> = {};
    let timer: NodeJS.Timeout | undefined;
    const finished: (() => void)[] = [];
    const onFinished = (step: () => void) => {
      finished.push(step);
    };
    try {
      // The body counts against the route's deadline: it must arrive within its share of it.
      if (hasBody(req)) {
        const bodyBy = bodyDeadline(startedAt, route.timeoutMs, deadlineAt);
        await readBodyBy(req, readBody(req, res), bodyBy, bodyBy - startedAt);
      }
      const event = expressRequestToProxyEvent(req, route, invocation, new Date(startedAt));
      for (const guard of guards) {
        const added = await guard({ route, event, invocation, deadlineAt, onFinished });
        if (added) extraHeaders = { ...extraHeaders, ...added };
      }
      const context = createHandlerContext({
        requestId: invocation.requestId,
        functionName: invocation.functionName,
        deadlineAt,
      });
      // The handler cannot be cancelled; past its deadline its eventual result is dropped.
      const result: unknown = await new Promise((resolve, reject) => {
        timer = setTimeout(
          () => reject(new GatewayTimeoutError(route.timeoutMs)),
          Math.max(0, deadlineAt - Date.now()),
        );
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
      clearTimeout(timer);
      // The response has been handed to the socket (ECS) or to serverless-express (Lambda).
      for (const step of finished) step();
    }
  };
}

/** RFC 9112: a request has a body when it says so with Content-Length (> 0) or Transfer-Encoding. */
function hasBody(req: Request): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}
