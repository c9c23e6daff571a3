import type { ResponseHeader, RouteDefinition } from './routes.js';

/**
 * The responses of one operation in the OpenAPI document: the route's success answers and every
 * error status a route of its kind can give, each with the headers it carries. Schemas are
 * referenced by name from `components.schemas` (see app/openapi.ts).
 */

const ref = (kind: 'headers' | 'schemas' | 'responses' | 'parameters', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});

/** `components.headers`: every response header a client may read (and CORS exposes). */
export const HEADER_COMPONENTS = {
  Location: { description: 'Where the resource is', schema: { type: 'string' } },
  'Preference-Applied': {
    description: 'RFC 7240: `wait=<n>` when the answer was held up to n seconds',
    schema: { type: 'string', example: 'wait=10' },
  },
  'Idempotent-Replayed': {
    description: '`true` when this Idempotency-Key was seen before and its job is returned again',
    schema: { type: 'string', enum: ['true'] },
  },
  'Cache-Control': { schema: { type: 'string' } },
  'X-Request-Id': { description: 'The id of this request in the logs', schema: { type: 'string' } },
  RateLimit: {
    description: 'draft-ietf-httpapi-ratelimit-headers: `"<policy>";r=<remaining>;t=<seconds to reset>`',
    schema: { type: 'string', example: '"standard-anonymous";r=117;t=42' },
  },
  'RateLimit-Policy': {
    description: '`"<policy>";q=<quota>;w=<window seconds>`',
    schema: { type: 'string', example: '"standard-anonymous";q=120;w=60' },
  },
  'X-RateLimit-Limit': { schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'Epoch second the window ends', schema: { type: 'integer' } },
  'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } },
  Allow: { description: 'The methods of this path', schema: { type: 'string' } },
} as const;

const SUCCESS_HEADER_NAMES: Record<ResponseHeader, keyof typeof HEADER_COMPONENTS> = {
  location: 'Location',
  'preference-applied': 'Preference-Applied',
  'idempotent-replayed': 'Idempotent-Replayed',
  'cache-control': 'Cache-Control',
};

const RATE_LIMIT_HEADERS = [
  'RateLimit',
  'RateLimit-Policy',
  'X-RateLimit-Limit',
  'X-RateLimit-Remaining',
  'X-RateLimit-Reset',
] as const;

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed or fails validation; `details.fields` names what',
  401: 'The API key is unknown, empty or conflicting',
  404: 'Not found',
  405: 'The path does not have this method; `Allow` lists those it has',
  409: 'Conflicts with the resource’s state; `details.status` tells it where relevant',
  413: 'The body is larger than this route accepts',
  415: 'The body is not JSON',
  429: 'Rate limited; retry after `Retry-After` seconds',
  500: 'Server error; the message is not shown',
  503: 'Unavailable for now (a concurrency bound is full, draining, or a store is down); retry, after `Retry-After` seconds when given',
  504: 'The route did not answer within its deadline',
};

function headersFor(names: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(names.map((name) => [name, ref('headers', name)]));
}

/** The error statuses an operation can give, from what the route is. */
export function errorStatuses(route: RouteDefinition): number[] {
  const statuses = new Set<number>([500, 503, 504, ...(route.errors ?? [])]);
  // A path parameter is validated, and a malformed percent-encoding is refused by the router.
  if (route.path.includes(':')) for (const s of [400, 404]) statuses.add(s);
  if (route.requestSchema) for (const s of [400, 413, 415]) statuses.add(s);
  if (route.rateLimit.class !== 'none') for (const s of [401, 429]) statuses.add(s);
  return [...statuses].sort((a, b) => a - b);
}

export function responsesFor(route: RouteDefinition): Record<string, unknown> {
  const limited = route.rateLimit.class !== 'none';
  const common = ['X-Request-Id', ...(limited ? RATE_LIMIT_HEADERS : [])];
  const responses: Record<string, unknown> = {};
  for (const [status, success] of Object.entries(route.responses ?? { 200: { description: 'Success' } })) {
    responses[status] = {
      description: success.description,
      headers: headersFor([...common, ...(success.headers ?? []).map((h) => SUCCESS_HEADER_NAMES[h])]),
      ...(success.schema
        ? { content: { 'application/json': { schema: ref('schemas', success.schema) } } }
        : {}),
    };
  }
  for (const status of errorStatuses(route)) {
    responses[String(status)] = {
      description: ERROR_DESCRIPTIONS[status] ?? 'Error',
      headers: headersFor([...common, ...(status === 429 || status === 503 ? ['Retry-After'] : [])]),
      content: { 'application/json': { schema: ref('schemas', 'Error') } },
    };
  }
  return responses;
}

/** `components.responses.MethodNotAllowed`: what any path answers for a method it lacks. */
export const METHOD_NOT_ALLOWED_RESPONSE = {
  description: ERROR_DESCRIPTIONS[405],
  headers: headersFor(['Allow', 'X-Request-Id']),
  content: { 'application/json': { schema: ref('schemas', 'Error') } },
};

/** The `options` operation of a path: CORS preflights (never counted against a quota). */
export function optionsOperation(path: string, operationIdBase: string): Record<string, unknown> {
  return {
    operationId: `options${operationIdBase}`,
    summary: `CORS preflight and allowed methods of ${path}; never counted against a quota`,
    tags: ['cors'],
    responses: {
      '204': {
        description:
          'The methods of this path in `Allow`; for an allowed Origin asking for one of them, the ' +
          'Access-Control-Allow-* headers too',
        headers: headersFor(['Allow']),
      },
      '429': {
        description: 'Too many preflights from this address in a minute',
        headers: headersFor(['Retry-After']),
        content: { 'application/json': { schema: ref('schemas', 'Error') } },
      },
    },
  };
}

export { ref };
