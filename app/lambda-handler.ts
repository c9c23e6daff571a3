import { AsyncLocalStorage } from 'node:async_hooks';
import { configure as serverlessExpress } from '@vendia/serverless-express';
import type { Context } from 'aws-lambda';
import type { Express } from 'express';
import { isBinaryBody } from '../adapters/content-types.js';
import { type LambdaHttpEvent, type LambdaInvoke, lambdaInvocationResolver } from '../adapters/invocation.js';
import type { HandlerDeps } from '../handlers/types.js';
import { type CreateAppOptions, createApp } from './create-app.js';
import { normalizeAlbQuery } from './lambda-events.js';

export type LambdaHttpHandler = (event: LambdaHttpEvent, context: Context) => Promise<unknown>;

/**
 * Wraps the Express app for Lambda. serverless-express keeps the current invocation in a module
 * global; an AsyncLocalStorage scope keeps each request's event and context with it instead, so
 * concurrent invocations in one process (tests, benchmarks, response streaming) never mix.
 */
export function createLambdaHandler(
  deps: HandlerDeps,
  options: { stage: string } & Omit<CreateAppOptions, 'resolveInvocation'>,
): { handler: LambdaHttpHandler; app: Express } {
  const scope = new AsyncLocalStorage<LambdaInvoke>();
  const app = createApp(deps, {
    ...options,
    resolveInvocation: lambdaInvocationResolver({ stage: options.stage, current: () => scope.getStore() }),
  });
  const proxy = serverlessExpress({
    app,
    // The same rule as request bodies use, so a handler's base64 result is base64 to the client.
    binarySettings: {
      isBinary: ({ headers }: { headers: Record<string, string | undefined> }) =>
        isBinaryBody({ contentType: headers['content-type'], contentEncoding: headers['content-encoding'] }),
    },
    logSettings: { level: 'error' },
  });
  const handler: LambdaHttpHandler = (event, context) => {
    const normalized = normalizeAlbQuery(event);
    return scope.run(
      { event: normalized, context },
      () => proxy(normalized, context, () => {}) as Promise<unknown>,
    );
  };
  return { handler, app };
}
