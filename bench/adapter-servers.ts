import express from 'express';
import { pino } from 'pino';
import { ecsInvocationResolver } from '../adapters/invocation.js';
import { createApp } from '../app/create-app.js';
import { type LeadStore, MemoryLeadStore } from '../app/leads/lead-store.js';
import { DrainState } from '../app/readiness.js';
import { leadIdSchema } from '../handlers/leads.js';
import type { HandlerDeps } from '../handlers/types.js';
import { serveForBench } from './support/serve.js';

/**
 * The apps the adapter benchmarks compare: ours (createApp + lambdaToExpress, every route of the
 * table, rate limiting off) and the same GET /leads/:leadId written as a native Express route.
 * Run as a process (`adapter-servers.ts ours|native`), it serves one of them for the benchmark.
 */

export const BENCH_PATH = '/leads/bench-1';

export async function seededLeads(): Promise<LeadStore> {
  const store = new MemoryLeadStore();
  await store.put({ leadId: 'bench-1', name: 'Bench', email: 'bench@example.com' }, new Date());
  return store;
}

export function benchDeps(leads: LeadStore): HandlerDeps {
  return { leads, readiness: new DrainState(), logger: pino({ level: 'silent' }), clock: () => new Date() };
}

/**
 * The same logic as GET /leads/:leadId — the id checked with the same schema, the lead read from
 * the same store — written as a native Express route.
 */
export function nativeApp(leads: LeadStore): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.get('/leads/:leadId', async (req, res) => {
    const id = leadIdSchema.safeParse(req.params.leadId);
    if (!id.success) {
      res.status(400).json({ error: { code: 'validation_failed', message: 'Invalid lead id' } });
      return;
    }
    const lead = await leads.get(id.data);
    if (!lead) {
      res.status(404).json({ error: { code: 'lead_not_found', message: 'not found' } });
      return;
    }
    res.json(lead);
  });
  return app;
}

export async function oursApp(leads: LeadStore): Promise<express.Express> {
  return createApp(benchDeps(leads), {
    maxBodyBytes: 256 * 1024,
    resolveInvocation: ecsInvocationResolver({
      stage: 'bench',
      functionName: 'api-bench',
      trustForwardedFor: true,
    }),
  });
}

if (process.argv[1]?.endsWith('adapter-servers.ts')) {
  const which = process.argv[2];
  if (which !== 'ours' && which !== 'native') throw new Error('usage: adapter-servers.ts ours|native');
  const leads = await seededLeads();
  await serveForBench(which === 'ours' ? await oursApp(leads) : nativeApp(leads), BENCH_PATH);
}
