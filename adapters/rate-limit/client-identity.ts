import type { ApiKeyRegistry } from './api-keys.js';

/**
 * Who is calling, for rate limiting. A request that presents credentials is either authenticated
 * or refused — it is never counted as anonymous, or a bad key would be a way around the key quota.
 */
export type ClientIdentity =
  | { readonly kind: 'authenticated'; readonly client: string }
  | { readonly kind: 'anonymous'; readonly address: string }
  | { readonly kind: 'refused'; readonly address: string; readonly reason: string };

const BEARER = /^Bearer[ \t]+(\S+)[ \t]*$/i;

/**
 * Reads `Authorization: Bearer <key>` and `x-api-key: <key>` from the request's header pairs
 * (repeats kept). `address` is the invocation's source IP: the right-most X-Forwarded-For entry,
 * the socket address, or API Gateway's `sourceIp`, never anything the client chose.
 */
export function identifyClient(
  headerPairs: readonly (readonly [string, string])[],
  address: string,
  registry: ApiKeyRegistry,
): ClientIdentity {
  // Most requests present no key: no set is made for them.
  let presented: Set<string> | undefined;
  for (const [name, value] of headerPairs) {
    if (name === 'authorization') {
      const match = BEARER.exec(value);
      if (!match?.[1]) {
        return { kind: 'refused', address, reason: 'Authorization must be "Bearer <API key>"' };
      }
      presented ??= new Set();
      presented.add(match[1]);
    } else if (name === 'x-api-key') {
      const key = value.trim();
      if (key === '') return { kind: 'refused', address, reason: 'The x-api-key header is empty' };
      presented ??= new Set();
      presented.add(key);
    }
  }
  if (presented === undefined) return { kind: 'anonymous', address };
  if (presented.size > 1)
    return { kind: 'refused', address, reason: 'The request presents more than one API key' };
  const [key = ''] = presented;
  const client = registry.clientFor(key);
  return client === undefined
    ? { kind: 'refused', address, reason: 'Unknown API key' }
    : { kind: 'authenticated', client };
}
