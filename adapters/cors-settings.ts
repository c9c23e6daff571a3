/**
 * Cross-origin settings, read by app/config.ts from `CORS_*` and applied by adapters/cors.ts.
 *
 * An origin is written as the browser sends it in `Origin` (RFC 6454 serialization: scheme, host
 * and a port only when it is not the scheme's default, no path, no trailing slash), or with `:*`
 * for any port of that host (`http://localhost:*`), or `*` for every origin (only without
 * credentials: the Fetch standard refuses `*` on a credentialed request).
 */
export interface CorsSettings {
  readonly origins: '*' | readonly string[];
  readonly allowCredentials: boolean;
  /** `Access-Control-Max-Age`: how long a browser may reuse a preflight answer. */
  readonly maxAgeSeconds: number;
  /** Preflights answered per source address per minute in one process; past it, 429. */
  readonly preflightsPerMinute: number;
}

/** With `APP_ENV=local` and nothing configured: the example frontend and dev servers on any port. */
export const LOCAL_DEFAULT_ORIGINS: readonly string[] = [
  'http://localhost:*',
  'http://127.0.0.1:*',
  'http://[::1]:*',
];

/** Chromium caps `Access-Control-Max-Age` at 2 hours (Firefox at 24); longer buys nothing there. */
export const DEFAULT_CORS_MAX_AGE_SECONDS = 7_200;
export const DEFAULT_PREFLIGHTS_PER_MINUTE = 600;

/** Why `entry` is not an origin this API can match, or undefined when it is one. */
export function originEntryProblem(entry: string): string | undefined {
  if (entry === '*') return undefined;
  const anyPort = entry.endsWith(':*');
  const text = anyPort ? entry.slice(0, -2) : entry;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${JSON.stringify(entry)} is not an origin (scheme://host[:port])`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return `${JSON.stringify(entry)}: only http and https origins`;
  if (url.origin !== text)
    return `${JSON.stringify(entry)} is not written as a browser sends it; use ${JSON.stringify(url.origin)}`;
  if (anyPort && url.port !== '') return `${JSON.stringify(entry)}: a port and :* together`;
  return undefined;
}

/**
 * `CORS_ALLOWED_ORIGINS`: comma-separated origins, `*`, or `none` (no cross-origin access), with
 * what is wrong with each entry that is not an origin.
 */
export function parseCorsOrigins(text: string): { origins: '*' | string[]; problems: string[] } {
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (entries.length === 1 && entries[0] === 'none') return { origins: [], problems: [] };
  const problems: string[] = [];
  for (const entry of entries) {
    const problem = originEntryProblem(entry);
    if (problem) problems.push(problem);
  }
  if (entries.includes('*')) {
    if (entries.length > 1) problems.push('`*` stands alone');
    return { origins: '*', problems };
  }
  return { origins: entries, problems };
}

/** The origins in force: the configured ones, or the local default, or none at all. */
export function resolveCorsOrigins(configured: '*' | string[] | undefined, appEnv: string): '*' | string[] {
  if (configured !== undefined) return configured;
  return appEnv === 'local' ? [...LOCAL_DEFAULT_ORIGINS] : [];
}
