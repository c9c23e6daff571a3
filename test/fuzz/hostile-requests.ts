import fc from 'fast-check';
import type { HttpCase } from '../parity/http-case.js';

/**
 * fast-check arbitraries for requests an attacker sends: names of built-in object members
 * wherever a client chooses a name, broken percent-escapes, unpaired surrogates, repeated identity
 * headers, bodies at the edges of the simulation model. Every request stays sendable on the wire
 * (Node's client refuses what no HTTP/1.1 request could carry), so ECS sees it too.
 */

export const BUILT_IN_NAMES = [
  'constructor',
  '__proto__',
  'prototype',
  'toString',
  'valueOf',
  'hasOwnProperty',
  'isPrototypeOf',
  '__defineGetter__',
  'then',
] as const;

const token = fc.stringMatching(/^[a-z0-9!#$&'*+.^_`|~-]{1,12}$/);
const name = fc.oneof(fc.constantFrom(...BUILT_IN_NAMES), token);
const BROKEN_ESCAPES = ['%', '%E0%A4%A', '%ED%A0%80', '%C0%AF', '%00', '%2F', '%25', '+', '%uD800'];
const wireText = fc.stringMatching(/^[\x21-\x7e]{0,16}$/).map((text) => text.replace(/[#?]/g, ''));
const segment = fc.oneof(
  fc.constantFrom('leads', 'simulations', 'healthz', 'openapi.json', 'probe', 'echo', ...BUILT_IN_NAMES),
  fc.constantFrom(...BROKEN_ESCAPES),
  wireText.map((text) => text.replace(/\//g, '')),
  fc.uuid(),
);
const randomPath = fc
  .tuple(fc.array(segment, { minLength: 1, maxLength: 3 }), fc.boolean())
  .map(([segments, slash]) => `/${segments.join('/')}${slash ? '/' : ''}`);
/** Mostly the API's own routes, so requests get past routing into the limiter and the handlers. */
const path = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('/healthz', '/openapi.json', '/simulations') },
  { weight: 4, arbitrary: segment.map((id) => `/leads/${id}`) },
  { weight: 2, arbitrary: fc.oneof(fc.uuid(), segment).map((id) => `/simulations/${id}`) },
  { weight: 1, arbitrary: randomPath },
);
const queryPart = fc.oneof(
  name,
  fc.constantFrom(...BROKEN_ESCAPES),
  wireText.map((t) => t.replace(/[&=]/g, '')),
);
const query = fc
  .array(fc.tuple(queryPart, fc.option(queryPart, { nil: undefined })), { maxLength: 5 })
  .map((pairs) => pairs.map(([k, v]) => (v === undefined ? k : `${k}=${v}`)).join('&'));

const headerValue = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,30}[\x21-\x7e])?$/);
const identityHeader = fc.oneof(
  fc.tuple(fc.constant('x-api-key'), fc.oneof(headerValue, fc.constant('a,b'), fc.constant(' '))),
  fc.tuple(fc.constant('authorization'), fc.oneof(headerValue, fc.constant('Bearer k1, Bearer k2'))),
  fc.tuple(fc.constant('idempotency-key'), fc.oneof(headerValue, fc.constant('k1,k2'))),
  fc.tuple(
    fc.constant('content-type'),
    fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=utf-8',
      '*/*',
    ),
  ),
  fc.tuple(fc.constant('cookie'), fc.constantFrom('__proto__=1', 'constructor=2; a=b', 'a')),
);
const header = fc.oneof(identityHeader, fc.tuple(name, headerValue));

/** Strings a JSON body may carry, including an unpaired surrogate escape. */
const jsonString = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('\\ud800', '\\udfff', '\\u0000', 'a\\ud83d'),
);
const jsonNumber = fc.oneof(
  fc.double(),
  fc.constantFrom('5e-324', '1e308', '-0', '1e-320', '1e999', '0.145', '40'),
);
const simulationLike = fc
  .record({
    massKg: jsonNumber,
    areaM2: jsonNumber,
    dragCoefficient: jsonNumber,
    speedMS: jsonNumber,
    angleDeg: jsonNumber,
    timeStepS: fc.option(jsonNumber, { nil: undefined }),
    maxTimeS: fc.option(fc.constantFrom('0.5', '1', '1e-300'), { nil: undefined }),
  })
  .map((fields) => {
    const parts = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `"${k}":${typeof v === 'number' ? (Number.isFinite(v) ? String(v) : '1') : v}`);
    return `{"model":"projectile-drag",${parts.join(',')}}`;
  });
