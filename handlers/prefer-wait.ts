import type { APIGatewayProxyEvent, Context } from 'aws-lambda';

/** Kept between the end of a wait and the route's deadline, to answer with the state read. */
const DEADLINE_HEADROOM_MS = 1_000;

/**
 * The `wait` preference of RFC 7240 (`Prefer: wait=10`, possibly among others:
 * `Prefer: respond-async, wait=10`), or undefined when the client asked for none. Only the first
 * `wait` counts (RFC 7240 §2); a value that is not delta-seconds is ignored, as a preference the
 * server does not understand must be.
 */
export function requestedWaitSeconds(
  event: Pick<APIGatewayProxyEvent, 'headers' | 'multiValueHeaders'>,
): number | undefined {
  const lines: string[] = [];
  for (const [name, values] of Object.entries(event.multiValueHeaders ?? {}))
    if (name.toLowerCase() === 'prefer' && values) lines.push(...values);
  if (lines.length === 0)
    for (const [name, value] of Object.entries(event.headers ?? {}))
      if (name.toLowerCase() === 'prefer' && value !== undefined) lines.push(value);
  for (const line of lines) {
    for (const preference of line.split(',')) {
      const [token = '', ...rest] = (preference.split(';')[0] ?? '').split('=');
      if (token.trim().toLowerCase() !== 'wait') continue;
      const value = rest
        .join('=')
        .trim()
        .replace(/^"(.*)"$/, '$1');
      return /^\d{1,9}$/.test(value) ? Number(value) : undefined;
    }
  }
  return undefined;
}

/**
 * How long this request may hold its answer: what the client asked, capped so the answer still
 * leaves before the route's deadline (the context counts it down on both runtimes).
 */
export function grantedWaitSeconds(
  requested: number | undefined,
  context: Pick<Context, 'getRemainingTimeInMillis'>,
): number | undefined {
  if (requested === undefined) return undefined;
  const cap = Math.max(0, Math.floor((context.getRemainingTimeInMillis() - DEADLINE_HEADROOM_MS) / 1000));
  return Math.min(requested, cap);
}

/**
 * RFC 7240 §3: the preference honoured, so the client knows it waited (and how long at most). No
 * `Vary: Prefer`: job states carry no freshness information, so no cache stores them.
 */
export function preferenceAppliedHeaders(granted: number | undefined): Record<string, string> {
  return granted === undefined ? {} : { 'preference-applied': `wait=${granted}` };
}
