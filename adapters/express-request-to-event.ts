import type { APIGatewayProxyEvent } from 'aws-lambda';
import type { Request } from 'express';
import type { RouteDefinition } from '../app/routes.js';
import { resourceTemplate } from '../app/routes.js';
import { isBinaryBody } from './content-types.js';
import type { Invocation } from './invocation.js';

/** Decodes one percent-encoded component, leaving a malformed one as it came. */
function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Splits `/a%2Fb/c?x=1` into a decoded path (an encoded `/` stays `%2F`) and the raw query. */
export function splitUrl(url: string): { path: string; rawQuery: string } {
  const mark = url.indexOf('?');
  const rawPath = mark === -1 ? url : url.slice(0, mark);
  const rawQuery = mark === -1 ? '' : url.slice(mark + 1);
  // Most paths have nothing to decode; skip the split for them.
  const path = !rawPath.includes('%')
    ? rawPath
    : rawPath
        .split('/')
        .map((segment) => safeDecode(segment).replaceAll('/', '%2F'))
        .join('/');
  return { path, rawQuery };
}

/** One `application/x-www-form-urlencoded` component: `+` is a space, bad escapes stay as sent. */
export function decodeFormComponent(value: string): string {
  return safeDecode(value.replaceAll('+', ' '));
}

/**
 * A map for names the client chose (query keys, header names, path parameters). With no
 * prototype, `constructor` or `__proto__` is a name like any other, never an inherited member.
 */
export function clientKeyedMap<T>(): Record<string, T> {
  return Object.create(NOTHING_INHERITED) as Record<string, T>;
}

// The prototype of those maps: itself without a prototype, so nothing is inherited, while V8 keeps
// the maps in its fast object layout (a prototype-less object is a slower hash table from birth).
const NOTHING_INHERITED: object = Object.freeze(Object.create(null));

/** Form-urlencoded query parsing: `+` and `%20` are spaces, repeated keys kept in order. */
export function parseQuery(rawQuery: string): {
  single: Record<string, string> | null;
  multi: Record<string, string[]> | null;
} {
  if (rawQuery === '') return { single: null, multi: null };
  const multi = clientKeyedMap<string[]>();
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeFormComponent(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decodeFormComponent(pair.slice(eq + 1));
    const values = multi[key];
    if (values) values.push(value);
    else multi[key] = [value];
  }
  const keys = Object.keys(multi);
  if (keys.length === 0) return { single: null, multi: null };
  // API Gateway REST gives the last value of a repeated key in `queryStringParameters`.
  const single = clientKeyedMap<string>();
  for (const key of keys) single[key] = multi[key]?.at(-1) ?? '';
  return { single, multi };
}

// Read once: process.env is a slow lookup on every access.
const ACCOUNT_ID = process.env.AWS_ACCOUNT_ID ?? '';

const resources = new Map<string, string>();
function resourceOf(path: string): string {
  let resource = resources.get(path);
  if (resource === undefined) {
    resource = resourceTemplate(path);
    resources.set(path, resource);
  }
  return resource;
}

/** `22/Nov/2026:09:42:00 +0000`, the format of API Gateway's `requestTime`. */
export function formatRequestTime(date: Date): string {
  const second = Math.floor(date.getTime() / 1000);
  if (second === lastRequestTime.second) return lastRequestTime.text;
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  const text = `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(
    date.getUTCHours(),
  )}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
  lastRequestTime = { second, text };
  return text;
}

/** The text changes once a second; most requests reuse it. */
let lastRequestTime = { second: Number.NaN, text: '' };

/**
 * Builds the API Gateway REST (v1) proxy event a handler expects from an Express request. The same
 * function runs on ECS and on Lambda (where serverless-express has already turned the ALB or API
 * Gateway event into an Express request), so handlers see one shape everywhere.
 */
export function expressRequestToProxyEvent(
  req: Request,
  route: Pick<RouteDefinition, 'path'>,
  invocation: Invocation,
  now: Date = new Date(),
): APIGatewayProxyEvent {
  const { path, rawQuery } = splitUrl(req.originalUrl);
  const query = parseQuery(rawQuery);
  const pairs = invocation.headerPairs;

  const raw: unknown = req.body;
  const bodyBytes = Buffer.isBuffer(raw) && raw.length > 0 ? raw : undefined;
  const binary =
    bodyBytes !== undefined &&
    isBinaryBody(
      {
        contentType: lastHeader(pairs, 'content-type'),
        contentEncoding: lastHeader(pairs, 'content-encoding'),
      },
      bodyBytes,
    );
  const body = bodyBytes === undefined ? null : bodyBytes.toString(binary ? 'base64' : 'utf8');

  let pathParameters: Record<string, string> | null = null;
  const params = req.params as Record<string, unknown> | undefined;
  for (const name in params) {
    const value = params[name];
    if (typeof value !== 'string') continue;
    pathParameters ??= clientKeyedMap<string>();
    pathParameters[name] = value;
  }
  const resource = resourceOf(route.path);
  const requestTimeEpoch = now.getTime();

  return {
    resource,
    path,
    httpMethod: req.method,
    headers: singleHeaderMap(pairs),
    multiValueHeaders: multiHeaderMap(pairs),
    queryStringParameters: query.single,
    multiValueQueryStringParameters: query.multi,
    pathParameters,
    stageVariables: null,
    body,
    isBase64Encoded: binary,
    requestContext: {
      accountId: ACCOUNT_ID,
      apiId: invocation.functionName,
      authorizer: null,
      protocol: `HTTP/${req.httpVersion || '1.1'}`,
      httpMethod: req.method,
      path,
      stage: invocation.stage,
      requestId: invocation.requestId,
      requestTime: formatRequestTime(now),
      requestTimeEpoch,
      resourceId: resource,
      resourcePath: resource,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: invocation.sourceIp,
        user: null,
        userAgent: lastHeader(pairs, 'user-agent') ?? null,
        userArn: null,
      },
    },
  };
}

/** API Gateway's single-value map: the last value of a repeated header. */
function singleHeaderMap(pairs: Invocation['headerPairs']): Record<string, string> {
  const headers = clientKeyedMap<string>();
  for (const [name, value] of pairs) headers[name] = value;
  return headers;
}

function multiHeaderMap(pairs: Invocation['headerPairs']): Record<string, string[]> {
  const headers = clientKeyedMap<string[]>();
  for (const [name, value] of pairs) {
    const values = headers[name];
    if (values) values.push(value);
    else headers[name] = [value];
  }
  return headers;
}

/** The value `headers[name]` will hold: the last of its lines. */
function lastHeader(pairs: Invocation['headerPairs'], name: string): string | undefined {
  let found: string | undefined;
  for (const [key, value] of pairs) if (key === name) found = value;
  return found;
}
