import { buildOpenApiDocument } from '../app/openapi.js';
import type { RouteDefinition } from '../app/routes.js';
import { json } from './respond.js';
import type { HandlerFactory } from './types.js';

export const OPENAPI_INFO = { title: 'dual-runtime-api', version: '0.1.0' } as const;

/** `GET /openapi.json`: the document for the route table, built once per process. */
export function openApiHandler(routes: () => readonly RouteDefinition[]): HandlerFactory {
  return () => {
    let body: Record<string, unknown> | undefined;
    return async () => {
      body ??= buildOpenApiDocument(routes(), OPENAPI_INFO);
      return json(200, body, { 'cache-control': 'public, max-age=300' });
    };
  };
}
