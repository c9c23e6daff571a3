import { randomBytes } from 'node:crypto';
import { expect } from 'vitest';
import type { HttpCase, NormalizedResponse } from './http-case.js';
import { PROBE_BODY_LIMIT } from './probe-routes.js';
import { comparable } from './runtimes.js';

/**
 * The parity suite's cases: one client request each, what the ECS answer must be, and the
 * differences an event source forces (asserted instead of equality for that source only).
 */

export const LAMBDA_SOURCES = ['alb', 'alb-multivalue', 'apigw-v1', 'apigw-v2', 'function-url'] as const;
export type LambdaSource = (typeof LAMBDA_SOURCES)[number];

/** The time every runtime's clock reads, so stored leads compare byte for byte. */
export const FIXED_NOW = new Date('2026-01-01T00:00:00.000Z');

const json = (value: unknown) => JSON.stringify(value);
const binary = randomBytes(2_048);
const jsonType: [string, string] = ['content-type', 'application/json'];

export interface ParityCase {
  /** Sent to the same runtime first, e.g. to spend a quota. */
  readonly before?: readonly HttpCase[];
  readonly request: HttpCase;
  /** Headers that may differ between runtimes for this case (seconds counted from each one's clock). */
  readonly volatileHeaders?: readonly string[];
  readonly status: number;
  /** Extra checks on the ECS answer (what "correct" means, beyond "the same everywhere"). */
  readonly check?: (response: NormalizedResponse) => void;
  /** Differences an event source forces, asserted instead of equality for that source. */
  readonly differs?: Partial<
    Record<LambdaSource, (ecs: NormalizedResponse, lambda: NormalizedResponse) => void>
  >;
}

const bodyJson = (response: NormalizedResponse) => JSON.parse(response.body.toString('utf8'));

/** Repeated request headers: ALB single-value mode keeps the last; HTTP API joins them with commas. */
const repeatedHeaderDiffers = {
  alb: (_ecs: NormalizedResponse, lambda: NormalizedResponse) =>
    expect(bodyJson(lambda).testHeaders['x-test-repeat']).toEqual(['second']),
  'apigw-v2': (_ecs: NormalizedResponse, lambda: NormalizedResponse) =>
    expect(bodyJson(lambda).testHeaders['x-test-repeat']).toEqual(['first,second']),
  'function-url': (_ecs: NormalizedResponse, lambda: NormalizedResponse) =>
    expect(bodyJson(lambda).testHeaders['x-test-repeat']).toEqual(['first,second']),
};

