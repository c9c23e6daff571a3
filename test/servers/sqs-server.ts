import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AccessCheck, accessKeyOf } from './iam/local-iam.js';
import type { LocalStack } from './iam/local-stack.js';

/**
 * A local SQS endpoint for the real @aws-sdk/client-sqs (AWS_ENDPOINT_URL_SQS), speaking the JSON
 * protocol (`X-Amz-Target: AmazonSQS.<Action>`, awsJson1_0): standard-queue semantics that the
 * pacer relies on — at-least-once delivery, visibility timeouts, redelivery of what is not deleted,
 * long polling, delays, and receive counts.
 *
 * A queue with a redrive policy moves a message whose receive count passed `maxReceiveCount` to its
 * dead-letter queue, a queue here like any other ("Using dead-letter queues in Amazon SQS", SQS
 * Developer Guide). Every call is checked against the caller's role with the action the "Amazon
 * SQS API permissions: Actions and resource reference" page names (a batch call needs the action
 * of its single form); a refusal is the JSON protocol's AccessDenied (403, with the query error
 * code in `x-amzn-query-error`, which the SDK reads as the error's name).
 */

const TARGET_PREFIX = 'AmazonSQS.';
const ACCOUNT = '000000000000';

interface StoredMessage {
  readonly id: string;
  readonly body: string;
  readonly md5: string;
  readonly sentAt: number;
  visibleAt: number;
  receiveCount: number;
  receipt: string | undefined;
}

interface Queue {
  readonly name: string;
  readonly visibilityTimeoutSeconds: number;
  /** A redrive policy's maxReceiveCount: a message received more often goes to the dead-letter queue. */
  readonly maxReceiveCount: number | undefined;
  /** The dead-letter queue's name; without one, moved messages are kept in `deadLetters`. */
  readonly deadLetterQueue: string | undefined;
  readonly messages: Map<string, StoredMessage>;
  readonly deadLetters: StoredMessage[];
}

type Json = Record<string, unknown>;

export interface LocalSqsOptions {
  /** The roles to check calls against, or UNCHECKED_ACCESS, named, for tests not about permissions. */
  readonly access: AccessCheck;
  /** Region in queue ARNs (default us-east-1); a stack's own region when its roles are checked. */
  readonly region?: string;
  /**
   * Queue time runs this many times faster (default 1): visibility timeouts and delays are
   * multiplied by it. Lets a test walk a message through its whole redrive policy (minutes of
   * doubling delays) in seconds, with the same counts and order.
   */
  readonly timeScale?: number;
}

export class LocalSqsServer {
  private readonly queues = new Map<string, Queue>();
  private readonly pollers = new Set<() => void>();
  /** Messages deleted, by id: a message deleted twice or never is what fault tests look for. */
  readonly deleted: string[] = [];

  private constructor(
    private readonly server: Server,
    private readonly options: LocalSqsOptions,
  ) {}

