import { Redis, type RedisOptions } from 'ioredis';

export interface RedisConnection {
  readonly url: string;
  readonly password?: string;
}

/**
 * An ioredis client for `redis://` or `rediss://` (ElastiCache with in-transit encryption; the
 * AUTH token comes from a secret as REDIS_PASSWORD). It starts connecting at once but nothing
 * waits for it, so a Lambda cold start never blocks on Redis.
 */
export function createRedisClient(connection: RedisConnection, overrides: RedisOptions = {}): Redis {
  const client = new Redis(connection.url, {
    ...(connection.password ? { password: connection.password } : {}),
    connectTimeout: 2_000,
    maxRetriesPerRequest: 2,
    // Reconnect forever with a capped backoff: Redis coming back must be noticed without a restart.
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 2_000),
    lazyConnect: true,
    ...overrides,
  });
  // Errors surface on the commands that fail; an unhandled 'error' event would crash the process.
  client.on('error', () => {});
  client.connect().catch(() => {});
  return client;
}

/**
 * Closes a client within `budgetMs`: QUIT lets Redis answer what was sent, but a frozen Redis
 * never answers it, so past half the budget the socket is dropped (`disconnect()`) and
 * anything still pending fails. Never throws; resolves once the client has ended, or when the
 * budget is spent.
 */
export async function closeRedisClient(client: Redis, budgetMs: number): Promise<void> {
  if (client.status === 'end') return;
  const startedAt = Date.now();
  const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
  const within = (promise: Promise<unknown>, ms: number) => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      promise.then(
        () => {},
        () => {},
      ),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, ms));
      }),
    ]).finally(() => clearTimeout(timer));
  };
  await within(
    client.quit().then(() => ended),
    budgetMs / 2,
  );
  // quit() may have ended it meanwhile (TypeScript narrowed `status` before the await).
  if ((client.status as string) !== 'end') {
    client.disconnect(false);
    // disconnect() half-closes and waits for the peer's FIN (ioredis' disconnectTimeout, 2 s), which
    // a frozen Redis never sends: the socket is destroyed now instead.
    (client.stream as typeof client.stream | undefined)?.destroy();
  }
  await within(ended, budgetMs - (Date.now() - startedAt));
}
