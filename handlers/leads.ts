import { z } from 'zod';
import { NotFoundError, ValidationError } from '../adapters/http-error.js';
import { errorResult, header, json, parseJsonBody } from './respond.js';
import type { HandlerFactory } from './types.js';

/** The body of `POST /leads/:leadId`. */
export const leadInputSchema = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(200, 'at most 200 characters'),
    email: z.email('must be an email address').max(254, 'at most 254 characters'),
  })
  .strict();

/** Any printable text up to 128 characters without a slash: ids arrive percent-decoded. */
export const leadIdSchema = z
  .string()
  .min(1)
  .max(128, 'at most 128 characters')
  .regex(/^[^/\p{Cc}]+$/u, 'no slashes or control characters');

export function zodFields(error: z.ZodError, prefix = ''): { path: string; message: string }[] {
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
