import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import type { Context } from 'aws-lambda';
import type { LambdaHttpHandler } from '../../app/lambda-handler.js';
import { append, bodyBytes, type HttpCase, type NormalizedResponse, wireHeaders } from './http-case.js';

/** Sends the case over a real loopback HTTP connection, the way the ALB reaches an ECS task. */
export function sendToEcs(port: number, request: HttpCase): Promise<NormalizedResponse> {
  return sendHttp(port, request, { appendForwardedFor: request.sourceIp ?? '203.0.113.7' });
}

/**
 * Sends the case over HTTP. With `appendForwardedFor`, the address is appended to X-Forwarded-For as
 * the ALB does (a request straight to a target); without it the headers go as the client wrote them
 * (a request to the local ALB, which appends the address itself).
 */
export function sendHttp(
  port: number,
  request: HttpCase,
  options: { appendForwardedFor?: string; extraHeaders?: readonly [string, string][] } = {},
): Promise<NormalizedResponse> {
  const headers: Record<string, string[]> = {};
  const forwardedFor: string[] = [];
  for (const [name, value] of [...wireHeaders(request), ...(options.extraHeaders ?? [])]) {
    if (options.appendForwardedFor !== undefined && name.toLowerCase() === 'x-forwarded-for')
      forwardedFor.push(value);
    else append(headers, name, value);
  }
  if (options.appendForwardedFor !== undefined) {
    headers['x-forwarded-for'] = [[...forwardedFor, options.appendForwardedFor].join(', ')];
  }
  const path = request.query === undefined ? request.path : `${request.path}?${request.query}`;
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: request.method, path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const headers: Record<string, string[]> = {};
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = (res.rawHeaders[i] as string).toLowerCase();
            append(headers, name, res.rawHeaders[i + 1] as string);
          }
          resolve({ status: res.statusCode ?? 0, headers, body: Buffer.concat(chunks) });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const body = bodyBytes(request.body);
    req.end(body);
  });
}

export function fakeLambdaContext(remainingMs = 30_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'api-parity',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:api-parity',
    memoryLimitInMB: '512',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/api-parity',
    logStreamName: '2026/11/22/[$LATEST]parity',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

interface LambdaHttpResult {
  statusCode: number;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  cookies?: string[];
  body?: string;
  isBase64Encoded?: boolean;
}

/** What the client receives once ALB / API Gateway turn the Lambda result into HTTP. */
export function normalizeLambdaResult(result: LambdaHttpResult): NormalizedResponse {
  const headers: Record<string, string[]> = {};
  if (result.multiValueHeaders) {
    for (const [name, values] of Object.entries(result.multiValueHeaders))
      headers[name.toLowerCase()] = values.map(String);
  }
  if (result.headers) {
    for (const [name, value] of Object.entries(result.headers)) {
      // API Gateway v2 joins repeated headers with commas; ALB single-value mode carries one.
      headers[name.toLowerCase()] ??= [String(value)];
    }
  }
  if (result.cookies && result.cookies.length > 0) headers['set-cookie'] = result.cookies;
  const body = Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8');
  return { status: result.statusCode, headers, body };
}

export async function invokeLambda(
  handler: LambdaHttpHandler,
  event: Record<string, unknown>,
  context: Context = fakeLambdaContext(),
): Promise<NormalizedResponse> {
  const result = (await handler(event as never, context)) as LambdaHttpResult;
  return normalizeLambdaResult(result);
}

/** Headers that differ per request or per transport, left out of comparisons. */
export const VOLATILE_HEADERS = new Set([
  'date',
  'x-request-id',
  'connection',
  'keep-alive',
  'transfer-encoding',
]);

export function comparable(
  response: NormalizedResponse,
  alsoVolatile: readonly string[] = [],
): {
  status: number;
  headers: Record<string, readonly string[]>;
  body: string;
} {
  const headers = Object.fromEntries(
    Object.entries(response.headers)
      .filter(([name]) => !VOLATILE_HEADERS.has(name) && !alsoVolatile.includes(name))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  return { status: response.status, headers, body: response.body.toString('base64') };
}