  static async start(options: LocalSqsOptions): Promise<LocalSqsServer> {
    let instance: LocalSqsServer | undefined;
    const server = createServer((req, res) => {
      instance?.handle(req, res).catch((error: unknown) => {
        send(res, 500, { __type: 'com.amazonaws.sqs#InternalError', message: String(error) });
      });
    });
    instance = new LocalSqsServer(server, options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  createQueue(
    name: string,
    options: { visibilityTimeoutSeconds?: number; maxReceiveCount?: number; deadLetterQueue?: string } = {},
  ): string {
    if (!this.queues.has(name)) {
      this.queues.set(name, {
        name,
        visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 30,
        maxReceiveCount: options.maxReceiveCount,
        deadLetterQueue: options.deadLetterQueue,
        messages: new Map(),
        deadLetters: [],
      });
    }
    return `${this.url}/${ACCOUNT}/${name}`;
  }

  /** Every queue of a synthesized stack, with its visibility timeout and redrive policy. */
  createQueuesFrom(stack: LocalStack): void {
    for (const queue of stack.queues.values()) {
      const target = queue.redrive?.deadLetterTargetArn;
      this.createQueue(queue.name, {
        visibilityTimeoutSeconds: queue.visibilityTimeoutSeconds,
        ...(queue.redrive
          ? {
              maxReceiveCount: queue.redrive.maxReceiveCount,
              deadLetterQueue: target?.slice(target.lastIndexOf(':') + 1),
            }
          : {}),
      });
    }
  }

  /** Bodies of the messages waiting in a queue (visible or not), oldest first. */
  bodies(name: string): string[] {
    return [...(this.queues.get(name)?.messages.values() ?? [])].map((m) => m.body);
  }

  /** Bodies of the messages the redrive policy moved out (what a DLQ would hold). */
  deadLetters(name: string): string[] {
    return (this.queues.get(name)?.deadLetters ?? []).map((m) => m.body);
  }

  /** Messages not yet deleted (visible or in flight). */
  depth(name: string): number {
    return this.queues.get(name)?.messages.size ?? 0;
  }

  async close(): Promise<void> {
    for (const wake of this.pollers) wake();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Queue seconds → real milliseconds. */
  private ms(seconds: number): number {
    return seconds * 1000 * (this.options.timeScale ?? 1);
  }

  private queueOf(body: Json): Queue | undefined {
    const url = String(body.QueueUrl ?? '');
    return this.queues.get(url.slice(url.lastIndexOf('/') + 1));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = (chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : {}) as Json;
    const target = String(req.headers['x-amz-target'] ?? '');
    const action = target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
    if (action === 'CreateQueue') {
      const seconds = Number((body.Attributes as Json | undefined)?.VisibilityTimeout ?? 30);
      return send(res, 200, {
        QueueUrl: this.createQueue(String(body.QueueName), { visibilityTimeoutSeconds: seconds }),
      });
    }
    const queue = this.queueOf(body);
    if (!queue) {
      return send(res, 400, {
        __type: 'com.amazonaws.sqs#QueueDoesNotExist',
        message: 'The specified queue does not exist.',
      });
    }
    const permission = `sqs:${action.replace(/Batch$/, '')}`;
    const decision = await this.options.access.authorize(accessKeyOf(req), {
      action: permission,
      resource: `arn:aws:sqs:${this.options.region ?? 'us-east-1'}:${ACCOUNT}:${queue.name}`,
    });
    if (!decision.allowed) {
      const code = decision.reason === 'unknown-key' ? 'InvalidClientTokenId' : 'AccessDenied';
      return send(
        res,
        403,
        {
          __type: `com.amazon.coral.service#${code === 'AccessDenied' ? 'AccessDeniedException' : code}`,
          message: decision.message,
        },
        `${code};Sender`,
      );
    }
    switch (action) {
      case 'SendMessage':
        return send(
          res,
          200,
          this.sendMessage(queue, String(body.MessageBody), Number(body.DelaySeconds ?? 0)),
        );
      case 'SendMessageBatch': {
        const entries = (body.Entries ?? []) as { Id: string; MessageBody: string; DelaySeconds?: number }[];
        return send(res, 200, {
          Successful: entries.map((e) => ({
            Id: e.Id,
            ...this.sendMessage(queue, e.MessageBody, e.DelaySeconds ?? 0),
          })),
          Failed: [],
        });
      }
      case 'ReceiveMessage':
        return send(res, 200, await this.receive(queue, body));
      case 'DeleteMessage':
        this.deleteMessage(queue, String(body.ReceiptHandle));
        return send(res, 200, {});
      case 'DeleteMessageBatch': {
        const entries = (body.Entries ?? []) as { Id: string; ReceiptHandle: string }[];
        for (const e of entries) this.deleteMessage(queue, e.ReceiptHandle);
        return send(res, 200, { Successful: entries.map((e) => ({ Id: e.Id })), Failed: [] });
      }
      case 'ChangeMessageVisibility': {
        const message = this.byReceipt(queue, String(body.ReceiptHandle));
        if (message) message.visibleAt = Date.now() + this.ms(Number(body.VisibilityTimeout ?? 0));
        this.wakePollers();
        return send(res, 200, {});
      }
      case 'GetQueueAttributes': {
        const now = Date.now();
        const all = [...queue.messages.values()];
        return send(res, 200, {
          Attributes: {
            ApproximateNumberOfMessages: String(all.filter((m) => m.visibleAt <= now).length),
            ApproximateNumberOfMessagesNotVisible: String(all.filter((m) => m.visibleAt > now).length),
          },
        });
      }
      default:
        return send(res, 400, {
          __type: 'com.amazonaws.sqs#InvalidAction',
          message: `Unsupported ${action}`,
        });
    }
  }

  private sendMessage(queue: Queue, body: string, delaySeconds: number): Json {
    const message: StoredMessage = {
      id: randomUUID(),
      body,
      md5: createHash('md5').update(body, 'utf8').digest('hex'),
      sentAt: Date.now(),
      visibleAt: Date.now() + this.ms(delaySeconds),
      receiveCount: 0,
      receipt: undefined,
    };
    queue.messages.set(message.id, message);
    this.wakePollers();
    return { MessageId: message.id, MD5OfMessageBody: message.md5 };
  }

  private async receive(queue: Queue, body: Json): Promise<Json> {
    const max = Math.min(10, Number(body.MaxNumberOfMessages ?? 1));
    const waitMs = Number(body.WaitTimeSeconds ?? 0) * 1000;
    const visibility = this.ms(Number(body.VisibilityTimeout ?? queue.visibilityTimeoutSeconds));
    const deadline = Date.now() + waitMs;
    for (;;) {
      const now = Date.now();
      if (queue.maxReceiveCount !== undefined) {
        for (const m of queue.messages.values()) {
          if (m.visibleAt <= now && m.receiveCount >= queue.maxReceiveCount) {
            queue.messages.delete(m.id);
            queue.deadLetters.push(m);
            const target = queue.deadLetterQueue ? this.queues.get(queue.deadLetterQueue) : undefined;
            // Moved as it is: same id and body, visible at once in the dead-letter queue.
            if (target) target.messages.set(m.id, { ...m, visibleAt: now, receipt: undefined });
          }
        }
      }
      const visible = [...queue.messages.values()].filter((m) => m.visibleAt <= now).slice(0, max);
      if (visible.length > 0 || now >= deadline || !this.server.listening) {
        return {
          Messages: visible.map((m) => {
            m.receiveCount += 1;
            m.visibleAt = now + visibility;
            m.receipt = `${m.id}:${randomUUID()}`;
            return {
              MessageId: m.id,
              ReceiptHandle: m.receipt,
              MD5OfBody: m.md5,
              Body: m.body,
              Attributes: {
                ApproximateReceiveCount: String(m.receiveCount),
                SentTimestamp: String(m.sentAt),
              },
            };
          }),
        };
      }
      // Wake on a send or visibility change, or when a delayed/in-flight message may have become visible.
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.pollers.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, Math.min(100, Math.max(1, deadline - now)));
        this.pollers.add(wake);
      });
    }
  }

  private byReceipt(queue: Queue, receipt: string): StoredMessage | undefined {
    const message = queue.messages.get(receipt.split(':')[0] ?? '');
    // An outdated receipt handle (the message was received again since) no longer applies.
    return message?.receipt === receipt ? message : undefined;
  }

  private deleteMessage(queue: Queue, receipt: string): void {
    const message = this.byReceipt(queue, receipt);
    if (!message) return;
    queue.messages.delete(message.id);
    this.deleted.push(message.id);
  }

  private wakePollers(): void {
    for (const wake of [...this.pollers]) wake();
  }
}

function send(res: ServerResponse, status: number, body: Json, queryError?: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/x-amz-json-1.0',
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    ...(queryError ? { 'x-amzn-query-error': queryError } : {}),
  });
  res.end(text);
}
