import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { LAMBDA_RUNTIME } from '../../infra/constructs/node-function.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

describe('one Node.js major everywhere', () => {
  it('the container base image, the Lambda runtime and package.json engines name Node 22', () => {
    // Prepare
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    const engines = (
      JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } }
    ).engines.node;
    const build = readFileSync(join(root, 'scripts', 'build.ts'), 'utf8');

    // Act
    const image = /ARG NODE_IMAGE=node:(\d+)-/.exec(dockerfile)?.[1];
    const lambda = /^nodejs(\d+)\.x$/.exec(LAMBDA_RUNTIME)?.[1];
    const engine = /^>=(\d+)$/.exec(engines)?.[1];
    const target = /target: 'node(\d+)'/.exec(build)?.[1];

    // Assess
    expect(image).toBe('22');
    expect([lambda, engine, target]).toEqual([image, image, image]);
  });
});
