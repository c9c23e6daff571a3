import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../../app/config.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const ci = readFileSync(join(root, '.ci', 'run'), 'utf8');
const scripts = Object.keys(
  (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: object }).scripts,
);

describe('README', () => {
  it('opens with exactly the install-and-run command and the test command', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)?.[1]?.trim().split('\n');
    expect(firstBlock).toEqual(['npm ci && npm start', 'npm test']);
    expect(readme.indexOf('```sh')).toBeLessThan(readme.indexOf('\n## '));
  });

  it('CI runs the same test command', () => {
    expect(ci).toMatch(/^npm test$/m);
  });

  it('documents every configuration variable in the configuration table', () => {
    const table = readme.slice(
      readme.indexOf('## Configuration'),
      readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1),
    );
    for (const name of CONFIG_VARIABLES) expect(table, name).toContain(`| \`${name}\` |`);
  });

  it('names only npm scripts that exist', () => {
    for (const [, name] of readme.matchAll(/npm run ([\w:-]+)/g))
      expect(scripts, `npm run ${name}`).toContain(name);
  });
});
