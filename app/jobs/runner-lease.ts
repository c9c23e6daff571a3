import type { Redis } from 'ioredis';

/**
 * A runner's proof of life in Redis: a key that expires unless the runner's process keeps
 * renewing it. A job recorded `running` on a local task whose runner has no lease was left by a
 * dead process, so another server may take the job over. Whether that process's simulation is
 * really gone is not the lease's to say: the next attempt's launch checks (attempt-lock.ts).
 */
export class RunnerLease {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
    readonly instanceId: string,
    readonly leaseMs: number,
  ) {}

  static key(keyPrefix: string, instanceId: string): string {
    return `${keyPrefix}jobs:runner:${instanceId}`;
  }

  /** Takes the lease (before any task is launched) and renews it three times per lease. */
  async start(): Promise<void> {
    await this.renew();
    this.timer = setInterval(
      () => {
        this.renew().catch(() => {
          // Redis unreachable: the lease may lapse; renewal resumes when Redis answers.
        });
      },
      Math.max(100, Math.floor(this.leaseMs / 3)),
    );
    this.timer.unref();
  }

  private async renew(): Promise<void> {
    await this.redis.set(
      RunnerLease.key(this.keyPrefix, this.instanceId),
      String(process.pid),
      'PX',
      this.leaseMs,
    );
  }

  /**
   * Gives the lease up once this runner's tasks are stopped and recorded, so a server started
   * next reconciles what is left at once instead of after the lease runs out.
   */
  async release(): Promise<void> {
    clearInterval(this.timer);
    await this.redis.del(RunnerLease.key(this.keyPrefix, this.instanceId));
  }

  static async isHeld(redis: Redis, keyPrefix: string, instanceId: string): Promise<boolean> {
    return (await redis.exists(RunnerLease.key(keyPrefix, instanceId))) === 1;
  }
}
