import express, { type Express, type RequestHandler } from 'express';
import { type CorsSteps, createCorsSteps } from '../adapters/cors.js';
import type { CorsSettings } from '../adapters/cors-settings.js';
import { sendError } from '../adapters/error-response.js';
import { MethodNotAllowedError, NotFoundError } from '../adapters/http-error.js';
import type { Invocation, InvocationResolver } from '../adapters/invocation.js';
import { lambdaToExpress, type RequestGuard } from '../adapters/lambda-to-express.js';
import { type PathMatch, RouteMatcher } from '../adapters/route-matcher.js';
import type { HandlerDeps } from '../handlers/types.js';
import { routes as defaultRoutes, type RouteDefinition } from './routes.js';

export interface CreateAppOptions {
  /** Tells who is calling and on which runtime (see adapters/invocation.ts). */
  readonly resolveInvocation: InvocationResolver;
  /** Default largest request body; a route may set its own. */
  readonly maxBodyBytes: number;
  readonly routes?: readonly RouteDefinition[];
  /** Steps before every handler, e.g. the rate limiter. */
  readonly guards?: readonly RequestGuard[];
  /** Browsers on other origins; without it no CORS headers are sent (OPTIONS still answers). */
  readonly cors?: CorsSettings;
}

/**
 * The Express app, built from the route table. It is the same object on ECS (behind a Node http
 * server) and on Lambda (behind serverless-express), so everything that must behave the same on
 * both lives here or in lambdaToExpress.
 */
export function createApp(deps: HandlerDeps, options: CreateAppOptions): Express {
  const routes = options.routes ?? defaultRoutes;
  const app = express();
  app.disable('x-powered-by');
  // Handlers decide caching; an automatic ETag would make 304s that only one runtime produces.
  app.disable('etag');
  // ALB path patterns are case-sensitive and exact; Express must not be more lenient than the ALB.
  app.enable('case sensitive routing');
  app.enable('strict routing');

  const cors = createCorsSteps(options.cors, deps.logger);
  const matcher = new RouteMatcher(
    routes.map((route) => ({
      method: route.method,
      path: route.path,
      target: lambdaToExpress(route, route.handler(deps), {
        logger: deps.logger,
        guards: options.guards ?? [],
        maxBodyBytes: options.maxBodyBytes,
      }),
    })),
  );
  // One Express layer before a route's handler runs (a native app has one too): the invocation,
  // the CORS headers and the route found in one step, instead of the router walking a layer per
  // route, per OPTIONS answer and per 405 answer for every request. What is left to the layers
  // below is a path of no route (404) and the router's own errors.
  app.use(front(deps, options.resolveInvocation, cors, matcher));

  app.use((req, res) => {
    sendError(
      res,
      new NotFoundError(`No route for ${req.method} ${req.path}`, 'route_not_found'),
      deps.logger,
    );
  });

  // Body-parser (413, 415) and router (400 on a malformed percent-encoding) errors end up here.
  app.use(((error, _req, res, _next) => {
    sendError(res, error, deps.logger);
  }) as express.ErrorRequestHandler);

  return app;
}

const pendingAnswers = new WeakMap<object, Promise<void>>();

/**
 * Settles once the route handling this request has answered; undefined when the app answered
 * it synchronously (404, 405, OPTIONS) or has not seen it, and for every request on ECS. The
 * Lambda entry waits on it rather than listening for the response's end (app/lambda-handler.ts).
 */
export function answerOf(req: object): Promise<void> | undefined {
  return pendingAnswers.get(req);
}

/**
 * Attaches the invocation, echoes the request id, writes one log line per request, adds the CORS
 * response headers, then hands a request of the route table to its handler. A known path asked
 * with another method gets OPTIONS (a preflight, or `Allow`) or a 405 with `Allow` from the app
 * itself (serverless-express would answer 500 for anything the app leaves unanswered); anything
 * else goes on to the 404, and a malformed path to the error handler.
 */
function front(
  deps: HandlerDeps,
  resolveInvocation: InvocationResolver,
  cors: CorsSteps,
  matcher: RouteMatcher<RequestHandler>,
): RequestHandler {
  const optionsByPath = new Map<string, RequestHandler>();
  const otherMethod = (
    req: express.Request,
    res: express.Response,
    next: express.NextFunction,
    at: PathMatch,
  ) => {
    if (req.method === 'OPTIONS') {
      let options = optionsByPath.get(at.path);
      if (options === undefined) {
        options = cors.optionsFor(at.methods);
        optionsByPath.set(at.path, options);
      }
      options(req, res, next);
      return;
    }
    const allowed = [...at.methods, 'OPTIONS'].sort();
    sendError(res, new MethodNotAllowedError(req.method, at.path, allowed), deps.logger);
  };
  const route: RequestHandler = (req, res, next) => {
    let found: ReturnType<typeof matcher.find>;
    let other: PathMatch | undefined;
    try {
      found = matcher.find(req.method, req.path);
      if (found === undefined) other = matcher.pathOf(req.path);
    } catch (error) {
      next(error);
      return;
    }
    if (found === undefined) {
      if (other === undefined) next();
      else otherMethod(req, res, next, other);
      return;
    }
    req.params = found.params;
    // lambdaToExpress answers every failure itself; a rejection here would be a bug in it.
    const answered = (found.target(req, res, next) as Promise<void> | undefined)?.catch(next);
    // Only the Lambda entry waits on it; on ECS the entry would only cost every request a WeakMap write.
    if (answered && (res.locals.invocation as Invocation).runtime === 'lambda')
      pendingAnswers.set(req, answered);
  };
  const afterCors: RequestHandler = cors.enabled
    ? (req, res, next) => {
        cors.responseHeaders(req, res, (error?: unknown) => (error ? next(error) : route(req, res, next)));
      }
    : route;
  return (req, res, next) => {
    const invocation = resolveInvocation(req);
    res.locals.invocation = invocation;
    res.locals.requestId = invocation.requestId;
    res.setHeader('x-request-id', invocation.requestId);
    if (deps.logger.isLevelEnabled('info')) logWhenFinished(deps, req, res, invocation);
    afterCors(req, res, next);
  };
}

function logWhenFinished(
  deps: HandlerDeps,
  req: express.Request,
  res: express.Response,
  invocation: Invocation,
): void {
  const started = process.hrtime.bigint();
  res.once('finish', () => {
    deps.logger.info(
      {
        method: req.method,
        path: req.path,
        route: res.locals.route ?? null,
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        requestId: invocation.requestId,
        runtime: invocation.runtime,
        sourceIp: invocation.sourceIp,
      },
      'request',
    );
  });
}
