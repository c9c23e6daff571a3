import {
  type ConcurrencyOverrides,
  parseConcurrencyOverrides,
  unknownConcurrencyNames,
} from '../adapters/concurrency/bounds.js';
import {
  type CorsSettings,
  DEFAULT_CORS_MAX_AGE_SECONDS,
  DEFAULT_PREFLIGHTS_PER_MINUTE,
  parseCorsOrigins,
  resolveCorsOrigins,
} from '../adapters/cors-settings.js';
import { type ApiKeyEntry, parseApiKeyHashes } from '../adapters/rate-limit/api-keys.js';
import { DEFAULT_CLASS_LIMITS, type RateLimitSettings } from '../adapters/rate-limit/policy.js';
import {
  boolean,
  integer,
  matching,
  oneOf,
  optional,
  type Reader,
  readVariables,
  text,
  VariableProblem,
  withDefault,
} from './env-variables.js';
import { type JobsConfig, jobsConfigFrom, jobsVariables } from './jobs/jobs-config.js';
import { lambdaGroups } from './lambda-groups.js';

/**
 * Configuration is read here, once per process, from the environment. Every variable has an
 * embedded default so `npm start` works on a fresh machine; a bad value stops the process with a
 * message that names the variable.
 */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/** Values that must never be echoed into an error message (logs). */
const SECRET_VARIABLES = new Set(['REDIS_PASSWORD', 'API_KEY_HASHES']);
const apiKeyHashes: Reader<ApiKeyEntry[]> = (text) => {
  const { entries, problems } = parseApiKeyHashes(text);
  if (problems.length > 0) throw new VariableProblem(problems);
  return entries;
};
const maxConcurrency: Reader<ConcurrencyOverrides> = (text) => {
  const { overrides, problems } = parseConcurrencyOverrides(text);
  problems.push(...unknownConcurrencyNames(overrides, lambdaGroups));
  if (problems.length > 0) throw new VariableProblem(problems);
  return overrides;
};
const corsOrigins: Reader<'*' | string[]> = (text) => {
  const { origins, problems } = parseCorsOrigins(text);
  if (problems.length > 0) throw new VariableProblem(problems);
  return origins;
};
const limits = DEFAULT_CLASS_LIMITS;
const secretArn = matching(
  /^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:.+$/,
  'a Secrets Manager secret ARN',
);
const failMode = oneOf(['open', 'closed']);

