import {
  checkHeaderNames,
  type EventSourceAdapter,
  encodeQuery,
  IllFormedUnicodeError,
  isRecord,
  multiValuePairs,
  readBody,
  readMethod,
  readPath,
  responseHeaderLists,
  singleValuePairs,
} from './lambda-http.js';

/**
 * API Gateway REST API (payload format 1.0) events ("Lambda proxy integrations in API Gateway",
 * input format): headers and query parameters both as single- and multi-value maps, query values
 * already URL-decoded, the client address in `requestContext.identity.sourceIp`.
 *
 * The path is `event.path`, never `pathParameters.proxy`: for a `{proxy+}` resource the proxy
 * parameter lacks the trailing slash the client sent (`/leads/ada/` arrives as `leads/ada`), and
 * serving that would make this source answer where ECS and the ALB answer 404.
 */
export const apiGatewayV1EventSource: EventSourceAdapter = {
  name: 'apigw-v1',

  read(event) {
    const headerPairs = isRecord(event.multiValueHeaders)
      ? multiValuePairs(event.multiValueHeaders, 'multiValueHeaders', true)
      : singleValuePairs(event.headers, 'headers', true);
    checkHeaderNames(headerPairs, 'headers');
    const queryPairs = isRecord(event.multiValueQueryStringParameters)
      ? multiValuePairs(event.multiValueQueryStringParameters, 'multiValueQueryStringParameters', false)
      : singleValuePairs(event.queryStringParameters, 'queryStringParameters', false);
    let rawQuery: string;
    try {
      // Re-encoded so the app parses one form on every source; encoding fails only on lone surrogates.
      rawQuery = encodeQuery(queryPairs);
    } catch {
      throw new IllFormedUnicodeError('The query string');
    }
    const context = isRecord(event.requestContext) ? event.requestContext : {};
    const identity = isRecord(context.identity) ? context.identity : {};
    return {
      method: readMethod(event.httpMethod, 'httpMethod'),
      path: readPath(event.path, 'path'),
      rawQuery,
      headerPairs,
      body: readBody(event),
      sourceIp: typeof identity.sourceIp === 'string' ? identity.sourceIp : '',
    };
  },

  write(_event, response) {
    const multiValueHeaders: Record<string, string[]> = {};
    for (const { name, values } of responseHeaderLists(response.headers)) {
      // API Gateway REST does not pass chunked transfer encoding through.
      const kept = name === 'transfer-encoding' ? values.filter((v) => v !== 'chunked') : values;
      if (kept.length > 0) multiValueHeaders[name] = kept;
    }
    return {
      statusCode: response.statusCode,
      multiValueHeaders,
      body: response.body,
      isBase64Encoded: response.isBase64Encoded,
    };
  },
};
