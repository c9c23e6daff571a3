import { Agent, createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LambdaFunction } from '../lambda/lambda-function.js';
import { elbError, HEADER_LIMITS, headerLimitProblem, headerPairs } from './elb-responses.js';
import { forwardToIpTarget, type IpTarget } from './ip-target.js';
import {
  albLambdaEvent,
  HOP_BY_HOP,
  type HttpAnswer,
  LAMBDA_LIMITS,
  lambdaResultToHttp,
  pushValue,
  traceId,
} from './lambda-event.js';
import type { Action, LoadBalancerConfig, TargetGroupConfig } from './load-balancer-config.js';
import { decide, pickTargetGroup, type RuleRequest } from './rule-engine.js';

/**
 * A local Application Load Balancer: one HTTP listener that applies the synthesized listener's
 * rules and default action to every request and forwards to the stack's targets, answering with
 * ELB's own status codes where ELB would ("Troubleshoot your Application Load Balancers", "The load
 * balancer generates an HTTP error"):
 * - 400 when a header is over ELB's limits, 414 when the request line is ("HTTP header limits",
 *   "How Elastic Load Balancing works": request line 16 K, single header 16 K, whole header 64 K);
 * - 413 when a request body for a Lambda target is over 1 MB;
 * - 502 when a Lambda function fails, times out, or returns a malformed or over-1-MB result, and
 *   when an IP target cannot be reached or resets the connection;
 * - 503 when the target group has no registered target.
 * Targets that fail their health checks still get requests when no target of the group is healthy
 * (ELB "fails open"), which is the only case here: one task per service.
 */

export type { IpTarget };

export interface AlbTargets {
  lambda(targetGroupId: string): LambdaFunction | undefined;
  ip(targetGroupId: string): IpTarget | undefined;
}

/** One request as it went through: for the launcher's per-request line and for tests. */
export interface RoutedRequest {
  readonly method: string;
  readonly path: string;
  readonly rule: string;
  readonly priority: number | 'default';
  readonly target: string;
  readonly status: number;
  readonly ms: number;
}

export interface LocalAlbOptions {
  readonly config: LoadBalancerConfig;
  readonly targets: AlbTargets;
  /** The ARN the events name as `requestContext.elb.targetGroupArn`, per target group. */
  readonly targetGroupArn: (group: TargetGroupConfig) => string;
  readonly port?: number;
  readonly host?: string;
  readonly onRequest?: (routed: RoutedRequest) => void;
}

