/**
 * The client address for rate limiting and logs.
 *
 * `X-Forwarded-For` is appended to by each proxy; a client can send any value it likes, so only the
 * right-most entry — the one the ALB itself wrote — can be trusted ("X-Forwarded-For",
 * Elastic Load Balancing user guide, HTTP headers). Never take the left-most.
 */
export function rightMostForwardedFor(header: string | readonly string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const joined = typeof header === 'string' ? header : header.join(',');
  // The last non-empty entry, found from the end without splitting the whole list.
  let end = joined.length;
  while (end > 0) {
    const comma = joined.lastIndexOf(',', end - 1);
    const entry = joined.slice(comma + 1, end).trim();
    if (entry.length > 0) return normalizeAddress(entry);
    end = comma === -1 ? 0 : comma;
  }
  return undefined;
}

/** `::ffff:10.0.0.1` → `10.0.0.1`, so one client has one key whichever socket family it used. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

export function clientAddress(options: {
  forwardedFor: string | readonly string[] | undefined;
  socketAddress: string | undefined;
  trustForwardedFor: boolean;
}): string {
  const forwarded = options.trustForwardedFor ? rightMostForwardedFor(options.forwardedFor) : undefined;
  return forwarded ?? normalizeAddress(options.socketAddress ?? '') ?? '';
}
