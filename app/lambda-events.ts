import { decodeFormComponent } from '../adapters/express-request-to-event.js';
import type { LambdaHttpEvent } from '../adapters/invocation.js';

interface AlbQueryFields {
  queryStringParameters?: Record<string, string> | null;
  multiValueQueryStringParameters?: Record<string, string[]> | null;
}

/**
 * ALB passes query strings to Lambda still percent-encoded ("Lambda functions as targets", ELB
 * user guide). serverless-express decodes them with `decodeURIComponent`, which throws on a
 * malformed escape (`%E0%A4%A`) and turns the request into a bare 500. Re-encoding what our own
 * lenient decoder makes of each value lets serverless-express decode safely to the same text the
 * ECS runtime sees.
 */
export function normalizeAlbQuery<E extends LambdaHttpEvent>(event: E): E {
  if (!event.requestContext?.elb) return event;
  const fields = event as E & AlbQueryFields;
  // Nothing to fix unless some key or value carries an escape or a plus.
  const risky = (text: string) => text.includes('%') || text.includes('+');
  const needed =
    Object.entries(fields.queryStringParameters ?? {}).some(([k, v]) => risky(k) || risky(v)) ||
    Object.entries(fields.multiValueQueryStringParameters ?? {}).some(
      ([k, vs]) => risky(k) || vs.some(risky),
    );
  if (!needed) return event;
  const safe = (value: string) => encodeURIComponent(decodeFormComponent(value));
  const single = fields.queryStringParameters;
  const multi = fields.multiValueQueryStringParameters;
  return {
    ...event,
    ...(single
      ? {
          queryStringParameters: Object.fromEntries(
            Object.entries(single).map(([k, v]) => [safe(k), safe(v)]),
          ),
        }
      : {}),
    ...(multi
      ? {
          multiValueQueryStringParameters: Object.fromEntries(
            Object.entries(multi).map(([k, values]) => [safe(k), values.map(safe)]),
          ),
        }
      : {}),
  };
}
