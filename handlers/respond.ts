import type { APIGatewayProxyResult } from 'aws-lambda';
import { IllFormedUnicodeError, isWellFormed } from '../adapters/event-sources/lambda-http.js';
import { HttpError } from '../adapters/http-error.js';

const JSON_TYPE = 'application/json; charset=utf-8';

/** A JSON result; `headers` add to (and may override) the content type. */
export function json(
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): APIGatewayProxyResult {
  return { statusCode, headers: { 'content-type': JSON_TYPE, ...headers }, body: JSON.stringify(body) };
}

/** The result for an HttpError, with the headers it carries (Allow, Retry-After…). */
export function errorResult(error: HttpError): APIGatewayProxyResult {
  return json(error.statusCode, error.toJSON(), { ...error.headers });
}

/** Parses a JSON request body, or explains why it could not. */
export function parseJsonBody(
  body: string | null,
  isBase64Encoded: boolean,
  contentType: string | undefined,
): { ok: true; value: unknown } | { ok: false; error: HttpError } {
  if (contentType !== undefined && !/^application\/([\w.+-]+\+)?json\b/i.test(contentType)) {
    return {
      ok: false,
      error: new HttpError(415, 'unsupported_media_type', `Expected application/json, got ${contentType}`),
    };
  }
  if (body === null || body === '') {
    return { ok: false, error: new HttpError(400, 'body_required', 'A JSON request body is required') };
  }
  const text = isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
  let wellFormed = true;
  try {
    // A `\ud800` escape parses into a string no UTF-8 store can keep: refused with the JSON error,
    // the same on every runtime and store, instead of failing (or being altered) where it is stored.
    const value: unknown = JSON.parse(text, (key, value: unknown) => {
      if (!isWellFormed(key) || (typeof value === 'string' && !isWellFormed(value))) wellFormed = false;
      return value;
    });
    if (!wellFormed) return { ok: false, error: new IllFormedUnicodeError('The request body') };
    return { ok: true, value };
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'unparseable';
    return {
      ok: false,
      error: new HttpError(400, 'invalid_json', `The request body is not valid JSON: ${reason}`),
    };
  }
}

/** Case-insensitive header lookup on an event's single-value headers. */
export function header(headers: Record<string, string | undefined> | null, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === wanted) return value;
  }
  return undefined;
}

/** What a failed schema parse says, whichever zod build the schema comes from. */
interface SchemaError {
  readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];
}

/** The fields a failed parse names, for a ValidationError: `(body)` when the body as a whole failed. */
export function schemaFields(error: SchemaError): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: issue.path.length ? issue.path.join('.') : '(body)',
    message: issue.message,
  }));
}
