/**
 * What the route table says about `POST /simulations` requests, apart from the handlers
 * (handlers/simulations.ts) and the body's schema (app/jobs/simulation/input.ts), which load only
 * when a simulation route is first called or the OpenAPI document is built.
 */

/** Largest accepted simulation input; the input is parameters, never data. */
export const MAX_SIMULATION_INPUT_BYTES = 16 * 1024;
