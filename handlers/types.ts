import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Logger } from 'pino';
import type { SimulationJobs } from '../app/jobs/jobs-service.js';
import type { LeadStore } from '../app/leads/lead-store.js';

/**
 * The Lambda context plus an AbortSignal that fires at the route's deadline (on Lambda never later
 * than the invocation's end) or when the client went away: past it the handler's answer reaches
 * no one, so a handler with side effects can give up or undo them.
 */
export interface HandlerContext extends Context {
  readonly signal: AbortSignal;
}

/** A route handler: the Lambda proxy contract, the same on both runtimes. */
export type ApiHandler = (
  event: APIGatewayProxyEvent,
  context: HandlerContext,
) => Promise<APIGatewayProxyResult>;

/** Tells whether this process should receive traffic (false once draining has begun). */
export interface Readiness {
  isReady(): boolean;
}

/** Everything a handler may use; entry points build it, handlers never create clients themselves. */
export interface HandlerDeps {
  readonly leads: LeadStore;
  readonly readiness: Readiness;
  readonly logger: Logger;
  /** The time source; injected so tests and both runtimes can agree on timestamps. */
  readonly clock: () => Date;
  /**
   * Simulation jobs (app/jobs/). Optional so deps built for other routes need not build the jobs
   * module; without it the simulation routes answer 503.
   */
  readonly jobs?: SimulationJobs;
}

/** Builds a handler from its dependencies; the route table names these. */
export type HandlerFactory = (deps: HandlerDeps) => ApiHandler;
