import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { useSharedRedis } from '../helpers/redis-server.js';
import { API_KEY, ecsApp, guardFor, OTHER_API_KEY, rateLimitHeadersOf } from './support.js';

/** The ECS path: real HTTP through the Express app, counting in the shared Redis. */
describe('rate limiting on the ECS path', () => {
  const store = useSharedRedis('rl');

  function freshApp() {
    return ecsApp(guardFor({ redis: store.redis(), prefix: store.prefix() }));
  }

  it('counts anonymous clients down to the class limit, then refuses with 429 and Retry-After', async () => {
    // Prepare
    const app = freshApp();
    // Act
    const answers = [];
    for (let i = 0; i < 7; i += 1)
      answers.push(await request(app).get('/items/1').set('x-forwarded-for', '198.51.100.1'));
    // Assess
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200, 200, 429]);
    expect(answers.map((a) => a.headers['x-ratelimit-remaining'])).toEqual([
      '5',
      '4',
      '3',
      '2',
      '1',
      '0',
      '0',
    ]);
    const first = rateLimitHeadersOf(answers[0]?.headers ?? {});
    expect(first['ratelimit-policy']).toBe('"standard-anonymous";q=6;w=60');
    expect(first.ratelimit).toMatch(/^"standard-anonymous";r=5;t=(59|60)$/);
    expect(first['x-ratelimit-limit']).toBe('6');
    const reset = Number(first['x-ratelimit-reset']);
    expect(reset - Date.now() / 1000).toBeGreaterThan(55);
    expect(reset - Date.now() / 1000).toBeLessThanOrEqual(61);
    const refused = answers[6];
    expect(refused?.headers['retry-after']).toMatch(/^(59|60)$/);
    expect(refused?.headers.ratelimit).toMatch(/^"standard-anonymous";r=0;t=(59|60)$/);
    expect(refused?.headers['content-type']).toMatch(/^application\/json/);
    expect(refused?.body).toEqual({
      error: {
        code: 'rate_limited',
        message: expect.stringMatching(/^Too many requests; retry after \d+ s$/),
        details: { retryAfterSeconds: Number(refused?.headers['retry-after']) },
      },
    });
  });

  it('charges each route its cost from the route table', async () => {
    const app = freshApp();
    const post = () =>
      request(app).post('/items/1').set('x-forwarded-for', '198.51.100.2').send({ name: 'x' });
    const answers = [await post(), await post(), await post(), await post()];
    expect(answers.map((a) => [a.status, a.headers['x-ratelimit-remaining']])).toEqual([
      [200, '4'],
      [200, '2'],
      [200, '0'],
      [429, '0'],
    ]);
  });

  it('keeps classes apart: spending the standard quota leaves the jobs quota untouched', async () => {
    const app = freshApp();
    for (let i = 0; i < 7; i += 1) await request(app).get('/items/1').set('x-forwarded-for', '198.51.100.3');
    const job = await request(app).post('/runs').set('x-forwarded-for', '198.51.100.3').send({});
    expect(job.status).toBe(200);
    expect(job.headers['ratelimit-policy']).toBe('"jobs-anonymous";q=10;w=60');
    expect(job.headers['x-ratelimit-remaining']).toBe('5');
  });

  it('gives an API-key client its own, larger quota whichever header carries the key', async () => {
    const app = freshApp();
    const bearer = await request(app).get('/items/1').set('authorization', `Bearer ${API_KEY}`);
    const header = await request(app)
      .get('/items/1')
      .set('x-api-key', API_KEY)
      .set('x-forwarded-for', '192.0.2.9');
    expect(bearer.status).toBe(200);
    expect(bearer.headers['ratelimit-policy']).toBe('"standard-authenticated";q=10;w=60');
    expect(bearer.headers['x-ratelimit-remaining']).toBe('9');
    // Same client from another address: one quota per key, not per address.
    expect(header.headers['x-ratelimit-remaining']).toBe('8');
  });

  it.each([
    ['an unknown bearer key', { authorization: `Bearer ${OTHER_API_KEY}` }],
    ['an unknown x-api-key', { 'x-api-key': OTHER_API_KEY }],
    ['another scheme', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
    ['an empty bearer', { authorization: 'Bearer ' }],
    ['two different keys', { authorization: `Bearer ${API_KEY}`, 'x-api-key': OTHER_API_KEY }],
  ])('refuses %s with 401 JSON instead of serving it as anonymous', async (_name, headers) => {
    const app = freshApp();
    const answer = await request(app).get('/items/1').set(headers).set('x-forwarded-for', '198.51.100.4');
    expect(answer.status).toBe(401);
    expect(answer.body.error.code).toBe('unauthorized');
    expect(answer.headers['www-authenticate']).toBe('Bearer');
    // The attempt is counted against the address's anonymous quota, so key guessing is limited too.
    expect(answer.headers['ratelimit-policy']).toBe('"standard-anonymous";q=6;w=60');
    expect(answer.headers['x-ratelimit-remaining']).toBe('5');
  });

  it('never limits /healthz and sends it no rate-limit headers', async () => {
    const app = freshApp();
    const answers = [];
    for (let i = 0; i < 30; i += 1)
      answers.push(await request(app).get('/healthz').set('x-forwarded-for', '198.51.100.5'));
    expect(new Set(answers.map((a) => a.status))).toEqual(new Set([200]));
    expect(answers.every((a) => Object.keys(rateLimitHeadersOf(a.headers)).length === 0)).toBe(true);
  });

  it('gives no fresh quota to a client that forges X-Forwarded-For entries in front of its address', async () => {
    const app = freshApp();
    // The ALB appends the real address: the client's own entries end up to its left.
    for (let i = 0; i < 6; i += 1) await request(app).get('/items/1').set('x-forwarded-for', '203.0.113.50');
    const forged = await request(app).get('/items/1').set('x-forwarded-for', '1.2.3.4, 203.0.113.50');
    const forgedMany = await request(app)
      .get('/items/1')
      .set('x-forwarded-for', '5.6.7.8, 9.9.9.9, 203.0.113.50');
    const otherClient = await request(app).get('/items/1').set('x-forwarded-for', '1.2.3.4, 203.0.113.51');
    expect(forged.status).toBe(429);
    expect(forgedMany.status).toBe(429);
    expect(otherClient.status).toBe(200);
  });

  it('blocks a key far over its limit in memory, sparing Redis the rest of the window', async () => {
    const prefix = store.prefix();
    const redis = store.redis();
    const app = ecsApp(guardFor({ redis, prefix }));
    for (let i = 0; i < 7; i += 1) await request(app).get('/items/1').set('x-forwarded-for', '198.51.100.6');
    const key = `${prefix}rl:standard-anonymous:ip:198.51.100.6`;
    const countAfterRefusal = Number(await redis.get(key));
    for (let i = 0; i < 20; i += 1) {
      const answer = await request(app).get('/items/1').set('x-forwarded-for', '198.51.100.6');
      expect(answer.status).toBe(429);
    }
    expect(countAfterRefusal).toBe(7);
    expect(Number(await redis.get(key))).toBe(7);
  });
});
