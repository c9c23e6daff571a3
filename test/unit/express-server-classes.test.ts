import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { expressServerClasses } from '../../app/express-server-classes.js';

/**
 * app/server.ts hosts the Express app on a server that makes requests and responses with the app's
 * prototypes already: Express's per-request `Object.setPrototypeOf` must then change nothing, and
 * everything Express gives `req` and `res` must work as before.
 */

let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(withClasses: boolean) {
  const app = express();
  const seen: { before?: object | null; after?: object | null } = {};
  app.get('/items/:id', (req, res) => {
    seen.after = Object.getPrototypeOf(req);
    res
      .status(201)
      .set('x-app-same', String(req.app === app))
      .json({ id: req.params.id, q: req.query.q });
  });
  const classes = withClasses ? expressServerClasses(app) : {};
  server = createServer(classes, (req, res) => {
    seen.before = Object.getPrototypeOf(req);
    app(req, res);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { app, seen, url };
}

describe('expressServerClasses', () => {
  it('makes requests with the prototype Express gives them, so Express changes none', async () => {
    const { app, seen, url } = await serve(true);
    const res = await fetch(`${url}/items/a%20b?q=1`);
    expect(res.status).toBe(201);
    expect(res.headers.get('x-app-same')).toBe('true');
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.json()).toEqual({ id: 'a b', q: '1' });
    expect(seen.before).toBe(app.request);
    expect(seen.after).toBe(seen.before);
  });

  it('is what Express otherwise does on every request: replace the prototype', async () => {
    const { app, seen, url } = await serve(false);
    await (await fetch(`${url}/items/x`)).arrayBuffer();
    expect(seen.before).not.toBe(app.request);
    expect(seen.after).toBe(app.request);
  });

  it('keeps 404s, errors and every response method of Express working', async () => {
    const app = express();
    app.get('/send', (_req, res) => {
      res.type('text').send('plain');
    });
    app.get('/fail', () => {
      throw new Error('boom');
    });
    server = createServer(expressServerClasses(app), app);
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const sent = await fetch(`${url}/send`);
    expect([sent.status, sent.headers.get('content-type'), await sent.text()]).toEqual([
      200,
      'text/plain; charset=utf-8',
      'plain',
    ]);
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);
    expect((await fetch(`${url}/fail`)).status).toBe(500);
  });
});
