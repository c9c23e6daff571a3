import express from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { RouteMatcher } from '../../adapters/route-matcher.js';
import { routes } from '../../app/routes.js';

/**
 * The route matcher must find exactly what Express's router (case-sensitive, strict routing)
 * would: the reference is a real Express app with the route table mounted the usual way.
 */
function referenceApp() {
  const app = express();
  app.enable('case sensitive routing');
  app.enable('strict routing');
  for (const [index, route] of routes.entries()) {
    app[route.method.toLowerCase() as 'get'](route.path, (req, res) => {
      res.json({ index, params: { ...req.params } });
    });
  }
  app.use((_req, res) => {
    res.status(404).json({ index: null });
  });
  app.use(((error, _req, res, _next) => {
    res.status(error.status ?? 500).json({ error: true });
  }) as express.ErrorRequestHandler);
  return app;
}

const matcher = new RouteMatcher(routes.map((route, index) => ({ ...route, target: index })));

function oursFor(method: string, path: string) {
  try {
    const found = matcher.find(method, path);
    return found ? { index: found.target, params: { ...found.params } } : { index: null };
  } catch (error) {
    return { error: true, status: (error as { status?: number }).status };
  }
}

const segment = fc.oneof(
  fc.constantFrom('leads', 'simulations', 'result', 'healthz', 'openapi.json', 'Leads', '', 'a b'),
  fc.constantFrom('%2F', '%20x', '%E0%A4%A', '%zz', 'caf%C3%A9', '%', '..', '.', 'x;y', 'ü'),
  fc.string({ maxLength: 6 }),
);

describe('RouteMatcher', () => {
  const app = referenceApp();

  it('finds the route Express would, with the same decoded parameters, for any path', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'HEAD', 'POST', 'DELETE', 'PUT'),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (method, segments, trailingSlash) => {
          const path = `/${segments.map((s) => encodeURI(s).replaceAll('%25', '%')).join('/')}${trailingSlash ? '/' : ''}`;
          const res = await request(app)[method.toLowerCase() as 'get'](path);
          const ours = oursFor(method, path);
          if (res.status >= 400 && res.status !== 404) {
            expect(ours).toEqual({ error: true, status: res.status });
          } else if (method === 'HEAD') {
            // No body on HEAD: only whether a route answers can be compared.
            expect(ours.index === null).toBe(res.status === 404);
          } else {
            expect(ours).toEqual(res.body);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('matches each declared route and decodes its parameters', () => {
    expect(oursFor('GET', '/leads/a%20b')).toMatchObject({ params: { leadId: 'a b' } });
    expect(oursFor('GET', '/leads/a%2Fb')).toMatchObject({ params: { leadId: 'a/b' } });
    expect(oursFor('GET', '/leads/a/')).toEqual({ index: null });
    expect(oursFor('GET', '/Leads/a')).toEqual({ index: null });
    expect(oursFor('GET', '/leads/%E0%A4%A')).toEqual({ error: true, status: 400 });
    expect(oursFor('HEAD', '/healthz')).toMatchObject({ params: {} });
    expect(oursFor('OPTIONS', '/healthz')).toEqual({ index: null });
    const params = matcher.find('GET', '/leads/__proto__')?.params;
    expect(params?.leadId).toBe('__proto__');
    expect((params as Record<string, unknown>).constructor).toBeUndefined();
    expect('toString' in (params as object)).toBe(false);
  });
});
