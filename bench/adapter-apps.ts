import type express from 'express';
import { pino } from 'pino';
import { ecsInvocationResolver } from '../adapters/invocation.js';
import { createApp } from '../app/create-app.js';
import { type LeadStore, MemoryLeadStore } from '../app/leads/lead-store.js';
import { DrainState } from '../app/readiness.js';
import type { HandlerDeps } from '../handlers/types.js';

/**
 * Ours, as the adapter benchmarks load it: createApp + lambdaToExpress with every route of the
 * table mounted and rate limiting off. The native app with the same logic is
 * bench/adapter-native-app.ts; bench/adapter-servers.ts serves either in its own process.
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

export function oursApp(leads: LeadStore): express.Express {
  return createApp(benchDeps(leads), {
    maxBodyBytes: 256 * 1024,
    resolveInvocation: ecsInvocationResolver({
      stage: 'bench',
      functionName: 'api-bench',
      trustForwardedFor: true,
    }),
  });
}
