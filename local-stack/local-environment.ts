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
  /** The built simulation program (dist/simulation/main.mjs): the local stand-in for the image. */
  readonly jobsProgram: string;
  readonly logLevel?: string;
  /**
   * Local runs only: replaces the stack's CORS_ALLOWED_ORIGINS, so a page served from this machine
   * (on a port the stack's origins do not list) can call the local stack. Same syntax as the variable.
   */
  readonly corsAllowedOrigins?: string;
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
  if (local.corsAllowedOrigins) environment.CORS_ALLOWED_ORIGINS = local.corsAllowedOrigins;
  environment.JOBS_DATA_DIR = local.jobsDataDir;
  environment.JOBS_LOCAL_PROGRAM = local.jobsProgram;
  return { environment, dropped: dropped.filter((name) => !(name === 'REDIS_URL' && local.redisUrl)) };
}
