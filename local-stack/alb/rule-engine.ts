import { BlockList, isIPv6 } from 'node:net';
import { pathPatternMatches } from '../../infra/route-patterns.js';
import type { Action, Condition, ListenerRule, LoadBalancerConfig } from './load-balancer-config.js';

/**
 * ELB's listener-rule evaluation ("Listener rules for your Application Load Balancer" and "Rule
 * condition types", ELB docs): rules in priority order, lowest number first; the first rule whose
 * conditions all match takes the request; a condition matches when any of its values does; the
 * default action takes what no rule matched.
 */

/** What the rules look at in one request. */
export interface RuleRequest {
  readonly method: string;
  /** The path as received, percent-encoding kept, no query string. */
  readonly path: string;
  /** The raw query string without `?` (may be empty). */
  readonly query: string;
  /** Header names lower-case; repeats kept in order. */
  readonly headers: readonly (readonly [string, string])[];
  /** The address of the connection (not X-Forwarded-For). */
  readonly sourceIp: string;
}

export interface RuleDecision {
  /** The rule that matched, or undefined for the listener's default action. */
  readonly rule: ListenerRule | undefined;
  readonly action: Action;
}

/** `*` (any run of characters) and `?` (one character), compared case-insensitively. */
function wildcardMatchesIgnoringCase(pattern: string, value: string): boolean {
  return pathPatternMatches(pattern.toLowerCase(), value.toLowerCase());
}

function headerValues(request: RuleRequest, name: string): string[] {
  const lower = name.toLowerCase();
  return request.headers.filter(([n]) => n === lower).map(([, v]) => v);
}

function decodeQueryPart(part: string): string {
  try {
    return decodeURIComponent(part.replaceAll('+', ' '));
  } catch {
    return part;
  }
}

function queryPairs(query: string): [string, string][] {
  return query
    .split('&')
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq === -1
        ? [decodeQueryPart(part), '']
        : [decodeQueryPart(part.slice(0, eq)), decodeQueryPart(part.slice(eq + 1))];
    });
}

function sourceIpMatches(cidrs: readonly string[], ip: string): boolean {
  const address = ip.startsWith('::ffff:') ? ip.slice(7) : ip;
  const family = isIPv6(address) ? 'ipv6' : 'ipv4';
  const blocks = new BlockList();
  for (const cidr of cidrs) {
    const [network = '', bits = ''] = cidr.split('/');
    const cidrFamily = isIPv6(network) ? 'ipv6' : 'ipv4';
    blocks.addSubnet(network, Number(bits || (cidrFamily === 'ipv6' ? 128 : 32)), cidrFamily);
  }
  return blocks.check(address, family);
}

export function conditionMatches(condition: Condition, request: RuleRequest): boolean {
  switch (condition.field) {
    // Method names are compared case-sensitively, without wildcards.
    case 'http-request-method':
      return condition.values.includes(request.method);
    // Case-sensitive, `*` and `?`, against the path only.
    case 'path-pattern':
      return condition.values.some((pattern) => pathPatternMatches(pattern, request.path));
    // Case-insensitive, wildcards allowed; the port is not part of the host name.
    case 'host-header': {
      const host = (headerValues(request, 'host')[0] ?? '').replace(/:\d+$/, '');
      return condition.values.some((pattern) => wildcardMatchesIgnoringCase(pattern, host));
    }
    case 'http-header': {
      const values = headerValues(request, condition.name);
      return condition.values.some((pattern) => values.some((v) => wildcardMatchesIgnoringCase(pattern, v)));
    }
    // Key/value pairs (key optional), case-insensitive, wildcards allowed.
    case 'query-string': {
      const pairs = queryPairs(request.query);
      return condition.values.some(({ key, value }) =>
        pairs.some(
          ([k, v]) =>
            (key === undefined || wildcardMatchesIgnoringCase(key, k)) &&
            wildcardMatchesIgnoringCase(value, v),
        ),
      );
    }
    // The client address of the connection, in CIDR notation; X-Forwarded-For is not looked at.
    case 'source-ip':
      return sourceIpMatches(condition.values, request.sourceIp);
  }
}

/** The rule (or default action) ELB would apply to this request. */
export function decide(config: LoadBalancerConfig, request: RuleRequest): RuleDecision {
  for (const rule of config.rules) {
    if (rule.conditions.every((condition) => conditionMatches(condition, request))) {
      return { rule, action: rule.action };
    }
  }
  return { rule: undefined, action: config.defaultAction };
}

/**
 * A forward action's target group: chosen at random in proportion to the weights (0–999); a group
 * with weight 0 gets nothing ("Forward actions", ELB docs).
 */
export function pickTargetGroup(
  targetGroups: readonly { readonly id: string; readonly weight: number }[],
  random: () => number = Math.random,
): string {
  const total = targetGroups.reduce((sum, g) => sum + g.weight, 0);
  if (total <= 0) throw new Error('forward action whose target groups all weigh 0');
  let point = random() * total;
  for (const group of targetGroups) {
    point -= group.weight;
    if (group.weight > 0 && point < 0) return group.id;
  }
  return (targetGroups.filter((g) => g.weight > 0).at(-1) as { id: string }).id;
}
