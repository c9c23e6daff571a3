import { config, locales } from 'zod/mini';

/**
 * The part of zod's functional build (`zod/mini`) the request body schemas use, named one by one:
 * a bundle then carries and evaluates only these and what they need. Re-exporting zod/mini as a
 * whole namespace kept every export of it alive (the compiled fast path, JSON Schema output, every
 * format), built a getter for each on load, and left esbuild nothing to drop.
 * Add a name here when a schema needs it (the type checker says so).
 */
export {
  _default,
  email,
  literal,
  maximum,
  maxLength,
  minimum,
  minLength,
  number,
  output,
  positive,
  refine,
  strictObject,
  string,
  trim,
} from 'zod/mini';

// zod's chained API (the OpenAPI document, the other handlers) installs English messages when it
// is first used; this does the same, so messages never depend on which of the two loaded first.
if (!config().localeError) config(locales.en());
