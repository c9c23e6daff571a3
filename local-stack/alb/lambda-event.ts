import { randomBytes } from 'node:crypto';

/**
 * The event ELB builds for a Lambda target and how it turns the function's result back into HTTP,
 * as "Use Lambda functions as targets of an Application Load Balancer" (ELB docs) describes them:
 * - header names lower-case; query string keys and values passed as received, NOT URL-decoded;
 * - without multi-value headers, a repeated header or query key carries its last value; with them,
 *   `multiValueHeaders` / `multiValueQueryStringParameters` carry every value in order;
 * - the body as is for `text/*`, `application/json`, `application/javascript` and `application/xml`,
 *   base64 (isBase64Encoded) for any other type and whenever `content-encoding` is present;
 * - the response: `statusCode`, `headers` (or `multiValueHeaders` when the target group enables
 *   them), `body` and `isBase64Encoded`.
 */

/** ELB's limits for Lambda targets (same page): 1 MB request body, 1 MB response JSON. */
export const LAMBDA_LIMITS = { requestBodyBytes: 1_048_576, responseJsonBytes: 1_048_576 } as const;

const TEXT_BODY = /^(text\/[^;\s]+|application\/(json|javascript|xml))\s*(;|$)/i;

export interface ForwardedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  /** Lower-case names, in order, repeats kept, X-Forwarded-* already appended. */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

export interface AlbLambdaEvent {
  requestContext: { elb: { targetGroupArn: string } };
  httpMethod: string;
  path: string;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  body: string;
  isBase64Encoded: boolean;
}

/** Appends to the list kept under `key`, creating it on first use. */
export function pushValue(map: Record<string, string[]>, key: string, value: string): void {
  const values = map[key];
  if (values) values.push(value);
  else map[key] = [value];
}

function rawQueryPairs(query: string): [string, string][] {
  return query
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq === -1 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    });
}

function last(pairs: readonly (readonly [string, string])[], name: string): string | undefined {
  return pairs.filter(([n]) => n === name).at(-1)?.[1];
}

export function albLambdaEvent(
  request: ForwardedRequest,
  targetGroupArn: string,
  multiValue: boolean,
): AlbLambdaEvent {
  const contentType = last(request.headers, 'content-type');
  const encoded =
    request.body.length > 0 &&
    (last(request.headers, 'content-encoding') !== undefined || !TEXT_BODY.test(contentType ?? ''));
  const event: AlbLambdaEvent = {
    requestContext: { elb: { targetGroupArn } },
    httpMethod: request.method,
    path: request.path,
    body: encoded ? request.body.toString('base64') : request.body.toString('utf8'),
    isBase64Encoded: encoded,
  };
  const query = rawQueryPairs(request.query);
  if (multiValue) {
    const headers: Record<string, string[]> = {};
    for (const [name, value] of request.headers) pushValue(headers, name, value);
    const params: Record<string, string[]> = {};
    for (const [key, value] of query) pushValue(params, key, value);
    event.multiValueHeaders = headers;
    event.multiValueQueryStringParameters = params;
  } else {
    event.headers = Object.fromEntries(request.headers);
    event.queryStringParameters = Object.fromEntries(query);
  }
  return event;
}

/** `Root=1-<epoch seconds, hex>-<96 random bits, hex>`: the trace header ELB adds to each request. */
export function traceId(now: number = Date.now()): string {
  return `Root=1-${Math.floor(now / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: Buffer;
}

/** Hop-by-hop headers: the connection to the client is ELB's own, whatever the target said. */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);

/**
 * The function's result as the client receives it, or undefined when ELB would answer 502 itself
 * (a result over 1 MB, or one without a valid status code: "Troubleshoot your Application Load
 * Balancers", HTTP 502).
 */
export function lambdaResultToHttp(resultJson: string, multiValue: boolean): HttpAnswer | undefined {
  if (Buffer.byteLength(resultJson) > LAMBDA_LIMITS.responseJsonBytes) return undefined;
  let result: unknown;
  try {
    result = JSON.parse(resultJson);
  } catch {
    return undefined;
  }
  if (!result || typeof result !== 'object') return undefined;
  const r = result as {
    statusCode?: unknown;
    headers?: Record<string, unknown>;
    multiValueHeaders?: Record<string, unknown[]>;
    body?: unknown;
    isBase64Encoded?: unknown;
  };
  const status = Number(r.statusCode);
  if (!Number.isInteger(status) || status < 100 || status > 599) return undefined;
  const headers: [string, string][] = [];
  if (multiValue && r.multiValueHeaders) {
    for (const [name, values] of Object.entries(r.multiValueHeaders)) {
      for (const value of values ?? []) headers.push([name, String(value)]);
    }
  } else if (r.headers) {
    for (const [name, value] of Object.entries(r.headers)) headers.push([name, String(value)]);
  }
  const text =
    typeof r.body === 'string' ? r.body : r.body === undefined || r.body === null ? '' : String(r.body);
  return {
    status,
    headers: headers.filter(([name]) => !HOP_BY_HOP.has(name.toLowerCase())),
    body: r.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8'),
  };
}

export { HOP_BY_HOP };
