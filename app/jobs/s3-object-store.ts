import type { S3Client } from '@aws-sdk/client-s3';
import { awsSdk } from './aws-clients.js';
import type { ObjectStore } from './object-store.js';

/** Objects in S3 under one bucket and key prefix; the client comes from the entry point. */
export class S3ObjectStore implements ObjectStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly keyPrefix = '',
  ) {}

  uriFor(key: string): string {
    return `s3://${this.bucket}/${this.keyPrefix}${key}`;
  }

  async put(uri: string, body: string, contentType = 'application/json'): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    await this.s3.send(
      new (awsSdk.s3().PutObjectCommand)({ Bucket: bucket, Key: key, Body: body, ContentType: contentType }),
    );
  }

  async get(uri: string): Promise<string | undefined> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      const response = await this.s3.send(new (awsSdk.s3().GetObjectCommand)({ Bucket: bucket, Key: key }));
      return (await response.Body?.transformToString('utf8')) ?? '';
    } catch (error) {
      if (error instanceof Error && (error.name === 'NoSuchKey' || error.name === 'NotFound'))
        return undefined;
      throw error;
    }
  }

  async delete(uri: string): Promise<void> {
    const { bucket, key } = parseS3Uri(uri);
    await this.s3.send(new (awsSdk.s3().DeleteObjectCommand)({ Bucket: bucket, Key: key }));
  }
}

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const match = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!match?.[1] || !match[2]) throw new Error(`Not an s3://bucket/key URI: ${uri}`);
  return { bucket: match[1], key: match[2] };
}
