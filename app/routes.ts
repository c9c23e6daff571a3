import { healthzHandler } from '../handlers/healthz.js';
import { lazyHandler } from '../handlers/lazy-handler.js';
import { createLeadHandler, getLeadHandler } from '../handlers/leads.js';
import { MAX_SIMULATION_INPUT_BYTES } from '../handlers/simulation-request.js';
import type { HandlerFactory } from '../handlers/types.js';

export { type LambdaGroupDefinition, lambdaGroups } from './lambda-groups.js';

/**
 * The route table: the single source for the Express app, the Lambda entry, the ALB listener
 * rules and the OpenAPI document. Keep it declarative: data and handler factories, no clients.
 * Handlers with modules of their own weight (the jobs client, the OpenAPI generator) are
 * imported on their route's first request (`lazyHandler`), and request body schemas (zod) with
 * their handler's first request, so loading the table stays cheap for every Lambda group's cold
 * start.
 */

const simulations = () => import('../handlers/simulations.js');

export const TARGETS = ['lambda', 'ecs'] as const;
export type Target = (typeof TARGETS)[number];

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Rate-limit classes; `none` is never counted (health checks must not be limited). */
export const RATE_CLASSES = ['none', 'standard', 'jobs'] as const;
export type RateClass = (typeof RATE_CLASSES)[number];

/** Response headers a route's success answers may carry (see app/openapi-responses.ts). */
export type ResponseHeader = 'location' | 'preference-applied' | 'idempotent-replayed' | 'cache-control';

/**
 * A response body schema (handlers/response-schemas.ts), by the name it has in the OpenAPI
 * document's `components.schemas` (app/openapi.ts maps each name to its schema). By name, so
 * loading the route table does not build the schemas, which only the document and tests use.
 */
/**
 * A request body schema (handlers/request-schemas.ts), by name, for the same reason: the schemas
 * bring zod, which a cold start should load only when a route that takes a body is first called.
 */
export type RequestSchemaName = 'LeadInput' | 'SimulationInput';

export type ResponseSchemaName = 'Health' | 'Lead' | 'Simulation' | 'SimulationResult' | 'OpenApiDocument';

/** A success answer, for the OpenAPI document. */
export interface SuccessResponse {
  readonly description: string;
  readonly schema?: ResponseSchemaName;
  readonly headers?: readonly ResponseHeader[];
}

export interface RouteDefinition {
  readonly method: HttpMethod;
  /** Express 5 path syntax, e.g. `/leads/:leadId`. */
  readonly path: string;
  readonly handler: HandlerFactory;
  /** Where the route runs when no environment override says otherwise. */
  readonly target: Target;
  /** Where it may run: a route that streams or outlives Lambda's limits is ECS-only. */
  readonly targets: readonly Target[];
  /** Which limit applies and how many points one request costs. */
  readonly rateLimit: { readonly class: RateClass; readonly cost: number };
  /**
   * The Lambda function that serves this route when it runs on Lambda, and the group its
   * concurrency is counted in on both runtimes; declared in `lambdaGroups`.
   */
  readonly lambdaGroup: string;
  /**
   * Most requests of this one route in flight at once across every process of both runtimes, on
   * top of its group's bound (adapters/concurrency). Unset: only the group's bound applies.
   */
  readonly maxConcurrency?: number;
  /** The handler's deadline; past it the client gets a 504 (`context.getRemainingTimeInMillis()` counts it down). */
  readonly timeoutMs: number;
  /** Largest accepted request body; defaults to `MAX_BODY_BYTES`. */
  readonly maxBodyBytes?: number;
  /** For the OpenAPI document. */
  readonly summary: string;
  /** The JSON body's schema, by name (handlers/request-schemas.ts); the route takes no body without one. */
  readonly requestSchema?: RequestSchemaName;
  /** A body a user can submit as is and get a success; the OpenAPI document shows it. */
  readonly requestExample?: unknown;
  /** Success answers by status; without it the document says only "2XX". */
  readonly responses?: Readonly<Record<number, SuccessResponse>>;
  /** Error statuses the handler gives beyond those every route of its kind can (app/openapi-responses.ts). */
  readonly errors?: readonly number[];
  /** Request headers the handler reads, each documented as a parameter. */
  readonly requestHeaders?: readonly ('idempotency-key' | 'prefer')[];
}

