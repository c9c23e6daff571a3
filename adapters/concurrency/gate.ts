import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type RouteDefinition, routeId } from '../../app/routes.js';
import { batchWrites } from '../rate-limit/store-client.js';
import { StoreHealth } from '../rate-limit/store-health.js';
import type { ConcurrencyBound, RouteBounds } from './bounds.js';
import { LocalSlots } from './local-slots.js';
import { RedisLeases } from './redis-leases.js';

/** `redis`: a shared lease; `local`: this process's share while Redis fails; `memory`: no Redis. */
export type SlotSource = 'redis' | 'local' | 'memory';

export type Decision =
  | { readonly admitted: true; readonly source: SlotSource; release(): void }
  | { readonly admitted: false; readonly source: SlotSource; readonly bound: ConcurrencyBound }
  /** Redis did not answer in time: it may still grant the lease, so nothing is admitted on top. */
  | { readonly admitted: false; readonly source: 'unanswered' };

/** ioredis rejects a command that got no answer within `commandTimeout` with this message. */
const TIMED_OUT = /timed out/i;

export interface ConcurrencyGateOptions {
  /** Route id → its bounds (see resolveConcurrencyBounds); routes not in it are not bounded. */
  readonly bounds: ReadonlyMap<string, RouteBounds>;
  /** The shared store; without one this process holds every bound alone (local `npm start`). */
  readonly redis: Redis | undefined;
  /** Prefix of every key, e.g. `api:` → `api:cc:group:jobs`. */
  readonly keyPrefix: string;
  /** Processes expected to share the bounds; while Redis fails each holds ceil(limit ÷ this). */
  readonly expectedInstances: number;
  readonly logger: Logger;
}

/** Between two tries of a queued request: short, jittered so queued requests do not retry in step. */
const QUEUE_POLL_MS = { min: 5, spread: 10 };

/**
 * Decides whether a request may start: a lease in Redis in each of its route's bounds, or, when
 * Redis fails, room in this process's share of them. It never waits for Redis to come back and
 * never retries a failed command within a request; each request tries Redis first, so bounds are
 * shared again as soon as the client has reconnected.
 */
export class ConcurrencyGate {
  private readonly leases: RedisLeases | undefined;
  private readonly local = new LocalSlots();
  private readonly health: StoreHealth;
  /** Lease ids: unique per process (random token) and per request (sequence). */
  private readonly token = randomBytes(6).toString('base64url');
  private sequence = 0;
  /** Refusals so far per route and bound, for the log lines. */
  private readonly refusals = new Map<string, number>();

  constructor(private readonly options: ConcurrencyGateOptions) {
    this.leases = options.redis ? new RedisLeases(options.redis, options.keyPrefix) : undefined;
    // Logged once when an outage starts and once when it ends, as the rate limiter does.
    this.health = new StoreHealth(options.logger, 3_000, {
      downEvent: 'concurrency_store_down',
      downMessage:
        'concurrency lease store unavailable: each process holds its share of every bound while it is unreachable, and refuses what it does not answer in time',
      downFields: () => ({
        localLimits: [
          ...new Map([...options.bounds.values()].flatMap((r) => r.bounds.map((b) => [b.id, b]))).values(),
        ]
          .map((b) => `${b.id}=${this.localLimit(b)}`)
          .join(','),
      }),
      recoveredEvent: 'concurrency_store_recovered',
      recoveredMessage: 'concurrency lease store recovered: bounds are shared across processes again',
    });
  }

  boundsOf(route: RouteDefinition): RouteBounds | undefined {
    return this.options.bounds.get(routeId(route));
  }

  /** This process's share of a bound while Redis fails; the whole bound without Redis at all. */
  localLimit(bound: ConcurrencyBound): number {
    return this.leases ? Math.ceil(bound.limit / this.options.expectedInstances) : bound.limit;
  }

