import { HttpError } from '../http-error.js';

/**
 * One HTTP request as a Lambda event source delivered it, read and checked once per invocation.
 * Every source (ALB, API Gateway REST v1, HTTP API v2) is read into this shape, so what reaches
 * the app and the handlers no longer depends on the source.
 */
export interface LambdaHttpRequest {
  readonly method: string;
  /** The path as the client sent it (percent-encoded), without the query. */
  readonly path: string;
  /** The query as the client sent it (percent-encoded), without `?`; '' when none. */
  readonly rawQuery: string;
  /** Header name/value pairs, names lower-cased, repeats kept apart (as Node's `rawHeaders`). */
  readonly headerPairs: readonly (readonly [string, string])[];
  readonly body: Buffer | undefined;
  readonly sourceIp: string;
}

/** What the app answered, to be written back in the shape of the event source. */
export interface LambdaHttpResponse {
  readonly statusCode: number;
  readonly headers: Readonly<Record<string, string | readonly string[] | number>>;
  /** Already encoded: base64 when `isBase64Encoded`. */
  readonly body: string;
  readonly isBase64Encoded: boolean;
}

/** One Lambda event source: how to recognise its events, read a request, write a response. */
export interface EventSourceAdapter {
  readonly name: 'alb' | 'apigw-v1' | 'apigw-v2';
  /** Throws an HttpError (400) when the event cannot be a request of this source. */
  read(event: Record<string, unknown>): LambdaHttpRequest;
  write(event: Record<string, unknown>, response: LambdaHttpResponse): Record<string, unknown>;
}

/** An event that does not describe an HTTP request the way its source documents it. */
export class MalformedEventError extends HttpError {
  constructor(message: string) {
    super(400, 'malformed_event', message);
  }
}

/** A text with an unpaired UTF-16 surrogate: no UTF-8 encoding exists for it, so no store can keep it. */
export class IllFormedUnicodeError extends HttpError {
  constructor(where: string) {
    super(400, 'ill_formed_unicode', `${where} contains ill-formed Unicode (an unpaired surrogate)`);
  }
}

const LONE_SURROGATE = /\p{Surrogate}/u;
// The engine's own check (Node 20+) is a plain scan; the regex is the fallback.
const nativeIsWellFormed = (String.prototype as { isWellFormed?: (this: string) => boolean }).isWellFormed;

/** `String.prototype.isWellFormed` (Node 20+), spelled so it also type-checks against older libs. */
export function isWellFormed(text: string): boolean {
  return nativeIsWellFormed ? nativeIsWellFormed.call(text) : !LONE_SURROGATE.test(text);
}

