import { Redis, type RedisOptions } from 'ioredis';

export interface RedisConnection {
  readonly url: string;
  readonly password?: string;
}

/**
 * Longest wait for one store command. A request must answer within 1.5 s even when Redis hangs
 * with its connection open (frozen, or a failover in progress): the rate limiter may take up to
 * its own 700 ms timeout (adapters/rate-limit/store-client.ts), leaving this for the handler's store
 * call. Redis answers these commands in well under a millisecond when it is there.
 */
export const STORE_COMMAND_TIMEOUT_MS = 400;

/**
 * An ioredis client for `redis://` or `rediss://` (ElastiCache with in-transit encryption; the
 * AUTH token comes from a secret as REDIS_PASSWORD). It starts connecting at once but nothing
 * waits for it, so a Lambda cold start never blocks on Redis.
 *
 * No command waits unboundedly: each has a timeout; while reconnecting after an outage commands
 * fail at once instead of piling up in the offline queue (which would also replay writes the
 * client was already told had failed). Only the first connection queues, so that the requests of
 * a cold start do not fail while it is being made (still bounded by the command timeout).
 */
export function createRedisClient(connection: RedisConnection, overrides: RedisOptions = {}): Redis {
  const client = new Redis(connection.url, {
    ...(connection.password ? { password: connection.password } : {}),
    connectTimeout: 2_000,
    commandTimeout: STORE_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    // Reconnect forever with a capped backoff: Redis coming back must be noticed without a restart,
    // and within a second of it (a connection attempt to a dead host costs next to nothing).
    retryStrategy: (attempt) => Math.min(50 * 2 ** Math.min(attempt, 6), 1_000),
    lazyConnect: true,
    ...overrides,
  });
  // ioredis reads this option on every command, so turning it off once connected takes effect. A
  // client made without a command timeout (BullMQ's worker, whose blocking reads wait by design)
  // keeps ioredis' queueing.
  if (client.options.commandTimeout !== undefined) {
    client.once('ready', () => {
      client.options.enableOfflineQueue = false;
    });
  }
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
