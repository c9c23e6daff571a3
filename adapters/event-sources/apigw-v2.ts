import {
  checkHeaderNames,
  type EventSourceAdapter,
  IllFormedUnicodeError,
  isRecord,
  isWellFormed,
  MalformedEventError,
  readBody,
  readMethod,
  readPath,
  requestLineQuery,
  responseHeaderLists,
  singleValuePairs,
} from './lambda-http.js';

/**
 * Headers whose repeats mean something to this API. HTTP API joins a repeated header into one
 * comma-separated value ("Working with AWS Lambda proxy integrations for HTTP APIs", payload
 * format 2.0), while ECS sees the repeats apart; splitting these again makes two `x-api-key`
 * headers two keys (refused) and a repeated `Idempotency-Key` the same as on ECS. None of their
 * values may contain a comma, so the split loses nothing.
 */
const SPLIT_ON_COMMA = new Set(['x-api-key', 'authorization', 'idempotency-key']);

/**
 * API Gateway HTTP API (payload format 2.0) and Lambda function URL events: `rawPath` and
 * `rawQueryString` as sent, lower-case header names with repeats comma-joined, cookies moved to
 * `cookies`, the method and client address in `requestContext.http`.
 */
export const apiGatewayV2EventSource: EventSourceAdapter = {
  name: 'apigw-v2',

  read(event) {
    const http = isRecord(event.requestContext) ? event.requestContext.http : undefined;
    if (!isRecord(http)) throw new MalformedEventError('requestContext.http must be an object');
    const headerPairs = singleValuePairs(event.headers, 'headers', true).flatMap(([name, value]) =>
      SPLIT_ON_COMMA.has(name)
        ? value.split(',').map((part) => [name, part.trim()] as [string, string])
        : [[name, value] as [string, string]],
    );
    checkHeaderNames(headerPairs, 'headers');
    if (event.cookies !== undefined && event.cookies !== null) {
      if (!Array.isArray(event.cookies) || event.cookies.some((c) => typeof c !== 'string')) {
        throw new MalformedEventError('cookies must be an array of strings');
      }
      const cookies = event.cookies as string[];
      if (!cookies.every(isWellFormed)) throw new IllFormedUnicodeError('cookies');
      if (cookies.length > 0) headerPairs.push(['cookie', cookies.join('; ')]);
    }
    const rawQuery = event.rawQueryString ?? '';
    if (typeof rawQuery !== 'string') throw new MalformedEventError('rawQueryString must be a string');
    if (!isWellFormed(rawQuery)) throw new IllFormedUnicodeError('The query string');
    return {
      method: readMethod(http.method, 'requestContext.http.method'),
      path: readPath(event.rawPath, 'rawPath'),
      rawQuery: requestLineQuery(rawQuery),
      headerPairs,
      body: readBody(event),
      sourceIp: typeof http.sourceIp === 'string' ? http.sourceIp : '',
    };
  },

  write(_event, response) {
    const headers: Record<string, string> = {};
    let cookies: string[] = [];
    for (const { name, values } of responseHeaderLists(response.headers)) {
      if (name === 'set-cookie') cookies = values;
      else headers[name] = values.join(',');
    }
    return {
      statusCode: response.statusCode,
      headers,
      ...(cookies.length > 0 ? { cookies } : {}),
      body: response.body,
      isBase64Encoded: response.isBase64Encoded,
    };
  },
};
