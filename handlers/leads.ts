import { NotFoundError, ValidationError } from '../adapters/http-error.js';
import { loadOnFirstUse } from './lazy-handler.js';
import { errorResult, header, json, parseJsonBody, schemaFields } from './respond.js';
import type { HandlerFactory } from './types.js';

// The body schema brings zod: it loads on the first create, so a cold start that first serves a
// read never loads zod (test/delivery/lambda-cold-start.test.ts).
const inputSchema = loadOnFirstUse(() => import('./lead-input.js').then((m) => m.leadInputSchema));

/** Longest lead id. */
export const MAX_LEAD_ID_LENGTH = 128;
const NO_SLASH_OR_CONTROL = /^[^/\p{Cc}]*$/u;

/**
 * What is wrong with a lead id, one message per rule it breaks (none when it is valid): any
 * printable text up to 128 characters without a slash. Ids arrive percent-decoded.
 *
 * Three rules, checked without a schema library: every request of both lead routes checks them,
 * and this module is part of every cold start of the leads group.
 */
export function leadIdProblems(id: string): string[] {
  const problems: string[] = [];
  if (id.length === 0) problems.push('must not be empty');
  if (id.length > MAX_LEAD_ID_LENGTH) problems.push(`at most ${MAX_LEAD_ID_LENGTH} characters`);
  if (!NO_SLASH_OR_CONTROL.test(id)) problems.push('no slashes or control characters');
  return problems;
}

function readLeadId(pathParameters: Record<string, string | undefined> | null) {
  const problems = leadIdProblems(pathParameters?.leadId ?? '');
  return problems.length === 0
    ? ({ ok: true, leadId: pathParameters?.leadId as string } as const)
    : ({
        ok: false,
        error: new ValidationError(
          'Invalid lead id',
          problems.map((message) => ({ path: 'leadId', message })),
        ),
      } as const);
}

/** `POST /leads/:leadId`: validates `{ name, email }` and stores it; 201 when new, 200 when replaced. */
export const createLeadHandler: HandlerFactory = ({ leads, clock }) => {
  return async (event) => {
    const id = readLeadId(event.pathParameters);
    if (!id.ok) return errorResult(id.error);
    const body = parseJsonBody(event.body, event.isBase64Encoded, header(event.headers, 'content-type'));
    if (!body.ok) return errorResult(body.error);
    const input = (await inputSchema()).safeParse(body.value);
    if (!input.success) {
      return errorResult(new ValidationError('The lead is not valid', schemaFields(input.error)));
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
