import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local S3 endpoint for the real @aws-sdk/client-s3 (AWS_ENDPOINT_URL_S3, path-style requests):
 * PutObject, GetObject, HeadObject and DeleteObject on any bucket, with S3's REST-XML errors.
 * Bodies sent with `Content-Encoding: aws-chunked` (the SDK's streaming checksums) are decoded.
 */
export class LocalS3Server {
  readonly objects = new Map<string, { body: Buffer; contentType: string | undefined }>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<LocalS3Server> {
    let instance: LocalS3Server | undefined;
    const server = createServer((req, res) => {
      instance
        ?.handle(req, res)
        .catch((error: unknown) => sendError(res, 500, 'InternalError', String(error)));
    });
    instance = new LocalS3Server(server);
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
    switch (req.method) {
      case 'PUT': {
        if (String(req.headers['content-encoding'] ?? '').includes('aws-chunked'))
          body = decodeAwsChunked(body);
        this.objects.set(id, { body, contentType: req.headers['content-type'] });
        res.writeHead(200, { etag: `"${body.length}"` });
        return void res.end();
      }
      case 'GET':
      case 'HEAD': {
        const object = this.objects.get(id);
        if (!object)
          return sendError(res, 404, 'NoSuchKey', 'The specified key does not exist.', req.method === 'HEAD');
        res.writeHead(200, {
          'content-type': object.contentType ?? 'application/octet-stream',
          'content-length': object.body.length,
        });
        return void res.end(req.method === 'HEAD' ? undefined : object.body);
      }
      case 'DELETE':
        this.objects.delete(id);
        res.writeHead(204);
        return void res.end();
      default:
        return sendError(res, 405, 'MethodNotAllowed', `${req.method} is not supported`);
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
  const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, {
    'content-type': 'application/xml',
    'content-length': headOnly ? 0 : Buffer.byteLength(xml),
  });
  res.end(headOnly ? undefined : xml);
}
