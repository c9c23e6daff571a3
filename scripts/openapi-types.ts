import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import { buildOpenApiDocument } from '../app/openapi.js';
import { routes } from '../app/routes.js';
import { OPENAPI_INFO } from '../handlers/openapi.js';

/**
 * `npm run openapi:types`: the OpenAPI document → TypeScript types (openapi-typescript), written
 * to app/openapi-types.ts and committed, so the frontend and the tests typecheck without a build
 * step; a test fails when the committed file is older than the route table.
 */
export const TYPES_FILE = fileURLToPath(new URL('../app/openapi-types.ts', import.meta.url));

const HEADER =
  '// Generated from the OpenAPI document by `npm run openapi:types` (openapi-typescript). Do not edit.\n\n';

export async function generateOpenApiTypes(): Promise<string> {
  const document = buildOpenApiDocument(routes, OPENAPI_INFO);
  const ast = await openapiTS(document as unknown as Parameters<typeof openapiTS>[0], {
    // Responses list every header; the generated types then let a client read them by name.
    exportType: true,
  });
  return HEADER + astToString(ast);
}

async function main(): Promise<void> {
  const text = await generateOpenApiTypes();
  const current = await readFile(TYPES_FILE, 'utf8').catch(() => '');
  if (current === text) {
    process.stdout.write(`${TYPES_FILE}: up to date\n`);
    return;
  }
  await writeFile(TYPES_FILE, text);
  process.stdout.write(`${TYPES_FILE}: written (${text.length} characters)\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