export const routes: readonly RouteDefinition[] = [
  {
    method: 'GET',
    path: '/openapi.json',
    // Built from this very table when the app is created (the table is complete by then).
    handler: lazyHandler(() => import('../handlers/openapi.js').then((m) => m.openApiHandler(() => routes))),
    target: 'ecs',
    targets: ['ecs', 'lambda'],
    rateLimit: { class: 'standard', cost: 1 },
    lambdaGroup: 'api',
    timeoutMs: 2_000,
    summary: 'This OpenAPI 3.1 document',
    responses: {
      200: { description: 'The document', schema: 'OpenApiDocument', headers: ['cache-control'] },
    },
  },
  {
    method: 'GET',
    path: '/healthz',
    handler: healthzHandler,
    target: 'ecs',
    targets: ['ecs', 'lambda'],
    rateLimit: { class: 'none', cost: 0 },
    lambdaGroup: 'api',
    timeoutMs: 2_000,
    summary: 'Readiness: 200 while serving, 503 while draining',
    responses: { 200: { description: 'Serving', schema: 'Health', headers: ['cache-control'] } },
  },
  {
    method: 'GET',
    path: '/leads/:leadId',
    handler: getLeadHandler,
    target: 'lambda',
    targets: ['lambda', 'ecs'],
    rateLimit: { class: 'standard', cost: 1 },
    lambdaGroup: 'leads',
    timeoutMs: 5_000,
    summary: 'Read a lead',
    responses: { 200: { description: 'The lead', schema: 'Lead' } },
  },
  {
    method: 'POST',
    path: '/leads/:leadId',
    handler: createLeadHandler,
    target: 'lambda',
    targets: ['lambda', 'ecs'],
    rateLimit: { class: 'standard', cost: 2 },
    lambdaGroup: 'leads',
    timeoutMs: 5_000,
    maxBodyBytes: 16 * 1024,
    summary: 'Create or replace a lead',
    requestSchema: 'LeadInput',
    requestExample: { name: 'Ada Lovelace', email: 'ada@example.com' },
    responses: {
      200: { description: 'Replaced', schema: 'Lead', headers: ['location'] },
      201: { description: 'Created', schema: 'Lead', headers: ['location'] },
    },
  },
  {
    method: 'POST',
    path: '/simulations',
    handler: lazyHandler(() => simulations().then((m) => m.createSimulationHandler)),
    target: 'lambda',
    targets: ['lambda', 'ecs'],
    // Each accepted job costs a Fargate task later: counted heavier than a cancel.
    rateLimit: { class: 'jobs', cost: 2 },
    lambdaGroup: 'jobs',
    // Room for `Prefer: wait`: the answer may be held until the job ends, up to 1 s before this.
    timeoutMs: 20_000,
    maxBodyBytes: MAX_SIMULATION_INPUT_BYTES,
    summary:
      'Queue a simulation; 202 with its Location, or 201 when `Prefer: wait` saw it end (Idempotency-Key honoured)',
    requestHeaders: ['idempotency-key', 'prefer'],
    errors: [409],
    responses: {
      201: {
        description: 'Queued, and ended within the wait the client preferred',
        schema: 'Simulation',
        headers: ['location', 'preference-applied', 'idempotent-replayed'],
      },
      202: {
        description: 'Queued; still on its way',
        schema: 'Simulation',
        headers: ['location', 'preference-applied', 'idempotent-replayed'],
      },
    },
    requestSchema: 'SimulationInput',
    requestExample: {
      model: 'projectile-drag',
      massKg: 0.145,
      areaM2: 0.0042,
      dragCoefficient: 0.3,
      speedMS: 40,
      angleDeg: 35,
      heightM: 1.5,
      maxTimeS: 10,
      sampleIntervalS: 0.1,
    },
  },
  {
    method: 'GET',
    path: '/simulations/:id',
    handler: lazyHandler(() => simulations().then((m) => m.getSimulationHandler)),
    target: 'lambda',
    targets: ['lambda', 'ecs'],
    // Clients poll this until the job ends; a cheap read, so the standard class, not the jobs budget.
    rateLimit: { class: 'standard', cost: 1 },
    lambdaGroup: 'jobs',
    // Polls (long ones with `Prefer: wait`) may hold at most 30 of the group's slots, so
    // submissions and cancels always find room.
    maxConcurrency: 30,
    // Room for `Prefer: wait` (a long poll is cheaper than a client polling every second).
    timeoutMs: 20_000,
    summary: 'A simulation: status, attempts, timestamps, task, failure reason, link to its result',
    requestHeaders: ['prefer'],
    responses: {
      200: { description: 'The simulation', schema: 'Simulation', headers: ['preference-applied'] },
    },
  },
  {
    method: 'GET',
    path: '/simulations/:id/result',
    handler: lazyHandler(() => simulations().then((m) => m.getSimulationResultHandler)),
    target: 'lambda',
    targets: ['lambda', 'ecs'],
    rateLimit: { class: 'standard', cost: 1 },
    lambdaGroup: 'jobs',
    timeoutMs: 10_000,
    summary: 'The result of a succeeded simulation; 409 while it runs, 404 when it ended without one',
    errors: [409],
    responses: {
      200: { description: 'The result', schema: 'SimulationResult', headers: ['cache-control'] },
    },
  },
  {
    method: 'DELETE',
    path: '/simulations/:id',
    handler: lazyHandler(() => simulations().then((m) => m.cancelSimulationHandler)),
    target: 'lambda',
    targets: ['lambda', 'ecs'],
    rateLimit: { class: 'jobs', cost: 1 },
    lambdaGroup: 'jobs',
    timeoutMs: 10_000,
    summary: 'Cancel a simulation: a queued one is dropped, a running task stopped',
    errors: [409],
    responses: { 200: { description: 'Cancelled', schema: 'Simulation' } },
  },
];

/** The id a route is known by in configuration and `ROUTE_TARGETS`: `GET /leads/:leadId`. */
export function routeId(route: Pick<RouteDefinition, 'method' | 'path'>): string {
  return `${route.method} ${route.path}`;
}

/** `/leads/:leadId` → `/leads/{leadId}`, the form API Gateway uses for `resource`. */
export function resourceTemplate(path: string): string {
  return path.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}
