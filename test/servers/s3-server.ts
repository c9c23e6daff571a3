import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type AccessCheck, type AwsCall, accessKeyOf } from './iam/local-iam.js';

/**
 * A local S3 endpoint for the real @aws-sdk/client-s3 (AWS_ENDPOINT_URL_S3, path-style requests):
 * PutObject, GetObject, HeadObject and DeleteObject on any bucket, with S3's REST-XML errors.
 * Bodies sent with `Content-Encoding: aws-chunked` (the SDK's streaming checksums) are decoded.
 *
 * Every request is checked against the caller's role (see iam/local-iam.ts) with the action the
 * "Actions, resources, and condition keys for Amazon S3" page names for it, including what S3
 * checks by itself:
 * - a missing key answers 404 NoSuchKey only to a caller allowed `s3:ListBucket` on the bucket,
 *   and 403 AccessDenied to anyone else (GetObject and HeadObject API reference, "Permissions").
 *   AWS does not document which `s3:prefix` that check sees; here it is the key itself (what a
 *   listing of exactly that object would ask), so a grant narrowed to a prefix covers its keys;
 * - on a bucket whose default encryption is SSE-KMS with a key, an upload needs
 *   `kms:GenerateDataKey` and a download `kms:Decrypt` on that key (S3 User Guide, "Using
 *   server-side encryption with AWS KMS keys (SSE-KMS)", permissions).
 */
export interface LocalS3Options {
  /** The roles to check calls against, or UNCHECKED_ACCESS, named, for tests not about permissions. */
  readonly access: AccessCheck;
  /** The KMS key ARN a bucket encrypts with by default, if any. */
  readonly kmsKeyOf?: (bucket: string) => string | undefined;
}

export class LocalS3Server {
  readonly objects = new Map<string, { body: Buffer; contentType: string | undefined }>();

  private constructor(
    private readonly server: Server,
    private readonly options: LocalS3Options,
  ) {}

  static async start(options: LocalS3Options): Promise<LocalS3Server> {
    let instance: LocalS3Server | undefined;
    const server = createServer((req, res) => {
      instance
        ?.handle(req, res)
        .catch((error: unknown) => sendError(res, 500, 'InternalError', String(error)));
    });
    instance = new LocalS3Server(server, options);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return instance;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, bucket, ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (!bucket || !key) return sendError(res, 400, 'InvalidRequest', 'Only object requests are supported');
    const id = `${bucket}/${key}`;
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    let body: Buffer = Buffer.concat(chunks);
    const headOnly = req.method === 'HEAD';
    const objectArn = `arn:aws:s3:::${bucket}/${key}`;
    const action =
      req.method === 'PUT'
        ? 's3:PutObject'
        : req.method === 'DELETE'
          ? 's3:DeleteObject'
          : req.method === 'GET' || headOnly
            ? 's3:GetObject'
            : undefined;
    if (!action) return sendError(res, 405, 'MethodNotAllowed', `${req.method} is not supported`);
    const accessKey = accessKeyOf(req);
    const check = async (call: AwsCall): Promise<boolean> => {
      const decision = await this.options.access.authorize(accessKey, call);
      if (decision.allowed) return true;
      if (decision.reason === 'unknown-key')
        sendError(res, 403, 'InvalidAccessKeyId', decision.message, headOnly);
      else sendError(res, 403, 'AccessDenied', decision.message, headOnly);
      return false;
    };
    if (!(await check({ action, resource: objectArn }))) return;
    const kmsKey = this.options.kmsKeyOf?.(bucket);
    const kms = (kmsAction: string) =>
      kmsKey ? check({ action: kmsAction, resource: kmsKey, implicit: true }) : Promise.resolve(true);
    switch (req.method) {
      case 'PUT': {
        if (!(await kms('kms:GenerateDataKey'))) return;
        if (String(req.headers['content-encoding'] ?? '').includes('aws-chunked'))
          body = decodeAwsChunked(body);
        this.objects.set(id, { body, contentType: req.headers['content-type'] });
        res.writeHead(200, { etag: `"${body.length}"` });
        return void res.end();
      }
      case 'GET':
      case 'HEAD': {
        const object = this.objects.get(id);
        if (!object) {
          const listing: AwsCall = {
            action: 's3:ListBucket',
            resource: `arn:aws:s3:::${bucket}`,
            context: { 's3:prefix': key },
            implicit: true,
          };
          if (!(await check(listing))) return;
          return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.', headOnly);
        }
        if (!(await kms('kms:Decrypt'))) return;
        res.writeHead(200, {
          'content-type': object.contentType ?? 'application/octet-stream',
          'content-length': object.body.length,
        });
        return void res.end(req.method === 'HEAD' ? undefined : object.body);
      }
      default:
        this.objects.delete(id);
        res.writeHead(204);
        return void res.end();
    }
  }
}

/** `<hex size>[;ext]\r\n<data>\r\n … 0\r\n<trailers>\r\n\r\n` → the data. */
function decodeAwsChunked(encoded: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = encoded.indexOf('\r\n', offset);
    if (lineEnd < 0) break;
    const size = Number.parseInt(
      encoded.subarray(offset, lineEnd).toString('latin1').split(';')[0] ?? '0',
      16,
    );
    if (!size) break;
    parts.push(encoded.subarray(lineEnd + 2, lineEnd + 2 + size));
    offset = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headOnly = false,
): void {
  const requestId = randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase();
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId><HostId>local</HostId></Error>`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'x-amz-request-id': requestId,
    'content-length': headOnly ? 0 : Buffer.byteLength(xml),
  });
  res.end(headOnly ? undefined : xml);
}

function escapeXml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;');
}
