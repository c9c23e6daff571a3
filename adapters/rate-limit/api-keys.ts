import { createHash } from 'node:crypto';

/** One configured API key: the client it identifies and the SHA-256 of the key, never the key. */
export interface ApiKeyEntry {
  /** Names the client in rate-limit keys and logs; keys sharing a name share one quota (rotation). */
  readonly client: string;
  /** Lower-case hex SHA-256 of the key as the client sends it. */
  readonly sha256: string;
}

const HEX_SHA256 = /^[0-9a-f]{64}$/i;
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/**
 * Parses `API_KEY_HASHES`: `client:sha256hex` or bare `sha256hex` entries, separated by commas or
 * new lines; `#` starts a comment (so a secret can say what it holds). Only 64-hex-digit hashes
 * are accepted, so a plaintext key pasted there by mistake is refused at start.
 */
export function parseApiKeyHashes(text: string): { entries: ApiKeyEntry[]; problems: string[] } {
  const entries: ApiKeyEntry[] = [];
  const problems: string[] = [];
  const parts = text
    .split('\n')
    .map((line) => line.replace(/#.*$/, ''))
    .join(',')
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
  for (const [index, part] of parts.entries()) {
    const colon = part.lastIndexOf(':');
    const client = colon === -1 ? undefined : part.slice(0, colon);
    const hash = colon === -1 ? part : part.slice(colon + 1);
    if (!HEX_SHA256.test(hash)) {
      problems.push(`entry ${index + 1} is not a hex SHA-256 hash (64 hex digits), never the key itself`);
      continue;
    }
    if (client !== undefined && !CLIENT_NAME.test(client)) {
      problems.push(`entry ${index + 1} has an invalid client name (letters, digits, '.', '_', '-')`);
      continue;
    }
    const sha256 = hash.toLowerCase();
    entries.push({ client: client ?? `key-${sha256.slice(0, 12)}`, sha256 });
  }
  return { entries, problems };
}

/**
 * Looks presented keys up by their hash. Comparing hashes in a Map leaks nothing useful through
 * timing: learning a prefix of a hash does not help anyone find a key that produces it.
 */
export class ApiKeyRegistry {
  private readonly clients: ReadonlyMap<string, string>;

  constructor(entries: readonly ApiKeyEntry[]) {
    this.clients = new Map(entries.map((entry) => [entry.sha256, entry.client]));
  }

  /** The client the key belongs to, or undefined for an unknown key. */
  clientFor(presentedKey: string): string | undefined {
    return this.clients.get(sha256Hex(presentedKey));
  }

  get size(): number {
    return this.clients.size;
  }
}
