import { type Agent, request as httpRequest } from 'node:http';
import { elbError } from './elb-responses.js';
import type { HealthChecker } from './health-checks.js';
import { HOP_BY_HOP, type HttpAnswer } from './lambda-event.js';

/** A registered target of an IP target group: the local ECS task. */
export interface IpTarget {
  readonly port: number;
  readonly running: boolean;
  readonly health: HealthChecker;
}

/**
 * HTTP/1.1 to an IP target, keep-alive, with the forwarded headers; the target's answer as it
 * sent it (hop-by-hop headers aside). 503 with no registered target, 502 when it cannot be reached
 * or breaks the connection. An unhealthy target still gets the request when it is the group's only
 * one: ELB fails open when no target is healthy.
 */
export function forwardToIpTarget(
  agent: Agent,
  target: IpTarget | undefined,
  request: { method: string; rawUrl: string; forwarded: [string, string][]; body: Buffer },
): Promise<HttpAnswer> {
  if (!target?.running) return Promise.resolve(elbError(503, 'Service Temporarily Unavailable'));
  const headers = request.forwarded.filter(([n]) => n.toLowerCase() !== 'content-length');
  if (request.body.length > 0 || !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(request.method)) {
    headers.push(['Content-Length', String(request.body.length)]);
  }
  return new Promise<HttpAnswer>((resolve) => {
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: target.port,
        method: request.method,
        path: request.rawUrl,
        headers: headers.flat(),
        agent,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const pairs: [string, string][] = [];
          for (let i = 0; i < res.rawHeaders.length; i += 2) {
            const name = res.rawHeaders[i] as string;
            if (!HOP_BY_HOP.has(name.toLowerCase())) pairs.push([name, res.rawHeaders[i + 1] as string]);
          }
          resolve({ status: res.statusCode ?? 502, headers: pairs, body: Buffer.concat(chunks) });
        });
        res.on('error', () => resolve(elbError(502, 'Bad Gateway')));
      },
    );
    upstream.on('error', () => resolve(elbError(502, 'Bad Gateway')));
    upstream.end(request.body.length > 0 ? request.body : undefined);
  });
}
