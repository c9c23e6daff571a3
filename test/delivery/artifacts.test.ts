import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { LambdaFunction } from '../../local-stack/lambda/lambda-function.js';
import { buildAll } from '../../scripts/build.js';
import { startServerProcess } from '../shutdown/server-process.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
const lines = dockerfile.split('\n').map((line) => line.trim());

/** The instructions of one stage, from its FROM line to the next. */
function stageLines(name: string): string[] {
  const start = lines.findIndex((line) => new RegExp(`^FROM \\S+ AS ${name}$`, 'i').test(line));
  if (start === -1) throw new Error(`no stage ${name}`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('FROM '));
  return lines.slice(start, end === -1 ? undefined : end);
}

function cmdOf(name: string): string[] {
  const cmd = stageLines(name).find((line) => line.startsWith('CMD '));
  if (!cmd) throw new Error(`no CMD in ${name}`);
  return JSON.parse(cmd.slice(4)) as string[];
}

describe('Dockerfile (checked without a Docker engine)', () => {
  beforeAll(async () => {
    await buildAll(() => {});
  }, 120_000);

  it('copies only files that exist in the build context, and ignores build output', () => {
    const sources = lines
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) =>
        line
          .split(/\s+/)
          .slice(1, -1)
          .filter((part) => !part.startsWith('--')),
      );
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) expect(existsSync(join(root, source)), source).toBe(true);
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'dist', 'cdktf.out', '.git']) expect(ignored).toContain(entry);
  });

  it('runs both images as a non-root user, exec-form, node directly (no shell swallowing SIGTERM)', () => {
    const runtime = stageLines('runtime');
    expect(runtime.filter((line) => line.startsWith('USER ')).at(-1)).toBe('USER node');
    expect(runtime.find((line) => line.startsWith('ENTRYPOINT'))).toBe('ENTRYPOINT ["/usr/bin/tini", "--"]');
    for (const name of ['api', 'simulation']) {
      expect(stageLines(name)[0]).toMatch(/^FROM runtime AS/);
      expect(cmdOf(name)[0]).toBe('node');
      expect(stageLines(name).some((line) => line.startsWith('USER root'))).toBe(false);
    }
    expect(stageLines('api')).toContain('STOPSIGNAL SIGTERM');
  });

  it('keeps build tools out: the final images get production dependencies and built output only', () => {
    expect(stageLines('prod-deps').join('\n')).toMatch(/npm ci --omit=dev/);
    for (const name of ['api', 'simulation']) {
      const copies = stageLines(name).filter((line) => line.startsWith('COPY'));
      for (const copy of copies) expect(copy).toMatch(/--from=build .*\/src\/dist\//);
    }
  });

  it('the files the images run are what npm run build writes', () => {
    for (const name of ['api', 'simulation']) {
      const file = cmdOf(name)[1] as string;
      expect(existsSync(join(root, file)), file).toBe(true);
    }
  });

  it('the API image command starts the server from the built output and stops on SIGTERM', async () => {
    const [, file] = cmdOf('api');
    const server = await startServerProcess({ SHUTDOWN_DRAIN_MS: '0' }, ['node', file as string]);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port: server.port, path: '/healthz' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(status).toBe(200);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 60_000);
});

/** An ALB event for a request, as the target group (multi-value headers on) delivers it. */
function albEvent(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Record<string, unknown> {
  return {
    requestContext: {
      elb: { targetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/probe/1' },
    },
    httpMethod: method,
    path,
    multiValueQueryStringParameters: {},
    multiValueHeaders: {
      host: ['probe.example.com'],
      'x-forwarded-for': ['203.0.113.9'],
      ...(body === undefined ? {} : { 'content-type': ['application/json'] }),
      ...Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, [value]])),
    },
    body: body === undefined ? '' : JSON.stringify(body),
    isBase64Encoded: false,
  };
}

/** Unpacks a built zip as Lambda would and sends it events in a fresh process (the local stack's). */
async function invokeZip(
  name: string,
  events: Record<string, unknown>[],
  env: Record<string, string>,
): Promise<{ statusCode: number; body: string; multiValueHeaders: Record<string, string[]> }[]> {
  const dir = join(root, 'dist', 'probe', name);
  const fn = await LambdaFunction.start({
    name,
    zipPath: join(root, 'dist', 'lambda', `${name}.zip`),
    dir,
    handler: 'lambda.handler',
    environment: { LOG_LEVEL: 'silent', JOBS_DATA_DIR: join(dir, 'data'), ...env },
    timeoutSeconds: 30,
    memoryMb: 512,
    logFd: 'ignore',
  });
  try {
    const results = [];
    for (const event of events) {
      const outcome = await fn.invoke(event);
      if (outcome.kind !== 'result') throw new Error(`bundle ${name} failed: ${JSON.stringify(outcome)}`);
      results.push(JSON.parse(outcome.json));
    }
    return results;
  } finally {
    await fn.stop();
  }
}

