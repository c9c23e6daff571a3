import { proxyParameter } from '../parity/event-builders.js';

/**
 * Minimal Lambda events for one client request, shaped as AWS documents them: ALB ("Lambda
 * functions as targets", ELB user guide: the ALB appends the client address to X-Forwarded-For;
 * multi-value mode when enabled on the target group), API Gateway REST payload 1.0 and HTTP API
 * payload 2.0 (client address in `requestContext.identity.sourceIp` / `requestContext.http.sourceIp`).
 */
export interface ClientRequest {
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Headers the client sends (lower-case names). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
  /** The address the platform sees the client connect from. */
  readonly clientIp: string;
}

export type EventSource = 'alb' | 'alb-multi-value' | 'apigw-v1' | 'apigw-v2';
export const EVENT_SOURCES: readonly EventSource[] = ['alb', 'alb-multi-value', 'apigw-v1', 'apigw-v2'];

function forwardedFor(request: ClientRequest): string {
  const sent = request.headers?.['x-forwarded-for'];
  return sent ? `${sent}, ${request.clientIp}` : request.clientIp;
}

export function lambdaEvent(source: EventSource, request: ClientRequest): Record<string, unknown> {
  const headers: Record<string, string> = {
    host: 'api.example.com',
    ...request.headers,
    'x-forwarded-for': forwardedFor(request),
    ...(request.body === undefined ? {} : { 'content-type': 'application/json' }),
  };
  const body = request.body ?? null;
  switch (source) {
    case 'alb':
    case 'alb-multi-value': {
      const elb = {
        targetGroupArn:
          'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/api/49e9d65c45c6791a',
      };
      const common = {
        requestContext: { elb },
        httpMethod: request.method,
        path: request.path,
        body: body ?? '',
        isBase64Encoded: false,
      };
      return source === 'alb'
        ? { ...common, queryStringParameters: {}, headers }
        : {
            ...common,
            multiValueQueryStringParameters: {},
            multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
          };
    }
    case 'apigw-v1':
      return {
        resource: '/{proxy+}',
        path: request.path,
        httpMethod: request.method,
        headers,
        multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        pathParameters: { proxy: proxyParameter(request.path) },
        stageVariables: null,
        requestContext: {
          accountId: '123456789012',
          apiId: 'api-id',
          httpMethod: request.method,
          path: `/prod${request.path}`,
          resourcePath: '/{proxy+}',
          stage: 'prod',
          requestId: 'request-id',
          requestTimeEpoch: Date.now(),
          identity: { sourceIp: request.clientIp, userAgent: 'test' },
        },
        body,
        isBase64Encoded: false,
      };
    case 'apigw-v2':
      return {
        version: '2.0',
        routeKey: '$default',
        rawPath: request.path,
        rawQueryString: '',
        headers,
        requestContext: {
          accountId: '123456789012',
          apiId: 'api-id',
          domainName: 'api.example.com',
          http: {
            method: request.method,
            path: request.path,
            protocol: 'HTTP/1.1',
            sourceIp: request.clientIp,
            userAgent: 'test',
          },
          requestId: 'request-id',
          routeKey: '$default',
          stage: '$default',
          time: '22/Nov/2026:10:00:00 +0000',
          timeEpoch: Date.now(),
        },
        ...(body === null ? {} : { body }),
        isBase64Encoded: false,
      };
  }
}

/** Status and headers of a Lambda result as the client would receive them. */
export function lambdaResponse(result: unknown): {
  status: number;
  headers: Record<string, string>;
  body: string;
} {
  const r = result as {
    statusCode: number;
    headers?: Record<string, string>;
    multiValueHeaders?: Record<string, string[]>;
    body?: string;
  };
  const headers: Record<string, string> = {};
  for (const [name, values] of Object.entries(r.multiValueHeaders ?? {}))
    headers[name.toLowerCase()] = values.join(', ');
  for (const [name, value] of Object.entries(r.headers ?? {})) headers[name.toLowerCase()] ??= String(value);
  return { status: r.statusCode, headers, body: r.body ?? '' };
}
