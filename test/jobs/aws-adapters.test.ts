import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ObjectStore } from '../../app/jobs/s3-object-store.js';
import { SqsJobQueue } from '../../app/jobs/sqs-job-queue.js';
import { UNCHECKED_ACCESS } from '../servers/iam/local-iam.js';
import { LocalS3Server } from '../servers/s3-server.js';
import { LocalSqsServer } from '../servers/sqs-server.js';
import { setAwsTestEnvironment } from './support/harness.js';

/** The S3 and SQS implementations through the real SDK clients, against the local servers. */

let s3Server: LocalS3Server;
let sqsServer: LocalSqsServer;
let s3: S3Client;
let sqs: SQSClient;

beforeAll(async () => {
  // The adapters' wire behaviour; permissions are test/aws's subject.
  s3Server = await LocalS3Server.start({ access: UNCHECKED_ACCESS });
  sqsServer = await LocalSqsServer.start({ access: UNCHECKED_ACCESS });
  setAwsTestEnvironment({ s3: s3Server.url, sqs: sqsServer.url });
  s3 = new S3Client({ forcePathStyle: true });
  sqs = new SQSClient({});
});

afterAll(async () => {
  s3.destroy();
  sqs.destroy();
  await s3Server.close();
  await sqsServer.close();
});

describe('S3ObjectStore', () => {
  it('writes, reads and deletes by s3:// URI, and reads a missing object as undefined', async () => {
    const store = new S3ObjectStore(s3, 'jobs-bucket', 'sim/');
    const uri = store.uriFor('jobs/1/input.json');

    await store.put(uri, '{"a":1}');
    const read = await store.get(uri);
    await store.delete(uri);

    expect(uri).toBe('s3://jobs-bucket/sim/jobs/1/input.json');
    expect(read).toBe('{"a":1}');
    expect(await store.get(uri)).toBeUndefined();
    expect(s3Server.objects.size).toBe(0);
  });
});

describe('SqsJobQueue', () => {
  it('delivers at least once: an unacknowledged message comes back, an acknowledged one does not', async () => {
    const url = sqsServer.createQueue('adapters', { visibilityTimeoutSeconds: 1 });
    const queue = new SqsJobQueue(sqs, url);
    await queue.send({ jobId: 'job-1', attempt: 1 });

    const [first] = await queue.receive(10, 1_000);
    const hidden = await queue.receive(10, 0);
    if (!first) throw new Error('nothing received');
    await queue.release(first.receipt, 0);
    const [again] = await queue.receive(10, 1_000);
    if (!again) throw new Error('not redelivered');
    await queue.ack(again.receipt);

    expect(first.message).toEqual({ jobId: 'job-1', attempt: 1 });
    expect(hidden).toEqual([]);
    expect(again.receiveCount).toBe(2);
    expect(sqsServer.depth('adapters')).toBe(0);
  });

  it('delays a message when asked', async () => {
    const url = sqsServer.createQueue('delayed');
    const queue = new SqsJobQueue(sqs, url);

    await queue.send({ jobId: 'job-2', attempt: 1 }, { delaySeconds: 1 });
    const immediately = await queue.receive(10, 0);
    const later = await queue.receive(10, 3_000);

    expect(immediately).toEqual([]);
    expect(later.map((r) => r.message?.jobId)).toEqual(['job-2']);
  });
});
