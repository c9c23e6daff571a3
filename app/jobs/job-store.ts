import type { Job } from './job.js';

/** A change to a job: the next record, or undefined to leave it as it is. */
export type JobChange = (current: Job) => Job | undefined;

export interface JobStore {
  /**
   * Stores a new job. With an idempotency key already used, nothing is stored and the job that
   * key made is returned instead (`created: false`).
   */
  create(job: Job): Promise<{ job: Job; created: boolean }>;
  get(jobId: string): Promise<Job | undefined>;
  /**
   * Applies `change` atomically: the write happens only if nobody wrote the job since it was read,
   * otherwise the change is re-applied to the fresh record. Undefined when the job does not exist.
   */
  update(jobId: string, change: JobChange): Promise<{ job: Job; changed: boolean } | undefined>;
  /** Forgets an idempotency key (used when a job could not be queued, so a retry can make a new one). */
  releaseIdempotencyKey(key: string): Promise<void>;
}

/** The next version of a record, stamped. */
export function nextVersion(previous: Job, next: Job, now = new Date()): Job {
  return { ...next, version: previous.version + 1, updatedAt: now.toISOString() };
}

/** The embedded default: a process-local map, for `npm start` without Redis and for tests. */
export class MemoryJobStore implements JobStore {
  private readonly jobs = new Map<string, Job>();
  private readonly keys = new Map<string, string>();

  async create(job: Job): Promise<{ job: Job; created: boolean }> {
    if (job.idempotencyKey !== null) {
      const existingId = this.keys.get(job.idempotencyKey);
      const existing = existingId === undefined ? undefined : this.jobs.get(existingId);
      if (existing) return { job: existing, created: false };
      this.keys.set(job.idempotencyKey, job.id);
    }
    this.jobs.set(job.id, job);
    return { job, created: true };
  }

  async get(jobId: string): Promise<Job | undefined> {
    return this.jobs.get(jobId);
  }

  async update(jobId: string, change: JobChange): Promise<{ job: Job; changed: boolean } | undefined> {
    const current = this.jobs.get(jobId);
    if (!current) return undefined;
    const next = change(current);
    if (!next) return { job: current, changed: false };
    const stamped = nextVersion(current, next);
    this.jobs.set(jobId, stamped);
    return { job: stamped, changed: true };
  }

  async releaseIdempotencyKey(key: string): Promise<void> {
    this.keys.delete(key);
  }
}
