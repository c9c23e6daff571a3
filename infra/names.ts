import { createHash } from 'node:crypto';

/**
 * An AWS resource name from parts, cut to the service's limit (ALB and target groups: 32) with a
 * short hash of the full name, so two long names that share a prefix stay distinct and stable.
 */
export function awsName(parts: readonly string[], maxLength: number): string {
  const full = parts
    .join('-')
    .replace(/[^A-Za-z0-9-]/g, '-')
    .replace(/-{2,}/g, '-');
  if (full.length <= maxLength) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 6);
  return `${full.slice(0, maxLength - hash.length - 1).replace(/-+$/, '')}-${hash}`;
}
