import { MemoryLeadStore } from '../app/leads/lead-store.js';
import { serveForBench } from './support/serve.js';

/**
 * A server process of the adapter benchmarks: `adapter-servers.ts ours|native` serves ours
 * (bench/adapter-apps.ts) or the native Express app with the same logic
 * (bench/adapter-native-app.ts) on loopback. Each process loads only its own app's modules, so its
 * memory is that app's alone; bench/adapter-memory.bench.ts runs this file bundled.
 */

const which = process.argv[2];
if (which !== 'ours' && which !== 'native') throw new Error('usage: adapter-servers.ts ours|native');
const leads = new MemoryLeadStore();
await leads.put({ leadId: 'bench-1', name: 'Bench', email: 'bench@example.com' }, new Date());
const app =
  which === 'ours'
    ? (await import('./adapter-apps.js')).oursApp(leads)
    : (await import('./adapter-native-app.js')).nativeApp(leads);
await serveForBench(app, '/leads/bench-1');
