import { createRequire } from 'node:module';
import type { ECSClient } from '@aws-sdk/client-ecs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';

export interface AwsClients {
  readonly ecs: ECSClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
}

// Loading an SDK v3 client package takes 150–300 ms. A Lambda group that never touches jobs must
// not pay that at cold start, so each package is loaded on first use, synchronously (require, not
// import(), keeps the getters synchronous; the Lambda bundles leave @aws-sdk/* to the runtime).
const load = createRequire(import.meta.url);

/** The SDK packages themselves (command classes), loaded on first use for the same reason. */
export const awsSdk = {
  ecs: () => load('@aws-sdk/client-ecs') as typeof import('@aws-sdk/client-ecs'),
  sqs: () => load('@aws-sdk/client-sqs') as typeof import('@aws-sdk/client-sqs'),
  s3: () => load('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3'),
};

/**
 * The AWS clients, built once per process by an entry point, with the SDK's default
 * configuration chain: AWS_REGION, credentials, and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ECS /
 * _SQS / _S3, which is how tests and benchmarks point them at local servers. Each client is
 * created when first used; `warm()` creates them all (for entry points that use them at once).
 *
 * `ecsMaxAttempts: 1` is for pacers: a RunTask retried inside the SDK would skip the token bucket.
 */
export function createAwsClients(options: { ecsMaxAttempts?: number } = {}): AwsClients & {
  warm(): void;
  destroy(): void;
} {
  let ecs: ECSClient | undefined;
  let sqs: SQSClient | undefined;
  let s3: S3Client | undefined;
  const clients = {
    get ecs(): ECSClient {
      ecs ??= new (awsSdk.ecs().ECSClient)(
        options.ecsMaxAttempts === undefined ? {} : { maxAttempts: options.ecsMaxAttempts },
      );
      return ecs;
    },
    get sqs(): SQSClient {
      sqs ??= new (awsSdk.sqs().SQSClient)({});
      return sqs;
    },
    get s3(): S3Client {
      // Path-style requests work with any endpoint (a local server has no bucket subdomains).
      s3 ??= new (awsSdk.s3().S3Client)({
        forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL),
      });
      return s3;
    },
    warm(): void {
      void clients.ecs;
      void clients.sqs;
      void clients.s3;
    },
    destroy(): void {
      ecs?.destroy();
      sqs?.destroy();
      s3?.destroy();
    },
  };
  return clients;
}

export function destroyAwsClients(clients: AwsClients): void {
  if ('destroy' in clients && typeof clients.destroy === 'function') {
    clients.destroy();
    return;
  }
  clients.ecs.destroy();
  clients.sqs.destroy();
  clients.s3.destroy();
}
