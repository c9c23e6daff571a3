import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isBinaryBody } from '../../adapters/content-types.js';
import { append, bodyBytes, type HttpCase, nameMap, wireHeaders } from './http-case.js';

/**
 * Builds the Lambda events AWS would deliver for one client request, starting from the example
 * events of AWS's documentation (test/fixtures/events) and applying each source's documented
 * rules. These rules are the point: a builder that does what AWS does not would prove nothing.
 */

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'events');

export function loadFixture<T = Record<string, unknown>>(relative: string): T {
  return JSON.parse(readFileSync(join(fixtures, relative), 'utf8')) as T;
}

const DEFAULT_CLIENT_IP = '203.0.113.7';

function lower(pairs: [string, string][]): [string, string][] {
  return pairs.map(([name, value]) => [name.toLowerCase(), value]);
}

function header(pairs: [string, string][], name: string): string | undefined {
  return pairs.filter(([n]) => n === name).at(-1)?.[1];
}

function encodeBody(
  request: HttpCase,
  pairs: [string, string][],
): { body: string; isBase64Encoded: boolean } {
  const bytes = bodyBytes(request.body);
  if (bytes === undefined || bytes.length === 0) return { body: '', isBase64Encoded: false };
  const binary = isBinaryBody(
    { contentType: header(pairs, 'content-type'), contentEncoding: header(pairs, 'content-encoding') },
    bytes,
  );
  return binary
    ? { body: bytes.toString('base64'), isBase64Encoded: true }
    : { body: bytes.toString('utf8'), isBase64Encoded: false };
}

function rawQueryPairs(query: string | undefined): [string, string][] {
  if (!query) return [];
  return query
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq === -1 ? [part, ''] : [part.slice(0, eq), part.slice(eq + 1)];
    });
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch {
    return value;
  }
}

/** The ALB appends the address it saw to any X-Forwarded-For the client sent. */
function withForwardedFor(pairs: [string, string][], clientIp: string): [string, string][] {
  const sent = pairs.filter(([name]) => name === 'x-forwarded-for').map(([, v]) => v);
  const rest = pairs.filter(([name]) => name !== 'x-forwarded-for');
  return [...rest, ['x-forwarded-for', [...sent, clientIp].join(', ')]];
}

/**
 * The `{proxy+}` path parameter API Gateway REST sends: the path after `/`, without the trailing
 * slash, which only `event.path` keeps ("Lambda proxy integrations in API Gateway", input format).
 */
export function proxyParameter(path: string): string {
  return path.slice(1).replace(/\/+$/, '');
}

/**
 * ALB: header names lower-cased; query strings passed as received, not URL-decoded; in single-value
 * mode a repeated header or query key keeps its last value ("Lambda functions as targets", ELB guide).
 */
export function toAlbEvent(request: HttpCase, options: { multiValue: boolean }): Record<string, unknown> {
  const event = loadFixture(options.multiValue ? 'alb-multivalue/get-lambda.json' : 'alb/get-lambda.json');
  const pairs = withForwardedFor(lower(wireHeaders(request)), request.sourceIp ?? DEFAULT_CLIENT_IP);
  const query = rawQueryPairs(request.query);
  event.httpMethod = request.method;
  event.path = request.path;
  delete event.headers;
  delete event.multiValueHeaders;
  delete event.queryStringParameters;
  delete event.multiValueQueryStringParameters;
  if (options.multiValue) {
    const headers = nameMap<string[]>();
    for (const [name, value] of pairs) append(headers, name, value);
    const params = nameMap<string[]>();
    for (const [key, value] of query) append(params, key, value);
    event.multiValueHeaders = headers;
    event.multiValueQueryStringParameters = params;
  } else {
    event.headers = Object.assign(nameMap<string>(), Object.fromEntries(pairs));
    event.queryStringParameters = Object.assign(nameMap<string>(), Object.fromEntries(query));
  }
  Object.assign(event, encodeBody(request, pairs));
  return event;
}

