/**
 * A deployed environment made runnable here: values that only exist on AWS (anything that is a
 * Terraform reference to another resource: the ElastiCache endpoint, the SQS queue URL, the
 * bucket, subnets, secret ARNs) are dropped or replaced by local ones, so the app falls back to its
 * embedded parts (memory stores or the local Redis, the in-process job queue, files on disk).
 * Everything else is passed exactly as the stack sets it.
 */

export interface LocalReplacements {
  /** The local Redis (e.g. redis://127.0.0.1:6379); without it the processes count in memory. */
  readonly redisUrl?: string;
  readonly redisKeyPrefix?: string;
  /** Embedded jobs' files, shared by every process of the stack. */
  readonly jobsDataDir: string;
  readonly logLevel?: string;
}

export interface LocalEnvironment {
  readonly environment: Record<string, string>;
  /** Variables dropped because they name AWS resources (shown to the user). */
  readonly dropped: readonly string[];
}

const AWS_REFERENCE = /\$\{/;

export function localEnvironment(
  deployed: Readonly<Record<string, string>>,
  local: LocalReplacements,
): LocalEnvironment {
  const environment: Record<string, string> = {};
  const dropped: string[] = [];
  for (const [name, value] of Object.entries(deployed)) {
    if (AWS_REFERENCE.test(value)) dropped.push(name);
    else environment[name] = value;
  }
  if (local.redisUrl) environment.REDIS_URL = local.redisUrl;
  if (local.redisKeyPrefix) environment.REDIS_KEY_PREFIX = local.redisKeyPrefix;
  if (local.logLevel) environment.LOG_LEVEL = local.logLevel;
  environment.JOBS_DATA_DIR = local.jobsDataDir;
  return { environment, dropped: dropped.filter((name) => !(name === 'REDIS_URL' && local.redisUrl)) };
}