// What a request line cannot carry as is: anything outside visible ASCII, and the delimiters.
const NOT_REQUEST_LINE_SAFE = /[^\x21-\x7e]|[?#]/u;
const NOT_REQUEST_LINE_SAFE_ALL = /[^\x21-\x7e]|[?#]/gu;
const NOT_QUERY_SAFE = /[^\x21-\x7e]|#/u;
const NOT_QUERY_SAFE_ALL = /[^\x21-\x7e]|#/gu;

/** A raw query as a request line carries it: characters it cannot carry percent-encoded, escapes kept. */
export function requestLineQuery(rawQuery: string): string {
  return NOT_QUERY_SAFE.test(rawQuery)
    ? rawQuery.replace(NOT_QUERY_SAFE_ALL, (char) => encodeURIComponent(char))
    : rawQuery;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// RFC 9110 token: what a method or a header name may be made of.
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function readMethod(value: unknown, field: string): string {
  if (typeof value !== 'string' || !TOKEN.test(value)) {
    throw new MalformedEventError(`${field} must be an HTTP method`);
  }
  return value.toUpperCase();
}

/** A path as sent: starts with `/`; anything a request line could not carry is percent-encoded. */
export function readPath(value: unknown, field: string): string {
  if (typeof value !== 'string' || !value.startsWith('/')) {
    throw new MalformedEventError(`${field} must be a path starting with /`);
  }
  if (!isWellFormed(value)) throw new IllFormedUnicodeError(field);
  // Sources deliver the path as received; a space or a non-ASCII letter is encoded as a client
  // library would have, while existing escapes (`%2F`) stay as they are.
  return NOT_REQUEST_LINE_SAFE.test(value)
    ? value.replace(NOT_REQUEST_LINE_SAFE_ALL, (char) => encodeURIComponent(char))
    : value;
}

function checkedText(value: string, field: string): string {
  if (!isWellFormed(value)) throw new IllFormedUnicodeError(field);
  return value;
}

/** Pairs from a single-value map (`{ name: value }`); null or absent is empty. */
export function singleValuePairs(value: unknown, field: string, lowerCase: boolean): [string, string][] {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) throw new MalformedEventError(`${field} must be an object of strings`);
  const pairs: [string, string][] = [];
  for (const name in value) {
    if (!Object.hasOwn(value, name)) continue;
    const one = value[name];
    if (one === undefined || one === null) continue;
    if (typeof one !== 'string') throw new MalformedEventError(`${field}.${name} must be a string`);
    pairs.push([checkedText(lowerCase ? name.toLowerCase() : name, field), checkedText(one, field)]);
  }
  return pairs;
}

/** Pairs from a multi-value map (`{ name: [values] }`), repeats kept in order. */
export function multiValuePairs(value: unknown, field: string, lowerCase: boolean): [string, string][] {
  if (value === undefined || value === null) return [];
  if (!isRecord(value)) throw new MalformedEventError(`${field} must be an object of string arrays`);
  const pairs: [string, string][] = [];
  for (const [name, values] of Object.entries(value)) {
    if (values === undefined || values === null) continue;
    if (!Array.isArray(values) || values.some((one) => typeof one !== 'string')) {
      throw new MalformedEventError(`${field}.${name} must be an array of strings`);
    }
    const key = checkedText(lowerCase ? name.toLowerCase() : name, field);
    for (const one of values as string[]) pairs.push([key, checkedText(one, field)]);
  }
  return pairs;
}

/** Header names must be tokens: the same rule Node's parser applies on ECS. */
export function checkHeaderNames(pairs: readonly (readonly [string, string])[], field: string): void {
  for (const [name] of pairs) {
    if (!TOKEN.test(name)) throw new MalformedEventError(`${field} has an invalid header name`);
  }
}

/** A query string from decoded key/value pairs (API Gateway decodes them; ECS sees them encoded). */
export function encodeQuery(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
}

/** A query string from pairs still encoded as the client sent them (ALB passes them so). */
export function joinRawQuery(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([key, value]) => (value === '' ? key : `${key}=${value}`)).join('&');
}

export function readBody(event: Record<string, unknown>): Buffer | undefined {
  const { body, isBase64Encoded } = event;
  if (body === undefined || body === null || body === '') return undefined;
  if (typeof body !== 'string') throw new MalformedEventError('body must be a string');
  if (isBase64Encoded !== undefined && isBase64Encoded !== null && typeof isBase64Encoded !== 'boolean') {
    throw new MalformedEventError('isBase64Encoded must be a boolean');
  }
  if (isBase64Encoded === true) return Buffer.from(body, 'base64');
  if (!isWellFormed(body)) throw new IllFormedUnicodeError('The request body');
  return Buffer.from(body, 'utf8');
}

/** Response headers as single strings; `set-cookie` is returned apart since it cannot be joined. */
export function responseHeaderLists(
  headers: LambdaHttpResponse['headers'],
): { name: string; values: string[] }[] {
  const lists: { name: string; values: string[] }[] = [];
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    const value = headers[name];
    lists.push({
      name: name.toLowerCase(),
      values: Array.isArray(value) ? value.map(String) : [String(value)],
    });
  }
  return lists;
}

/**
 * Response headers in the single-value shape (`{ name: value }`): repeats joined with `, `, except
 * `set-cookie`, which cannot be joined, so its first value is kept.
 */
export function singleValueHeaders(headers: LambdaHttpResponse['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in headers) {
    if (!Object.hasOwn(headers, name)) continue;
    const value = headers[name];
    const lower = name.toLowerCase();
    setOwn(
      out,
      lower,
      !Array.isArray(value)
        ? String(value)
        : lower === 'set-cookie'
          ? String(value[0] ?? '')
          : value.map(String).join(', '),
    );
  }
  return out;
}

/** Sets a client- or handler-chosen key as an own property, even one named `__proto__`. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  if (key === '__proto__')
    Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
  else target[key] = value;
}
