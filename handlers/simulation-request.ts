import { simulationInputSchema } from '../app/jobs/simulation/input.js';

/**
 * What the route table says about `POST /simulations` requests, apart from the handlers
 * (handlers/simulations.ts), which the table loads only when a simulation route is first called.
 */

/** The body of `POST /simulations`; see app/jobs/simulation/input.ts. */
export const simulationRequestSchema = simulationInputSchema;

/** Largest accepted simulation input; the input is parameters, never data. */
export const MAX_SIMULATION_INPUT_BYTES = 16 * 1024;
