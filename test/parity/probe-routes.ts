import { setTimeout as sleep } from 'node:timers/promises';
import type { RouteDefinition } from '../../app/routes.js';
import { json } from '../../handlers/respond.js';
import type { HandlerFactory } from '../../handlers/types.js';

/**
 * Test-only routes that expose what a handler receives and exercise every result shape. They are
 * added to the real route table for the parity suite only.
 */

const TEST_HEADER = /^(x-test-|content-type$)/;

/** Returns the event as the handler saw it, minus what differs per request (ids, times). */
const echo: HandlerFactory = () => async (event, context) => {
  const testHeaders = Object.fromEntries(
    Object.entries(event.multiValueHeaders ?? {}).filter(([name]) => TEST_HEADER.test(name)),
  );
  return json(200, {
    method: event.httpMethod,
    path: event.path,
    resource: event.resource,
    pathParameters: event.pathParameters,
    query: event.queryStringParameters,
    multiQuery: event.multiValueQueryStringParameters,
    testHeaders,
    body: event.body,
    isBase64Encoded: event.isBase64Encoded,
    sourceIp: event.requestContext.identity.sourceIp,
    stage: event.requestContext.stage,
    requestIdMatchesContext: event.requestContext.requestId === context.awsRequestId,
    remainingWithinDeadline:
      context.getRemainingTimeInMillis() > 0 && context.getRemainingTimeInMillis() <= 5_000,
  });
};

/** Sends the request body back with its content type: a binary round trip. */
const mirror: HandlerFactory = () => async (event) => ({
  statusCode: 200,
  headers: { 'content-type': event.headers['content-type'] ?? 'application/octet-stream' },
  body: event.body ?? '',
  isBase64Encoded: event.isBase64Encoded,
});

const cookies: HandlerFactory = () => async () => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  multiValueHeaders: { 'set-cookie': ['session=abc; Path=/; HttpOnly', 'theme=dark; Path=/'] },
  body: '{"ok":true}',
});

const multiHeader: HandlerFactory = () => async () => ({
  statusCode: 200,
  headers: { 'x-single': 'one' },
  multiValueHeaders: { 'x-multi': ['a', 'b'] },
  body: 'multi',
});

const throws: HandlerFactory = () => async () => {
  throw new Error('database password is hunter2');
};

const slow: HandlerFactory = () => async () => {
  await sleep(600);
  return json(200, { late: true });
};

const malformed: HandlerFactory = () => async () => ({ statusCode: 'teapot' }) as never;

const untypedJson: HandlerFactory = () => async () => ({ statusCode: 200, body: '{"untyped":true}' });

const untypedText: HandlerFactory = () => async () => ({ statusCode: 200, body: 'plain words' });

const noContent: HandlerFactory = () => async () => ({ statusCode: 204, body: '' });

const PNG_1X1 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const image: HandlerFactory = () => async () => ({
  statusCode: 200,
  headers: { 'content-type': 'image/png', 'cache-control': 'max-age=60' },
  body: PNG_1X1,
  isBase64Encoded: true,
});

function probe(
  method: RouteDefinition['method'],
  path: string,
  handler: HandlerFactory,
  extra: Partial<RouteDefinition> = {},
): RouteDefinition {
  return {
    method,
    path,
    handler,
    target: 'ecs',
    targets: ['ecs', 'lambda'],
    rateLimit: { class: 'none', cost: 0 },
    lambdaGroup: 'probe',
    timeoutMs: 5_000,
    summary: 'parity probe',
    ...extra,
  };
}

export const PROBE_BODY_LIMIT = 1_024;

export const probeRoutes: readonly RouteDefinition[] = [
  probe('GET', '/probe/echo/:id', echo),
  probe('POST', '/probe/echo/:id', echo),
  probe('POST', '/probe/mirror', mirror),
  probe('POST', '/probe/limited', echo, { maxBodyBytes: PROBE_BODY_LIMIT }),
  probe('GET', '/probe/cookies', cookies),
  probe('GET', '/probe/multi-header', multiHeader),
  probe('GET', '/probe/throws', throws),
  probe('GET', '/probe/slow', slow, { timeoutMs: 150 }),
  probe('GET', '/probe/malformed', malformed),
  probe('GET', '/probe/untyped-json', untypedJson),
  probe('GET', '/probe/untyped-text', untypedText),
  probe('GET', '/probe/no-content', noContent),
  probe('GET', '/probe/image', image),
];
