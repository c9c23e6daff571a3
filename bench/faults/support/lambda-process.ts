import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Context } from 'aws-lambda';
import { isBinaryBody } from '../../../adapters/content-types.js';
import { loadConfig } from '../../../app/config.js';
import { createLambdaHandler } from '../../../app/lambda-handler.js';
import { createLogger } from '../../../app/logger.js';
import { createRuntimeDeps } from '../../../app/runtime-deps.js';

/**
 * The Lambda runtime for the fault benchmark, in a process of its own: the entry point's
 * handler, built from the environment as app/lambda.ts builds it, given each HTTP request as the
 * ALB delivers it to a target group with multi-value headers ("Lambda functions as targets").
 * Prints `{"msg":"listening","port":…}` like the ECS server, so both start the same way.
 */
const config = loadConfig();
const logger = createLogger({ level: config.logLevel, env: config.env, runtime: 'lambda' });
const deps = createRuntimeDeps(config, logger);
const { handler } = createLambdaHandler(deps, {
  stage: config.env,
  maxBodyBytes: config.maxBodyBytes,
  guards: deps.guards,
});
/** The functions' timeout in the stacks: the slowest route (10 s) plus a margin. */
const INVOCATION_MS = 15_000;

function contextFor(): Context {
  const deadline = Date.now() + INVOCATION_MS;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'api-faults',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:api-faults',
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: '/aws/lambda/api-faults',
    logStreamName: 'faults',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', async () => {
    const url = new URL(req.url ?? '/', 'http://alb');
    const headers: Record<string, string[]> = Object.create(null);
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
      const name = (req.rawHeaders[i] as string).toLowerCase();
      headers[name] = [...(headers[name] ?? []), req.rawHeaders[i + 1] as string];
    }
    // The load generator plays the ALB: it already wrote X-Forwarded-For with the client's address.
    const query: Record<string, string[]> = Object.create(null);
    for (const part of url.search.slice(1).split('&').filter(Boolean)) {
      const [key = '', value = ''] = part.split('=');
      query[key] = [...(query[key] ?? []), value];
    }
    const body = Buffer.concat(chunks);
    // The ALB sends text bodies as they are and base64-encodes binary ones.
    const binary = isBinaryBody(
      { contentType: headers['content-type']?.[0], contentEncoding: headers['content-encoding']?.[0] },
      body,
    );
    const event = {
      requestContext: {
        elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/faults/1' },
      },
      httpMethod: req.method,
      path: url.pathname,
      multiValueQueryStringParameters: query,
      multiValueHeaders: headers,
      body: body.toString(binary ? 'base64' : 'utf8'),
      isBase64Encoded: binary,
    };
    const result = (await handler(event, contextFor())) as {
      statusCode: number;
      multiValueHeaders?: Record<string, string[]>;
      body?: string;
      isBase64Encoded?: boolean;
    };
    res.statusCode = result.statusCode;
    for (const [name, values] of Object.entries(result.multiValueHeaders ?? {})) res.setHeader(name, values);
    res.end(Buffer.from(result.body ?? '', result.isBase64Encoded ? 'base64' : 'utf8'));
  });
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  logger.info({ port }, 'listening');
});
process.on('SIGTERM', () => {
  server.close();
  void deps.close().then(() => process.exit(0));
});
