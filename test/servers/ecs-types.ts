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

export interface FakeTask {
  readonly taskArn: string;
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
  readonly runTaskBucket?: { capacity: number; perSecond: number };
  readonly launchBucket?: { capacity: number; perSecond: number };
  /** How each started task ends; undefined keeps it running until stopped or interrupted. */
  readonly ending?: (task: FakeTask) => TaskEnding | undefined;
}
