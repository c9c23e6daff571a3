import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HealthChecker } from '../../local-stack/alb/health-checks.js';
import { loadBalancerConfig, type TerraformJson } from '../../local-stack/alb/load-balancer-config.js';
import { type IpTarget, LocalAlb } from '../../local-stack/alb/local-alb.js';
import { LambdaFunction } from '../../local-stack/lambda/lambda-function.js';

/**
 * The local ALB against ELB's documented behaviour, with a stack written as Terraform JSON (the
 * shape synthesis produces) and two targets: a Lambda bundle that echoes its event (or misbehaves
 * on request) and a plain HTTP server as the IP target.
 */

const ECHO_BUNDLE = `
export const handler = async (event, context) => {
  const path = event.path;
  if (path === '/fn/big') return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'x'.repeat(1_100_000) };
  if (path === '/fn/slow') { await new Promise((r) => setTimeout(r, 5_000)); return { statusCode: 200, body: 'late' }; }
  if (path === '/fn/throws') throw new Error('boom');
  if (path === '/fn/malformed') return { body: 'no status' };
  if (path === '/fn/pid') { await new Promise((r) => setTimeout(r, 300)); return { statusCode: 200, body: String(process.pid) }; }
  return {
    statusCode: 200,
    multiValueHeaders: { 'content-type': ['application/json'], 'set-cookie': ['a=1', 'b=2'] },
    body: JSON.stringify({ event, remaining: context.getRemainingTimeInMillis() }),
  };
};
`;

const ref = (type: string, name: string) => `\${${type}.${name}.arn}`;
const tg = (name: string) => ref('aws_lb_target_group', name);
const stackJson: TerraformJson = {
  resource: {
    aws_lb_listener: {
      http: {
        protocol: 'HTTP',
        port: 80,
        default_action: [
          {
            type: 'fixed-response',
            fixed_response: { status_code: '404', content_type: 'text/plain', message_body: 'none' },
          },
        ],
      },
    },
    aws_lb_target_group: {
      fn: { name: 'fn', target_type: 'lambda', lambda_multi_value_headers_enabled: true },
      web: {
        name: 'web',
        target_type: 'ip',
        port: 3000,
        health_check: {
          path: '/health',
          matcher: '200-299',
          interval: 1,
          timeout: 1,
          healthy_threshold: 2,
          unhealthy_threshold: 2,
        },
      },
    },
    aws_lb_target_group_attachment: {
      fn: { target_group_arn: tg('fn'), target_id: ref('aws_lambda_function', 'echo') },
    },
    aws_lb_listener_rule: {
      header: {
        listener_arn: ref('aws_lb_listener', 'http'),
        priority: 5,
        condition: [
          { http_header: { http_header_name: 'X-Canary', values: ['ye?'] } },
          { path_pattern: { values: ['/web/*'] } },
        ],
        action: [
          {
            type: 'fixed-response',
            fixed_response: { status_code: '418', content_type: 'text/plain', message_body: 'canary' },
          },
        ],
      },
      source: {
        listener_arn: ref('aws_lb_listener', 'http'),
        priority: 6,
        condition: [{ source_ip: { values: ['10.0.0.0/8'] } }],
        action: [
          { type: 'fixed-response', fixed_response: { status_code: '403', message_body: 'internal' } },
        ],
      },
      query: {
        listener_arn: ref('aws_lb_listener', 'http'),
        priority: 7,
        condition: [
          { query_string: [{ key: 'v', value: '2' }] },
          { host_header: { values: ['*.example.com'] } },
        ],
        action: [{ type: 'redirect', redirect: { path: '/v2/#{path}', status_code: 'HTTP_302' } }],
      },
      fn: {
        listener_arn: ref('aws_lb_listener', 'http'),
        priority: 10,
        condition: [{ path_pattern: { values: ['/fn/*'] } }],
        action: [{ type: 'forward', target_group_arn: tg('fn') }],
      },
      web: {
        listener_arn: ref('aws_lb_listener', 'http'),
        priority: 20,
        condition: [
          { http_request_method: { values: ['GET', 'POST'] } },
          { path_pattern: { values: ['/web/*'] } },
        ],
        action: [
          {
            type: 'forward',
            forward: {
              target_group: [
                { arn: tg('web'), weight: 1 },
                { arn: tg('fn'), weight: 0 },
              ],
            },
          },
        ],
      },
    },
  },
};

