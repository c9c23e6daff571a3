import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { originPolicy } from '../../adapters/cors.js';
import type { CorsSettings } from '../../adapters/cors-settings.js';
import { ecsInvocationResolver } from '../../adapters/invocation.js';
import { createRateLimitGuard } from '../../adapters/rate-limit/guard.js';
import { ConfigError, loadConfig } from '../../app/config.js';
import { createApp } from '../../app/create-app.js';
import { MemoryLeadStore } from '../../app/leads/lead-store.js';
import { DrainState } from '../../app/readiness.js';
import { TEST_ROUTES, testSettings } from '../rate-limit/support.js';

const PAGE = 'https://app.example.com';

function appWith(cors: Partial<CorsSettings> = {}, guards = true) {
  const logger = pino({ level: 'silent' });
  return createApp(
    { leads: new MemoryLeadStore(), readiness: new DrainState(), logger, clock: () => new Date() },
    {
      routes: TEST_ROUTES,
      maxBodyBytes: 1024,
      resolveInvocation: ecsInvocationResolver({
        stage: 'test',
        functionName: 'api-test',
        trustForwardedFor: true,
      }),
      guards: guards
        ? [
            createRateLimitGuard({
              settings: testSettings(),
              redis: undefined,
              keyPrefix: '',
              logger,
              routes: TEST_ROUTES,
            }),
          ]
        : [],
      cors: {
        origins: [PAGE],
        allowCredentials: false,
        maxAgeSeconds: 600,
        preflightsPerMinute: 600,
        ...cors,
      },
    },
  );
}

describe('configuration', () => {
  it('allows any localhost port by default only when APP_ENV is local', () => {
    // Prepare + Act
    const local = loadConfig({}).cors;
    const dev = loadConfig({ APP_ENV: 'dev' }).cors;
    // Assess
    const allowed = originPolicy(local.origins);
    expect(allowed('http://localhost:8417')).toBe(true);
    expect(allowed('http://127.0.0.1:5173')).toBe(true);
    expect(allowed('http://localhost.evil.example:80')).toBe(false);
    expect(allowed('http://localhost:80x')).toBe(false);
    expect(dev.origins).toEqual([]);
  });

  it('reads a list, `*` and `none`', () => {
    expect(
      loadConfig({ CORS_ALLOWED_ORIGINS: 'https://a.example, https://b.example:8443' }).cors.origins,
    ).toEqual(['https://a.example', 'https://b.example:8443']);
    expect(loadConfig({ CORS_ALLOWED_ORIGINS: '*' }).cors.origins).toBe('*');
    expect(loadConfig({ CORS_ALLOWED_ORIGINS: 'none' }).cors.origins).toEqual([]);
  });

  it.each([
    [{ CORS_ALLOWED_ORIGINS: 'https://a.example/' }, 'CORS_ALLOWED_ORIGINS'],
    [{ CORS_ALLOWED_ORIGINS: 'https://a.example/app' }, 'CORS_ALLOWED_ORIGINS'],
    [{ CORS_ALLOWED_ORIGINS: 'ftp://a.example' }, 'CORS_ALLOWED_ORIGINS'],
    [{ CORS_ALLOWED_ORIGINS: '*', CORS_ALLOW_CREDENTIALS: 'true' }, 'CORS_ALLOW_CREDENTIALS'],
    [{ CORS_MAX_AGE_SECONDS: '-1' }, 'CORS_MAX_AGE_SECONDS'],
  ])('refuses %j naming %s', (env, variable) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(variable);
  });
});

