import type { APIGatewayProxyResult } from 'aws-lambda';
import type { Response } from 'express';

type HeaderValue = string | number | boolean;

const HEADER_VALUE_TYPES = new Set(['string', 'number', 'boolean']);
const isHeaderValue = (value: unknown) => HEADER_VALUE_TYPES.has(typeof value);

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
    for (const [name, value] of Object.entries(r.headers)) {
      if (!isHeaderValue(value)) return `header ${name} is ${typeof value}`;
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
  // No prototype: a header named `__proto__` must stay a header.
  const merged: Record<string, HeaderValue | readonly HeaderValue[]> = Object.create(null);
  for (const name in extraHeaders) merged[name.toLowerCase()] = extraHeaders[name] as string;
  const single = result.headers;
  if (single) for (const name in single) merged[name.toLowerCase()] = single[name] as HeaderValue;
  const multi = result.multiValueHeaders;
  if (multi) for (const name in multi) merged[name.toLowerCase()] = multi[name] as HeaderValue[];

  const bodyText = result.body ?? '';
  // Text goes out as a string: Node then writes headers and body in one chunk (a Buffer costs a
  // second write), on ECS sockets and in serverless-express alike.
  const body: string | Buffer = result.isBase64Encoded ? Buffer.from(bodyText, 'base64') : bodyText;
  const length = typeof body === 'string' ? Buffer.byteLength(body, 'utf8') : body.length;
  if (length > 0 && merged['content-type'] === undefined) {
    let type = 'text/plain; charset=utf-8';
    if (result.isBase64Encoded) type = 'application/octet-stream';
    else if (looksLikeJson(bodyText)) type = 'application/json; charset=utf-8';
    merged['content-type'] = type;
  }
  // Framing is ours to decide: a handler's stale length or chunking header must not corrupt the reply.
  delete merged['content-length'];
  delete merged['transfer-encoding'];
  delete merged.connection;

  // The status was validated with the result (malformedResultReason); Express's res.status()
  // would check it again on every request.
  res.statusCode = result.statusCode;
  for (const name in merged) {
    const value = merged[name] as HeaderValue | readonly HeaderValue[];
    res.setHeader(
      name,
      Array.isArray(value) ? (value.length === 1 ? String(value[0]) : value.map(String)) : String(value),
    );
  }
  res.setHeader('content-length', String(length));
  res.end(body);
}