/**
 * API Gateway REST (v1): headers as sent plus multi-value copies, query parameters URL-decoded
 * (`+` becomes a space), the last value of a repeated key in the single-value map, the client
 * address in `requestContext.identity.sourceIp`. Binary media types are assumed configured (`*\/*`).
 */
export function toApiGatewayV1Event(request: HttpCase): Record<string, unknown> {
  const event = loadFixture<Record<string, unknown> & { requestContext: Record<string, unknown> }>(
    'apigw-v1/get-my-path.json',
  );
  const clientIp = request.sourceIp ?? DEFAULT_CLIENT_IP;
  const pairs = withForwardedFor(wireHeaders(request), clientIp);
  const headers = nameMap<string>();
  const multiValueHeaders = nameMap<string[]>();
  for (const [name, value] of pairs) {
    headers[name] = value;
    append(multiValueHeaders, name, value);
  }
  const query = rawQueryPairs(request.query).map(([k, v]) => [formDecode(k), formDecode(v)] as const);
  const multi = nameMap<string[]>();
  for (const [key, value] of query) append(multi, key, value);
  event.resource = '/{proxy+}';
  event.path = request.path;
  event.httpMethod = request.method;
  event.headers = headers;
  event.multiValueHeaders = multiValueHeaders;
  event.queryStringParameters = query.length
    ? Object.assign(nameMap<string>(), Object.fromEntries(query))
    : null;
  event.multiValueQueryStringParameters = query.length ? multi : null;
  event.pathParameters = { proxy: proxyParameter(request.path) };
  event.requestContext = {
    ...event.requestContext,
    httpMethod: request.method,
    path: request.path,
    resourcePath: '/{proxy+}',
    identity: { ...(event.requestContext.identity as object), sourceIp: clientIp },
  };
  const encoded = encodeBody(request, lower(pairs));
  event.body = encoded.body === '' ? null : encoded.body;
  event.isBase64Encoded = encoded.isBase64Encoded;
  return event;
}

/**
 * HTTP API (v2) and Function URLs: lower-case header names, repeats joined with commas, cookies
 * moved to `cookies`, `rawQueryString` kept encoded, `queryStringParameters` decoded and joined
 * with commas ("Working with AWS Lambda proxy integrations for HTTP APIs", payload format 2.0).
 */
export function toApiGatewayV2Event(
  request: HttpCase,
  options: { functionUrl?: boolean } = {},
): Record<string, unknown> {
  const event = loadFixture<Record<string, unknown> & { requestContext: Record<string, unknown> }>(
    options.functionUrl ? 'apigw-v2/function-url-get.json' : 'apigw-v2/post-my-path.json',
  );
  const clientIp = request.sourceIp ?? DEFAULT_CLIENT_IP;
  const pairs = withForwardedFor(lower(wireHeaders(request)), clientIp);
  const cookies = pairs.filter(([name]) => name === 'cookie').flatMap(([, v]) => v.split(/;\s*/));
  const headers = nameMap<string>();
  for (const [name, value] of pairs) {
    if (name === 'cookie') continue;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const query = rawQueryPairs(request.query).map(([k, v]) => [formDecode(k), formDecode(v)] as const);
  const joined = nameMap<string>();
  for (const [key, value] of query)
    joined[key] = joined[key] === undefined ? value : `${joined[key]},${value}`;
  event.rawPath = request.path;
  event.rawQueryString = request.query ?? '';
  if (cookies.length > 0) event.cookies = cookies;
  else delete event.cookies;
  event.headers = headers;
  if (query.length > 0) event.queryStringParameters = joined;
  else delete event.queryStringParameters;
  event.pathParameters = null;
  event.requestContext = {
    ...event.requestContext,
    http: {
      ...(event.requestContext.http as object),
      method: request.method,
      path: request.path,
      sourceIp: clientIp,
      userAgent: headers['user-agent'] ?? '',
    },
  };
  const encoded = encodeBody(request, pairs);
  if (encoded.body === '') delete event.body;
  else event.body = encoded.body;
  event.isBase64Encoded = encoded.isBase64Encoded;
  return event;
}
