import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../../../app/jobs/pacer-process.ts', import.meta.url));

export interface PacerProcessEnv {
  readonly queueUrl: string;
  readonly redisUrl: string;
  readonly keyPrefix: string;
  readonly ecsUrl: string;
  readonly sqsUrl: string;
  readonly extra?: Record<string, string>;
}

/** Starts app/jobs/pacer-process.ts as its own node process, configured like a deployment would be. */
export function spawnPacerProcess(env: PacerProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: {
      PATH: process.env.PATH,
      NODE_NO_WARNINGS: '1',
      LOG_LEVEL: 'silent',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_ECS: env.ecsUrl,
      AWS_ENDPOINT_URL_SQS: env.sqsUrl,
      REDIS_URL: env.redisUrl,
      REDIS_KEY_PREFIX: env.keyPrefix,
      JOBS_QUEUE_URL: env.queueUrl,
      JOBS_BUCKET: 'jobs-test-bucket',
      JOBS_CLUSTER: 'jobs',
      JOBS_TASK_DEFINITION: 'simulation:1',
      JOBS_SUBNETS: 'subnet-1',
      JOBS_SECURITY_GROUPS: 'sg-1',
      ...env.extra,
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Kills and waits for the exit, so no process outlives its test. */
export async function killProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  await exited;
}
