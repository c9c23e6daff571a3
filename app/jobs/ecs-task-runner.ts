import type { CapacityProviderStrategyItem, ECSClient, Tag } from '@aws-sdk/client-ecs';
import { awsSdk } from './aws-clients.js';
import type { LaunchOutcome, TaskLaunch, TaskRunner } from './task-runner.js';

export interface EcsRunnerSettings {
  readonly cluster: string;
  readonly taskDefinition: string;
  /** The container whose environment gets `JOB_ID`, `INPUT_URI`, `OUTPUT_URI`. */
  readonly containerName: string;
  /** Spot first; see JOBS_CAPACITY_STRATEGY in app/jobs/jobs-config.ts. */
  readonly capacityProviderStrategy: readonly CapacityProviderStrategyItem[];
  /** On-demand provider used after Spot reports no capacity. */
  readonly fallbackCapacityProvider: string;
  readonly subnets: readonly string[];
  readonly securityGroups: readonly string[];
  readonly assignPublicIp: boolean;
  readonly tags?: readonly Tag[];
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
]);
const REJECTED = new Set([
  'ClientException',
  'InvalidParameterException',
  'AccessDeniedException',
  'ClusterNotFoundException',
  'PlatformUnknownException',
  'PlatformTaskDefinitionIncompatibilityException',
  'UnsupportedFeatureException',
  'BlockedException',
]);

/**
 * Fargate tasks through ECS RunTask. The client must not retry by itself (`maxAttempts: 1`):
 * every call has to pass the pacer's token bucket, and SDK retries would not.
 */
export class EcsTaskRunner implements TaskRunner {
  constructor(
    private readonly ecs: ECSClient,
    private readonly settings: EcsRunnerSettings,
  ) {}

  async launch(request: TaskLaunch): Promise<LaunchOutcome> {
    const s = this.settings;
    const strategy =
      request.launch === 'fallback'
        ? [{ capacityProvider: s.fallbackCapacityProvider, weight: 1 }]
        : [...s.capacityProviderStrategy];
    const command = new (awsSdk.ecs().RunTaskCommand)({
      cluster: s.cluster,
      taskDefinition: s.taskDefinition,
      count: 1,
      clientToken: request.clientToken,
      startedBy: request.clientToken,
      capacityProviderStrategy: strategy,
      networkConfiguration: {
        awsvpcConfiguration: {
          subnets: [...s.subnets],
          securityGroups: [...s.securityGroups],
          assignPublicIp: s.assignPublicIp ? 'ENABLED' : 'DISABLED',
        },
      },
      overrides: {
        containerOverrides: [
          {
            name: s.containerName,
            environment: Object.entries(request.environment).map(([name, value]) => ({ name, value })),
          },
        ],
      },
      enableECSManagedTags: true,
      propagateTags: 'TASK_DEFINITION',
      tags: [
        ...(s.tags ?? []),
        { key: 'job-id', value: request.jobId },
        { key: 'job-attempt', value: String(request.attempt) },
      ],
    });
    try {
      const response = await this.ecs.send(command);
      const task = response.tasks?.[0];
      if (task?.taskArn) {
        return {
          kind: 'started',
          taskArn: task.taskArn,
          capacityProvider: task.capacityProviderName ?? null,
          existing: false,
        };
      }
      const reasons = (response.failures ?? []).map((f) => [f.reason, f.detail].filter(Boolean).join(': '));
      const reason = reasons.join('; ') || 'RunTask started no task and reported no failure';
      // "Capacity is unavailable at this time…" (ECS API failure reasons): Spot has none right now.
      if (/capacity is unavailable/i.test(reason)) return { kind: 'capacity-unavailable', reason };
      if ((response.failures ?? []).some((f) => f.reason === 'MISSING' || f.reason === 'INACTIVE')) {
        return { kind: 'rejected', reason };
      }
      return { kind: 'error', reason };
    } catch (error) {
      return classifyError(error);
    }
  }

  async stop(taskArn: string, reason: string): Promise<void> {
    await this.ecs.send(
      new (awsSdk.ecs().StopTaskCommand)({ cluster: this.settings.cluster, task: taskArn, reason }),
    );
  }
}

function classifyError(error: unknown): LaunchOutcome {
  const name = error instanceof Error ? error.name : 'Error';
  const reason = `${name}: ${error instanceof Error ? error.message : String(error)}`;
  if (THROTTLING.has(name)) return { kind: 'throttled', reason };
  // ConflictException: the token already started a task (with other parameters); it names it.
  if (name === 'ConflictException' && typeof error === 'object' && error !== null && 'resourceIds' in error) {
    const ids = error.resourceIds;
    const taskArn = Array.isArray(ids) && typeof ids[0] === 'string' ? ids[0] : undefined;
    if (taskArn) return { kind: 'started', taskArn, capacityProvider: null, existing: true };
  }
  if (REJECTED.has(name)) return { kind: 'rejected', reason };
  return { kind: 'error', reason };
}
