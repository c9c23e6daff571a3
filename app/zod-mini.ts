import * as z from 'zod/mini';

/**
 * zod's functional build, for the schemas every process builds as it starts (configuration, and
 * the request checks of the routes a Lambda cold start serves): the same checks, messages and
 * results as zod's chained API, at a fraction of the cost to load and build. zod's chained API
 * (the OpenAPI document, the other handlers) installs English messages when it is first used;
 * this does the same, so messages never depend on which of the two a process loaded first.
 */
if (!z.config().localeError) z.config(z.locales.en());

export { z };
