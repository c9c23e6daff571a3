/**
 * Everything synthesis reads from the environment, in one place. The pipeline passes exactly these
 * variables (a test checks the Jenkinsfile against SYNTH_INPUT_VARIABLES); anything else that
 * differs per environment lives in the typed stack config (infra/stack-config.ts).
 */

export const SYNTH_INPUT_VARIABLES = [
  /** Comma-separated environments to synthesize (`dev`, `prod`); all of them when unset. */
  'STACK_ENV',
  /** Deploy-time route overrides: `POST /leads/:leadId=ecs,GET /healthz=lambda`. */
  'ROUTE_TARGETS',
  /** Image URI (with tag or digest) of the API container. */
  'API_IMAGE',
  /** Image URI (with tag or digest) of the simulation container. */
  'SIMULATION_IMAGE',
  /** S3 bucket for Terraform state; without it the state stays local. */
  'TF_STATE_BUCKET',
  /** Region of the state bucket; defaults to the stack's region. */
  'TF_STATE_REGION',
  /** DynamoDB lock table; without it S3 native locking (`use_lockfile`, Terraform ≥ 1.10) is used. */
  'TF_STATE_LOCK_TABLE',
] as const;

export type SynthInputVariable = (typeof SYNTH_INPUT_VARIABLES)[number];

export interface StateBackendInput {
  readonly bucket: string;
  readonly region: string | undefined;
  readonly lockTable: string | undefined;
}

export interface SynthInputs {
  /** Environments to synthesize; undefined means every configured one. */
  readonly environments: readonly string[] | undefined;
  readonly routeTargets: string | undefined;
  readonly apiImage: string;
  readonly simulationImage: string;
  readonly stateBackend: StateBackendInput | undefined;
}

/**
 * Placeholders so `npm run synth` works on a fresh clone; the pipeline always passes real image
 * URIs. They are ECR-shaped so the synthesized pull permissions look like the real ones.
 */
export const PLACEHOLDER_IMAGES = {
  api: '000000000000.dkr.ecr.eu-west-1.amazonaws.com/dual-runtime-api:unset',
  simulation: '000000000000.dkr.ecr.eu-west-1.amazonaws.com/dual-runtime-simulation:unset',
} as const;

export function readSynthInputs(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SynthInputs {
  const value = (name: SynthInputVariable): string | undefined => {
    const raw = env[name]?.trim();
    return raw === undefined || raw === '' ? undefined : raw;
  };
  const stacks = value('STACK_ENV');
  const bucket = value('TF_STATE_BUCKET');
  return {
    environments: stacks
      ?.split(',')
      .map((s) => s.trim())
      .filter((s) => s !== ''),
    routeTargets: value('ROUTE_TARGETS'),
    apiImage: value('API_IMAGE') ?? PLACEHOLDER_IMAGES.api,
    simulationImage: value('SIMULATION_IMAGE') ?? PLACEHOLDER_IMAGES.simulation,
    stateBackend: bucket
      ? { bucket, region: value('TF_STATE_REGION'), lockTable: value('TF_STATE_LOCK_TABLE') }
      : undefined,
  };
}
