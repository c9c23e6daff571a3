/**
 * The subset of EventBridge event patterns the stack's rules use ("Amazon EventBridge event
 * patterns", EventBridge User Guide): a field matches when its value equals one of the listed
 * values or starts with a `{ "prefix": … }`; nested objects match field by field; every field
 * named in the pattern must match, fields it does not name are ignored.
 */
export function matchesPattern(pattern: unknown, event: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((allowed) => {
      if (typeof allowed === 'object' && allowed !== null && 'prefix' in allowed) {
        return typeof event === 'string' && event.startsWith(String((allowed as { prefix: unknown }).prefix));
      }
      return allowed === event;
    });
  }
  if (typeof pattern !== 'object' || pattern === null) return false;
  if (typeof event !== 'object' || event === null) return false;
  return Object.entries(pattern).every(([key, sub]) =>
    matchesPattern(sub, (event as Record<string, unknown>)[key]),
  );
}
