import type { ApiHandler, HandlerFactory } from './types.js';

/**
 * Loads something on its first use rather than with the module that needs it, once: every call
 * after the first gets the same promise. A failed load is retried by the next call.
 */
export function loadOnFirstUse<T>(load: () => Promise<T>): () => Promise<T> {
  let loading: Promise<T> | undefined;
  return () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
}

/**
 * A handler factory whose module is imported on the route's first request instead of with the
 * route table: a Lambda group that does not serve the route (or a cold start that has not reached
 * it yet) never loads it. The factory is then called once with the same dependencies, and every
 * request after that goes straight to the handler it built. A failed import is retried by the
 * next request.
 */
export function lazyHandler(load: () => Promise<HandlerFactory>): HandlerFactory {
  return (deps) => {
    let handler: ApiHandler | undefined;
    const build = loadOnFirstUse(async () => {
      handler = (await load())(deps);
      return handler;
    });
    return (event, context) => {
      if (handler) return handler(event, context);
      return build().then((ready) => ready(event, context));
    };
  };
}