  /**
   * One try. The Redis command is sent before this returns (nothing is awaited first), so it
   * shares the round trip of whatever else the caller sends in the same turn.
   */
  tryAcquire(bounds: RouteBounds, deadlineAt: number): Promise<Decision> {
    if (!this.leases) return Promise.resolve(this.tryLocally(bounds, 'memory'));
    this.sequence += 1;
    const leaseId = `${this.token}:${this.sequence}`;
    const leases = this.leases;
    // Held until the end of the turn, so the rate limiter's count joins it in one write.
    if (this.options.redis) batchWrites(this.options.redis);
    return leases.acquire(bounds.bounds, leaseId, deadlineAt - Date.now()).then(
      (answer): Decision => {
        this.health.answered();
        const full = bounds.bounds[answer - 1];
        if (full) return { admitted: false, source: 'redis', bound: full };
        this.local.take(bounds.bounds);
        let released = false;
        return {
          admitted: true,
          source: 'redis',
          release: () => {
            if (released) return;
            released = true;
            this.local.give(bounds.bounds);
            // Not awaited: the response is already on its way. On Lambda the command is written
            // at once, or with a batch at the end of this event-loop turn, before the runtime
            // reports the result and the environment can be frozen. If it is lost anyway, the lease still
            // ends at the request's deadline.
            leases.release(bounds.bounds, leaseId).catch(() => {});
          },
        };
      },
      (error: unknown): Decision => {
        this.health.failed(error);
        if (error instanceof Error && TIMED_OUT.test(error.message)) {
          // A slow or frozen Redis is not a missing one: the command may still run, and may
          // already have run, so a local slot on top could pass the bound. Refuse instead; the
          // release queued behind it on the same connection undoes the lease if it is granted
          // late, instead of that lease holding a slot until its deadline.
          leases.release(bounds.bounds, leaseId).catch(() => {});
          return { admitted: false, source: 'unanswered' };
        }
        // No connection (no offline queue: the command failed at once, nothing was sent).
        return this.tryLocally(bounds, 'local');
      },
    );
  }

  /**
   * Tries again until a slot frees or the queue time is over: the route's `maxQueueMs` from when
   * the request arrived, never past its deadline.
   */
  async queue(
    bounds: RouteBounds,
    arrivedAt: number,
    deadlineAt: number,
    refused: Decision,
  ): Promise<Decision> {
    const until = Math.min(arrivedAt + bounds.maxQueueMs, deadlineAt);
    let decision = refused;
    while (!decision.admitted && decision.source !== 'unanswered') {
      const pause = QUEUE_POLL_MS.min + Math.random() * QUEUE_POLL_MS.spread;
      if (Date.now() + pause >= until) return decision;
      await sleep(pause);
      decision = await this.tryAcquire(bounds, deadlineAt);
    }
    return decision;
  }

  /** Counts a refusal per route and bound, and logs it with the count so far. */
  noteRefusal(
    route: RouteDefinition,
    bounds: RouteBounds,
    decision: Decision & { admitted: false; bound: ConcurrencyBound },
  ): void {
    const id = routeId(route);
    const key = `${id}\n${decision.bound.id}`;
    const refused = (this.refusals.get(key) ?? 0) + 1;
    this.refusals.set(key, refused);
    this.options.logger.warn(
      {
        event: 'concurrency_limited',
        route: id,
        group: bounds.group,
        bound: decision.bound.id,
        limit: decision.source === 'redis' ? decision.bound.limit : this.localLimit(decision.bound),
        source: decision.source,
        refused,
      },
      'concurrency bound full: refused with 503',
    );
  }

  private tryLocally(bounds: RouteBounds, source: 'local' | 'memory'): Decision {
    const full = this.local.firstFull(bounds.bounds, (b) => this.localLimit(b));
    const bound = bounds.bounds[full];
    if (bound) return { admitted: false, source, bound };
    this.local.take(bounds.bounds);
    let released = false;
    return {
      admitted: true,
      source,
      release: () => {
        if (released) return;
        released = true;
        this.local.give(bounds.bounds);
      },
    };
  }
}
