import { pino } from 'pino';
import { LOCAL_DEFAULT_ORIGINS } from '../adapters/cors-settings.js';
import { ecsInvocationResolver } from '../adapters/invocation.js';
import { createApp } from '../app/create-app.js';
import { MemoryLeadStore } from '../app/leads/lead-store.js';
import { DrainState } from '../app/readiness.js';
import { listenOnLoopback } from './support/serve.js';

/**
 * The server side of the CORS benchmark: the same app with and without CORS, both in this one
 * process, on loopback; the load generator runs in the benchmark's process. Prints the two URLs.
 */
if (process.argv[1]?.endsWith('cors-servers.ts')) {
  const leads = new MemoryLeadStore();
  await leads.put({ leadId: 'bench-1', name: 'Bench', email: 'bench@example.com' }, new Date());
  const app = (cors: boolean) =>
    createApp(
      { leads, readiness: new DrainState(), logger: pino({ level: 'silent' }), clock: () => new Date() },
      {
        maxBodyBytes: 256 * 1024,
        resolveInvocation: ecsInvocationResolver({
          stage: 'bench',
          functionName: 'api-bench',
          trustForwardedFor: true,
        }),
        ...(cors
          ? {
              cors: {
                origins: LOCAL_DEFAULT_ORIGINS,
                allowCredentials: false,
                maxAgeSeconds: 600,
                preflightsPerMinute: 1e6,
              },
            }
          : {}),
      },
    );
  const urls: string[] = [];
  for (const withCors of [true, false]) {
    const { port } = await listenOnLoopback(app(withCors));
    urls.push(`http://127.0.0.1:${port}/leads/bench-1`);
  }
  process.stdout.write(`${JSON.stringify({ cors: urls[0], plain: urls[1] })}\n`);
}
