/** One HTTP request as a client sends it, replayed against every runtime by the parity suite. */
export interface HttpCase {
  readonly name: string;
  readonly method: string;
  /** The path as on the wire, percent-encoded. */
  readonly path: string;
  /** The raw query string, without `?`. */
  readonly query?: string;
  /** Header pairs in order; repeats allowed. Names are sent as given. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: Buffer | string;
  /** The client's address as the platform sees it. */
  readonly sourceIp?: string;
}

/** A response reduced to what the parity suite compares. */
export interface NormalizedResponse {
  readonly status: number;
  /** Lower-case names, values in order. */
  readonly headers: Readonly<Record<string, readonly string[]>>;
  readonly body: Buffer;
}

export function bodyBytes(body: HttpCase['body']): Buffer | undefined {
  if (body === undefined) return undefined;
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

/** Header pairs including the framing header a real client adds for a body. */
export function wireHeaders(request: HttpCase): [string, string][] {
  const pairs: [string, string][] = (request.headers ?? []).map(([name, value]) => [name, value]);
  const body = bodyBytes(request.body);
  if (body !== undefined && !pairs.some(([name]) => name.toLowerCase() === 'content-length')) {
    pairs.push(['content-length', String(body.length)]);
  }
  return pairs;
}

/** Appends to the list kept under `key`, creating it on first use. */
export function append(map: Record<string, string[]>, key: string, value: string): void {
  const values = Object.hasOwn(map, key) ? map[key] : undefined;
  if (values) values.push(value);
  else
    Object.defineProperty(map, key, { value: [value], enumerable: true, writable: true, configurable: true });
}

/**
 * A map for names a client chose, as JSON.parse builds one from an event: `__proto__` or
 * `constructor` is an own key like any other, never the prototype or an inherited member.
 */
export function nameMap<T>(): Record<string, T> {
  return Object.create(null) as Record<string, T>;
}
