import type { Logger } from 'pino';

/**
 * Whether the lease store (Redis) answers, so that falling back to local bounds is logged once
 * when an outage starts and once when it ends, as the rate limiter does, not on every request.
 */
export class LeaseStoreHealth {
  private outageSince: number | undefined;
  private everAnswered = false;
  private readonly startedAt = Date.now();

  /**
   * @param startupGraceMs A client created lazily (Lambda init) is still connecting during its first
   *   requests; failures before the first answer and within this time are not an outage.
   */
  constructor(
    private readonly logger: Logger,
    private readonly localLimitsText: () => string,
    private readonly startupGraceMs = 3_000,
  ) {}

  get degraded(): boolean {
    return this.outageSince !== undefined;
  }

  failed(error: unknown): void {
    if (this.outageSince !== undefined) return;
    if (!this.everAnswered && Date.now() - this.startedAt < this.startupGraceMs) return;
    this.outageSince = Date.now();
    this.logger.warn(
      {
        err: error instanceof Error ? error : new Error(String(error)),
        event: 'concurrency_store_down',
        localLimits: this.localLimitsText(),
      },
      'concurrency lease store unavailable: each process holds its share of every bound while it is unreachable, and refuses what it does not answer in time',
    );
  }

  answered(): void {
    this.everAnswered = true;
    if (this.outageSince === undefined) return;
    const outageMs = Date.now() - this.outageSince;
    this.outageSince = undefined;
    this.logger.info(
      { outageMs, event: 'concurrency_store_recovered' },
      'concurrency lease store recovered: bounds are shared across processes again',
    );
  }
}
