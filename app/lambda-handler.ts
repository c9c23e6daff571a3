import { configure as serverlessExpress } from '@vendia/serverless-express';
import type { Context } from 'aws-lambda';
import type { Express } from 'express';
import { isBinaryBody } from '../adapters/content-types.js';
import {
  errorResponse,
  eventSourceOf,
  unknownEventResult,
} from '../adapters/event-sources/event-source-of.js';
import {
  type EventSourceAdapter,
  type LambdaHttpRequest,
  type LambdaHttpResponse,
  MalformedEventError,
} from '../adapters/event-sources/lambda-http.js';
import { clientKeyedMap } from '../adapters/express-request-to-event.js';
import { InternalError } from '../adapters/http-error.js';
import { type LambdaInvoke, lambdaInvocationResolver } from '../adapters/invocation.js';
import type { HandlerDeps } from '../handlers/types.js';
import { answerOf, type CreateAppOptions, createApp } from './create-app.js';

/** Takes any event: a malformed one is answered with the JSON error, never a throw. */
export type LambdaHttpHandler = (event: unknown, context: Context) => Promise<unknown>;

interface Invoke extends LambdaInvoke {
  readonly event: Record<string, unknown>;
  readonly source: EventSourceAdapter;
}

/**
 * Wraps the Express app for Lambda. Each event source's own reader (adapters/event-sources/)
 * turns the event into one request shape, checked once; serverless-express only carries that
 * request into the app and the app's answer back, written in the shape of the source.
 *
 * serverless-express keeps the current invocation in a module global. Here each invocation's
 * event and context travel with the invocation itself instead, so concurrent invocations in one
 * process (tests, benchmarks, response streaming) never mix, and without an AsyncLocalStorage,
 * which would slow every promise of the process:
 * - serverless-express is handed the invocation as its "event" and gives it back, untouched, to
 *   the reader and writer below;
 * - the reader hands over a body object of the invocation's own (an empty Buffer when there is
 *   none), which serverless-express puts on the request as `req.body`: the app finds the
 *   invocation from it before any body parser runs.
 */
export function createLambdaHandler(
  deps: HandlerDeps,
  options: { stage: string } & Omit<CreateAppOptions, 'resolveInvocation'>,
): { handler: LambdaHttpHandler; app: Express } {
  const byBody = new WeakMap<object, Invoke>();
  const invokeOf = (req: { body?: unknown }): Invoke | undefined =>
    typeof req.body === 'object' && req.body !== null ? byBody.get(req.body) : undefined;
  const app = createApp(deps, {
    ...options,
    resolveInvocation: lambdaInvocationResolver({ stage: options.stage, current: invokeOf }),
  });
  const proxy = serverlessExpress({
    app,
    // How serverless-express hands a request to the app. For a request without a body it returns
    // when the route has answered, so the response is complete when serverless-express looks and
    // it need not listen for its end. A request with a body returns at once, as by default: the
    // body parser, refusing a body, waits for serverless-express to mark the request complete,
    // which it does only after this returns.
    framework: {
      sendRequest: ({ request, response }: { request: { body?: unknown }; response: object }) => {
        const invoke = invokeOf(request);
        if (!invoke) throw new Error('serverless-express did not pass on the request body it was given');
        app(request as never, response as never);
        return invoke.request.body === undefined ? answerOf(request) : undefined;
      },
    },
    // Our own reader and writer for every source (the name only makes serverless-express answer
    // its own failures through `getResponse` instead of failing the invocation).
    eventSourceName: 'AWS_API_GATEWAY_V1',
    eventSource: {
      getRequest: ({ event }: { event: Invoke }) => {
        const values = toNodeRequest(event.request);
        byBody.set(values.body, event);
        return values;
      },
      getResponse: ({ event: invoke, ...response }: LambdaHttpResponse & { event: Invoke }) => {
        const { event, source } = invoke;
        // serverless-express answers its own failures with an empty 500; the client gets the JSON error.
        const own = response.statusCode === 500 && response.body === '' && !response.headers['content-type'];
        return source.write(event, own ? errorResponse(new InternalError('Adapter failure')) : response);
      },
    },
    // The same rule as request bodies use, so a handler's base64 result is base64 to the client.
    binarySettings: {
      isBinary: ({ headers }: { headers: Record<string, string | undefined> }) =>
        isBinaryBody({ contentType: headers['content-type'], contentEncoding: headers['content-encoding'] }),
    },
    logSettings: { level: 'error' },
  });
  const handler: LambdaHttpHandler = async (event, context) => {
    const source = eventSourceOf(event);
    if (!source) {
      return unknownEventResult(
        errorResponse(
          new MalformedEventError('The event is not an ALB, API Gateway REST or HTTP API request'),
        ),
      );
    }
    const record = event as Record<string, unknown>;
    let request: LambdaHttpRequest;
    try {
      request = source.read(record);
    } catch (error) {
      return source.write(record, errorResponse(error));
    }
    try {
      const invoke: Invoke = { event: record, source, request, context };
      return await (proxy(invoke, context, () => {}) as Promise<unknown>);
    } catch (error) {
      const response = errorResponse(error);
      if (response.statusCode >= 500) deps.logger.error({ err: error }, 'Lambda adapter failure');
      return source.write(record, response);
    }
  };
  return { handler, app };
}

/** The request serverless-express hands to the app, from the checked request. */
function toNodeRequest(request: LambdaHttpRequest) {
  // Repeats joined the way Node joins them on ECS; nothing inherited, so no name is special.
  const headers = clientKeyedMap<string>();
  for (const [name, value] of request.headerPairs) {
    const previous = headers[name];
    headers[name] = previous === undefined ? value : `${previous}${name === 'cookie' ? '; ' : ', '}${value}`;
  }
  // The body is the one the event carries, whatever lengths its headers claim.
  delete headers['transfer-encoding'];
  if (request.body === undefined) delete headers['content-length'];
  else headers['content-length'] = String(request.body.length);
  return {
    method: request.method,
    headers,
    // The invocation's own object either way: the app finds the invocation by it (see above).
    body: request.body ?? Buffer.alloc(0),
    remoteAddress: request.sourceIp,
    path: request.rawQuery === '' ? request.path : `${request.path}?${request.rawQuery}`,
  };
}
