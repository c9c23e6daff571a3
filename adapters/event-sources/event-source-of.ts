import { type HttpError, toHttpError } from '../http-error.js';
import { albEventSource } from './alb.js';
import { apiGatewayV1EventSource } from './apigw-v1.js';
import { apiGatewayV2EventSource } from './apigw-v2.js';
import { type EventSourceAdapter, isRecord, type LambdaHttpResponse } from './lambda-http.js';

/**
 * Which source sent an event, told apart by the fields only that source writes:
 * - ALB: `requestContext.elb` (the target group ARN), present in every ALB event;
 * - HTTP API payload 2.0 and function URLs: `version: "2.0"`;
 * - REST API (and HTTP API payload 1.0): `httpMethod` at the top level with a `requestContext`.
 * Anything else is not an HTTP event this function serves.
 */
export function eventSourceOf(event: unknown): EventSourceAdapter | undefined {
  if (!isRecord(event)) return undefined;
  const context = event.requestContext;
  if (!isRecord(context)) return undefined;
  if (isRecord(context.elb)) return albEventSource;
  if (event.version === '2.0') return apiGatewayV2EventSource;
  if ('httpMethod' in event) return apiGatewayV1EventSource;
  return undefined;
}

/** The project's JSON error as a response any source can write. */
export function errorResponse(error: unknown): LambdaHttpResponse & { error: HttpError } {
  const httpError = toHttpError(error);
  return {
    statusCode: httpError.statusCode,
    headers: { ...httpError.headers, 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(httpError.toJSON()),
    isBase64Encoded: false,
    error: httpError,
  };
}

/**
 * For an event no source recognises: a result with `statusCode`, `headers` and `body`, which
 * ALB, REST and HTTP API all accept.
 */
export function unknownEventResult(response: LambdaHttpResponse): Record<string, unknown> {
  return {
    statusCode: response.statusCode,
    headers: Object.fromEntries(
      Object.entries(response.headers).map(([name, value]) => [name, String(value)]),
    ),
    body: response.body,
    isBase64Encoded: false,
  };
}
