import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { AppConfig } from '../../app/config.js';
import { createLambdaHandler } from '../../app/lambda-handler.js';
import { routes } from '../../app/routes.js';
import { createRuntimeDeps } from '../../app/runtime-deps.js';
import { toAlbEvent } from '../parity/event-builders.js';
import type { HttpCase } from '../parity/http-case.js';
import { fakeLambdaContext, normalizeLambdaResult } from '../parity/runtimes.js';

/**
 * The Lambda runtime reachable over HTTP, for clients that only speak HTTP (a browser, a typed
 * client): each request becomes the ALB event AWS documents (multi-value headers, as our target
 * groups are configured), goes to the Lambda handler, and its result goes back as the ALB would
 * write it. A thin stand-in for the ALB: it routes every path to one function serving all routes.
 */
export interface LambdaOverHttp {
  readonly url: string;
  close(): Promise<void>;
}

export async function startLambdaRuntimeOverHttp(config: AppConfig, logger: Logger): Promise<LambdaOverHttp> {
  const deps = createRuntimeDeps(config, logger);
  const { handler } = createLambdaHandler(deps, {
    stage: config.env,
    maxBodyBytes: config.maxBodyBytes,
    guards: deps.guards,
    routes,
    cors: config.cors,
  });
  const server: Server = createServer((req, res) => {
    readRequest(req)
      .then(async (request) => {
        // The invocation's time left: the jobs group's function timeout (slowest route + 2 s).
        const result = await handler(
          toAlbEvent(request, { multiValue: true }) as never,
          fakeLambdaContext(22_000),
        );
        const response = normalizeLambdaResult(result as Parameters<typeof normalizeLambdaResult>[0]);
        res.statusCode = response.status;
        for (const [name, values] of Object.entries(response.headers)) res.setHeader(name, [...values]);
        res.end(response.body);
      })
      .catch((error: unknown) => {
        // What the ALB answers when the function fails: 502.
        logger.error({ err: error }, 'lambda over http: invocation failed');
        res.statusCode = 502;
        res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await deps.close();
    },
  };
}

async function readRequest(req: IncomingMessage): Promise<HttpCase> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const url = req.url ?? '/';
  const mark = url.indexOf('?');
  const headers: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    headers.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
  return {
    name: 'http',
    method: req.method ?? 'GET',
    path: mark === -1 ? url : url.slice(0, mark),
    ...(mark === -1 ? {} : { query: url.slice(mark + 1) }),
    headers: headers.filter(([name]) => name.toLowerCase() !== 'content-length'),
    ...(chunks.length > 0 ? { body: Buffer.concat(chunks) } : {}),
    sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
  };
}
