import { z } from 'zod';
import { lambdaGroups } from './lambda-groups.js';
import { type RouteDefinition, resourceTemplate } from './routes.js';

/**
 * The OpenAPI 3.1 document, generated from the route table and the request schemas, so it cannot
 * drift from what the app serves. Each route also carries its deployment facts as extensions
 * (`x-target`, `x-lambda-group`, `x-rate-limit`).
 */
export function buildOpenApiDocument(
  routes: readonly RouteDefinition[],
  info: { title: string; version: string },
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const template = resourceTemplate(route.path);
    const parameters = [...route.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const operation: Record<string, unknown> = {
      operationId: operationId(route),
      summary: route.summary,
      ...(parameters.length > 0 ? { parameters } : {}),
      responses: responsesFor(route),
      'x-target': route.target,
      'x-targets': route.targets,
      'x-lambda-group': route.lambdaGroup,
      'x-rate-limit': route.rateLimit,
      'x-timeout-ms': route.timeoutMs,
    };
    if (route.requestSchema) {
      operation.requestBody = {
        required: true,
        content: {
          'application/json': {
            schema: z.toJSONSchema(route.requestSchema, { io: 'input', unrepresentable: 'any' }),
            ...(route.requestExample === undefined ? {} : { example: route.requestExample }),
          },
        },
      };
    }
    paths[template] = { ...paths[template], [route.method.toLowerCase()]: operation };
  }
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'One API served identically from AWS Lambda and ECS Fargate behind one ALB. Errors are ' +
        '`{ "error": { "code", "message" } }`; limited routes send RateLimit headers and 429 with Retry-After.',
    },
    paths,
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
            },
          },
        },
      },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key as a bearer token' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
    security: [{}, { bearer: [] }, { apiKey: [] }],
  };
}

/** `GET /leads/:leadId` → `getLeadsByLeadId`. */
function operationId(route: RouteDefinition): string {
  const words = route.path
    .split('/')
    .filter(Boolean)
    .map((segment) =>
      segment.startsWith(':')
        ? `By${capitalize(segment.slice(1))}`
        : capitalize(
            segment.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase()),
          ),
    );
  return `${route.method.toLowerCase()}${words.join('')}`;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

function responsesFor(route: RouteDefinition): Record<string, unknown> {
  const error = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
  });
  return {
    '2XX': { description: 'Success' },
    ...(route.requestSchema
      ? {
          '400': error('The body is not valid JSON or fails validation'),
          '413': error('The body is too large'),
          '415': error('The body is not JSON'),
        }
      : {}),
    ...(route.path.includes(':') ? { '404': error('Not found') } : {}),
    ...(route.rateLimit.class === 'none'
      ? {}
      : { '401': error('Unknown API key'), '429': error('Rate limited; see Retry-After') }),
    // Bounded in the route table (an environment may lift or set bounds; see MAX_CONCURRENCY).
    ...(route.maxConcurrency !== undefined || lambdaGroups[route.lambdaGroup]?.maxConcurrency !== undefined
      ? { '503': error('Too many requests in flight (concurrency_limited); see Retry-After') }
      : {}),
    '5XX': error('Server error; the message is not shown'),
  };
}
