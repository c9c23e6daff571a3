import { AppautoscalingPolicy } from '@cdktf/provider-aws/lib/appautoscaling-policy/index.js';
import type { AppautoscalingTarget } from '@cdktf/provider-aws/lib/appautoscaling-target/index.js';
import { CloudwatchEventRule } from '@cdktf/provider-aws/lib/cloudwatch-event-rule/index.js';
import { CloudwatchEventTarget } from '@cdktf/provider-aws/lib/cloudwatch-event-target/index.js';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { CloudwatchLogResourcePolicy } from '@cdktf/provider-aws/lib/cloudwatch-log-resource-policy/index.js';
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js';
import { Construct } from 'constructs';
import { policyDocument } from './iam-role.js';

export interface SpotScaleOutOptions {
  readonly name: string;
  readonly clusterArn: string;
  readonly serviceName: string;
  readonly scalingTarget: AppautoscalingTarget;
  /** Tasks to add per interruption notice seen in one minute. */
  readonly tasksPerInterruption: number;
  readonly logRetentionDays: number;
}

/**
 * Scales the API service out as soon as Fargate announces a Spot interruption, instead of waiting
 * for the CPU or request metrics to notice the lost task. No code: an EventBridge rule matches the
 * notice (a task state change with `stopCode: SpotInterruption`, sent with the SIGTERM two minutes
 * before the kill), its `TriggeredRules` metric fires an alarm, and the alarm runs a step scaling
 * policy. Target tracking scales back in later; Application Auto Scaling scales out when any policy
 * asks and in only when all agree, so the two do not fight. The rule's target is a log group: an
 * audit trail of interruptions, and a rule needs a target to count as triggered.
 */
export class SpotScaleOut extends Construct {
  readonly rule: CloudwatchEventRule;

  constructor(scope: Construct, id: string, options: SpotScaleOutOptions) {
    super(scope, id);
    this.rule = new CloudwatchEventRule(this, 'rule', {
      name: `${options.name}-spot-interruption`,
      description: 'Fargate Spot interruption notice for a task of the API service',
      eventPattern: JSON.stringify({
        source: ['aws.ecs'],
        'detail-type': ['ECS Task State Change'],
        detail: {
          clusterArn: [options.clusterArn],
          group: [`service:${options.serviceName}`],
          stopCode: ['SpotInterruption'],
          // The notice itself: the task still runs and is told to stop; later events of the same
          // stop (STOPPING, STOPPED) must not count again.
          lastStatus: ['RUNNING'],
          desiredStatus: ['STOPPED'],
        },
      }),
    });

    const audit = new CloudwatchLogGroup(this, 'audit', {
      // EventBridge writes only to log groups under /aws/events/.
      name: `/aws/events/${options.name}-spot-interruptions`,
      retentionInDays: options.logRetentionDays,
    });
    new CloudwatchLogResourcePolicy(this, 'audit-policy', {
      policyName: `${options.name}-spot-interruptions`,
      policyDocument: policyDocument([
        {
          Effect: 'Allow',
          Principal: { Service: ['events.amazonaws.com', 'delivery.logs.amazonaws.com'] },
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [`${audit.arn}:*`],
        },
      ]),
    });
    new CloudwatchEventTarget(this, 'audit-target', { rule: this.rule.name, arn: audit.arn });

    const policy = new AppautoscalingPolicy(this, 'policy', {
      name: `${options.name}-spot-interruption`,
      policyType: 'StepScaling',
      serviceNamespace: options.scalingTarget.serviceNamespace,
      scalableDimension: options.scalingTarget.scalableDimension,
      resourceId: options.scalingTarget.resourceId,
      stepScalingPolicyConfiguration: {
        adjustmentType: 'ChangeInCapacity',
        metricAggregationType: 'Maximum',
        cooldown: 60,
        // Bounds are relative to the alarm threshold (1): one notice, then two or more.
        stepAdjustment: [
          {
            metricIntervalLowerBound: '0',
            metricIntervalUpperBound: '1',
            scalingAdjustment: options.tasksPerInterruption,
          },
          { metricIntervalLowerBound: '1', scalingAdjustment: options.tasksPerInterruption * 2 },
        ],
      },
    });
    new CloudwatchMetricAlarm(this, 'alarm', {
      alarmName: `${options.name}-spot-interruption`,
      alarmDescription: 'A Spot interruption notice arrived for an API task: add capacity now',
      namespace: 'AWS/Events',
      metricName: 'TriggeredRules',
      dimensions: { RuleName: this.rule.name },
      statistic: 'Sum',
      period: 60,
      evaluationPeriods: 1,
      threshold: 1,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      treatMissingData: 'notBreaching',
      alarmActions: [policy.arn],
    });
  }
}
