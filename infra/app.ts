import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'cdktf';
import { parseRouteTargets } from '../app/route-targets.js';
import { type RouteDefinition, routes as routeTable } from '../app/routes.js';
import { ApiStack, stackName } from './api-stack.js';
import { type StackConfig, stackConfigs } from './stack-config.js';
import type { SynthInputs } from './synth-inputs.js';

export interface SynthOptions {
  readonly outdir: string;
  readonly inputs: SynthInputs;
  /** Defaults to infra/stack-config.ts; tests pass changed copies. */
  readonly configs?: Readonly<Record<string, StackConfig>>;
  readonly routes?: readonly RouteDefinition[];
}

export interface StackSummary {
  readonly name: string;
  readonly env: string;
  readonly file: string;
  readonly resources: number;
  readonly routesByTarget: Readonly<Record<string, number>>;
}

/** Builds one ApiStack per selected environment; an unknown environment name is an error. */
export function buildApp(options: SynthOptions): { app: App; stacks: ApiStack[] } {
  const configs = options.configs ?? stackConfigs;
  const selected = options.inputs.environments ?? Object.keys(configs);
  const unknown = selected.filter((env) => !configs[env]);
  if (unknown.length > 0 || selected.length === 0) {
    throw new Error(
      `STACK_ENV: unknown environment ${unknown.map((e) => JSON.stringify(e)).join(', ') || '(none given)'} (configured: ${Object.keys(configs).join(', ')})`,
    );
  }
  const deployRouteTargets = parseRouteTargets(options.inputs.routeTargets);
  const app = new App({ outdir: options.outdir });
  const stacks = selected.map((env) => {
    const config = configs[env] as StackConfig;
    return new ApiStack(app, stackName(env), {
      config,
      routes: options.routes ?? routeTable,
      deployRouteTargets,
      apiImage: options.inputs.apiImage,
      simulationImage: options.inputs.simulationImage,
      stateBackend: options.inputs.stateBackend,
    });
  });
  return { app, stacks };
}

/** Synthesizes every selected stack into `<outdir>/stacks/<stack>/cdk.tf.json`. */
export function synthesize(options: SynthOptions): StackSummary[] {
  const { app, stacks } = buildApp(options);
  app.synth();
  return stacks.map((stack) => {
    const file = join(options.outdir, 'stacks', stack.node.id, 'cdk.tf.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as {
      resource?: Record<string, Record<string, unknown>>;
    };
    const resources = Object.values(json.resource ?? {}).reduce(
      (n, byName) => n + Object.keys(byName).length,
      0,
    );
    const routesByTarget: Record<string, number> = {};
    for (const a of stack.assignments) routesByTarget[a.target] = (routesByTarget[a.target] ?? 0) + 1;
    return { name: stack.node.id, env: stack.node.id.replace(/^.*-/, ''), file, resources, routesByTarget };
  });
}

export function formatSummary(summaries: readonly StackSummary[]): string {
  const lines = summaries.map((s) => {
    const targets = Object.entries(s.routesByTarget)
      .sort(([a], [b]) => a.localeCompare(b, 'en'))
      .map(([target, n]) => `${n} on ${target}`)
      .join(', ');
    return `  ${s.name.padEnd(28)} ${String(s.resources).padStart(4)} resources   routes: ${targets}   ${s.file}`;
  });
  return `Synthesized ${summaries.length} stack${summaries.length === 1 ? '' : 's'}:\n${lines.join('\n')}`;
}
