import type { Readiness } from '../handlers/types.js';

/** Serving until draining starts; then /healthz answers 503 so the ALB deregisters the task. */
export class DrainState implements Readiness {
  private drainingSince: number | undefined;

  isReady(): boolean {
    return this.drainingSince === undefined;
  }

  startDraining(now = Date.now()): void {
    this.drainingSince ??= now;
  }

  get draining(): boolean {
    return this.drainingSince !== undefined;
  }
}
