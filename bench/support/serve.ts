import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * The server side of a bench server (see startBenchServer in bench/support/load.ts): listens on
 * loopback, tells its parent the URL to load, and answers `usage` with its CPU time and memory
 * (after a full garbage collection when asked and the process was started with --expose-gc).
 */
export async function serveForBench(app: RequestListener, path: string): Promise<void> {
  const server = createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
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
    });
  });
  // The parent ends this process; never outlive it.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}${path}` });
}
