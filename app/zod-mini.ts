/**
 * zod's functional build, for the schemas every process builds as it starts (configuration, and
 * the request checks of the routes a Lambda cold start serves): the same checks, messages and
 * results as zod's chained API, at a fraction of the cost to load and build. Only the functions
 * app/zod-mini-functions.ts names are part of it, which also installs English messages.
 */
export * as z from './zod-mini-functions.js';
