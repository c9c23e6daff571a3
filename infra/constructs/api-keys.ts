import { SecretsmanagerSecret } from '@cdktf/provider-aws/lib/secretsmanager-secret/index.js';
import { SecretsmanagerSecretVersion } from '@cdktf/provider-aws/lib/secretsmanager-secret-version/index.js';
import { Construct } from 'constructs';

/**
 * A deleted secret keeps its name for the recovery window (7–30 days, default 30), so re-creating
 * the stack fails on the name; 0 deletes it at once ("DeleteSecret", Secrets Manager API reference).
 * Only for stacks meant to be destroyed and re-created: prod keeps the default window.
 */
export function recoveryWindow(destroyable: boolean): { recoveryWindowInDays?: number } {
  return destroyable ? { recoveryWindowInDays: 0 } : {};
}

export interface ApiKeysOptions {
  /** Resource name prefix, e.g. `dual-runtime-api-prod`. */
  readonly name: string;
  /** Delete the secret at once on destroy (dev), instead of after Secrets Manager's recovery window. */
  readonly destroyable: boolean;
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
      ...recoveryWindow(options.destroyable),
    });
    new SecretsmanagerSecretVersion(this, 'initial', {
      secretId: this.secret.id,
      // No keys yet: every client is anonymous until operators add hashes here.
      secretString: '# client-name:sha256hex, one per line (printf %s "$KEY" | sha256sum)\n',
      lifecycle: { ignoreChanges: ['secret_string'] },
    });
  }
}
