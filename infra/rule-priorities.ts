/**
 * Listener-rule priorities set by hand, by rule key (`GET /leads/:leadId`, or `ANY /leads/:leadId`
 * for a path rule). Every other rule's priority is derived from its own key (infra/route-patterns.ts),
 * so this stays empty unless synthesis reports two rules on one priority, or a rule hidden by a more
 * general one: then pin the NEW rule to a free priority here, and every deployed rule keeps its own.
 * Route rules live in 1,000–24,999, path rules in 25,000–48,999; `npm run routes` shows them all.
 */
export const pinnedRulePriorities: Readonly<Record<string, number>> = {};
