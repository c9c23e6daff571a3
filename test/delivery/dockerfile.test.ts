import { existsSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildAll } from '../../scripts/build.js';
import { startServerProcess } from '../shutdown/server-process.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8').replace(/\\\n/g, ' ');
const lines = dockerfile.split('\n').map((line) => line.trim());

/** The instructions of one stage, from its FROM line to the next. */
function stageLines(name: string): string[] {
  const start = lines.findIndex((line) => new RegExp(`^FROM \\S+ AS ${name}$`, 'i').test(line));
  if (start === -1) throw new Error(`no stage ${name}`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith('FROM '));
  return lines.slice(start, end === -1 ? undefined : end);
}

function cmdOf(name: string): string[] {
  const cmd = stageLines(name).find((line) => line.startsWith('CMD '));
  if (!cmd) throw new Error(`no CMD in ${name}`);
  return JSON.parse(cmd.slice(4)) as string[];
}

describe('Dockerfile (checked without a Docker engine)', () => {
  beforeAll(async () => {
    await buildAll(() => {});
  }, 120_000);

  it('copies only files that exist in the build context, and ignores build output', () => {
    const sources = lines
      .filter((line) => line.startsWith('COPY ') && !line.includes('--from='))
      .flatMap((line) =>
        line
          .split(/\s+/)
          .slice(1, -1)
          .filter((part) => !part.startsWith('--')),
      );
    expect(sources.length).toBeGreaterThan(5);
    for (const source of sources) expect(existsSync(join(root, source)), source).toBe(true);
    const ignored = readFileSync(join(root, '.dockerignore'), 'utf8').split('\n');
    for (const entry of ['node_modules', 'dist', 'cdktf.out', '.git']) expect(ignored).toContain(entry);
  });

  it('runs both images as a non-root user, exec-form, node directly (no shell swallowing SIGTERM)', () => {
    const runtime = stageLines('runtime');
    expect(runtime.filter((line) => line.startsWith('USER ')).at(-1)).toBe('USER node');
    expect(runtime.find((line) => line.startsWith('ENTRYPOINT'))).toBe('ENTRYPOINT ["/usr/bin/tini", "--"]');
    for (const name of ['api', 'simulation']) {
      expect(stageLines(name)[0]).toMatch(/^FROM runtime AS/);
      expect(cmdOf(name)[0]).toBe('node');
      expect(stageLines(name).some((line) => line.startsWith('USER root'))).toBe(false);
    }
    expect(stageLines('api')).toContain('STOPSIGNAL SIGTERM');
  });

  it('keeps build tools out: the final images get production dependencies and built output only', () => {
    expect(stageLines('prod-deps').join('\n')).toMatch(/npm ci --omit=dev/);
    for (const name of ['api', 'simulation']) {
      const copies = stageLines(name).filter((line) => line.startsWith('COPY'));
      for (const copy of copies) expect(copy).toMatch(/--from=build .*\/src\/dist\//);
    }
  });

  it('the files the images run are what npm run build writes', () => {
    for (const name of ['api', 'simulation']) {
      const file = cmdOf(name)[1] as string;
      expect(existsSync(join(root, file)), file).toBe(true);
    }
  });

  it('the API image command starts the server from the built output and stops on SIGTERM', async () => {
    const [, file] = cmdOf('api');
    const server = await startServerProcess({ SHUTDOWN_DRAIN_MS: '0' }, ['node', file as string]);
    try {
      const status = await new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port: server.port, path: '/healthz' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(status).toBe(200);
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    } finally {
      server.child.kill('SIGKILL');
    }
  }, 60_000);
});
