import { z } from '../app/zod-mini.js';

/**
 * The body of `POST /leads/:leadId`, in zod's functional build (app/zod-mini.ts). The create
 * handler (handlers/leads.ts) loads it on its first request, so a cold start that first serves a
 * read never loads zod; the OpenAPI document describes the body with it.
 */
export const leadInputSchema = z.strictObject({
  name: z
    .string()
    .check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(200, 'at most 200 characters')),
  email: z.email('must be an email address').check(z.maxLength(254, 'at most 254 characters')),
});
