import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getHeapSpaceStatistics } from 'node:v8';
import type { Express } from 'express';
import { expressServerClasses } from '../../app/express-server-classes.js';

/**
 * An http server for an Express app, listening on a free loopback port, hosted the way
 * app/server.ts hosts the API: requests and responses made with the app's prototypes
 * (app/express-server-classes.ts). BENCH_EXPRESS_CLASSES=0 hosts it plainly, as `app.listen()`
 * would, to measure what that costs.
 */
export async function listenOnLoopback(app: Express): Promise<{ server: Server; port: number }> {
  const classes = process.env.BENCH_EXPRESS_CLASSES === '0' ? {} : expressServerClasses(app);
  const server = createServer(classes, app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

/** The size V8 has committed for one heap space now (`new_space`, `old_space`…). */
function spaceSize(name: string): number {
  return getHeapSpaceStatistics().find((space) => space.space_name === name)?.space_size ?? 0;
}

/**
 * The server side of a bench server (see startBenchServer in bench/support/load.ts): listens on
 * loopback, tells its parent the URL to load, and answers `usage` with its CPU time and memory
 * (after a full garbage collection when asked and the process was started with --expose-gc).
 */
export async function serveForBench(app: Express, path: string): Promise<void> {
  const { port } = await listenOnLoopback(app);
  process.on('message', (message: { type: string; gc?: boolean }) => {
    if (message.type !== 'usage') return;
    // With --expose-gc (startBenchServer's `exposeGc`), a full collection first: what is left is live.
    if (message.gc) (globalThis as { gc?: () => void }).gc?.();
    const cpu = process.cpuUsage();
    const memory = process.memoryUsage();
    process.send?.({
      type: 'usage',
      cpuMicros: cpu.user + cpu.system,
      rssBytes: memory.rss,
      maxRssBytes: process.resourceUsage().maxRSS * 1024,
      heapUsedBytes: memory.heapUsed,
      newSpaceBytes: spaceSize('new_space'),
      oldSpaceBytes: spaceSize('old_space'),
    });
  });
  // The parent ends this process; never outlive it.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}${path}` });
}
