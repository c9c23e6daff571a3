import type { Redis, RedisOptions } from 'ioredis';

/**
 * ioredis options for the rate limiter's own connection (entry points create it, once per
 * process). A request must never wait on a Redis that is not there: with no offline queue a
 * command fails at once while disconnected, and the request goes to the insurance limiter
 * instead. The lead store keeps its own client, which may queue.
 *
 * The command timeout only catches a Redis that hangs with the connection open. It must not
 * catch a busy process: a timed-out command may still have been counted, and the insurance
 * limiter then admits on top of it. At 250 ms, 4 processes deciding 500 simultaneous requests
 * each on a loaded 2-core machine took up to 265 ms and over-admitted; 700 ms leaves room for
 * that, and with the store's own command timeout (app/redis.ts) still lets the first request of
 * an outage be answered within 1.5 s. Later ones do not wait for Redis (see StoreHealth).
 *
 * No auto-pipelining: ioredis builds a Pipeline object for every batch (copying every defined
 * script onto it), sends it only in the next setImmediate, and sends the next batch only once the
 * previous one has been answered, so under load a count could wait for another batch's round
 * trip before its own began. Alone on one core, a sequential EVALSHA cost 48 µs of CPU with it
 * and 19 µs without. `batchWrites` keeps what auto-pipelining was for: fewer, larger writes.
 */
export const RATE_LIMIT_REDIS_OPTIONS: RedisOptions = {
  enableOfflineQueue: false,
  connectTimeout: 1_000,
  commandTimeout: 700,
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  enableAutoPipelining: false,
};

type Stream = NonNullable<Redis['stream']>;
const corked = new WeakSet<Stream>();

function uncork(stream: Stream): void {
  corked.delete(stream);
  stream.uncork();
}

/**
 * Holds the client's writes until the end of this event-loop turn (setImmediate, when ioredis'
 * auto-pipelining sent its batch), so the commands issued until then reach Redis in one write:
 * a request's count and its concurrency lease (one round trip together), and under load the
 * counts of every request read in the same poll. Unlike auto-pipelining, a batch never waits for
 * the previous one to be answered and builds no Pipeline. Fewer writes are cheaper where a
 * syscall and a wake-up are dear: in two paired runs of the ECS benchmark under load, flushing in
 * a microtask instead (one write per request) cost the server ~50 µs more CPU per request and
 * redis-server ~8 µs more, while a lone request showed no difference in latency either way.
 * Call it just before sending; it does
 * nothing while the client is not connected (commands then fail at once) or when the writes are
 * already held.
 */
export function batchWrites(redis: Redis): void {
  if (redis.status !== 'ready') return;
  const stream = redis.stream as Stream | undefined;
  if (!stream || corked.has(stream)) return;
  corked.add(stream);
  stream.cork();
  setImmediate(uncork, stream);
}
