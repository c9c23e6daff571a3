import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { strFromU8, unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { builtArtifacts } from '../helpers/built-artifacts.js';

/**
 * What a Lambda cold start of the API bundle evaluates: the entry and the chunks it imports
 * statically (scripts/build.ts splits the bundle). What only some groups or some requests need
 * (the jobs runtime and BullMQ, the Redis client, the simulation and OpenAPI handlers, zod with
 * the request body schemas) must stay in chunks loaded with import(), or every group's cold start
 * pays for it. Checked on the zip as deployed, through the source maps each chunk carries.
 */

let files: Record<string, Uint8Array>;

beforeAll(async () => {
  const dist = await builtArtifacts();
  files = unzipSync(readFileSync(join(dist, 'lambda', 'leads.zip')));
}, 180_000);

/** The entry and every chunk reachable from it through static imports. */
function startupFiles(entry: string): string[] {
  const seen = new Set<string>();
  const pending = [entry];
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (seen.has(file)) continue;
    seen.add(file);
    const code = strFromU8(files[file] as Uint8Array);
    const dir = file.includes('/') ? file.slice(0, file.lastIndexOf('/') + 1) : '';
    // Static imports only: `import"./x.mjs"` and `…from"./x.mjs"`, never `import("./x.mjs")`.
    for (const [, path] of code.matchAll(/(?:\bfrom|\bimport)\s*["']\.\/([^"']+\.mjs)["']/g)) {
      pending.push(join(dir, path as string).replaceAll('\\', '/'));
    }
  }
  return [...seen];
}

function sourcesOf(file: string): string[] {
  const map = JSON.parse(strFromU8(files[`${file}.map`] as Uint8Array)) as { sources: string[] };
  return map.sources;
}

describe('the API Lambda bundle at cold start', () => {
  it('loads no module that only some groups or some requests need', () => {
    const startup = startupFiles('lambda.mjs');
    const sources = startup.flatMap(sourcesOf);
    expect(sources.some((s) => s.endsWith('app/lambda.ts'))).toBe(true);
    expect(sources.some((s) => s.endsWith('handlers/leads.ts'))).toBe(true);
    for (const lazy of [
      'node_modules/bullmq/',
      'node_modules/ioredis/',
      // Request bodies are parsed with zod on the first request that has one; reads never need it.
      'node_modules/zod/',
      'handlers/lead-input.ts',
      'app/jobs/jobs-runtime.ts',
      'app/redis.ts',
      'app/openapi.ts',
      'handlers/simulations.ts',
      'handlers/response-schemas.ts',
    ]) {
      expect(
        sources.filter((s) => s.includes(lazy)),
        `${lazy} is evaluated at every cold start`,
      ).toEqual([]);
    }
  });

  it('carries what it loads later, each chunk with its source map', () => {
    const chunks = Object.keys(files).filter((name) => name.endsWith('.mjs'));
    const lazy = chunks.filter((chunk) => !startupFiles('lambda.mjs').includes(chunk));
    const lazySources = lazy.flatMap(sourcesOf);
    for (const module of [
      'app/jobs/jobs-runtime.ts',
      'app/redis.ts',
      'handlers/simulations.ts',
      'handlers/lead-input.ts',
      'node_modules/zod/',
      'app/openapi.ts',
    ])
      expect(
        lazySources.some((s) => s.endsWith(module) || (module.endsWith('/') && s.includes(module))),
        module,
      ).toBe(true);
    for (const chunk of chunks) expect(Object.keys(files)).toContain(`${chunk}.map`);
  });
});