const objectWithNames = fc
  .array(fc.tuple(fc.oneof(name, fc.constantFrom('name', 'email')), jsonString), { maxLength: 4 })
  .map(
    (pairs) =>
      `{${pairs.map(([k, v]) => `"${k}":"${v.replace(/["\\]/g, (c) => (c === '"' ? '' : c))}"`).join(',')}}`,
  );
const body = fc.oneof(
  simulationLike,
  objectWithNames,
  fc.constantFrom('{', '[]', 'null', '"x"', '{"name":"\\ud800","email":"a@example.com"}', ''),
  fc.string({ maxLength: 40 }),
);

export const hostileRequest: fc.Arbitrary<HttpCase> = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'DELETE', 'PUT', 'OPTIONS'),
    path,
    query: fc.option(query, { nil: undefined }),
    headers: fc.array(header, { maxLength: 6 }),
    body: fc.option(body, { nil: undefined }),
    sourceIp: fc.ipV4(),
  })
  .map(({ method, path, query, headers, body, sourceIp }) => ({
    name: 'fuzz',
    method,
    path,
    ...(query === undefined || query === '' ? {} : { query }),
    headers: headers.filter(([n]) => n !== 'content-length' && n !== 'transfer-encoding' && n !== 'host'),
    ...(body === undefined || method === 'GET' ? {} : { body }),
    sourceIp,
  }));

/** Events that are not what any source sends: missing fields, wrong types, built-in names. */
export const malformedEvent: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({ maxDepth: 2 }),
  fc.record(
    {
      requestContext: fc.oneof(
        fc.constant({ elb: { targetGroupArn: 'arn' } }),
        fc.constant({ http: { method: 'GET', sourceIp: '1.2.3.4' } }),
        fc.constant({}),
        fc.anything({ maxDepth: 1 }),
      ),
      version: fc.constantFrom('1.0', '2.0', undefined, 2),
      httpMethod: fc.oneof(fc.constantFrom('GET', 'POST', '', 'G E T'), fc.anything({ maxDepth: 0 })),
      path: fc.oneof(fc.constantFrom('/healthz', 'healthz', '/\ud800', ''), fc.anything({ maxDepth: 0 })),
      rawPath: fc.oneof(fc.constantFrom('/healthz', '/leads/x'), fc.anything({ maxDepth: 0 })),
      rawQueryString: fc.oneof(
        fc.constantFrom('constructor=1', '%', 'a=\ud800'),
        fc.anything({ maxDepth: 0 }),
      ),
      headers: fc.oneof(
        fc.dictionary(name, fc.oneof(fc.string(), fc.anything({ maxDepth: 0 }))),
        fc.anything({ maxDepth: 1 }),
      ),
      multiValueHeaders: fc.oneof(fc.dictionary(name, fc.array(fc.string())), fc.anything({ maxDepth: 1 })),
      queryStringParameters: fc.oneof(fc.dictionary(name, fc.string()), fc.anything({ maxDepth: 1 })),
      multiValueQueryStringParameters: fc.anything({ maxDepth: 1 }),
      cookies: fc.oneof(fc.array(fc.string()), fc.anything({ maxDepth: 1 })),
      body: fc.oneof(fc.string(), fc.anything({ maxDepth: 0 })),
      isBase64Encoded: fc.anything({ maxDepth: 0 }),
    },
    { requiredKeys: ['requestContext'] },
  ),
);
