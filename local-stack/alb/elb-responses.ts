import type { IncomingMessage } from 'node:http';
import type { HttpAnswer } from './lambda-event.js';

/**
 * What ELB answers itself: its error pages, and the header limits past which it refuses a request
 * ("HTTP header limits", "How Elastic Load Balancing works", ELB user guide): request line 16 K,
 * a single header 16 K, the whole request header 64 K.
 */
export const HEADER_LIMITS = {
  requestLineBytes: 16 * 1024,
  singleHeaderBytes: 16 * 1024,
  totalHeaderBytes: 64 * 1024,
} as const;

/** ELB's own error pages are small HTML documents from `awselb/2.0`. */
export function elbError(status: number, reason: string): HttpAnswer {
  const title = `${status} ${reason}`;
  return {
    status,
    headers: [
      ['server', 'awselb/2.0'],
      ['content-type', 'text/html'],
    ],
    body: Buffer.from(
      `<html>\r\n<head><title>${title}</title></head>\r\n<body>\r\n<center><h1>${title}</h1></center>\r\n</body>\r\n</html>\r\n`,
    ),
  };
}

export function headerPairs(req: IncomingMessage): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2)
    pairs.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
  return pairs;
}

export function headerLimitProblem(
  req: IncomingMessage,
  pairs: readonly [string, string][],
): HttpAnswer | undefined {
  const requestLine = `${req.method} ${req.url} HTTP/${req.httpVersion}`;
  if (Buffer.byteLength(requestLine) > HEADER_LIMITS.requestLineBytes)
    return elbError(414, 'Request-URI Too Large');
  let total = 0;
  for (const [name, value] of pairs) {
    const size = Buffer.byteLength(name) + 2 + Buffer.byteLength(value);
    total += size + 2;
    if (size > HEADER_LIMITS.singleHeaderBytes) return elbError(400, 'Bad Request');
  }
  return total > HEADER_LIMITS.totalHeaderBytes ? elbError(400, 'Bad Request') : undefined;
}