let dir: string;
let fn: LambdaFunction;
let web: Server;
let webUp = true;
let alb: LocalAlb;
let health: HealthChecker;
const seen: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'local-alb-'));
  writeFileSync(join(dir, 'echo.zip'), zipSync({ 'index.mjs': strToU8(ECHO_BUNDLE) }));
  fn = await LambdaFunction.start({
    name: 'echo',
    zipPath: join(dir, 'echo.zip'),
    dir: join(dir, 'echo'),
    handler: 'index.handler',
    environment: {},
    timeoutSeconds: 1,
    memoryMb: 128,
    logFd: 'ignore',
  });
  web = createServer((req, res) => {
    if (req.url === '/health') res.writeHead(webUp ? 200 : 500).end();
    else
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ url: req.url, headers: req.headers }));
  });
  await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
  const config = loadBalancerConfig(stackJson);
  const group = config.targetGroups.get('web');
  if (!group) throw new Error('no web group');
  const port = (web.address() as AddressInfo).port;
  health = new HealthChecker(() => port, group.healthCheck);
  await health.start();
  const ip: IpTarget = { port, running: true, health };
  alb = await LocalAlb.start({
    config,
    targets: { lambda: (id) => (id === 'fn' ? fn : undefined), ip: (id) => (id === 'web' ? ip : undefined) },
    targetGroupArn: (g) => `arn:aws:elasticloadbalancing:local:000000000000:targetgroup/${g.name}/1`,
    onRequest: (r) => seen.push(`${r.priority} ${r.target}`),
  });
});

