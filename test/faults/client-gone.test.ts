import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClientClosedRequestError } from '../../adapters/http-error.js';
import { ecsInvocationResolver } from '../../adapters/invocation.js';
import { createApp } from '../../app/create-app.js';
import { MemoryLeadStore } from '../../app/leads/lead-store.js';
import { DrainState } from '../../app/readiness.js';
import { type RouteDefinition, routes } from '../../app/routes.js';
import type { HandlerFactory } from '../../handlers/types.js';
import { silentLogger } from '../jobs/support/harness.js';

/**
 * On ECS a handler's signal fires when its client goes away, whether the handler was already
 * listening or only looks at the signal after the client left (the signal is made on first read).
 */

const seen: { path: string; reason: unknown }[] = [];

/** Reads its signal at once and waits for it. */
const listensFirst: HandlerFactory = () => async (_event, context) => {
  await new Promise<void>((resolve) =>
    context.signal.addEventListener('abort', () => resolve(), { once: true }),
  );
  seen.push({ path: 'first', reason: context.signal.reason });
  return { statusCode: 200, body: '' };
};

/** Works for a while without looking, then checks the signal, as POST /simulations does. */
const looksLater: HandlerFactory = () => async (_event, context) => {
  await sleep(300);
  seen.push({ path: 'later', reason: context.signal.aborted ? context.signal.reason : 'not aborted' });
  return { statusCode: 200, body: '' };
};

function probe(path: string, handler: HandlerFactory): RouteDefinition {
  return {
    ...(routes[0] as RouteDefinition),
    method: 'GET',
    path,
    handler,
    rateLimit: { class: 'none', cost: 0 },
    timeoutMs: 5_000,
  };
}

let server: Server;
let port: number;

beforeEach(async () => {
  seen.length = 0;
  const app = createApp(
    {
      leads: new MemoryLeadStore(),
      readiness: new DrainState(),
      logger: silentLogger,
      clock: () => new Date(),
    },
    {
      maxBodyBytes: 1024,
      routes: [probe('/probe/first', listensFirst), probe('/probe/later', looksLater)],
      resolveInvocation: ecsInvocationResolver({
        stage: 'test',
        functionName: 'api',
        trustForwardedFor: false,
      }),
    },
  );
  server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** Sends a GET and drops the connection after `afterMs`. */
async function hangUp(path: string, afterMs: number): Promise<void> {
  const req = request({ host: '127.0.0.1', port, path });
  req.on('error', () => {});
  req.end();
  await sleep(afterMs);
  req.destroy();
}

async function waitForSeen(count: number): Promise<void> {
  for (let i = 0; i < 200 && seen.length < count; i += 1) await sleep(10);
}

describe('a client that goes away', () => {
  it('aborts the signal of a handler that was listening', async () => {
    await hangUp('/probe/first', 100);
    await waitForSeen(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.reason).toBeInstanceOf(ClientClosedRequestError);
  });

  it('leaves the signal aborted for a handler that reads it only afterwards', async () => {
    await hangUp('/probe/later', 100);
    await waitForSeen(1);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.reason).toBeInstanceOf(ClientClosedRequestError);
  });

  it('does not abort a handler whose client stays', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/probe/later' }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    expect(seen).toEqual([{ path: 'later', reason: 'not aborted' }]);
  });
});
