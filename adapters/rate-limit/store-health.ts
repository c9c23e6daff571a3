import type { Logger } from 'pino';

/** What the two log lines of an outage say: its start (with any extra fields) and its end. */
export interface OutageLog {
  readonly downEvent: string;
  readonly downMessage: string;
  readonly downFields?: () => Record<string, unknown>;
  readonly recoveredEvent: string;
  readonly recoveredMessage: string;
}

const RATE_LIMIT_OUTAGE_LOG: OutageLog = {
  downEvent: 'rate_limit_store_down',
  downMessage:
    'rate limit store unavailable: counting per instance with the insurance limiter until it is back',
  recoveredEvent: 'rate_limit_store_recovered',
  recoveredMessage: 'rate limit store recovered: counting in Redis again',
};

/** How a request uses the store now (see StoreHealth.tryStore). */
export interface StoreAttempt {
  readonly mode: 'ask' | 'probe' | 'skip';
  /** Ends a probe; nothing to end otherwise. */
  readonly done: () => void;
}

const noop = () => {};
const ASK: StoreAttempt = { mode: 'ask', done: noop };
const SKIP: StoreAttempt = { mode: 'skip', done: noop };

/**
 * Tracks whether the shared store (Redis) answers, so an outage is logged once when it starts and
 * once when it ends, not on every request in between. The rate limiter and the concurrency gate
 * each keep one, with their own log lines.
 */
export class StoreHealth {
  private outageSince: number | undefined;
  private everAnswered = false;
  private readonly startedAt = Date.now();

  /**
   * @param startupGraceMs A client created lazily (Lambda init) is still connecting during its
   *   first requests; failures before the first answer and within this time are not an outage.
   */
  constructor(
    private readonly logger: Logger,
    private readonly startupGraceMs = 3_000,
    private readonly log: OutageLog = RATE_LIMIT_OUTAGE_LOG,
  ) {}

  get degraded(): boolean {
    return this.outageSince !== undefined;
  }

  private probing = false;
  private lastProbeAt = 0;

  /**
   * How this request should use Redis: `ask` it and wait (while it answers); during an outage
   * `probe` it without waiting (one request at a time, at most every `probeIntervalMs`, whose
   * count also goes to the insurance limiter), or `skip` it. A Redis that hangs (frozen, failing
   * over) then costs no request a command timeout once the outage is known. `done` ends a probe.
   */
  tryStore(probeIntervalMs = 250): StoreAttempt {
    // The answer of every request while Redis answers: one shared object, nothing allocated.
    if (!this.degraded) return ASK;
    const now = Date.now();
    if (this.probing || now - this.lastProbeAt < probeIntervalMs) return SKIP;
    this.probing = true;
    this.lastProbeAt = now;
    return {
      mode: 'probe',
      done: () => {
        this.probing = false;
      },
    };
  }

  /** Still within the startup grace: the store has never answered yet, and it is early. */
  get starting(): boolean {
    return !this.everAnswered && Date.now() - this.startedAt < this.startupGraceMs;
  }

  private readonly waiters = new Set<() => void>();

  /**
   * Calls `onOutage` if an outage is declared before `doneWaiting(onOutage)`. Commands sent
   * later than the first one to time out would otherwise each wait their own full timeout; once
   * one command has timed out, the others need not wait for theirs.
   */
  whileWaiting(onOutage: () => void): void {
    this.waiters.add(onOutage);
  }

  /** Ends `whileWaiting(onOutage)`: the command was answered, or failed on its own. */
  doneWaiting(onOutage: () => void): void {
    this.waiters.delete(onOutage);
  }

  /** A store call failed (connection down, timeout, not ready): not "limit reached". */
  failed(error: unknown): void {
    if (this.outageSince !== undefined) return;
    if (this.starting) return;
    this.outageSince = Date.now();
    for (const release of [...this.waiters]) release();
    this.waiters.clear();
    this.logger.warn(
      {
        err: error instanceof Error ? error : new Error(String(error)),
        event: this.log.downEvent,
        ...this.log.downFields?.(),
      },
      this.log.downMessage,
    );
  }

  /** The store answered a command. */
  answered(): void {
    this.everAnswered = true;
    if (this.outageSince === undefined) return;
    const outageMs = Date.now() - this.outageSince;
    this.outageSince = undefined;
    this.logger.info({ outageMs, event: this.log.recoveredEvent }, this.log.recoveredMessage);
  }
}
