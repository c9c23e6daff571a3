import type { Target } from '../app/routes.js';

/**
 * Per-environment settings that both the runtime (route table printing) and the CDKTF stacks read.
 * Pure data: no cdktf import here, so the app can read it without the infrastructure toolchain.
 */
export interface EnvironmentRouting {
  /** Route id (`GET /leads/:leadId`) → where it runs in this environment, overriding the default. */
  readonly routeTargets: Readonly<Record<string, Target>>;
}

export const environmentRouting: Readonly<Record<string, EnvironmentRouting>> = {
  local: { routeTargets: {} },
  dev: { routeTargets: {} },
  prod: { routeTargets: { 'POST /leads/:leadId': 'ecs' } },
};