export class LocalAlb {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 256 });

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static async start(options: LocalAlbOptions): Promise<LocalAlb> {
    // Node's own header limit is 16 KB in all; ELB's are larger, so let Node read up to ELB's and
    // answer past them as ELB does.
    const server = createServer({
      maxHeaderSize: HEADER_LIMITS.totalHeaderBytes + HEADER_LIMITS.requestLineBytes,
    });
    let alb: LocalAlb | undefined;
    server.on('request', (req, res) => {
      void alb?.handle(options, req, res).catch((error: unknown) => {
        if (!res.headersSent) alb?.send(res, req.method ?? 'GET', elbError(502, 'Bad Gateway'));
        else res.destroy(error instanceof Error ? error : undefined);
      });
    });
    server.on('clientError', (_error, socket) => {
      if (socket.writable)
        socket.end(
          'HTTP/1.1 400 Bad Request\r\nServer: awselb/2.0\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
        );
      else socket.destroy();
    });
    // ALB's idle timeout is 60 s (infra/constructs/alb.ts).
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
    });
    alb = new LocalAlb(server, (server.address() as AddressInfo).port);
    return alb;
  }

  async stop(): Promise<void> {
    this.agent.destroy();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  /** `framed`: the target's own framing headers are passed as they are (HTTP targets). */
  private send(res: ServerResponse, method: string, answer: HttpAnswer, framed = false): void {
    const headers: Record<string, string[]> = {};
    for (const [name, value] of answer.headers) pushValue(headers, name, value);
    const bodiless = answer.status === 204 || answer.status === 304 || answer.status < 200;
    if (
      !framed &&
      !bodiless &&
      method !== 'HEAD' &&
      !Object.keys(headers).some((name) => name.toLowerCase() === 'content-length')
    ) {
      headers['content-length'] = [String(answer.body.length)];
    }
    res.writeHead(
      answer.status,
      Object.entries(headers)
        .flatMap(([name, values]) => values.map((v) => [name, v]))
        .flat(),
    );
    res.end(method === 'HEAD' ? undefined : answer.body);
  }

  private async handle(options: LocalAlbOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const method = req.method ?? 'GET';
    const rawUrl = req.url ?? '/';
    const q = rawUrl.indexOf('?');
    const path = q === -1 ? rawUrl : rawUrl.slice(0, q);
    const query = q === -1 ? '' : rawUrl.slice(q + 1);
    const pairs = headerPairs(req);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');

    const limited = headerLimitProblem(req, pairs);
    const ruleRequest: RuleRequest = {
      method,
      path,
      query,
      headers: pairs.map(([n, v]) => [n.toLowerCase(), v]),
      sourceIp,
    };
    const decision = limited ? undefined : decide(options.config, ruleRequest);
    let target = 'elb';
    let answer: HttpAnswer;
    let framed = false;
    if (limited || !decision) answer = limited ?? elbError(400, 'Bad Request');
    else {
      const forwarded = this.forwardedHeaders(pairs, sourceIp, req);
      const outcome = await this.apply(options, decision.action, {
        method,
        path,
        query,
        rawUrl,
        forwarded,
        body,
        req,
      });
      answer = outcome.answer;
      target = outcome.target;
      framed = outcome.framed === true;
    }
    this.send(res, method, answer, framed);
    options.onRequest?.({
      method,
      path,
      rule: decision?.rule?.id ?? (limited ? 'header limits' : 'default'),
      priority: decision?.rule?.priority ?? 'default',
      target,
      status: answer.status,
      ms: performance.now() - started,
    });
  }

  /**
   * X-Forwarded-For gets the connection's address appended to what the client sent; -Proto and
   * -Port are the listener's ("HTTP headers and Application Load Balancers", ELB docs); X-Amzn-Trace-Id
   * is added when absent.
   */
  private forwardedHeaders(
    pairs: readonly [string, string][],
    sourceIp: string,
    req: IncomingMessage,
  ): [string, string][] {
    const sent = pairs.filter(([n]) => n.toLowerCase() === 'x-forwarded-for').map(([, v]) => v);
    const kept = pairs.filter(
      ([n]) => !/^x-forwarded-(for|proto|port)$/i.test(n) && !HOP_BY_HOP.has(n.toLowerCase()),
    );
    const headers: [string, string][] = [
      ...kept,
      ['X-Forwarded-For', [...sent, sourceIp].join(', ')],
      ['X-Forwarded-Proto', 'http'],
      ['X-Forwarded-Port', String(req.socket.localPort ?? this.port)],
    ];
    if (!pairs.some(([n]) => n.toLowerCase() === 'x-amzn-trace-id'))
      headers.push(['X-Amzn-Trace-Id', traceId()]);
    return headers;
  }

  private async apply(
    options: LocalAlbOptions,
    action: Action,
    request: {
      method: string;
      path: string;
      query: string;
      rawUrl: string;
      forwarded: [string, string][];
      body: Buffer;
      req: IncomingMessage;
    },
  ): Promise<{ answer: HttpAnswer; target: string; framed?: boolean }> {
    switch (action.type) {
      case 'fixed-response':
        return {
          target: 'fixed-response',
          answer: {
            status: action.statusCode,
            headers: [
              ['server', 'awselb/2.0'],
              ...(action.contentType ? ([['content-type', action.contentType]] as [string, string][]) : []),
            ],
            body: Buffer.from(action.body),
          },
        };
      case 'redirect': {
        const host = (request.req.headers.host ?? '').replace(/:\d+$/, '');
        const port = String(request.req.socket.localPort ?? this.port);
        const fill = (text: string) =>
          text
            .replaceAll('#{protocol}', 'http')
            .replaceAll('#{host}', host)
            .replaceAll('#{port}', port)
            .replaceAll('#{path}', request.path.slice(1))
            .replaceAll('#{query}', request.query);
        const protocol = fill(action.protocol).toLowerCase();
        const query = fill(action.query);
        const location = `${protocol}://${fill(action.host)}:${fill(action.port)}${fill(action.path)}${query ? `?${query}` : ''}`;
        return {
          target: 'redirect',
          answer: {
            status: action.statusCode,
            headers: [
              ['server', 'awselb/2.0'],
              ['location', location],
            ],
            body: Buffer.alloc(0),
          },
        };
      }
      case 'forward': {
        const groupId = pickTargetGroup(action.targetGroups);
        const group = options.config.targetGroups.get(groupId);
        if (!group) return { target: groupId, answer: elbError(503, 'Service Temporarily Unavailable') };
        if (group.kind === 'lambda') {
          return { target: `lambda:${group.name}`, answer: await this.toLambda(options, group, request) };
        }
        const answer = await forwardToIpTarget(this.agent, options.targets.ip(group.id), request);
        return {
          target: `ip:${group.name}`,
          answer,
          framed: !answer.headers.some(([n, v]) => n === 'server' && v === 'awselb/2.0'),
        };
      }
    }
  }

  private async toLambda(
    options: LocalAlbOptions,
    group: Extract<TargetGroupConfig, { kind: 'lambda' }>,
    request: { method: string; path: string; query: string; forwarded: [string, string][]; body: Buffer },
  ): Promise<HttpAnswer> {
    const fn = options.targets.lambda(group.id);
    if (!fn) return elbError(503, 'Service Temporarily Unavailable');
    if (request.body.length > LAMBDA_LIMITS.requestBodyBytes)
      return elbError(413, 'Request Entity Too Large');
    const event = albLambdaEvent(
      {
        method: request.method,
        path: request.path,
        query: request.query,
        headers: request.forwarded.map(([n, v]) => [n.toLowerCase(), v]),
        body: request.body,
      },
      options.targetGroupArn(group),
      group.multiValueHeaders,
    );
    const outcome = await fn.invoke(event);
    if (outcome.kind !== 'result') return elbError(502, 'Bad Gateway');
    return lambdaResultToHttp(outcome.json, group.multiValueHeaders) ?? elbError(502, 'Bad Gateway');
  }
}