afterAll(async () => {
  health.stop();
  await alb.stop();
  await fn.stop();
  await new Promise<void>((resolve) => web.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

async function send(path: string, init: RequestInit & { headers?: Record<string, string> } = {}) {
  const response = await fetch(`${alb.url}${path}`, { redirect: 'manual', ...init });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

describe('the Lambda event, as ELB builds it', () => {
  it('keeps the query string undecoded, repeats as lists, and appends X-Forwarded-For', async () => {
    const { status, text, headers } = await send('/fn/echo?a=1&a=2&q=caf%C3%A9+x', {
      headers: { 'x-forwarded-for': '203.0.113.9', 'X-Mixed': 'One' },
    });

    expect(status).toBe(200);
    const { event, remaining } = JSON.parse(text);
    expect(event.multiValueQueryStringParameters).toEqual({ a: ['1', '2'], q: ['caf%C3%A9+x'] });
    expect(event.multiValueHeaders['x-forwarded-for']).toEqual(['203.0.113.9, 127.0.0.1']);
    expect(event.multiValueHeaders['x-forwarded-proto']).toEqual(['http']);
    expect(event.multiValueHeaders['x-mixed']).toEqual(['One']);
    expect(event.multiValueHeaders['x-amzn-trace-id'][0]).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
    expect(event.requestContext.elb.targetGroupArn).toMatch(/targetgroup\/fn\//);
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(1_000);
    expect(headers.getSetCookie()).toEqual(['a=1', 'b=2']);
  });

  it('sends text types as they are and base64-encodes every other type', async () => {
    const json = JSON.parse(
      (
        await send('/fn/echo', {
          method: 'POST',
          body: '{"a":1}',
          headers: { 'content-type': 'application/json' },
        })
      ).text,
    );
    const form = JSON.parse(
      (
        await send('/fn/echo', {
          method: 'POST',
          body: 'a=1',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
        })
      ).text,
    );

    expect(json.event).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
    expect(form.event).toMatchObject({ body: Buffer.from('a=1').toString('base64'), isBase64Encoded: true });
  });

  it('answers 413 for a body over 1 MB, 502 for a result over 1 MB, a throw, a malformed result or a timeout', async () => {
    const big = await send('/fn/echo', {
      method: 'POST',
      body: 'x'.repeat(1_048_577),
      headers: { 'content-type': 'text/plain' },
    });
    const statuses = await Promise.all(
      ['/fn/big', '/fn/throws', '/fn/malformed', '/fn/slow'].map((p) => send(p)),
    );

    expect(big.status).toBe(413);
    expect(statuses.map((s) => s.status)).toEqual([502, 502, 502, 502]);
    expect(statuses[0]?.headers.get('server')).toBe('awselb/2.0');
    // After the timeout the environment was replaced, and the function answers again.
    expect((await send('/fn/echo')).status).toBe(200);
  });
});

describe('execution environments', () => {
  it('runs one invocation at a time per environment: concurrent ones get more, serial ones reuse one', async () => {
    const concurrent = await Promise.all([send('/fn/pid'), send('/fn/pid'), send('/fn/pid')]);
    const first = await send('/fn/pid');
    const second = await send('/fn/pid');

    expect(new Set(concurrent.map((r) => r.text)).size).toBe(3);
    expect(first.text).toBe(second.text);
    expect(fn.environments).toBeLessThanOrEqual(4);
  });
});

describe('rules and actions', () => {
  it('forwards to the IP target with weights, adding the forwarded headers', async () => {
    const { status, text } = await send('/web/page?x=1');

    expect(status).toBe(200);
    const body = JSON.parse(text);
    expect(body.url).toBe('/web/page?x=1');
    expect(body.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(body.headers['x-forwarded-port']).toBe(String(alb.port));
    expect(seen.at(-1)).toBe('20 ip:web');
  });

  it('applies http-header (wildcards, any case), query-string, host-header and source-ip conditions', async () => {
    expect((await send('/web/page', { headers: { 'x-canary': 'YES' } })).status).toBe(418);
    expect((await send('/web/page', { headers: { 'x-canary': 'no' } })).status).toBe(200);
    const redirected = await withHost('/a/b?v=2', 'api.example.com');
    expect(redirected.status).toBe(302);
    expect(redirected.location).toBe(`http://api.example.com:${alb.port}/v2/a/b?v=2`);
    expect((await withHost('/a/b?v=2', 'API.Example.org')).status).toBe(404);
    expect((await withHost('/a/b?v=2', 'API.Example.com')).status).toBe(302);
    // The connection comes from 127.0.0.1, outside 10.0.0.0/8, whatever X-Forwarded-For says.
    expect((await send('/x', { headers: { 'x-forwarded-for': '10.1.2.3' } })).text).toBe('none');
  });

  it('matches methods and paths case-sensitively, falling to the default action', async () => {
    expect((await send('/WEB/page')).status).toBe(404);
    expect((await send('/web/page', { method: 'DELETE' })).status).toBe(404);
  });

  it('answers 400 past ELB header limits', async () => {
    expect((await send('/web/page', { headers: { 'x-big': 'a'.repeat(17 * 1024) } })).status).toBe(400);
  });
});

describe('target health', () => {
  it('turns the target unhealthy after failed checks and healthy again after passing ones', async () => {
    expect(health.state).toBe('healthy');
    webUp = false;
    await waitFor(() => health.state === 'unhealthy');
    webUp = true;
    await waitFor(() => health.state === 'healthy');
  });

  it('answers 503 when the target group has no registered target', async () => {
    const config = loadBalancerConfig(stackJson);
    const empty = await LocalAlb.start({
      config,
      targets: { lambda: () => undefined, ip: () => undefined },
      targetGroupArn: () => 'arn',
    });
    try {
      const response = await fetch(`${empty.url}/web/page`);
      expect(response.status).toBe(503);
      expect(await response.text()).toContain('503 Service Temporarily Unavailable');
    } finally {
      await empty.stop();
    }
  });
});

/** fetch cannot set Host; node's http client can. */
function withHost(path: string, host: string): Promise<{ status: number; location: string | undefined }> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port: alb.port, path, headers: { host }, agent: false }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    })
      .on('error', reject)
      .end();
  });
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
