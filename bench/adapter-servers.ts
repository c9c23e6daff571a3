import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { pino } from 'pino';
import { ecsInvocationResolver } from '../adapters/invocation.js';
import { createApp } from '../app/create-app.js';
import { type LeadStore, MemoryLeadStore } from '../app/leads/lead-store.js';
import { DrainState } from '../app/readiness.js';

/**
 * The server side of the ECS-path benchmark: ours (createApp + lambdaToExpress) and the same logic
 * as a native Express route, both in this one process, on loopback. The load generator runs in
 * the benchmark's own process, so it does not take the servers' CPU. Prints the two URLs.
 */

async function seeded(): Promise<LeadStore> {
  const store = new MemoryLeadStore();
  await store.put({ leadId: 'bench-1', name: 'Bench', email: 'bench@example.com' }, new Date());
  return store;
}

/** The same behaviour as GET /leads/:leadId, written as a native Express route. */
export function nativeApp(leads: LeadStore): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.get('/leads/:leadId', async (req, res) => {
    const lead = await leads.get(req.params.leadId);
    if (!lead) {
      res.status(404).json({ error: { code: 'lead_not_found', message: 'not found' } });
      return;
    }
    res.json(lead);
  });
  return app;
}

async function listen(app: RequestListener): Promise<string> {
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/leads/bench-1`;
}

if (process.argv[1]?.endsWith('adapter-servers.ts')) {
  const ours = createApp(
    {
      leads: await seeded(),
      readiness: new DrainState(),
      logger: pino({ level: 'silent' }),
      clock: () => new Date(),
    },
    {
      maxBodyBytes: 256 * 1024,
      resolveInvocation: ecsInvocationResolver({
        stage: 'bench',
        functionName: 'api-bench',
        trustForwardedFor: true,
      }),
    },
  );
  const urls = { ours: await listen(ours), native: await listen(nativeApp(await seeded())) };
  process.stdout.write(`${JSON.stringify(urls)}\n`);
  // The parent ends this process; never outlive it.
  process.on('disconnect', () => process.exit(0));
  setTimeout(() => process.exit(0), 10 * 60_000).unref();
}
