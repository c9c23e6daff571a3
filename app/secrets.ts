import { createRequire } from 'node:module';
import { parseApiKeyHashes } from '../adapters/rate-limit/api-keys.js';
import { type AppConfig, ConfigError } from './config.js';

// Loaded on first use, like the other SDK clients (see app/jobs/aws-clients.ts).
const load = createRequire(import.meta.url);

/** The string value of a Secrets Manager secret, read with the SDK's default configuration chain. */
export async function readSecretString(secretId: string): Promise<string> {
  const sdk = load('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
  const client = new sdk.SecretsManagerClient({});
  try {
    const { SecretString } = await client.send(new sdk.GetSecretValueCommand({ SecretId: secretId }));
    if (!SecretString) throw new Error(`secret ${secretId} has no string value`);
    return SecretString;
  } finally {
    client.destroy();
  }
}

/**
 * Lambda cannot inject secrets into the environment as ECS does, so a function gets the ARNs of
 * its secrets and reads them here, once, at init: the Redis AUTH token (REDIS_AUTH_SECRET_ARN)
 * and the API key hashes (API_KEY_HASHES_SECRET_ARN). A value given directly (REDIS_PASSWORD,
 * API_KEY_HASHES) wins; a secret that is not needed is not read.
 */
export async function withSecrets(
  config: AppConfig,
  read: (secretId: string) => Promise<string> = readSecretString,
): Promise<AppConfig> {
  let resolved = config;
  if (config.redis && !config.redis.password && config.redisAuthSecretArn) {
    const password = await read(config.redisAuthSecretArn);
    resolved = { ...resolved, redis: { ...config.redis, password } };
  }
  if (config.apiKeyHashesSecretArn && config.rateLimit.apiKeys.length === 0) {
    const { entries, problems } = parseApiKeyHashes(await read(config.apiKeyHashesSecretArn));
    // The secret's content is never echoed: only what is wrong with it, by entry number.
    if (problems.length > 0) {
      throw new ConfigError(problems.map((problem) => `API_KEY_HASHES_SECRET_ARN: ${problem}`));
    }
    resolved = { ...resolved, rateLimit: { ...resolved.rateLimit, apiKeys: entries } };
  }
  return resolved;
}
