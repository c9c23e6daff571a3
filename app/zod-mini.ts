/**
 * zod's functional build, for the request body schemas (handlers/request-schemas.ts names them):
 * the same checks, messages and results as zod's chained API, at a fraction of the cost to load
 * and build, which a Lambda's first create pays (configuration does not use zod at all, see
 * app/env-variables.ts). Only the functions app/zod-mini-functions.ts names are part of it, which
 * also installs English messages.
 */
export * as z from './zod-mini-functions.js';
