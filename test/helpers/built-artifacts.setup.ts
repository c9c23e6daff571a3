import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * Global setup: a directory for the artifacts `npm run build` writes, shared by every test file of
 * the run that needs them (test/helpers/built-artifacts.ts builds into it on first use, once).
 * Nothing is built here, so runs that need no artifacts pay nothing.
 */
export default function setup(project: TestProject): () => void {
  const root = mkdtempSync(join(tmpdir(), 'built-artifacts-'));
  project.provide('builtArtifactsRoot', root);
  return () => rmSync(root, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    builtArtifactsRoot: string;
  }
}