describe('CORS on the shared app', () => {
  it('an allowed origin gets its origin back, Vary and the exposed headers, on 2xx and errors', async () => {
    // Prepare
    const app = appWith();
    // Act
    const ok = await request(app).get('/items/1').set('origin', PAGE);
    const missing = await request(app).get('/nothing').set('origin', PAGE);
    const wrongMethod = await request(app).delete('/items/1').set('origin', PAGE);
    const tooLarge = await request(app)
      .post('/items/1')
      .set('origin', PAGE)
      .set('content-type', 'application/json')
      .send(JSON.stringify({ x: 'y'.repeat(2_000) }));
    // Assess
    for (const [response, status] of [
      [ok, 200],
      [missing, 404],
      [wrongMethod, 405],
      [tooLarge, 413],
    ] as const) {
      expect(response.status).toBe(status);
      expect(response.headers['access-control-allow-origin']).toBe(PAGE);
      expect(response.headers.vary).toMatch(/\bOrigin\b/);
      expect(response.headers['access-control-expose-headers']).toContain('RateLimit');
      expect(response.headers['access-control-expose-headers']).toContain('Location');
      expect(response.headers['access-control-allow-credentials']).toBeUndefined();
    }
  });

  it('a 429 carries the CORS headers, so the page can read Retry-After', async () => {
    const app = appWith();
    let last = await request(app).get('/items/1').set('origin', PAGE);
    for (let i = 0; i < 10 && last.status !== 429; i++)
      last = await request(app).get('/items/1').set('origin', PAGE);
    expect(last.status).toBe(429);
    expect(last.headers['access-control-allow-origin']).toBe(PAGE);
    expect(last.headers['access-control-expose-headers']).toContain('Retry-After');
  });

  it('a disallowed origin gets no CORS headers, and the API still answers', async () => {
    const app = appWith();
    const response = await request(app).get('/items/1').set('origin', 'https://evil.example');
    expect(response.status).toBe(200);
    expect(Object.keys(response.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    expect(response.headers.vary).toBe('Origin');
  });

  it('a preflight on a known path gets 204 with that path’s methods and the accepted headers', async () => {
    const app = appWith();
    const response = await request(app)
      .options('/items/1')
      .set('origin', PAGE)
      .set('access-control-request-method', 'POST')
      .set('access-control-request-headers', 'content-type, idempotency-key');
    expect(response.status).toBe(204);
    expect(response.headers['access-control-allow-origin']).toBe(PAGE);
    expect(response.headers['access-control-allow-methods']).toBe('GET,HEAD,POST');
    expect(response.headers['access-control-allow-headers']).toBe(
      'content-type,authorization,x-api-key,idempotency-key,prefer',
    );
    expect(response.headers['access-control-max-age']).toBe('600');
    expect(response.headers.allow).toBe('GET, HEAD, OPTIONS, POST');
  });

  it('a preflight for a method the path lacks, or from another origin, gets no CORS headers', async () => {
    const app = appWith();
    const wrongMethod = await request(app)
      .options('/items/1')
      .set('origin', PAGE)
      .set('access-control-request-method', 'DELETE');
    const otherOrigin = await request(app)
      .options('/items/1')
      .set('origin', 'https://evil.example')
      .set('access-control-request-method', 'GET');
    for (const response of [wrongMethod, otherOrigin]) {
      expect(response.status).toBe(204);
      expect(Object.keys(response.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    }
  });

  it('a preflight on an unknown path is 404', async () => {
    const response = await request(appWith())
      .options('/nothing/here')
      .set('origin', PAGE)
      .set('access-control-request-method', 'GET');
    expect(response.status).toBe(404);
  });

  it('credentials, when configured, are allowed for a listed origin', async () => {
    const response = await request(appWith({ allowCredentials: true }))
      .get('/items/1')
      .set('origin', PAGE);
    expect(response.headers['access-control-allow-credentials']).toBe('true');
  });

  it('`*` answers `*` without Vary', async () => {
    const response = await request(appWith({ origins: '*' }))
      .get('/items/1')
      .set('origin', 'https://any.example');
    expect(response.headers['access-control-allow-origin']).toBe('*');
    expect(response.headers.vary).toBeUndefined();
  });

  it('preflights never spend the quota, and a flood of them is bounded per address', async () => {
    // Prepare: the standard anonymous quota is 6 points; the preflight bound 5 a minute.
    const app = appWith({ preflightsPerMinute: 5 });
    const preflight = () =>
      request(app)
        .options('/items/1')
        .set('x-forwarded-for', '198.51.100.9')
        .set('origin', PAGE)
        .set('access-control-request-method', 'GET');
    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await preflight()).status);
    const afterwards = await request(app).get('/items/1').set('x-forwarded-for', '198.51.100.9');
    const otherAddress = await request(app)
      .options('/items/1')
      .set('x-forwarded-for', '198.51.100.10')
      .set('origin', PAGE)
      .set('access-control-request-method', 'GET');
    // Assess
    expect(statuses).toEqual([204, 204, 204, 204, 204, 429, 429]);
    expect(afterwards.status).toBe(200);
    expect(afterwards.headers['x-ratelimit-remaining']).toBe('5');
    expect(otherAddress.status).toBe(204);
  });

  it('without CORS settings a plain OPTIONS still answers with Allow', async () => {
    const logger = pino({ level: 'silent' });
    const app = createApp(
      { leads: new MemoryLeadStore(), readiness: new DrainState(), logger, clock: () => new Date() },
      {
        routes: TEST_ROUTES,
        maxBodyBytes: 1024,
        resolveInvocation: ecsInvocationResolver({ stage: 't', functionName: 'f', trustForwardedFor: true }),
      },
    );
    const response = await request(app).options('/items/1').set('origin', PAGE);
    expect(response.status).toBe(204);
    expect(response.headers.allow).toBe('GET, HEAD, OPTIONS, POST');
    expect(response.headers['access-control-allow-origin']).toBeUndefined();
  });
});
