import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stackName } from '../../infra/api-stack.js';
import { type SynthOptions, synthesize } from '../../infra/app.js';
import { readSynthInputs, type SynthInputs } from '../../infra/synth-inputs.js';

/** A synthesized stack as Terraform JSON: `resource.<type>.<name>` → its arguments. */
export interface StackJson {
  readonly resource: Record<string, Record<string, Record<string, unknown>>>;
  readonly data?: Record<string, Record<string, Record<string, unknown>>>;
  readonly variable?: Record<string, unknown>;
  readonly locals?: Record<string, unknown>;
  readonly output?: Record<string, { value: unknown }>;
  readonly terraform: Record<string, unknown>;
  readonly provider?: Record<string, unknown>;
}

export interface SynthRequest {
  readonly env?: Readonly<Record<string, string>>;
  readonly configs?: SynthOptions['configs'];
  readonly routes?: SynthOptions['routes'];
}

/**
 * Synthesizes in-process into a temporary directory and returns each stack's JSON by environment.
 * Synthesis takes about a second a stack, so each test file calls this once, in beforeAll.
 */
export function synthStacks(request: SynthRequest = {}): Record<string, StackJson> {
  const outdir = mkdtempSync(join(tmpdir(), 'synth-'));
  try {
    const inputs: SynthInputs = readSynthInputs(request.env ?? {});
    const summaries = synthesize({
      outdir,
      inputs,
      ...(request.configs ? { configs: request.configs } : {}),
      ...(request.routes ? { routes: request.routes } : {}),
    });
    const stacks: Record<string, StackJson> = {};
    for (const summary of summaries) {
      stacks[summary.env] = JSON.parse(readFileSync(summary.file, 'utf8')) as StackJson;
    }
    return stacks;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** Every resource of one type, as `[name, arguments]`. */
export function resourcesOf(stack: StackJson, type: string): [string, Record<string, unknown>][] {
  return Object.entries(stack.resource[type] ?? {});
}

/** The only resource of a type whose name contains `fragment` (fails loudly if not exactly one). */
export function one(stack: StackJson, type: string, fragment = ''): Record<string, unknown> {
  const found = resourcesOf(stack, type).filter(([name]) => name.includes(fragment));
  if (found.length !== 1) {
    throw new Error(
      `expected one ${type} matching "${fragment}", found ${found.map(([n]) => n).join(', ') || 'none'}`,
    );
  }
  return (found[0] as [string, Record<string, unknown>])[1];
}

export { stackName };
