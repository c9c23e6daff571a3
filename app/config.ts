import {
  type ConcurrencyOverrides,
  parseConcurrencyOverrides,
  unknownConcurrencyNames,
} from '../adapters/concurrency/bounds.js';
import {
  type CorsSettings,
  corsOriginsVariable,
  DEFAULT_CORS_MAX_AGE_SECONDS,
  DEFAULT_PREFLIGHTS_PER_MINUTE,
  resolveCorsOrigins,
} from '../adapters/cors-settings.js';
import { type ApiKeyEntry, parseApiKeyHashes } from '../adapters/rate-limit/api-keys.js';
import { DEFAULT_CLASS_LIMITS, type RateLimitSettings } from '../adapters/rate-limit/policy.js';
import { type JobsConfig, jobsConfigFrom, jobsEnvShape } from './jobs/jobs-config.js';
import { lambdaGroups } from './lambda-groups.js';
import { z } from './zod-mini.js';

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

// zod's functional build (app/zod-mini.ts): every process, every Lambda cold start builds these.
const int = (min: number, max: number) => z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max));
const bool = z.pipe(
  z.enum(['true', 'false', '1', '0']),
  z.transform((v) => v === 'true' || v === '1'),
);
const failMode = z.enum(['open', 'closed']);
/** Values that must never be echoed into an error message (logs). */
const SECRET_VARIABLES = new Set(['REDIS_PASSWORD', 'API_KEY_HASHES']);
const apiKeyHashes = z.pipe(
  z.string(),
  z.transform((text, ctx): ApiKeyEntry[] => {
    const { entries, problems } = parseApiKeyHashes(text);
    for (const message of problems) ctx.issues.push({ code: 'custom', message, input: text });
    return entries;
  }),
);
const maxConcurrency = z.pipe(
  z.string(),
  z.transform((text, ctx): ConcurrencyOverrides => {
    const { overrides, problems } = parseConcurrencyOverrides(text);
    problems.push(...unknownConcurrencyNames(overrides, lambdaGroups));
    for (const message of problems) ctx.issues.push({ code: 'custom', message, input: text });
    return overrides;
  }),
);
const limits = DEFAULT_CLASS_LIMITS;
const secretArn = z
  .string()
  .check(z.regex(/^arn:aws[\w-]*:secretsmanager:[\w-]+:\d{12}:secret:.+$/, 'a Secrets Manager secret ARN'));
const text = z.string().check(z.minLength(1));

const schema = z
  .object({
    APP_ENV: z._default(
      z.string().check(z.regex(/^[a-z][a-z0-9-]{0,30}$/, 'lower-case letters, digits and dashes')),
      'local',
    ),
    PORT: z._default(int(0, 65_535), 3000),
    HOST: z._default(text, '0.0.0.0'),
    LOG_LEVEL: z._default(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info'),
    REDIS_URL: z.optional(z.string().check(z.regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL'))),
    REDIS_PASSWORD: z.optional(text),
    REDIS_AUTH_SECRET_ARN: z.optional(secretArn),
    REDIS_KEY_PREFIX: z._default(z.string(), 'api:'),
    MAX_BODY_BYTES: z._default(int(1, 50 * 1024 * 1024), 256 * 1024),
    SHUTDOWN_DRAIN_MS: z._default(int(0, 110_000), 20_000),
    SHUTDOWN_TIMEOUT_MS: z._default(int(1_000, 115_000), 100_000),
    TRUST_FORWARDED_FOR: z._default(bool, true),
    LAMBDA_GROUP: z.optional(
      z.string().check(z.regex(/^[a-z][a-z0-9-]*$/, 'a Lambda group name from the route table')),
    ),
    // Browsers on other origins: see adapters/cors-settings.ts. Unset: any localhost port when
    // APP_ENV is local, no cross-origin access anywhere else.
    CORS_ALLOWED_ORIGINS: z.optional(corsOriginsVariable),
    CORS_ALLOW_CREDENTIALS: z._default(bool, false),
    CORS_MAX_AGE_SECONDS: z._default(int(0, 86_400), DEFAULT_CORS_MAX_AGE_SECONDS),
    CORS_PREFLIGHTS_PER_MINUTE: z._default(int(1, 1_000_000), DEFAULT_PREFLIGHTS_PER_MINUTE),
    // Simulation jobs: see app/jobs/jobs-config.ts.
    ...jobsEnvShape,
    // Rate limiting: points per window per class, for clients without and with an API key.
    RATE_LIMIT_STANDARD_ANONYMOUS: z._default(int(1, 10_000_000), limits.standard.anonymous),
    RATE_LIMIT_STANDARD_AUTHENTICATED: z._default(int(1, 10_000_000), limits.standard.authenticated),
    RATE_LIMIT_STANDARD_WINDOW_SECONDS: z._default(int(1, 86_400), limits.standard.windowSeconds),
    RATE_LIMIT_STANDARD_ON_REDIS_FAILURE: z._default(failMode, limits.standard.onStoreFailure),
    RATE_LIMIT_JOBS_ANONYMOUS: z._default(int(1, 10_000_000), limits.jobs.anonymous),
    RATE_LIMIT_JOBS_AUTHENTICATED: z._default(int(1, 10_000_000), limits.jobs.authenticated),
    RATE_LIMIT_JOBS_WINDOW_SECONDS: z._default(int(1, 86_400), limits.jobs.windowSeconds),
    RATE_LIMIT_JOBS_ON_REDIS_FAILURE: z._default(failMode, limits.jobs.onStoreFailure),
    RATE_LIMIT_EXPECTED_INSTANCES: z._default(int(1, 10_000), 1),
    // Max Concurrency per Lambda group or route, over the route table's (adapters/concurrency).
    MAX_CONCURRENCY: z.optional(maxConcurrency),
    // `client:sha256hex,…` from a secret; the keys themselves are never configured anywhere.
    API_KEY_HASHES: z.optional(apiKeyHashes),
    // On Lambda, which cannot inject secrets: where to read API_KEY_HASHES at init (app/secrets.ts).
    API_KEY_HASHES_SECRET_ARN: z.optional(secretArn),
  })
  .check(
    z.refine((v) => v.SHUTDOWN_DRAIN_MS < v.SHUTDOWN_TIMEOUT_MS, {
      path: ['SHUTDOWN_DRAIN_MS'],
      message: 'must be shorter than SHUTDOWN_TIMEOUT_MS',
    }),
    // The Fetch standard refuses `Access-Control-Allow-Origin: *` on a credentialed request.
    z.refine((v) => !(v.CORS_ALLOW_CREDENTIALS && v.CORS_ALLOWED_ORIGINS === '*'), {
      path: ['CORS_ALLOW_CREDENTIALS'],
      message: 'cannot be true with CORS_ALLOWED_ORIGINS=*; list the origins',
    }),
  );

/** Every variable this module reads, for documentation checks (the README lists them all). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

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
  // An empty variable counts as unset, as shells and CI parameters commonly pass them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  // Parsed once per process: zod's compiled fast path would cost more to build than it saves
  // (a few ms of every Lambda cold start); the result is the same.
  const parsed = schema.safeParse(present, { jitless: true });
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(environment)';
        const given = present[name];
        const shown =
          given === undefined || SECRET_VARIABLES.has(name) ? '' : ` (got ${JSON.stringify(given)})`;
        return `${name}: ${issue.message}${shown}`;
      }),
    );
  }
  const v = parsed.data;
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
