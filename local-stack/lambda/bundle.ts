import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';

/**
 * Unpacks a built Lambda zip into a directory, as Lambda does into /var/task; returns the files.
 */
export function unpackBundle(zipPath: string, dir: string): string[] {
  mkdirSync(dir, { recursive: true });
  const files = Object.entries(unzipSync(readFileSync(zipPath)));
  for (const [file, bytes] of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    writeFileSync(join(dir, file), bytes);
  }
  return files.map(([file]) => file);
}

/** `lambda.handler` → the module path and the export name. */
export function handlerModule(
  dir: string,
  handler: string,
  files: readonly string[],
): { file: string; exportName: string } {
  const dot = handler.lastIndexOf('.');
  const base = handler.slice(0, dot);
  const exportName = handler.slice(dot + 1);
  const file = [`${base}.mjs`, `${base}.js`, `${base}.cjs`].find((name) => files.includes(name));
  if (!file)
    throw new Error(`handler ${handler}: no ${base}.mjs or ${base}.js in the bundle (${files.join(', ')})`);
  return { file: join(dir, file), exportName };
}
