import { LbListener, type LbListenerDefaultAction } from '@cdktf/provider-aws/lib/lb-listener/index.js';
import { LbListenerRule } from '@cdktf/provider-aws/lib/lb-listener-rule/index.js';
import { Construct } from 'constructs';
import type { RouteAssignment } from '../../app/route-targets.js';
import { type PlannedRule, planListenerRules } from '../route-patterns.js';

/** TLS 1.3 and 1.2 only ("Security policies for your Application Load Balancer", ELB docs). */
export const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/** The body the ALB answers when no rule matches: the same shape as the app's own 404. */
export const NOT_FOUND_BODY = JSON.stringify({
  error: { code: 'route_not_found', message: 'No route matches this request' },
});

/**
 * Requests with this header reach the ECS service whatever the path (smoke tests use it to check
 * the ECS side of a route that runs on Lambda). It also keeps the ECS target group attached to the
 * listener when no route runs on ECS, which the service and the requests-per-target metric need.
 */
export const ECS_DIRECT_HEADER = { name: 'X-Runtime-Target', value: 'ecs' } as const;

export interface RouteRulesOptions {
  readonly loadBalancerArn: string;
  /** HTTPS with this certificate, HTTP redirected to it; plain HTTP when absent. */
  readonly certificateArn?: string;
  readonly assignments: readonly RouteAssignment[];
  readonly ecsTargetGroupArn: string;
  /** Lambda group → its target group ARN. */
  readonly lambdaTargetGroupArns: ReadonlyMap<string, string>;
  readonly defaultAction: 'not-found' | 'ecs';
}

/** Construct id of a route's rule: stable across target changes and priority shifts. */
export function ruleId(routeId: string): string {
  return `route-${routeId.replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, '')}`;
}

/** Tag values take letters, digits, spaces and `+ - = . _ : / @` only; Express paths may hold more. */
export function tagValue(text: string): string {
  return text.replace(/[^\p{L}\p{N} +\-=._:/@]/gu, '_');
}

/**
 * The listener(s) and one rule per route: `http-request-method` plus `path-pattern`, forwarding to
 * the route's target; more specific patterns get lower priority numbers (matched first).
 */
export class RouteRules extends Construct {
  /** The listener the rules are on (HTTPS when configured, else HTTP). */
  readonly listener: LbListener;
  readonly redirectListener: LbListener | undefined;
  readonly planned: readonly PlannedRule[];
  readonly rules: ReadonlyMap<string, LbListenerRule>;
  readonly ecsDirectRule: LbListenerRule;

  constructor(scope: Construct, id: string, options: RouteRulesOptions) {
    super(scope, id);
    this.planned = planListenerRules(options.assignments, { reservedRules: 1 });

    const defaultAction: LbListenerDefaultAction =
      options.defaultAction === 'ecs'
        ? { type: 'forward', targetGroupArn: options.ecsTargetGroupArn }
        : {
            type: 'fixed-response',
            fixedResponse: {
              statusCode: '404',
              contentType: 'application/json',
              messageBody: NOT_FOUND_BODY,
            },
          };
    if (options.certificateArn) {
      this.listener = new LbListener(this, 'https', {
        loadBalancerArn: options.loadBalancerArn,
        port: 443,
        protocol: 'HTTPS',
        sslPolicy: TLS_POLICY,
        certificateArn: options.certificateArn,
        defaultAction: [defaultAction],
      });
      this.redirectListener = new LbListener(this, 'http-redirect', {
        loadBalancerArn: options.loadBalancerArn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [
          { type: 'redirect', redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' } },
        ],
      });
    } else {
      this.listener = new LbListener(this, 'http', {
        loadBalancerArn: options.loadBalancerArn,
        port: 80,
        protocol: 'HTTP',
        defaultAction: [defaultAction],
      });
      this.redirectListener = undefined;
    }

    const rules = new Map<string, LbListenerRule>();
    for (const planned of this.planned) {
      const { assignment } = planned;
      const targetGroupArn =
        assignment.target === 'ecs'
          ? options.ecsTargetGroupArn
          : options.lambdaTargetGroupArns.get(assignment.route.lambdaGroup);
      if (!targetGroupArn) {
        throw new Error(`${assignment.id}: no target group for Lambda group ${assignment.route.lambdaGroup}`);
      }
      rules.set(
        assignment.id,
        new LbListenerRule(this, ruleId(assignment.id), {
          listenerArn: this.listener.arn,
          priority: planned.priority,
          condition: [
            { httpRequestMethod: { values: [...planned.methods] } },
            { pathPattern: { values: [...planned.pathPatterns] } },
          ],
          action: [{ type: 'forward', targetGroupArn }],
          tags: { Route: tagValue(assignment.id), Target: assignment.target },
        }),
      );
    }
    this.rules = rules;

    this.ecsDirectRule = new LbListenerRule(this, 'ecs-direct', {
      listenerArn: this.listener.arn,
      // Ahead of every route rule (they start at PRIORITY_STEP), so the header wins for any path.
      priority: 1,
      condition: [
        { httpHeader: { httpHeaderName: ECS_DIRECT_HEADER.name, values: [ECS_DIRECT_HEADER.value] } },
      ],
      action: [{ type: 'forward', targetGroupArn: options.ecsTargetGroupArn }],
    });
  }
}
