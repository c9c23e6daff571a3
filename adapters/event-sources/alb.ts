import { valuesOf } from '../invocation.js';
import { rightMostForwardedFor } from '../source-ip.js';
import {
  checkHeaderNames,
  type EventSourceAdapter,
  IllFormedUnicodeError,
  isRecord,
  isWellFormed,
  joinRawQuery,
  multiValuePairs,
  readBody,
  readMethod,
  readPath,
  requestLineQuery,
  responseHeaderLists,
  singleValueHeaders,
  singleValuePairs,
} from './lambda-http.js';

/**
 * Application Load Balancer events ("Lambda functions as targets", Elastic Load Balancing user
 * guide): header names lower-cased; query keys and values passed as the client sent them, still
 * percent-encoded; with multi-value headers enabled on the target group every header and query
 * key carries an array, and the response must use `multiValueHeaders` too; without it a repeated
 * header or key keeps only its last value. The client address is the right-most X-Forwarded-For
 * entry, which the ALB itself appends.
 */
export const albEventSource: EventSourceAdapter = {
  name: 'alb',

  read(event) {
    const multi = event.multiValueHeaders !== undefined && event.multiValueHeaders !== null;
    const headerPairs = multi
      ? multiValuePairs(event.multiValueHeaders, 'multiValueHeaders', true)
      : singleValuePairs(event.headers, 'headers', true);
    checkHeaderNames(headerPairs, multi ? 'multiValueHeaders' : 'headers');
    const queryPairs =
      event.multiValueQueryStringParameters !== undefined && event.multiValueQueryStringParameters !== null
        ? multiValuePairs(event.multiValueQueryStringParameters, 'multiValueQueryStringParameters', false)
        : singleValuePairs(event.queryStringParameters, 'queryStringParameters', false);
    const rawQuery = joinRawQuery(queryPairs);
    if (!isWellFormed(rawQuery)) throw new IllFormedUnicodeError('The query string');
    return {
      method: readMethod(event.httpMethod, 'httpMethod'),
      path: readPath(event.path, 'path'),
      // Still encoded as sent; a character a request line cannot carry is encoded as on ECS.
      rawQuery: requestLineQuery(rawQuery),
      headerPairs,
      body: readBody(event),
      sourceIp: rightMostForwardedFor(valuesOf(headerPairs, 'x-forwarded-for')) ?? '',
    };
  },

  write(event, response) {
    const common = {
      statusCode: response.statusCode,
      body: response.body,
      isBase64Encoded: response.isBase64Encoded,
    };
    // The response must use the same mode as the request: the target group's setting decides both.
    if (isRecord(event.multiValueHeaders)) {
      return {
        ...common,
        multiValueHeaders: Object.fromEntries(
          responseHeaderLists(response.headers).map((h) => [h.name, h.values]),
        ),
      };
    }
    // Single-value mode carries one value per name: cookies cannot be joined, so the first is kept.
    return { ...common, headers: singleValueHeaders(response.headers) };
  },
};
