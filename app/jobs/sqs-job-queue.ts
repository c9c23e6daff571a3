import type { SQSClient } from '@aws-sdk/client-sqs';
import { awsSdk } from './aws-clients.js';
import { type JobMessage, parseJobMessage } from './job.js';
import type { JobQueue, QueueConsumer, ReceivedJob } from './job-queue.js';

/** SQS caps a message delay and a long poll: 900 s and 20 s (SQS API reference, SendMessage / ReceiveMessage). */
const MAX_DELAY_SECONDS = 900;
const MAX_WAIT_SECONDS = 20;

/** The queue on AWS. The Lambda pacer gets its messages from the event source mapping instead of `receive`. */
export class SqsJobQueue implements JobQueue, QueueConsumer {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async send(message: JobMessage, options: { delaySeconds?: number } = {}): Promise<void> {
    await this.sqs.send(
      new (awsSdk.sqs().SendMessageCommand)({
        QueueUrl: this.queueUrl,
        MessageBody: JSON.stringify(message),
        DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.max(0, Math.round(options.delaySeconds ?? 0))),
      }),
    );
  }

  async receive(max: number, waitMs: number): Promise<ReceivedJob[]> {
    const response = await this.sqs.send(
      new (awsSdk.sqs().ReceiveMessageCommand)({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: Math.min(10, Math.max(1, max)),
        WaitTimeSeconds: Math.min(MAX_WAIT_SECONDS, Math.ceil(waitMs / 1000)),
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    return (response.Messages ?? []).flatMap((m) =>
      m.ReceiptHandle
        ? [
            {
              message: parseJobMessage(m.Body ?? ''),
              receipt: m.ReceiptHandle,
              receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1),
            },
          ]
        : [],
    );
  }

  async ack(receipt: string): Promise<void> {
    await this.sqs.send(
      new (awsSdk.sqs().DeleteMessageCommand)({ QueueUrl: this.queueUrl, ReceiptHandle: receipt }),
    );
  }

  async release(receipt: string, delaySeconds: number): Promise<void> {
    await this.sqs.send(
      new (awsSdk.sqs().ChangeMessageVisibilityCommand)({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receipt,
        VisibilityTimeout: Math.min(43_200, Math.max(0, Math.round(delaySeconds))),
      }),
    );
  }
}
