import type { Redis } from 'ioredis';
import type { Job } from './job.js';
import { type JobChange, type JobStore, nextVersion } from './job-store.js';

/** Records outlive any job by far; idempotency keys follow the usual 24 h window. */
const JOB_TTL_SECONDS = 7 * 24 * 3600;
const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
const MAX_CONFLICT_RETRIES = 20;

/** Stores the job unless its idempotency key already names one; then returns that job's id. */
const CREATE_SCRIPT = `
if ARGV[3] ~= '' then
  local existing = redis.call('GET', KEYS[2])
  if existing then return existing end
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[4])
end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[5])
return false
`;

/** Compare-and-set on the record's version: 1 written, 0 someone else wrote first, -1 no such job. */
const UPDATE_SCRIPT = `
local current = redis.call('GET', KEYS[1])
if not current then return -1 end
if tonumber(cjson.decode(current).version) ~= tonumber(ARGV[1]) then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
`;

/** Jobs in Redis, one JSON string each, written with compare-and-set so pacers and event handlers never clobber. */
export class RedisJobStore implements JobStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  private jobKey(jobId: string): string {
    return `${this.keyPrefix}job:${jobId}`;
  }

  private idempotencyKey(key: string): string {
    return `${this.keyPrefix}job-idempotency:${key}`;
  }

  async create(job: Job): Promise<{ job: Job; created: boolean }> {
    const existingId = (await this.redis.eval(
      CREATE_SCRIPT,
      2,
      this.jobKey(job.id),
      this.idempotencyKey(job.idempotencyKey ?? ''),
      job.id,
      JSON.stringify(job),
      job.idempotencyKey ?? '',
      IDEMPOTENCY_TTL_SECONDS,
      JOB_TTL_SECONDS,
    )) as string | null;
    if (existingId === null) return { job, created: true };
    const existing = await this.get(existingId);
    if (!existing) throw new Error(`Idempotency key names job ${existingId}, which no longer exists`);
    return { job: existing, created: false };
  }

  async get(jobId: string): Promise<Job | undefined> {
    const raw = await this.redis.get(this.jobKey(jobId));
    return raw === null ? undefined : (JSON.parse(raw) as Job);
  }

  async update(jobId: string, change: JobChange): Promise<{ job: Job; changed: boolean } | undefined> {
    for (let i = 0; i < MAX_CONFLICT_RETRIES; i += 1) {
      const current = await this.get(jobId);
      if (!current) return undefined;
      const next = change(current);
      if (!next) return { job: current, changed: false };
      const stamped = nextVersion(current, next);
      const written = (await this.redis.eval(
        UPDATE_SCRIPT,
        1,
        this.jobKey(jobId),
        current.version,
        JSON.stringify(stamped),
      )) as number;
      if (written === 1) return { job: stamped, changed: true };
      if (written === -1) return undefined;
    }
    throw new Error(`Job ${jobId} kept changing under ${MAX_CONFLICT_RETRIES} attempts to update it`);
  }

  async releaseIdempotencyKey(key: string): Promise<void> {
    await this.redis.del(this.idempotencyKey(key));
  }
}
