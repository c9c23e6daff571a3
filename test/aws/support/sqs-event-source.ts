import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import type { LocalLambda } from './local-lambda.js';

export interface SqsEventSourceOptions {
  readonly lambda: LocalLambda;
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly batchSize: number;
  /** The function's role: Lambda polls and deletes with the function's own permissions. */
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
  readonly endpoint: string;
}

/**
 * Lambda's SQS event source mapping, as "Using Lambda with Amazon SQS" describes it: it polls the
 * queue with the function's execution role (ReceiveMessage; GetQueueAttributes when the mapping is
 * enabled), invokes the function synchronously with a batch in the documented event shape, and
 * deletes the messages the invocation did not report in `batchItemFailures`
 * (ReportBatchItemFailures). A failed invocation deletes nothing: the batch comes back after the
 * visibility timeout, and counts against the queue's maxReceiveCount.
 */
export class SqsEventSource {
  private running = true;
  private readonly client: SQSClient;
  private readonly loop: Promise<void>;
  readonly errors: string[] = [];

  get functionName(): string {
    return this.options.lambda.name;
  }

  constructor(private readonly options: SqsEventSourceOptions) {
    this.client = new SQSClient({
      region: options.region,
      endpoint: options.endpoint,
      credentials: options.credentials,
      maxAttempts: 1,
    });
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const { queueUrl } = this.options;
    await this.client
      .send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['VisibilityTimeout'] }))
      .catch((error: unknown) => this.errors.push(String(error)));
    while (this.running) {
      try {
        const received = await this.client.send(
          new ReceiveMessageCommand({
            QueueUrl: queueUrl,
            MaxNumberOfMessages: Math.min(10, this.options.batchSize),
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
          }),
        );
        const messages = received.Messages ?? [];
        if (messages.length === 0) continue;
        const event: SQSEvent = {
          Records: messages.map((m) => ({
            messageId: m.MessageId ?? '',
            receiptHandle: m.ReceiptHandle ?? '',
            body: m.Body ?? '',
            attributes: {
              ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
              SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
              SenderId: 'AROAEXAMPLE:local',
              ApproximateFirstReceiveTimestamp: String(Date.now()),
            },
            messageAttributes: {},
            md5OfBody: m.MD5OfBody ?? '',
            eventSource: 'aws:sqs',
            eventSourceARN: this.options.queueArn,
            awsRegion: this.options.region,
          })),
        };
        let failed: Set<string>;
        try {
          const response = (await this.options.lambda.invoke(event)) as SQSBatchResponse | undefined;
          failed = new Set((response?.batchItemFailures ?? []).map((f) => f.itemIdentifier));
        } catch (error) {
          this.errors.push(String(error));
          continue;
        }
        for (const record of event.Records) {
          if (failed.has(record.messageId)) continue;
          await this.client.send(
            new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }),
          );
        }
      } catch (error) {
        if (this.running) this.errors.push(String(error));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    this.client.destroy();
  }
}
