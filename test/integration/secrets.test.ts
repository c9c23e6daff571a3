import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../app/config.js';
import { readSecretString, withSecrets } from '../../app/secrets.js';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:redis-auth-AbCdEf';
const KEYS_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-key-hashes-XyZ123';
const BAD_KEYS_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:api-key-hashes-bad';
const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

/** The slice of Secrets Manager's JSON 1.1 protocol the Lambda init uses: GetSecretValue. */
function startSecretsManager(secrets: Record<string, string>): Promise<{ server: Server; calls: string[] }> {
  const calls: string[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const target = String(req.headers['x-amz-target']);
      const { SecretId } = JSON.parse(body) as { SecretId: string };
      calls.push(`${target} ${SecretId}`);
      const value = secrets[SecretId];
      res.setHeader('content-type', 'application/x-amz-json-1.1');
      if (target !== 'secretsmanager.GetSecretValue' || value === undefined) {
        res.statusCode = 400;
        res.end(
          JSON.stringify({
            __type: 'ResourceNotFoundException',
            message: "Secrets Manager can't find the specified secret.",
          }),
        );
        return;
      }
      res.end(
        JSON.stringify({
          ARN: SecretId,
          Name: 'redis-auth',
          SecretString: value,
          VersionId: 'v1',
          CreatedDate: 1_700_000_000,
        }),
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, calls })));
}

describe('Secrets read from Secrets Manager at Lambda init', () => {
  let local: { server: Server; calls: string[] };
  const saved = { ...process.env };

  beforeAll(async () => {
    local = await startSecretsManager({
      [ARN]: 'token-from-secret',
      [KEYS_ARN]: `# client:sha256hex, one per line\npartner-a:${HASH_A}\npartner-b:${HASH_B} # rotated 2026-11\n`,
      [BAD_KEYS_ARN]: `partner-a:${HASH_A}\nsk_live_plaintext_key_pasted_by_mistake`,
    });
    Object.assign(process.env, {
      AWS_REGION: 'eu-west-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(local.server.address() as AddressInfo).port}`,
    });
  });

  afterAll(() => {
    process.env = saved;
    local.server.close();
  });

  it('reads the secret with the real SDK client', async () => {
    await expect(readSecretString(ARN)).resolves.toBe('token-from-secret');
    await expect(readSecretString(`${ARN}-missing`)).rejects.toThrow(/can't find/);
  });

  it('puts the token into the Redis connection settings', async () => {
    const config = loadConfig({ REDIS_URL: 'rediss://cache.example:6379', REDIS_AUTH_SECRET_ARN: ARN });
    const resolved = await withSecrets(config);
    expect(resolved.redis).toMatchObject({
      url: 'rediss://cache.example:6379',
      password: 'token-from-secret',
    });
  });

  it('reads nothing when a password is given or there is no Redis', async () => {
    const before = local.calls.length;
    const explicit = loadConfig({
      REDIS_URL: 'redis://x:6379',
      REDIS_PASSWORD: 'given',
      REDIS_AUTH_SECRET_ARN: ARN,
    });
    expect((await withSecrets(explicit)).redis?.password).toBe('given');
    const noRedis = loadConfig({ REDIS_AUTH_SECRET_ARN: ARN });
    expect(await withSecrets(noRedis)).toBe(noRedis);
    expect(local.calls.length).toBe(before);
  });

  it('rejects something that is not a secret ARN, naming the variable', () => {
    expect(() => loadConfig({ REDIS_AUTH_SECRET_ARN: 'redis-auth' })).toThrow(
      /REDIS_AUTH_SECRET_ARN: a Secrets Manager secret ARN/,
    );
  });

  it('reads the API key hashes, comments and one-per-line allowed', async () => {
    const resolved = await withSecrets(loadConfig({ API_KEY_HASHES_SECRET_ARN: KEYS_ARN }));
    expect(resolved.rateLimit.apiKeys).toEqual([
      { client: 'partner-a', sha256: HASH_A },
      { client: 'partner-b', sha256: HASH_B },
    ]);
  });

  it('refuses a secret holding something that is not a hash, without echoing it', async () => {
    const attempt = withSecrets(loadConfig({ API_KEY_HASHES_SECRET_ARN: BAD_KEYS_ARN }));
    await expect(attempt).rejects.toThrow(/API_KEY_HASHES_SECRET_ARN: entry 2 is not a hex SHA-256 hash/);
    await expect(attempt).rejects.not.toThrow(/sk_live/);
  });

  it('lets API_KEY_HASHES given directly win over the secret', async () => {
    const before = local.calls.length;
    const resolved = await withSecrets(
      loadConfig({ API_KEY_HASHES: `direct:${HASH_B}`, API_KEY_HASHES_SECRET_ARN: KEYS_ARN }),
    );
    expect(resolved.rateLimit.apiKeys).toEqual([{ client: 'direct', sha256: HASH_B }]);
    expect(local.calls.length).toBe(before);
  });
});
