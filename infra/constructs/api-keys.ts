import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version/index.js';
import { Construct } from 'constructs';

export interface ApiKeysOptions {
  /** Resource name prefix, e.g. `dual-runtime-api-prod`. */
  readonly name: string;
}

/**
 * The API key hashes the rate limiter accepts (`client:sha256hex`, one per line), kept in Secrets
 * Manager: ECS injects them as API_KEY_HASHES, Lambdas read them at init through
 * API_KEY_HASHES_SECRET_ARN. Only hashes are ever stored; operators edit the secret, and Terraform
 * writes the first version only (later plans leave it alone).
 */
export class ApiKeys extends Construct {
  readonly secret: SecretsmanagerSecret;

  constructor(scope: Construct, id: string, options: ApiKeysOptions) {
    super(scope, id);
    this.secret = new SecretsmanagerSecret(this, 'hashes', {
      name: `${options.name}/api-key-hashes`,
      description: 'SHA-256 hashes of the API keys the rate limiter accepts: client:sha256hex, one per line',
    });
    new SecretsmanagerSecretVersion(this, 'initial', {
      secretId: this.secret.id,
      // No keys yet: every client is anonymous until operators add hashes here.
      secretString: '# client-name:sha256hex, one per line (printf %s "$KEY" | sha256sum)\n',
      lifecycle: { ignoreChanges: ['secret_string'] },
    });
  }
}
