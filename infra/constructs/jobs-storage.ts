import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket/index.js';
import { S3BucketLifecycleConfiguration } from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration/index.js';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls/index.js';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy/index.js';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block/index.js';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration/index.js';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning/index.js';
import { SqsQueue } from '@cdktf/provider-aws/lib/sqs-queue/index.js';
import { SqsQueueRedriveAllowPolicy } from '@cdktf/provider-aws/lib/sqs-queue-redrive-allow-policy/index.js';
import { Construct } from 'constructs';
import { policyDocument } from './iam-role.js';

/** Key prefix of simulation inputs and results; the simulation task's role reaches nothing else. */
export const SIMULATION_OBJECT_PREFIX = 'simulations/';

/** Receives before a message goes to the dead-letter queue. */
const MAX_RECEIVE_COUNT = 5;
const DAY_SECONDS = 86_400;

export interface JobsStorageOptions {
  readonly name: string;
  readonly objectExpirationDays: number;
  readonly queueRetentionDays: number;
  /** The consumer's function timeout; the queue's visibility timeout is six times it. */
  readonly consumerTimeoutSeconds: number;
  /** Destroy empties the bucket, every object version included (dev); prod refuses to delete data. */
  readonly destroyable: boolean;
}

/**
 * Where jobs live between the API and Fargate: the S3 bucket for inputs and results, the SQS
 * queue the pacer drains, and its dead-letter queue.
 */
export class JobsStorage extends Construct {
  readonly bucket: S3Bucket;
  readonly queue: SqsQueue;
  readonly deadLetterQueue: SqsQueue;

  constructor(scope: Construct, id: string, options: JobsStorageOptions) {
    super(scope, id);
    this.bucket = new S3Bucket(this, 'bucket', {
      bucketPrefix: `${options.name}-jobs-`,
      // S3 deletes only empty buckets; with versioning on, force_destroy also removes every version.
      forceDestroy: options.destroyable,
    });
    new S3BucketPublicAccessBlock(this, 'public-access', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'ownership', {
      bucket: this.bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'encryption', {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' } }],
    });
    new S3BucketVersioningA(this, 'versioning', {
      bucket: this.bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    new S3BucketLifecycleConfiguration(this, 'lifecycle', {
      bucket: this.bucket.id,
      rule: [
        {
          id: 'expire-simulations',
          status: 'Enabled',
          filter: [{ prefix: SIMULATION_OBJECT_PREFIX }],
          expiration: [{ days: options.objectExpirationDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 7 }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 1 }],
        },
      ],
    });
    new S3BucketPolicy(this, 'tls-only', {
      bucket: this.bucket.id,
      policy: policyDocument([
        {
          Sid: 'DenyPlainHttp',
          Effect: 'Deny',
          Principal: '*',
          Action: ['s3:*'],
          Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ]),
    });

    this.deadLetterQueue = new SqsQueue(this, 'dlq', {
      name: `${options.name}-jobs-dlq`,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: 14 * DAY_SECONDS,
    });
    this.queue = new SqsQueue(this, 'queue', {
      name: `${options.name}-jobs`,
      sqsManagedSseEnabled: true,
      messageRetentionSeconds: options.queueRetentionDays * DAY_SECONDS,
      // "Configuring a queue to use with Lambda" (Lambda docs): at least six times the timeout.
      visibilityTimeoutSeconds: options.consumerTimeoutSeconds * 6,
      redrivePolicy: JSON.stringify({
        deadLetterTargetArn: this.deadLetterQueue.arn,
        maxReceiveCount: MAX_RECEIVE_COUNT,
      }),
    });
    new SqsQueueRedriveAllowPolicy(this, 'dlq-sources', {
      queueUrl: this.deadLetterQueue.url,
      redriveAllowPolicy: JSON.stringify({ redrivePermission: 'byQueue', sourceQueueArns: [this.queue.arn] }),
    });
  }
}
