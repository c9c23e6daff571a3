/** What the local ECS server records and emits (see ecs-server.ts). */

export interface RunTaskCall {
  /** ms since the server started (monotonic). */
  readonly at: number;
  readonly clientToken: string | undefined;
  readonly capacityProvider: string | undefined;
  readonly outcome: 'started' | 'idempotent' | 'conflict' | 'throttled' | 'capacity-unavailable' | 'rejected';
  readonly taskArn?: string;
}

export interface TaskEnding {
  readonly afterMs: number;
  readonly exitCode?: number | null;
  readonly stopCode?: string;
  readonly stoppedReason?: string;
  readonly containerReason?: string;
}

/** A running container of a task: a real process the test started for it. */
export interface TaskContainer {
  /** SIGTERM, as ECS sends on StopTask and on a Spot interruption notice. */
  terminate(): void;
  /** The exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

export interface FakeTask {
  readonly taskArn: string;
  readonly clusterArn: string;
  readonly taskDefinitionArn: string;
  container?: TaskContainer;
  /** How the task is being stopped, applied once its container exits. */
  stopping?: { readonly stopCode: string; readonly stoppedReason: string };
  readonly clientToken: string | undefined;
  readonly startedBy: string | undefined;
  readonly capacityProviderName: string;
  readonly environment: Record<string, string>;
  readonly createdAt: number;
  lastStatus: 'PROVISIONING' | 'RUNNING' | 'STOPPED';
  stopCode?: string;
  stoppedReason?: string;
  exitCode?: number | null;
  containerReason?: string;
  timer?: NodeJS.Timeout;
}

export interface TaskStateChangeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'ECS Task State Change';
  readonly source: 'aws.ecs';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: Record<string, unknown>;
}

export interface LocalEcsOptions {
  /** The roles to check calls against, or UNCHECKED_ACCESS, named, for tests not about permissions. */
  readonly access: import('./iam/local-iam.js').AccessCheck;
  /** Region in ARNs (default us-east-1); a stack's own region when its roles are checked. */
  readonly region?: string;
  /**
   * Task definitions by family, from the stack: RunTask passes their task and execution roles,
   * so it needs iam:PassRole on both. Without them any family is accepted and no role is passed.
   */
  readonly taskDefinitions?: ReadonlyMap<string, import('./iam/local-stack.js').LocalTaskDefinition>;
  /** Starts the task's essential container, if the test runs real ones. */
  readonly containers?: (task: FakeTask) => TaskContainer | undefined;
  readonly runTaskBucket?: { capacity: number; perSecond: number };
  readonly launchBucket?: { capacity: number; perSecond: number };
  /** How each started task ends; undefined keeps it running until stopped or interrupted. */
  readonly ending?: (task: FakeTask) => TaskEnding | undefined;
}
