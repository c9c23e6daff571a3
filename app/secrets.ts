import { createRequire } from 'node:module';
import type { AppConfig } from './config.js';

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
 * Lambda cannot inject secrets into the environment as ECS does, so a function gets the ARN of the
 * Redis AUTH token (REDIS_AUTH_SECRET_ARN) and reads it here, once, at init. An explicit
 * REDIS_PASSWORD wins; without Redis nothing is read.
 */
export async function withRedisPassword(
  config: AppConfig,
  read: (secretId: string) => Promise<string> = readSecretString,
): Promise<AppConfig> {
  if (!config.redis || config.redis.password || !config.redisAuthSecretArn) return config;
  const password = await read(config.redisAuthSecretArn);
  return { ...config, redis: { ...config.redis, password } };
}