export const cases: Record<string, ParityCase> = {
  'healthz answers 200': { request: { name: '', method: 'GET', path: '/healthz' }, status: 200 },
  'HEAD healthz has headers, no body': {
    request: { name: '', method: 'HEAD', path: '/healthz' },
    status: 200,
    check: (r) => expect(r.body.length).toBe(0),
  },
  'reads a stored lead': { request: { name: '', method: 'GET', path: '/leads/seed-1' }, status: 200 },
  'unknown lead is 404 JSON': {
    request: { name: '', method: 'GET', path: '/leads/nobody' },
    status: 404,
    check: (r) => expect(bodyJson(r).error.code).toBe('lead_not_found'),
  },
  'percent-encoded unicode path parameter': {
    request: { name: '', method: 'GET', path: '/leads/caf%C3%A9' },
    status: 200,
    check: (r) => expect(bodyJson(r).leadId).toBe('café'),
  },
  'encoded space in path parameter': {
    request: { name: '', method: 'GET', path: '/leads/a%20b' },
    status: 200,
    check: (r) => expect(bodyJson(r).leadId).toBe('a b'),
  },
  'emoji path parameter': {
    request: { name: '', method: 'GET', path: '/leads/%F0%9F%9A%80' },
    status: 200,
    check: (r) => expect(bodyJson(r).leadId).toBe('🚀'),
  },
  'malformed percent-encoding in the path is 400': {
    request: { name: '', method: 'GET', path: '/leads/%E0%A4%A' },
    status: 400,
  },
  'creates a lead': {
    request: {
      name: '',
      method: 'POST',
      path: '/leads/new-1',
      headers: [jsonType],
      body: json({ name: 'Ada', email: 'ada@example.com' }),
    },
    status: 201,
    check: (r) => {
      expect(bodyJson(r)).toMatchObject({ leadId: 'new-1', name: 'Ada', createdAt: FIXED_NOW.toISOString() });
      expect(r.headers.location).toEqual(['/leads/new-1']);
    },
  },
  'creates a lead with a charset and a unicode name': {
    request: {
      name: '',
      method: 'POST',
      path: '/leads/new-2',
      headers: [['Content-Type', 'application/json; charset=utf-8']],
      body: json({ name: 'Zoë Ünal 李', email: 'zoe@example.com' }),
    },
    status: 201,
    check: (r) => expect(bodyJson(r).name).toBe('Zoë Ünal 李'),
  },
  'lead with failing fields is 400 naming them': {
    request: {
      name: '',
      method: 'POST',
      path: '/leads/x',
      headers: [jsonType],
      body: json({ name: '', email: 'no' }),
    },
    status: 400,
    check: (r) =>
      expect(bodyJson(r).error.details.fields.map((f: { path: string }) => f.path)).toEqual([
        'name',
        'email',
      ]),
  },
  'unknown field is 400': {
    request: {
      name: '',
      method: 'POST',
      path: '/leads/x',
      headers: [jsonType],
      body: json({ name: 'A', email: 'a@example.com', admin: true }),
    },
    status: 400,
  },
  'invalid JSON is 400': {
    request: { name: '', method: 'POST', path: '/leads/x', headers: [jsonType], body: '{"name": ' },
    status: 400,
    check: (r) => expect(bodyJson(r).error.code).toBe('invalid_json'),
  },
  'empty body is 400': {
    request: { name: '', method: 'POST', path: '/leads/x', headers: [jsonType] },
    status: 400,
    check: (r) => expect(bodyJson(r).error.code).toBe('body_required'),
  },
  'wrong content type is 415': {
    request: {
      name: '',
      method: 'POST',
      path: '/leads/x',
      headers: [['content-type', 'text/plain']],
      body: 'hi',
    },
    status: 415,
  },
  'HEAD on a lead': {
    request: { name: '', method: 'HEAD', path: '/leads/seed-1' },
    status: 200,
    check: (r) => {
      expect(r.body.length).toBe(0);
      expect(Number(r.headers['content-length']?.[0])).toBeGreaterThan(0);
    },
  },
  'wrong method is 405 with Allow': {
    request: { name: '', method: 'DELETE', path: '/leads/seed-1' },
    status: 405,
    check: (r) => expect(r.headers.allow).toEqual(['GET, HEAD, OPTIONS, POST']),
  },
  'PUT on healthz is 405': { request: { name: '', method: 'PUT', path: '/healthz' }, status: 405 },
  'OPTIONS without CORS is 204 with Allow': {
    request: { name: '', method: 'OPTIONS', path: '/leads/seed-1' },
    status: 204,
    check: (r) => {
      expect(r.headers.allow).toEqual(['GET, HEAD, OPTIONS, POST']);
      expect(r.headers['access-control-allow-origin']).toBeUndefined();
    },
  },
  'unknown route is 404 JSON': {
    request: { name: '', method: 'GET', path: '/nothing/here' },
    status: 404,
    check: (r) => expect(bodyJson(r).error.code).toBe('route_not_found'),
  },
  'collection path without id is 404': { request: { name: '', method: 'GET', path: '/leads' }, status: 404 },
  'paths are case-sensitive like ALB rules': {
    request: { name: '', method: 'GET', path: '/LEADS/seed-1' },
    status: 404,
  },
  'trailing slash is another path': {
    request: { name: '', method: 'GET', path: '/leads/seed-1/' },
    status: 404,
  },
  'repeated query keys are all kept': {
    request: { name: '', method: 'GET', path: '/probe/echo/q', query: 'a=1&a=2&b=3' },
    status: 200,
    check: (r) => {
      expect(bodyJson(r).multiQuery).toEqual({ a: ['1', '2'], b: ['3'] });
      expect(bodyJson(r).query).toEqual({ a: '2', b: '3' });
    },
    differs: {
      // ALB single-value mode delivers only the last value of a repeated query key.
      alb: (ecs, lambda) => {
        expect(bodyJson(lambda).multiQuery).toEqual({ a: ['2'], b: ['3'] });
        expect(bodyJson(lambda).query).toEqual(bodyJson(ecs).query);
      },
    },
  },
  'plus and %20 both decode to a space': {
    request: { name: '', method: 'GET', path: '/probe/echo/q', query: 'p=hello+world&s=hello%20world' },
    status: 200,
    check: (r) => expect(bodyJson(r).query).toEqual({ p: 'hello world', s: 'hello world' }),
  },
  'encoded & and = stay inside the value': {
    request: { name: '', method: 'GET', path: '/probe/echo/q', query: 'x=a%26b%3Dc&y=%2B1' },
    status: 200,
    check: (r) => expect(bodyJson(r).query).toEqual({ x: 'a&b=c', y: '+1' }),
  },
  'unicode query value': {
    request: { name: '', method: 'GET', path: '/probe/echo/q', query: 'name=%E2%9C%93%20ok' },
    status: 200,
    check: (r) => expect(bodyJson(r).query).toEqual({ name: '✓ ok' }),
  },
  'malformed query escape is passed through, not a 500': {
    request: { name: '', method: 'GET', path: '/probe/echo/q', query: 'bad=%E0%A4%A&good=1' },
    status: 200,
    check: (r) => expect(bodyJson(r).query).toEqual({ bad: '%E0%A4%A', good: '1' }),
  },
  'key without value and empty value': {
    request: { name: '', method: 'GET', path: '/probe/echo/q', query: 'flag&empty=' },
    status: 200,
    check: (r) => expect(bodyJson(r).query).toEqual({ flag: '', empty: '' }),
  },
  'no query gives null parameters': {
    request: { name: '', method: 'GET', path: '/probe/echo/q' },
    status: 200,
    check: (r) => expect(bodyJson(r)).toMatchObject({ query: null, multiQuery: null, body: null }),
  },
  'path parameters, resource and stage': {
    request: { name: '', method: 'GET', path: '/probe/echo/%C3%BCber%2Fslash' },
    status: 200,
    check: (r) =>
      expect(bodyJson(r)).toMatchObject({
        resource: '/probe/echo/{id}',
        pathParameters: { id: 'über/slash' },
        requestIdMatchesContext: true,
        remainingWithinDeadline: true,
      }),
  },
  'text body arrives as a string': {
    request: {
      name: '',
      method: 'POST',
      path: '/probe/echo/t',
      headers: [['content-type', 'text/plain; charset=utf-8']],
      body: 'línea 1\nline 2',
    },
    status: 200,
    check: (r) => expect(bodyJson(r)).toMatchObject({ body: 'línea 1\nline 2', isBase64Encoded: false }),
  },
  'binary body arrives base64-encoded': {
    request: {
      name: '',
      method: 'POST',
      path: '/probe/echo/b',
      headers: [['content-type', 'application/octet-stream']],
      body: binary,
    },
    status: 200,
    check: (r) =>
      expect(bodyJson(r)).toMatchObject({ body: binary.toString('base64'), isBase64Encoded: true }),
  },
  'binary body round trip': {
    request: {
      name: '',
      method: 'POST',
      path: '/probe/mirror',
      headers: [['content-type', 'image/png']],
      body: binary,
    },
    status: 200,
    check: (r) => expect(r.body.equals(binary)).toBe(true),
  },
  'body one byte under the limit': {
    request: {
      name: '',
      method: 'POST',
      path: '/probe/limited',
      headers: [['content-type', 'text/plain']],
      body: 'x'.repeat(PROBE_BODY_LIMIT - 1),
    },
    status: 200,
  },
  'body exactly at the limit': {
    request: {
      name: '',
      method: 'POST',
      path: '/probe/limited',
      headers: [['content-type', 'text/plain']],
      body: 'x'.repeat(PROBE_BODY_LIMIT),
    },
    status: 200,
  },
  'body one byte over the limit is 413 JSON': {
    request: {
      name: '',
      method: 'POST',
      path: '/probe/limited',
      headers: [['content-type', 'text/plain']],
      body: 'x'.repeat(PROBE_BODY_LIMIT + 1),
    },
    status: 413,
    check: (r) =>
      expect(bodyJson(r).error).toMatchObject({
        code: 'payload_too_large',
        details: { limitBytes: PROBE_BODY_LIMIT },
      }),
  },
  'request headers keep repeats where the source can': {
    request: {
      name: '',
      method: 'GET',
      path: '/probe/echo/h',
      headers: [
        ['X-Test-Repeat', 'first'],
        ['X-Test-Repeat', 'second'],
      ],
    },
    status: 200,
    check: (r) => expect(bodyJson(r).testHeaders['x-test-repeat']).toEqual(['first', 'second']),
    differs: repeatedHeaderDiffers,
  },
  'forged X-Forwarded-For does not change the client address': {
    request: {
      name: '',
      method: 'GET',
      path: '/probe/echo/ip',
      headers: [['X-Forwarded-For', '1.2.3.4']],
      sourceIp: '198.51.100.20',
    },
    status: 200,
    check: (r) => expect(bodyJson(r).sourceIp).toBe('198.51.100.20'),
  },
  'several Set-Cookie headers': {
    request: { name: '', method: 'GET', path: '/probe/cookies' },
    status: 200,
    check: (r) =>
      expect(r.headers['set-cookie']).toEqual(['session=abc; Path=/; HttpOnly', 'theme=dark; Path=/']),
    differs: {
      // ALB without multi-value headers can return one value per header: only the first cookie.
      alb: (ecs, lambda) => {
        expect(lambda.headers['set-cookie']).toEqual(['session=abc; Path=/; HttpOnly']);
        expect(comparable({ ...lambda, headers: { ...lambda.headers, 'set-cookie': [] } })).toEqual(
          comparable({ ...ecs, headers: { ...ecs.headers, 'set-cookie': [] } }),
        );
      },
    },
  },
  'multi-value response header': {
    request: { name: '', method: 'GET', path: '/probe/multi-header' },
    status: 200,
    check: (r) => expect(r.headers['x-multi']).toEqual(['a', 'b']),
    differs: {
      alb: (_ecs, lambda) => expect(lambda.headers['x-multi']).toEqual(['a']),
      'apigw-v2': (_ecs, lambda) => expect(lambda.headers['x-multi']).toEqual(['a,b']),
      'function-url': (_ecs, lambda) => expect(lambda.headers['x-multi']).toEqual(['a,b']),
    },
  },
  'handler that throws is a 500 without internals': {
    request: { name: '', method: 'GET', path: '/probe/throws' },
    status: 500,
    check: (r) => {
      expect(bodyJson(r)).toEqual({ error: { code: 'internal_error', message: 'Internal server error' } });
      expect(r.body.toString()).not.toContain('hunter2');
    },
  },
  'handler past its deadline is a 504': {
    request: { name: '', method: 'GET', path: '/probe/slow' },
    status: 504,
    check: (r) => expect(bodyJson(r).error.code).toBe('handler_timeout'),
  },
  'malformed handler result is a 500': {
    request: { name: '', method: 'GET', path: '/probe/malformed' },
    status: 500,
  },
  'JSON body without a content type gets application/json': {
    request: { name: '', method: 'GET', path: '/probe/untyped-json' },
    status: 200,
    check: (r) => expect(r.headers['content-type']).toEqual(['application/json; charset=utf-8']),
  },
  'text body without a content type gets text/plain': {
    request: { name: '', method: 'GET', path: '/probe/untyped-text' },
    status: 200,
    check: (r) => expect(r.headers['content-type']).toEqual(['text/plain; charset=utf-8']),
  },
  '204 has no body': {
    request: { name: '', method: 'GET', path: '/probe/no-content' },
    status: 204,
    check: (r) => expect(r.body.length).toBe(0),
  },
  'base64 result is decoded to bytes': {
    request: { name: '', method: 'GET', path: '/probe/image' },
    status: 200,
    check: (r) => expect(r.body.subarray(1, 4).toString('latin1')).toBe('PNG'),
  },
};
