import { IncomingMessage, type ServerOptions, ServerResponse } from 'node:http';
import type { Express } from 'express';

/**
 * The request and response classes a Node http server should create for an Express app, so that
 * Express need not change the prototype of every request and response it handles.
 *
 * Express gives `req` and `res` its methods by `Object.setPrototypeOf(req, app.request)` (and the
 * same for `res`) on every request. V8 cannot keep a cached shape for an object whose prototype
 * changes after it was made: each request's objects take a path that leaves them alive through
 * the next young-generation collection. Under load every scavenge then copied and promoted
 * megabytes of dead requests (2–5 ms pauses every ~50 ms, freed only by the next full
 * collection), and each request cost more CPU.
 *
 * These classes extend Node's own, with prototypes that inherit from the app's `request` and
 * `response` objects, and become the app's `request` and `response`: every request and response is
 * made with its final prototype, and Express's `setPrototypeOf` finds it already in place (a
 * no-op). `req.app`, `res.json` and the rest are inherited as before. Pass the result to
 * `createServer({ ...options, ...expressServerClasses(app) }, listener)`; call it once per app.
 */
export function expressServerClasses(
  app: Express,
): Required<Pick<ServerOptions, 'IncomingMessage' | 'ServerResponse'>> {
  class AppRequest extends IncomingMessage {}
  Object.setPrototypeOf(AppRequest.prototype, app.request);
  class AppResponse<Request extends IncomingMessage = IncomingMessage> extends ServerResponse<Request> {}
  Object.setPrototypeOf(AppResponse.prototype, app.response);
  app.request = AppRequest.prototype as unknown as Express['request'];
  app.response = AppResponse.prototype as unknown as Express['response'];
  return { IncomingMessage: AppRequest, ServerResponse: AppResponse };
}
