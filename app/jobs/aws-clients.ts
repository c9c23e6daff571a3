import { ECSClient } from '@aws-sdk/client-ecs';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface AwsClients {
  readonly ecs: ECSClient;
  readonly sqs: SQSClient;
  readonly s3: S3Client;
}

/**
 * The AWS clients, built once per process by an entry point, with the SDK's default
 * configuration chain: AWS_REGION, credentials, and AWS_ENDPOINT_URL / AWS_ENDPOINT_URL_ECS /
 * _SQS / _S3, which is how tests and benchmarks point them at local servers.
 *
 * `ecsMaxAttempts: 1` is for pacers: a RunTask retried inside the SDK would skip the token bucket.
 */
export function createAwsClients(options: { ecsMaxAttempts?: number } = {}): AwsClients {
  return {
    ecs: new ECSClient(options.ecsMaxAttempts === undefined ? {} : { maxAttempts: options.ecsMaxAttempts }),
    sqs: new SQSClient({}),
    // Path-style requests work with any endpoint (a local server has no bucket subdomains).
    s3: new S3Client({
      forcePathStyle: Boolean(process.env.AWS_ENDPOINT_URL_S3 ?? process.env.AWS_ENDPOINT_URL),
    }),
  };
}

export function destroyAwsClients(clients: AwsClients): void {
  clients.ecs.destroy();
  clients.sqs.destroy();
  clients.s3.destroy();
}
