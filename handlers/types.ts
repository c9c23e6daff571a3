import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { Logger } from 'pino';
import type { SimulationJobs } from '../app/jobs/jobs-service.js';
import type { LeadStore } from '../app/leads/lead-store.js';

/** A route handler: the Lambda proxy contract, the same on both runtimes. */
export type ApiHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

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