describe('Lambda zips (what the stacks deploy)', () => {
  beforeAll(async () => {
    if (!existsSync(join(root, 'dist', 'lambda', 'leads.zip'))) await buildAll(() => {});
  }, 120_000);

  it("the leads function serves its routes, validates in English, and 404s other groups' routes", async () => {
    const [created, invalid, read, other] = await invokeZip(
      'leads',
      [
        albEvent('POST', '/leads/zip-1', { name: 'Ada', email: 'ada@example.com' }),
        albEvent('POST', '/leads/zip-2', { name: '', email: 'nope' }),
        albEvent('GET', '/leads/zip-1'),
        albEvent('GET', '/openapi.json'),
      ],
      { LAMBDA_GROUP: 'leads' },
    );
    expect(created?.statusCode).toBe(201);
    expect(JSON.parse(created?.body ?? '{}')).toMatchObject({ leadId: 'zip-1', name: 'Ada' });
    expect(invalid?.statusCode).toBe(400);
    expect(JSON.parse(invalid?.body ?? '{}').error.details.fields).toEqual([
      { path: 'name', message: 'must not be empty' },
      { path: 'email', message: 'must be an email address' },
    ]);
    expect(read?.statusCode).toBe(200);
    expect(read?.multiValueHeaders['ratelimit-policy']?.[0]).toMatch(/^"standard-anonymous";q=\d+;w=\d+$/);
    expect(other?.statusCode).toBe(404);
  });

  it('the leads function answers a CORS preflight and lets an allowed origin read its headers', async () => {
    const page = 'https://app.example.com';
    const [preflight, read] = await invokeZip(
      'leads',
      [
        albEvent('OPTIONS', '/leads/zip-1', undefined, {
          origin: page,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        }),
        albEvent('GET', '/leads/zip-1', undefined, { origin: page }),
      ],
      { LAMBDA_GROUP: 'leads', APP_ENV: 'dev', CORS_ALLOWED_ORIGINS: page },
    );
    expect(preflight?.statusCode).toBe(204);
    expect(preflight?.multiValueHeaders['access-control-allow-origin']).toEqual([page]);
    expect(preflight?.multiValueHeaders['access-control-allow-methods']).toEqual(['GET,HEAD,POST']);
    expect(read?.statusCode).toBe(404);
    expect(read?.multiValueHeaders['access-control-allow-origin']).toEqual([page]);
    expect(read?.multiValueHeaders['access-control-expose-headers']?.[0]).toContain('RateLimit');
  });

  it('the api function answers /openapi.json and /healthz', async () => {
    const [openapi, health] = await invokeZip(
      'api',
      [albEvent('GET', '/openapi.json'), albEvent('GET', '/healthz')],
      {
        LAMBDA_GROUP: 'api',
      },
    );
    expect(openapi?.statusCode).toBe(200);
    expect(JSON.parse(openapi?.body ?? '{}').openapi).toBe('3.1.0');
    expect(health?.statusCode).toBe(200);
  });

  it('the jobs function accepts a simulation and reports zod errors for a bad one', async () => {
    const [accepted, refused] = await invokeZip(
      'jobs',
      [
        albEvent('POST', '/simulations', {
          model: 'projectile-drag',
          massKg: 1,
          areaM2: 0.01,
          dragCoefficient: 0.3,
          speedMS: 10,
          angleDeg: 45,
          maxTimeS: 1,
        }),
        albEvent('POST', '/simulations', { model: 'projectile-drag', massKg: -1 }),
      ],
      { LAMBDA_GROUP: 'jobs' },
    );
    expect(accepted?.statusCode).toBe(202);
    expect(accepted?.multiValueHeaders.location?.[0]).toMatch(/^\/simulations\/[0-9a-f-]{36}$/);
    expect(refused?.statusCode).toBe(400);
    expect(refused?.body).toMatch(/massKg/);
  });
});
