import type { ApiHandler, HandlerFactory } from './types.js';

/**
 * A handler factory whose module is imported on the route's first request instead of with the
 * route table: a Lambda group that does not serve the route (or a cold start that has not reached
 * it yet) never loads it. The factory is then called once with the same dependencies, and every
 * request after that goes straight to the handler it built. A failed import is retried by the
 * next request.
 */
export function lazyHandler(load: () => Promise<HandlerFactory>): HandlerFactory {
  return (deps) => {
    let built: Promise<ApiHandler> | undefined;
    let handler: ApiHandler | undefined;
    return (event, context) => {
      if (handler) return handler(event, context);
      built ??= load().then(
        (factory) => {
          handler = factory(deps);
          return handler;
        },
        (error: unknown) => {
          built = undefined;
          throw error;
        },
      );
      return built.then((ready) => ready(event, context));
    };
  };
}