/** Every variable, how it reads and its embedded default (app/env-variables.ts). */
const variables = {
  APP_ENV: withDefault(matching(/^[a-z][a-z0-9-]{0,30}$/, 'lower-case letters, digits and dashes'), 'local'),
  PORT: withDefault(integer(0, 65_535), 3000),
  HOST: withDefault(text, '0.0.0.0'),
  LOG_LEVEL: withDefault(oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
  REDIS_URL: optional(matching(/^rediss?:\/\//, 'a redis:// or rediss:// URL')),
  REDIS_PASSWORD: optional(text),
  REDIS_AUTH_SECRET_ARN: optional(secretArn),
  REDIS_KEY_PREFIX: withDefault(text, 'api:'),
  MAX_BODY_BYTES: withDefault(integer(1, 50 * 1024 * 1024), 256 * 1024),
  SHUTDOWN_DRAIN_MS: withDefault(integer(0, 110_000), 20_000),
  SHUTDOWN_TIMEOUT_MS: withDefault(integer(1_000, 115_000), 100_000),
  TRUST_FORWARDED_FOR: withDefault(boolean, true),
  LAMBDA_GROUP: optional(matching(/^[a-z][a-z0-9-]*$/, 'a Lambda group name from the route table')),
  // Browsers on other origins: see adapters/cors-settings.ts. Unset: any localhost port when
  // APP_ENV is local, no cross-origin access anywhere else.
  CORS_ALLOWED_ORIGINS: optional(corsOrigins),
  CORS_ALLOW_CREDENTIALS: withDefault(boolean, false),
  CORS_MAX_AGE_SECONDS: withDefault(integer(0, 86_400), DEFAULT_CORS_MAX_AGE_SECONDS),
  CORS_PREFLIGHTS_PER_MINUTE: withDefault(integer(1, 1_000_000), DEFAULT_PREFLIGHTS_PER_MINUTE),
  // Simulation jobs: see app/jobs/jobs-config.ts.
  ...jobsVariables,
  // Rate limiting: points per window per class, for clients without and with an API key.
  RATE_LIMIT_STANDARD_ANONYMOUS: withDefault(integer(1, 10_000_000), limits.standard.anonymous),
  RATE_LIMIT_STANDARD_AUTHENTICATED: withDefault(integer(1, 10_000_000), limits.standard.authenticated),
  RATE_LIMIT_STANDARD_WINDOW_SECONDS: withDefault(integer(1, 86_400), limits.standard.windowSeconds),
  RATE_LIMIT_STANDARD_ON_REDIS_FAILURE: withDefault(failMode, limits.standard.onStoreFailure),
  RATE_LIMIT_JOBS_ANONYMOUS: withDefault(integer(1, 10_000_000), limits.jobs.anonymous),
  RATE_LIMIT_JOBS_AUTHENTICATED: withDefault(integer(1, 10_000_000), limits.jobs.authenticated),
  RATE_LIMIT_JOBS_WINDOW_SECONDS: withDefault(integer(1, 86_400), limits.jobs.windowSeconds),
  RATE_LIMIT_JOBS_ON_REDIS_FAILURE: withDefault(failMode, limits.jobs.onStoreFailure),
  RATE_LIMIT_EXPECTED_INSTANCES: withDefault(integer(1, 10_000), 1),
  // Max Concurrency per Lambda group or route, over the route table's (adapters/concurrency).
  MAX_CONCURRENCY: optional(maxConcurrency),
  // `client:sha256hex,…` from a secret; the keys themselves are never configured anywhere.
  API_KEY_HASHES: optional(apiKeyHashes),
  // On Lambda, which cannot inject secrets: where to read API_KEY_HASHES at init (app/secrets.ts).
  API_KEY_HASHES_SECRET_ARN: optional(secretArn),
};

/** Every variable this module reads, for documentation checks (the README lists them all). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(variables);

export interface AppConfig {
  /** Environment name: `local`, `dev`, `prod`… Used as the event stage and in log lines. */
  readonly env: string;
  readonly port: number;
  readonly host: string;
  readonly logLevel: string;
  readonly redis:
    | { readonly url: string; readonly password?: string; readonly keyPrefix: string }
    | undefined;
  readonly maxBodyBytes: number;
  readonly shutdown: { readonly drainMs: number; readonly timeoutMs: number };
  /** Behind an ALB the right-most X-Forwarded-For entry is the client; without one, the socket is. */
  readonly trustForwardedFor: boolean;
  /** On Lambda: the secret holding the Redis AUTH token, read at init (see app/secrets.ts). */
  readonly redisAuthSecretArn: string | undefined;
  /** On Lambda: the secret holding API_KEY_HASHES, read at init (see app/secrets.ts). */
  readonly apiKeyHashesSecretArn: string | undefined;
  /** On Lambda: the route group this function serves (set by the infrastructure); all routes when unset. */
  readonly lambdaGroup: string | undefined;
  readonly jobs: JobsConfig;
  readonly rateLimit: RateLimitSettings;
  /** `MAX_CONCURRENCY`: bounds over the route table's, per group or route id (`off` lifts one). */
  readonly maxConcurrency: ConcurrencyOverrides;
  readonly cors: CorsSettings;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const { values: v, problems, refused } = readVariables(variables, env, { secret: SECRET_VARIABLES });
  // Rules across variables, checked when each of their variables read well on its own.
  const readWell = (...names: (keyof typeof variables)[]) => names.every((name) => !refused.has(name));
  const shown = (name: keyof typeof variables) => (env[name] ? ` (got ${JSON.stringify(env[name])})` : '');
  if (readWell('SHUTDOWN_DRAIN_MS', 'SHUTDOWN_TIMEOUT_MS') && v.SHUTDOWN_DRAIN_MS >= v.SHUTDOWN_TIMEOUT_MS) {
    problems.push(`SHUTDOWN_DRAIN_MS: must be shorter than SHUTDOWN_TIMEOUT_MS${shown('SHUTDOWN_DRAIN_MS')}`);
  }
  // The Fetch standard refuses `Access-Control-Allow-Origin: *` on a credentialed request.
  if (v.CORS_ALLOW_CREDENTIALS && v.CORS_ALLOWED_ORIGINS === '*') {
    problems.push(
      `CORS_ALLOW_CREDENTIALS: cannot be true with CORS_ALLOWED_ORIGINS=*; list the origins${shown('CORS_ALLOW_CREDENTIALS')}`,
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const jobs = jobsConfigFrom(v);
  if (jobs.problems.length > 0) throw new ConfigError(jobs.problems);
  return {
    env: v.APP_ENV,
    port: v.PORT,
    host: v.HOST,
    logLevel: v.LOG_LEVEL,
    redis: v.REDIS_URL
      ? {
          url: v.REDIS_URL,
          keyPrefix: v.REDIS_KEY_PREFIX,
          ...(v.REDIS_PASSWORD ? { password: v.REDIS_PASSWORD } : {}),
        }
      : undefined,
    maxBodyBytes: v.MAX_BODY_BYTES,
    shutdown: { drainMs: v.SHUTDOWN_DRAIN_MS, timeoutMs: v.SHUTDOWN_TIMEOUT_MS },
    trustForwardedFor: v.TRUST_FORWARDED_FOR,
    redisAuthSecretArn: v.REDIS_AUTH_SECRET_ARN,
    apiKeyHashesSecretArn: v.API_KEY_HASHES_SECRET_ARN,
    lambdaGroup: v.LAMBDA_GROUP,
    jobs: jobs.config,
    cors: {
      origins: resolveCorsOrigins(v.CORS_ALLOWED_ORIGINS, v.APP_ENV),
      allowCredentials: v.CORS_ALLOW_CREDENTIALS,
      maxAgeSeconds: v.CORS_MAX_AGE_SECONDS,
      preflightsPerMinute: v.CORS_PREFLIGHTS_PER_MINUTE,
    },
    rateLimit: {
      classes: {
        standard: {
          anonymous: v.RATE_LIMIT_STANDARD_ANONYMOUS,
          authenticated: v.RATE_LIMIT_STANDARD_AUTHENTICATED,
          windowSeconds: v.RATE_LIMIT_STANDARD_WINDOW_SECONDS,
          onStoreFailure: v.RATE_LIMIT_STANDARD_ON_REDIS_FAILURE,
        },
        jobs: {
          anonymous: v.RATE_LIMIT_JOBS_ANONYMOUS,
          authenticated: v.RATE_LIMIT_JOBS_AUTHENTICATED,
          windowSeconds: v.RATE_LIMIT_JOBS_WINDOW_SECONDS,
          onStoreFailure: v.RATE_LIMIT_JOBS_ON_REDIS_FAILURE,
        },
      },
      expectedInstances: v.RATE_LIMIT_EXPECTED_INSTANCES,
      apiKeys: v.API_KEY_HASHES ?? [],
    },
    maxConcurrency: v.MAX_CONCURRENCY ?? {},
  };
}
