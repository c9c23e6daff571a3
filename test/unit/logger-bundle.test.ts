import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bundle } from '../../scripts/build.js';

/**
 * Bundles leave out pino's transport machinery, worker_threads and sonic-boom's node:assert
 * (scripts/build.ts, scripts/stubs/): the logger a bundle carries must write exactly the lines the
 * logger from source writes, flushed when the process exits, and load none of those modules.
 */

const dir = mkdtempSync(join(tmpdir(), 'logger-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const fixture = 'test/fixtures/logger/write-lines.ts';
// Fails the bundled run if it loaded a module the stubs keep out.
const watchModules = [
  "process.on('exit', () => {",
  "  for (const m of ['worker_threads', 'assert'])",
  "    if (process.moduleLoadList.includes('NativeModule ' + m)) {",
  "      process.stderr.write('loaded ' + m + '\\n');",
  '      process.exitCode = 1;',
  '    }',
  '});',
].join('\n');
const run = (args: string[]) => {
  const result = spawnSync(process.execPath, args, {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  expect(result.status, result.stderr).toBe(0);
  // The time is the only field that may differ between two runs.
  return result.stdout.replaceAll(/"time":"[^"]+"/g, '"time":"T"');
};

describe('the logger in a bundle', () => {
  it('writes the same JSON lines as from source, without transports, worker_threads or assert', async () => {
    const outfile = join(dir, 'write-lines.mjs');
    await bundle({ entry: fixture, outfile, external: [] });
    const fromSource = run(['--import', 'tsx', fixture]);
    const fromBundle = run(['--import', `data:text/javascript,${encodeURIComponent(watchModules)}`, outfile]);
    expect(fromSource.trim().split('\n')).toHaveLength(4);
    expect(fromBundle).toBe(fromSource);
    const code = readFileSync(outfile, 'utf8');
    expect(code).not.toContain('thread-stream');
    expect(code).not.toContain('ThreadStream');
  }, 60_000);
});
