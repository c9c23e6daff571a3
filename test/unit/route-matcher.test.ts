import express from 'express';
import fc from 'fast-check';
import { pino } from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { ecsInvocationResolver } from '../../adapters/invocation.js';
import { RouteMatcher } from '../../adapters/route-matcher.js';
import { createApp } from '../../app/create-app.js';
import { MemoryLeadStore } from '../../app/leads/lead-store.js';
import { DrainState } from '../../app/readiness.js';
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
  // What the app did before the matcher answered OPTIONS and 405 itself: a layer per path after
  // the routes, in the order the table first names each path.
  for (const path of new Set(routes.map((route) => route.path))) {
    app.all(path, (_req, res) => {
      res.status(405).json({ otherMethodOf: path });
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
    if (found) return { index: found.target, params: { ...found.params } };
    const other = matcher.pathOf(path);
    return other ? { otherMethodOf: other.path } : { index: null };
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

  it('finds the route Express would, with the same decoded parameters, or the path another method takes, for any path', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET', 'HEAD', 'POST', 'DELETE', 'PUT', 'OPTIONS'),
        fc.array(segment, { minLength: 1, maxLength: 4 }),
        fc.boolean(),
        async (method, segments, trailingSlash) => {
          const path = `/${segments.map((s) => encodeURI(s).replaceAll('%25', '%').replaceAll('?', '%3F').replaceAll('#', '%23')).join('/')}${trailingSlash ? '/' : ''}`;
          const res = await request(app)[method.toLowerCase() as 'get'](path);
          const ours = oursFor(method, path);
          if (method === 'HEAD') {
            // No body on HEAD: only the status can be compared.
            const status =
              'error' in ours ? ours.status : 'otherMethodOf' in ours ? 405 : ours.index === null ? 404 : 200;
            expect(status).toBe(res.status);
          } else if (res.status === 400 || res.status === 500) {
            // Express's router decodes a path's parameters before it looks at the method, so a
            // malformed escape is a 400 even where only another method's route has that path.
            expect(ours).toEqual({ error: true, status: 400 });
          } else {
            expect(ours).toEqual(res.body);
          }
        },
      ),
      { numRuns: 1000 },
    );
  });

  it('answers 400 for a malformed escape on a path only another method serves, like Express', async () => {
    const app = createApp(
      {
        leads: new MemoryLeadStore(),
        readiness: new DrainState(),
        logger: pino({ level: 'silent' }),
        clock: () => new Date(),
      },
      {
        maxBodyBytes: 1024,
        resolveInvocation: ecsInvocationResolver({
          stage: 'test',
          functionName: 'api',
          trustForwardedFor: false,
        }),
      },
    );
    for (const method of ['put', 'delete', 'get'] as const) {
      const res = await request(app)[method]('/leads/%');
      expect(res.status).toBe(400);
    }
  });

  it('matches each declared route and decodes its parameters', () => {
    expect(oursFor('GET', '/leads/a%20b')).toMatchObject({ params: { leadId: 'a b' } });
    expect(oursFor('GET', '/leads/a%2Fb')).toMatchObject({ params: { leadId: 'a/b' } });
    expect(oursFor('GET', '/leads/a/')).toEqual({ index: null });
    expect(oursFor('GET', '/Leads/a')).toEqual({ index: null });
    expect(oursFor('GET', '/leads/%E0%A4%A')).toEqual({ error: true, status: 400 });
    expect(oursFor('HEAD', '/healthz')).toMatchObject({ params: {} });
    expect(oursFor('OPTIONS', '/healthz')).toEqual({ otherMethodOf: '/healthz' });
    expect(oursFor('DELETE', '/leads/a')).toEqual({ otherMethodOf: '/leads/:leadId' });
    expect(oursFor('DELETE', '/nowhere')).toEqual({ index: null });
    expect(matcher.pathOf('/leads/a')?.methods).toEqual(['GET', 'HEAD', 'POST']);
    const params = matcher.find('GET', '/leads/__proto__')?.params;
    expect(params?.leadId).toBe('__proto__');
    expect((params as Record<string, unknown>).constructor).toBeUndefined();
    expect('toString' in (params as object)).toBe(false);
  });
});
