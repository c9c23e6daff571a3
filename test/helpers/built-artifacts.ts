import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inject } from 'vitest';
import { buildAll } from '../../scripts/build.js';
import './built-artifacts.setup.js';

const BUILD_TIMEOUT_MS = 180_000;

/**
 * The artifacts `npm run build` writes (server, zips, simulation program), built once per test
 * run into the directory the global setup provides. Test files run in parallel workers: the first
 * to ask takes the lock (mkdir is atomic) and builds; the others wait for its outcome.
 */
export async function builtArtifacts(): Promise<string> {
  const root = inject('builtArtifactsRoot');
  const dist = join(root, 'dist');
  const outcome = join(root, 'outcome');
  // Written whole, then renamed into place, so a waiting reader never sees half of it.
  const settle = (text: string) => {
    writeFileSync(`${outcome}.tmp`, text);
    renameSync(`${outcome}.tmp`, outcome);
  };
  let builder = false;
  try {
    mkdirSync(join(root, 'lock'));
    builder = true;
  } catch {
    // Another file is building.
  }
  if (builder) {
    try {
      await buildAll(() => {}, dist);
      settle('ok');
    } catch (error) {
      settle(`build failed: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
    return dist;
  }
  const deadline = Date.now() + BUILD_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const text = await readFile(outcome, 'utf8').catch(() => undefined);
    if (text === 'ok') return dist;
    if (text !== undefined) throw new Error(text);
    await sleep(200);
  }
  throw new Error(`the build did not finish within ${BUILD_TIMEOUT_MS / 1000} s`);
}
