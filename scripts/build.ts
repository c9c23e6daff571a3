import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { zipSync } from 'fflate';
import { routes } from '../app/routes.js';
import { eagerWrappers } from './eager-wrappers.js';

/**
 * `npm run build`: esbuild bundles for every runtime artifact.
 * - dist/server/server.mjs: the ECS entry, everything bundled (the image needs no node_modules);
 * - dist/simulation/main.mjs: the simulation program's image;
 * - dist/lambda/<group>.zip: one per Lambda group of the route table (handler `lambda.handler`),
 *   plus pacer.zip (`pacer.handler`), task-events.zip (`task-events.handler`) and
 *   dead-letters.zip (`dead-letters.handler`).
 * Lambda bundles leave out the AWS SDK v3 clients, which the nodejs22.x runtime provides; that
 * keeps zips small and cold starts short. The API bundle is split: what app/lambda.ts and the
 * route table import with `import()` (the jobs runtime, the Redis client, the simulation and
 * OpenAPI handlers) are chunks under chunks/, loaded when first needed, so a cold start reads and
 * evaluates only what its group's first request uses. Each zip carries its source maps (run with
 * NODE_OPTIONS=--enable-source-maps).
 */

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dist = join(root, 'dist');

// ESM bundles of CommonJS dependencies still call require() for Node built-ins.
const requireShim =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

/** zod's classic API re-exports every locale; keep English, the only one the app uses. */
const englishOnlyZod: Plugin = {
  name: 'english-only-zod',
  setup(build) {
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) =>
      args.importer.includes(`${join('node_modules', 'zod')}`)
        ? { path: join(root, 'scripts', 'stubs', 'zod-locales.mjs') }
        : undefined,
    );
  },
};

/**
 * pino and its stdout writer (sonic-boom) load modules they only need for features the app never
 * uses: the transport machinery (thread-stream, a worker thread, atomic-sleep), redaction
 * (@pinojs/redact), multistream, worker_threads for one flag and node:assert for one check. app/logger.ts writes JSON lines to stdout through pino's
 * default destination; bundles carry small stubs for those (scripts/stubs/, each says why), so a
 * cold start neither compiles nor runs them. test/unit/logger-bundle.test.ts keeps the lines equal.
 */
const pinoWithoutTransports: Plugin = {
  name: 'pino-without-transports',
  setup(build) {
    const from = (args: { importer: string }, pkg: string) =>
      args.importer.includes(`${join('node_modules', pkg)}${sep}`);
    const stub = (file: string) => ({ path: join(root, 'scripts', 'stubs', file) });
    build.onResolve({ filter: /^\.\/(lib\/)?transport$/ }, (args) =>
      from(args, 'pino') ? stub('pino-transport.cjs') : undefined,
    );
    build.onResolve({ filter: /^\.\/(lib\/)?redaction$/ }, (args) =>
      from(args, 'pino') ? stub('pino-redaction.cjs') : undefined,
    );
    build.onResolve({ filter: /^\.\/(lib\/)?multistream$/ }, (args) =>
      from(args, 'pino') ? stub('pino-multistream.cjs') : undefined,
    );
    build.onResolve({ filter: /^(node:)?worker_threads$/ }, (args) =>
      args.importer.endsWith(join('node_modules', 'pino', 'lib', 'tools.js'))
        ? stub('pino-main-thread.cjs')
        : undefined,
    );
    build.onResolve({ filter: /^(node:)?assert$/ }, (args) =>
      from(args, 'sonic-boom') ? stub('sonic-boom-assert.cjs') : undefined,
    );
  },
};

export interface Bundle {
  readonly entry: string;
  readonly outfile: string;
  readonly external: readonly string[];
  /**
   * Modules the entry imports with `import()` become chunks of their own next to it
   * (`chunks/`), loaded when first imported: a Lambda's cold start then evaluates only what its
   * first request needs. Without it they are inlined into the one file.
   */
  readonly splitting?: boolean;
}

