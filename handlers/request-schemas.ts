import type { ZodMiniType } from 'zod/mini';
import { simulationInputSchema } from '../app/jobs/simulation/input.js';
import type { RequestSchemaName } from '../app/routes.js';
import { leadInputSchema } from './lead-input.js';

/**
 * The request body schemas, by the name routes give them (`requestSchema` in app/routes.ts): the
 * OpenAPI document describes each body with its schema, and the handlers parse bodies with the
 * same ones. Named rather than imported by the route table, so loading the table builds none of
 * them: each loads with its handler, on the route's first request.
 */
export const REQUEST_SCHEMAS: Readonly<Record<RequestSchemaName, ZodMiniType>> = {
  LeadInput: leadInputSchema,
  SimulationInput: simulationInputSchema,
};
