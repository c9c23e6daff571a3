import type { ZodType } from 'zod';
import * as z from 'zod';
import { REQUEST_SCHEMAS } from '../handlers/request-schemas.js';
import {
  errorBodySchema,
  healthSchema,
  jobSchema,
  leadSchema,
  openApiDocumentSchema,
  simulationResultSchema,
} from '../handlers/response-schemas.js';
import {
  HEADER_COMPONENTS,
  METHOD_NOT_ALLOWED_RESPONSE,
  optionsOperation,
  ref,
  responsesFor,
} from './openapi-responses.js';
import { type ResponseSchemaName, type RouteDefinition, resourceTemplate } from './routes.js';

/**
 * The OpenAPI 3.1 document, generated from the route table and the zod schemas, so it cannot
 * drift from what the app serves; `npm run openapi:types` turns it into the TypeScript types the
 * example frontend and the typed-client test use. Each route also carries its deployment facts as
 * extensions (`x-target`, `x-lambda-group`, `x-rate-limit`).
 */

/** Response body schemas by the name they get in `components.schemas` (routes name them so). */
const RESPONSE_SCHEMAS: Readonly<Record<ResponseSchemaName | 'Error', ZodType>> = {
  Error: errorBodySchema,
  Health: healthSchema,
  Lead: leadSchema,
  Simulation: jobSchema,
  SimulationResult: simulationResultSchema,
  OpenApiDocument: openApiDocumentSchema,
};

const REQUEST_HEADER_PARAMETERS = {
  'idempotency-key': {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      'Retrying with the same key returns the same job (kept 24 h); the same key with another input is a 409',
    schema: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[\\x21-\\x7e]+$' },
  },
  prefer: {
    name: 'Prefer',
    in: 'header',
    required: false,
    description:
      'RFC 7240 `wait=<seconds>`: hold the answer until the job ends or the wait is over, capped ' +
      'below the route’s deadline; `Preference-Applied` tells the wait granted',
    schema: { type: 'string', example: 'wait=10' },
  },
} as const;

function componentSchemas(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  for (const [name, schema] of Object.entries(RESPONSE_SCHEMAS)) registry.add(schema, { id: name });
  const generated = z.toJSONSchema(registry, {
    uri: (id) => `#/components/schemas/${id}`,
    unrepresentable: 'any',
  }).schemas;
  // OpenAPI components are plain schemas: the per-document `$schema` and `$id` do not belong there.
  return Object.fromEntries(
    Object.entries(generated).map(([name, { $schema: _s, $id: _i, ...schema }]) => [name, schema]),
  );
}

export function buildOpenApiDocument(
  routes: readonly RouteDefinition[],
  info: { title: string; version: string },
): Record<string, unknown> {
  const schemas = componentSchemas();
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const template = resourceTemplate(route.path);
    const pathParameters = [...route.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map(([, name]) => ({
      name,
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const operation: Record<string, unknown> = {
      operationId: operationId(route.method, route.path),
      summary: route.summary,
      ...(route.requestHeaders
        ? {
            parameters: route.requestHeaders.map((h) => ref('parameters', REQUEST_HEADER_PARAMETERS[h].name)),
          }
        : {}),
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
            schema: z.toJSONSchema(REQUEST_SCHEMAS[route.requestSchema], {
              io: 'input',
              unrepresentable: 'any',
            }),
            ...(route.requestExample === undefined ? {} : { example: route.requestExample }),
          },
        },
      };
    }
    paths[template] = {
      ...(pathParameters.length > 0 ? { parameters: pathParameters } : {}),
      options: optionsOperation(template, operationId('OPTIONS', route.path).slice('options'.length)),
      ...paths[template],
      [route.method.toLowerCase()]: operation,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      ...info,
      description:
        'One API served identically from AWS Lambda and ECS Fargate behind one ALB. Errors are ' +
        '`{ "error": { "code", "message" } }`; limited routes send RateLimit headers and 429 with ' +
        'Retry-After. A method a path lacks answers 405 with `Allow` (components.responses.MethodNotAllowed). ' +
        'Browsers on allowed origins may read every header listed here (CORS).',
    },
    servers: [
      { url: '/', description: 'The origin that served this document' },
      { url: 'http://localhost:3000', description: '`npm start`' },
    ],
    paths,
    components: {
      schemas,
      headers: HEADER_COMPONENTS,
      parameters: Object.fromEntries(Object.values(REQUEST_HEADER_PARAMETERS).map((p) => [p.name, p])),
      responses: { MethodNotAllowed: METHOD_NOT_ALLOWED_RESPONSE },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API key as a bearer token' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
    security: [{}, { bearer: [] }, { apiKey: [] }],
  };
}

/** `GET /leads/:leadId` → `getLeadsByLeadId`. */
function operationId(method: string, path: string): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((segment) =>
      segment.startsWith(':')
        ? `By${capitalize(segment.slice(1))}`
        : capitalize(
            segment.replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase()),
          ),
    );
  return `${method.toLowerCase()}${words.join('')}`;
}

function capitalize(word: string): string {
  return word.charAt(0).toUpperCase() + word.slice(1);
}
