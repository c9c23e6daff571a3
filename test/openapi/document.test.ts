import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../app/openapi.js';
import { resourceTemplate, routes } from '../../app/routes.js';
import { OPENAPI_INFO } from '../../handlers/openapi.js';
import { generateOpenApiTypes, TYPES_FILE } from '../../scripts/openapi-types.js';

interface Operation {
  parameters?: { $ref: string }[];
  responses: Record<
    string,
    { headers?: Record<string, unknown>; content?: Record<string, { schema: unknown }> }
  >;
}
type Document = {
  servers: { url: string }[];
  paths: Record<string, Record<string, Operation>>;
  components: {
    schemas: Record<string, unknown>;
    responses: Record<string, unknown>;
    headers: Record<string, unknown>;
  };
};

const document = buildOpenApiDocument(routes, OPENAPI_INFO) as unknown as Document;
const operation = (method: string, path: string): Operation => {
  const found = document.paths[resourceTemplate(path)]?.[method.toLowerCase()];
  if (!found) throw new Error(`${method} ${path} is not in the document`);
  return found;
};

describe('the OpenAPI document, for client generators', () => {
  it('the committed TypeScript types are generated from the current document', async () => {
    // `npm run openapi:types` regenerates them after a change to the routes or schemas.
    expect(await readFile(TYPES_FILE, 'utf8')).toBe(await generateOpenApiTypes());
  });

  it('lists every status each route can give, errors with the error body', () => {
    for (const route of routes) {
      const statuses = Object.keys(operation(route.method, route.path).responses);
      const expected = ['503', '504'];
      if (route.path.includes(':')) expected.push('400', '404');
      if (route.requestSchema) expected.push('400', '413', '415');
      if (route.rateLimit.class !== 'none') expected.push('401', '429');
      for (const status of expected) expect(statuses, `${route.method} ${route.path}`).toContain(status);
      for (const [status, response] of Object.entries(operation(route.method, route.path).responses)) {
        if (Number(status) >= 400)
          expect(response.content?.['application/json']?.schema).toEqual({
            $ref: '#/components/schemas/Error',
          });
        else
          expect(
            response.content?.['application/json']?.schema,
            `${route.method} ${route.path} ${status}`,
          ).toBeDefined();
      }
    }
    expect(Object.keys(operation('POST', '/simulations').responses)).toEqual(
      expect.arrayContaining(['201', '202', '409']),
    );
    expect(Object.keys(operation('GET', '/simulations/:id/result').responses)).toContain('409');
    expect(document.components.responses.MethodNotAllowed).toBeDefined();
  });

  it('documents the headers a client reads and the ones it may send', () => {
    const post = operation('POST', '/simulations');
    expect(post.parameters).toEqual([
      { $ref: '#/components/parameters/Idempotency-Key' },
      { $ref: '#/components/parameters/Prefer' },
    ]);
    expect(operation('GET', '/simulations/:id').parameters).toEqual([
      { $ref: '#/components/parameters/Prefer' },
    ]);
    expect(Object.keys(post.responses['202']?.headers ?? {})).toEqual(
      expect.arrayContaining([
        'Location',
        'RateLimit',
        'RateLimit-Policy',
        'Preference-Applied',
        'X-Request-Id',
      ]),
    );
    expect(Object.keys(post.responses['429']?.headers ?? {})).toContain('Retry-After');
    expect(Object.keys(operation('GET', '/healthz').responses['200']?.headers ?? {})).not.toContain(
      'RateLimit',
    );
  });

  it('names its servers and has an options operation per path', () => {
    expect(document.servers.map((s) => s.url)).toEqual(['/', 'http://localhost:3000']);
    for (const ops of Object.values(document.paths)) expect(ops.options?.responses['204']).toBeDefined();
  });
});
