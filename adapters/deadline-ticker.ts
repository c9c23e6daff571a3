/**
 * The deadlines of the requests in flight, watched by one ticker for the whole process rather than
 * one timer per request. A request's deadline almost never comes (it answers first), yet a Node
 * timer per request (setTimeout, then clearTimeout) cost the ECS path about 2 % of its requests per
 * second (bench/adapter.bench.ts, paired runs with each). Here a request adds an entry to a list and
 * takes it out again, and while anything is in the list a ticker every `tickMs` calls the expiry
 * of each entry whose deadline has passed.
 *
 * An expiry is called at its deadline or up to `tickMs` after it (later when the event loop is
 * busy, as with any timer), never before. The ticker stops once a tick finds the list empty and
 * does not keep the process alive.
 */

/** A watched deadline; give it back to `remove` once the request has answered. */
export interface WatchedDeadline {
  readonly deadlineAt: number;
  /** Linked-list neighbours: taking an entry out of the middle costs as little as adding one. */
  previous: WatchedDeadline | undefined;
  next: WatchedDeadline | undefined;
  readonly onExpiry: () => void;
  watched: boolean;
}

export class DeadlineTicker {
  private first: WatchedDeadline | undefined;
  private last: WatchedDeadline | undefined;
  private ticker: NodeJS.Timeout | undefined;

  constructor(
    private readonly tickMs = 10,
    private readonly now: () => number = Date.now,
  ) {}

  /** Calls `onExpiry` once, when `deadlineAt` (epoch ms) has passed, unless removed before. */
  add(deadlineAt: number, onExpiry: () => void): WatchedDeadline {
    const entry: WatchedDeadline = {
      deadlineAt,
      previous: this.last,
      next: undefined,
      onExpiry,
      watched: true,
    };
    if (this.last) this.last.next = entry;
    else this.first = entry;
    this.last = entry;
    if (!this.ticker) {
      this.ticker = setInterval(() => this.tick(), this.tickMs);
      this.ticker.unref();
    }
    return entry;
  }

  /** Stops watching a deadline (its request answered); nothing happens when it was already called. */
  remove(entry: WatchedDeadline): void {
    if (!entry.watched) return;
    entry.watched = false;
    if (entry.previous) entry.previous.next = entry.next;
    else this.first = entry.next;
    if (entry.next) entry.next.previous = entry.previous;
    else this.last = entry.previous;
    entry.previous = undefined;
    entry.next = undefined;
  }

  /** How many deadlines are watched (for tests). */
  get size(): number {
    let count = 0;
    for (let entry: WatchedDeadline | undefined = this.first; entry; entry = entry.next) count += 1;
    return count;
  }

  private tick(): void {
    if (!this.first) {
      clearInterval(this.ticker);
      this.ticker = undefined;
      return;
    }
    const now = this.now();
    const expired: WatchedDeadline[] = [];
    for (let entry: WatchedDeadline | undefined = this.first; entry; entry = entry.next) {
      if (entry.deadlineAt <= now) expired.push(entry);
    }
    // Taken out before any is called: an expiry may end other requests (and remove their entries).
    for (const entry of expired) this.remove(entry);
    for (const entry of expired) entry.onExpiry();
  }
}