export async function bundle({ entry, outfile, external, splitting = false }: Bundle): Promise<void> {
  const result = await build({
    entryPoints: [join(root, entry)],
    ...(splitting
      ? {
          splitting: true,
          outdir: dirname(outfile),
          entryNames: basename(outfile, '.mjs'),
          chunkNames: 'chunks/[name]-[hash]',
          outExtension: { '.js': '.mjs' },
        }
      : { outfile }),
    bundle: true,
    platform: 'node',
    // The one Node major everywhere: the container image, the Lambda runtime and `engines`.
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    sourcesContent: false,
    legalComments: 'none',
    banner: { js: requireShim },
    alias: {
      'iconv-lite': join(root, 'scripts', 'stubs', 'iconv-lite.cjs'),
      'mime-db': join(root, 'scripts', 'stubs', 'mime-db.cjs'),
      'rate-limiter-flexible': join(root, 'scripts', 'stubs', 'rate-limiter-flexible.cjs'),
    },
    plugins: [englishOnlyZod, pinoWithoutTransports],
    external: [...external],
    logLevel: 'warning',
    metafile: true,
  });
  // CommonJS dependencies parsed once instead of twice at load (scripts/eager-wrappers.ts).
  for (const output of Object.keys(result.metafile.outputs)) {
    if (output.endsWith('.mjs')) eagerWrappers(join(process.cwd(), output));
  }
}

/** Every file under `dir`, by its path relative to it (forward slashes, as zips name them). */
function filesUnder(dir: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    files[relative(dir, path).split('\\').join('/')] = path;
  }
  return files;
}

function zip(files: Record<string, string>, zipPath: string): number {
  const entries: Record<string, Uint8Array> = {};
  for (const [name, path] of Object.entries(files)) entries[name] = readFileSync(path);
  const archive = zipSync(entries, { level: 9, mtime: new Date('2020-01-01T00:00:00Z') });
  writeFileSync(zipPath, archive);
  return archive.length;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;

/** Builds every artifact into `out` (default dist/; tests that run the stack build into a directory of their own). */
export async function buildAll(
  log: (line: string) => void = console.log,
  out: string = dist,
): Promise<Record<string, number>> {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'lambda'), { recursive: true });
  const sizes: Record<string, number> = {};
  const sdk = ['@aws-sdk/*', '@smithy/*'];

  const steps: { label: string; run: () => Promise<void> }[] = [
    {
      label: 'ECS server',
      run: () => bundle({ entry: 'app/server.ts', outfile: join(out, 'server', 'server.mjs'), external: [] }),
    },
    {
      label: 'simulation program',
      run: () =>
        bundle({
          entry: 'app/jobs/simulation/main.ts',
          outfile: join(out, 'simulation', 'main.mjs'),
          external: [],
        }),
    },
  ];
  const lambdas: { name: string; entry: string; file: string }[] = [
    ...[...new Set(routes.map((r) => r.lambdaGroup))]
      .sort()
      .map((group) => ({ name: group, entry: 'app/lambda.ts', file: 'lambda' })),
    { name: 'pacer', entry: 'app/jobs/pacer-lambda.ts', file: 'pacer' },
    { name: 'task-events', entry: 'app/jobs/task-events-lambda.ts', file: 'task-events' },
    { name: 'dead-letters', entry: 'app/jobs/dead-letters-lambda.ts', file: 'dead-letters' },
  ];
  const built = new Map<string, string>();
  for (const lambda of lambdas) {
    steps.push({
      label: `Lambda ${lambda.name}`,
      run: async () => {
        // Groups share the API bundle (LAMBDA_GROUP selects the routes at run time): build it once.
        // Split, so each group's cold start loads only the chunks its routes use.
        const outfile = join(out, 'lambda', 'build', lambda.entry.replaceAll('/', '_'), `${lambda.file}.mjs`);
        if (!built.has(lambda.entry)) {
          await bundle({ entry: lambda.entry, outfile, external: sdk, splitting: true });
          built.set(lambda.entry, dirname(outfile));
        }
        sizes[`lambda/${lambda.name}.zip`] = zip(
          filesUnder(built.get(lambda.entry) as string),
          join(out, 'lambda', `${lambda.name}.zip`),
        );
      },
    });
  }

  for (const [index, step] of steps.entries()) {
    const started = Date.now();
    await step.run();
    log(`[${index + 1}/${steps.length}] ${step.label} (${Date.now() - started} ms)`);
  }
  sizes['server/server.mjs'] = statSync(join(out, 'server', 'server.mjs')).size;
  sizes['simulation/main.mjs'] = statSync(join(out, 'simulation', 'main.mjs')).size;
  return sizes;
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  const sizes = await buildAll();
  console.log('\nArtifacts in dist/:');
  for (const [name, size] of Object.entries(sizes)) console.log(`  ${name.padEnd(28)} ${kb(size)}`);
}
