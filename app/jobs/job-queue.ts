import { randomUUID } from 'node:crypto';
import { type JobMessage, parseJobMessage } from './job.js';

/** Where the API and the task-events handler put jobs for the pacer. */
export interface JobQueue {
  send(message: JobMessage, options?: { delaySeconds?: number }): Promise<void>;
}

export interface ReceivedJob {
  /** Undefined when the body is not a job message (it is acknowledged and dropped). */
  readonly message: JobMessage | undefined;
  readonly receipt: string;
  readonly receiveCount: number;
}

/** The pulling side, for pacers that poll (the embedded one, a pacer process on ECS, benchmarks). */
export interface QueueConsumer {
  /** Up to `max` messages; waits up to `waitMs` for the first one. */
  receive(max: number, waitMs: number): Promise<ReceivedJob[]>;
  /** The job is submitted (or needs nothing more): the message is gone for good. */
  ack(receipt: string): Promise<void>;
  /** Back to the queue, visible again after `delaySeconds`. */
  release(receipt: string, delaySeconds: number): Promise<void>;
}

interface Entry {
  readonly body: string;
  receiveCount: number;
}

/**
 * The embedded queue: in process, at-least-once like SQS (a message received and never acked
 * comes back after the visibility timeout). It lives as long as the process; that is the point
 * of "embedded" and why AWS deployments use SQS.
 */
export class InProcessQueue implements JobQueue, QueueConsumer {
  private readonly ready: Entry[] = [];
  private readonly inFlight = new Map<string, { entry: Entry; timer: NodeJS.Timeout }>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private waiters: (() => void)[] = [];

  constructor(private readonly visibilityTimeoutMs = 30_000) {}

  get depth(): number {
    return this.ready.length + this.inFlight.size;
  }

  async send(message: JobMessage, options: { delaySeconds?: number } = {}): Promise<void> {
    this.enqueue({ body: JSON.stringify(message), receiveCount: 0 }, (options.delaySeconds ?? 0) * 1000);
  }

  private enqueue(entry: Entry, delayMs: number): void {
    if (delayMs <= 0) {
      this.ready.push(entry);
      for (const wake of this.waiters.splice(0)) wake();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.enqueue(entry, 0);
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  async receive(max: number, waitMs: number): Promise<ReceivedJob[]> {
    if (this.ready.length === 0 && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, waitMs);
        timer.unref();
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.push(done);
      });
    }
    const taken = this.ready.splice(0, max);
    return taken.map((entry) => {
      entry.receiveCount += 1;
      const receipt = randomUUID();
      const timer = setTimeout(() => {
        this.inFlight.delete(receipt);
        this.enqueue(entry, 0);
      }, this.visibilityTimeoutMs);
      timer.unref();
      this.inFlight.set(receipt, { entry, timer });
      return { message: parseJobMessage(entry.body), receipt, receiveCount: entry.receiveCount };
    });
  }

  async ack(receipt: string): Promise<void> {
    const held = this.inFlight.get(receipt);
    if (!held) return;
    clearTimeout(held.timer);
    this.inFlight.delete(receipt);
  }

  async release(receipt: string, delaySeconds: number): Promise<void> {
    const held = this.inFlight.get(receipt);
    if (!held) return;
    clearTimeout(held.timer);
    this.inFlight.delete(receipt);
    this.enqueue(held.entry, delaySeconds * 1000);
  }

  /** Drops timers so a stopped process exits promptly; waiting receivers return empty. */
  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    for (const { timer } of this.inFlight.values()) clearTimeout(timer);
    this.timers.clear();
    for (const wake of this.waiters.splice(0)) wake();
  }
}
