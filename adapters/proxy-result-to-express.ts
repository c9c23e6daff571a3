import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Response } from 'express';

type HeaderValue = string | number | boolean;

const isHeaderValue = (value: unknown) =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

/** Why a handler's return value cannot be sent, or undefined when it can. */
export function malformedResultReason(result: unknown): string | undefined {
  if (typeof result !== 'object' || result === null)
    return `result is ${result === null ? 'null' : typeof result}`;
  const r = result as Record<string, unknown>;
  if (
    typeof r.statusCode !== 'number' ||
    !Number.isInteger(r.statusCode) ||
    r.statusCode < 100 ||
    r.statusCode > 599
  ) {
    return `statusCode ${JSON.stringify(r.statusCode)} is not an HTTP status`;
  }
  if (r.body !== undefined && r.body !== null && typeof r.body !== 'string')
    return `body is ${typeof r.body}, not a string`;
  if (r.isBase64Encoded !== undefined && typeof r.isBase64Encoded !== 'boolean')
    return 'isBase64Encoded is not a boolean';
  if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object') return 'headers is not an object';
    const headers = r.headers as Record<string, unknown>;
    for (const name in headers) {
      if (Object.hasOwn(headers, name) && !isHeaderValue(headers[name]))
        return `header ${name} is ${typeof headers[name]}`;
    }
  }
  if (r.multiValueHeaders !== undefined && r.multiValueHeaders !== null) {
    if (typeof r.multiValueHeaders !== 'object') return 'multiValueHeaders is not an object';
    for (const [name, values] of Object.entries(r.multiValueHeaders)) {
      if (!Array.isArray(values) || !values.every(isHeaderValue)) {
        return `multiValueHeaders.${name} is not an array of strings`;
      }
    }
  }
  return undefined;
}

function looksLikeJson(text: string): boolean {
  const first = text.trimStart()[0];
  if (first !== '{' && first !== '[') return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes a handler's result to the Express response as API Gateway would: `multiValueHeaders`
 * win over `headers` for the same name, base64 bodies are decoded, and a body without a content
 * type gets one (JSON when it parses as JSON, text otherwise, octet-stream for binary).
 */
export function proxyResultToExpressResponse(
  result: APIGatewayProxyResult,
  res: Response,
  extraHeaders: Readonly<Record<string, string>> = {},
): void {
  // The status was validated with the result (malformedResultReason); Express's res.status()
  // would check it again on every request.
  res.statusCode = result.statusCode;
  // Later sets win: Node keys headers case-insensitively, so `headers` override the guards'
  // headers and `multiValueHeaders` override both, name by name.
  for (const name in extraHeaders) setHeader(res, name, extraHeaders[name] as string);
  const single = result.headers;
  if (single) for (const name in single) setHeader(res, name, single[name] as HeaderValue);
  const multi = result.multiValueHeaders;
  if (multi) {
    for (const name in multi) {
      const values = multi[name] as readonly HeaderValue[];
      setHeader(res, name, values.length === 1 ? (values[0] as HeaderValue) : values.map(String));
    }
  }

  const bodyText = result.body ?? '';
  // Text goes out as a string: Node then writes headers and body in one chunk (a Buffer costs a
  // second write), on ECS sockets and in serverless-express alike.
  const body: string | Buffer = result.isBase64Encoded ? Buffer.from(bodyText, 'base64') : bodyText;
  const length = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  if (length > 0 && !res.hasHeader('content-type')) {
    let type = 'text/plain; charset=utf-8';
    if (result.isBase64Encoded) type = 'application/octet-stream';
    else if (looksLikeJson(bodyText)) type = 'application/json; charset=utf-8';
    res.setHeader('content-type', type);
  }
  res.setHeader('content-length', String(length));
  res.end(body);
}

/** Framing is ours to decide: a handler's stale length or chunking header must not corrupt the reply. */
const FRAMING = new Set(['content-length', 'transfer-encoding', 'connection']);

function setHeader(res: Response, name: string, value: HeaderValue | readonly string[]): void {
  const lower = name.toLowerCase();
  if (FRAMING.has(lower)) return;
  res.setHeader(lower, typeof value === 'object' ? value : String(value));
}
