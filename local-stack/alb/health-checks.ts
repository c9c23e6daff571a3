import { request } from 'node:http';
import type { HealthCheckSettings } from './load-balancer-config.js';

/**
 * Target health as ELB tracks it ("Health checks for Application Load Balancer target groups",
 * ELB docs): a new target is `initial` until it passes one check; a healthy target turns
 * `unhealthy` after `unhealthyThreshold` failures in a row, and back after `healthyThreshold`
 * successes. A check is an HTTP GET of the path that must answer within the timeout with a status
 * the matcher lists (`200`, `200,202`, `200-299`).
 */
export type TargetHealthState = 'initial' | 'healthy' | 'unhealthy';

export function matcherAccepts(matcher: string, status: number): boolean {
  return matcher.split(',').some((part) => {
    const [low, high] = part.trim().split('-').map(Number);
    return high === undefined ? status === low : status >= (low as number) && status <= high;
  });
}

function probe(port: number, settings: HealthCheckSettings): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: settings.path,
        method: 'GET',
        agent: false,
        timeout: settings.timeoutSeconds * 1000,
      },
      (res) => {
        res.resume();
        resolve(matcherAccepts(settings.matcher, res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

export class HealthChecker {
  state: TargetHealthState = 'initial';
  private successes = 0;
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private firstCheck: Promise<void> | undefined;

  constructor(
    private readonly port: () => number | undefined,
    private readonly settings: HealthCheckSettings,
    private readonly onChange: (state: TargetHealthState) => void = () => {},
  ) {}

  /** Starts checking; resolves after the first check, so a caller can wait for the target to be in service. */
  start(): Promise<void> {
    this.firstCheck ??= this.check().then(() => {
      this.timer = setInterval(() => void this.check(), this.settings.intervalSeconds * 1000);
      this.timer.unref();
    });
    return this.firstCheck;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async check(): Promise<void> {
    const port = this.port();
    const ok = port !== undefined && (await probe(port, this.settings));
    const before = this.state;
    if (ok) {
      this.successes += 1;
      this.failures = 0;
      if (
        this.state === 'initial' ||
        (this.state === 'unhealthy' && this.successes >= this.settings.healthyThreshold)
      ) {
        this.state = 'healthy';
      }
    } else {
      this.failures += 1;
      this.successes = 0;
      if (this.state !== 'unhealthy' && this.failures >= this.settings.unhealthyThreshold)
        this.state = 'unhealthy';
    }
    if (this.state !== before) this.onChange(this.state);
  }
}
