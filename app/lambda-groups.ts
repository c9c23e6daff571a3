/**
 * The Lambda groups of the route table (each route names its group in `lambdaGroup`). Pure data
 * with no imports, so configuration can check group names without loading the handlers.
 */

/** A Lambda group: one function on Lambda, one concurrency bound on both runtimes. */
export interface LambdaGroupDefinition {
  /**
   * Group Max Concurrency: most requests of the group's routes in flight at once across every
   * process of both runtimes, wherever each route runs. It does not reserve or subtract anything
   * from the account's Lambda pool. Unset: unbounded. Environments override it in
   * infra/stack-config.ts, a deploy with `MAX_CONCURRENCY`.
   */
  readonly maxConcurrency?: number;
  /** How long a request may wait for a free slot before its 503 (never past its deadline). */
  readonly maxQueueMs?: number;
  /**
   * Its routes use simulation jobs: its function builds the jobs runtime at init (app/lambda.ts).
   * Other groups' functions never load it (unless a simulation route is called there after all).
   */
  readonly usesJobs?: boolean;
}

export const lambdaGroups: Readonly<Record<string, LambdaGroupDefinition>> = {
  // Health checks and the OpenAPI document: never bounded, the ALB's health checks must get through.
  api: {},
  leads: { maxConcurrency: 100 },
  // Polls and submissions; a short queue smooths bursts of pollers instead of refusing them.
  jobs: { maxConcurrency: 50, maxQueueMs: 200, usesJobs: true },
};
