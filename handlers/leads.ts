import { NotFoundError, ValidationError } from '../adapters/http-error.js';
import { z } from '../app/zod-mini.js';
import { errorResult, header, json, parseJsonBody } from './respond.js';
import type { HandlerFactory } from './types.js';

// zod's functional build (app/zod-mini.ts): these are built at every cold start of the leads group.

/** The body of `POST /leads/:leadId`. */
export const leadInputSchema = z.strictObject({
  name: z
    .string()
    .check(z.trim(), z.minLength(1, 'must not be empty'), z.maxLength(200, 'at most 200 characters')),
  email: z.email('must be an email address').check(z.maxLength(254, 'at most 254 characters')),
});

/** Any printable text up to 128 characters without a slash: ids arrive percent-decoded. */
export const leadIdSchema = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(128, 'at most 128 characters'),
    z.regex(/^[^/\p{Cc}]+$/u, 'no slashes or control characters'),
  );

/** What a failed parse says, whichever zod build the schema comes from. */
interface SchemaError {
  readonly issues: readonly { readonly path: readonly PropertyKey[]; readonly message: string }[];
}

export function zodFields(error: SchemaError, prefix = ''): { path: string; message: string }[] {
  return error.issues.map((issue) => ({
    path: prefix + (issue.path.length ? issue.path.join('.') : '(body)'),
    message: issue.message,
  }));
}

function readLeadId(pathParameters: Record<string, string | undefined> | null) {
  const parsed = leadIdSchema.safeParse(pathParameters?.leadId);
  return parsed.success
    ? ({ ok: true, leadId: parsed.data } as const)
    : ({
        ok: false,
        error: new ValidationError('Invalid lead id', zodFields(parsed.error, 'leadId')),
      } as const);
}

/** `POST /leads/:leadId`: validates `{ name, email }` and stores it; 201 when new, 200 when replaced. */
export const createLeadHandler: HandlerFactory = ({ leads, clock }) => {
  return async (event) => {
    const id = readLeadId(event.pathParameters);
    if (!id.ok) return errorResult(id.error);
    const body = parseJsonBody(event.body, event.isBase64Encoded, header(event.headers, 'content-type'));
    if (!body.ok) return errorResult(body.error);
    const input = leadInputSchema.safeParse(body.value);
    if (!input.success) {
      return errorResult(new ValidationError('The lead is not valid', zodFields(input.error)));
    }
    const { lead, created } = await leads.put({ leadId: id.leadId, ...input.data }, clock());
    return json(created ? 201 : 200, lead, { location: `/leads/${encodeURIComponent(lead.leadId)}` });
  };
};

/** `GET /leads/:leadId`: the stored lead, or 404. */
export const getLeadHandler: HandlerFactory = ({ leads }) => {
  return async (event) => {
    const id = readLeadId(event.pathParameters);
    if (!id.ok) return errorResult(id.error);
    const lead = await leads.get(id.leadId);
    if (!lead)
      return errorResult(new NotFoundError(`No lead with id ${JSON.stringify(id.leadId)}`, 'lead_not_found'));
    return json(200, lead);
  };
};
