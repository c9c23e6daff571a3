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
 * The listener(s), one rule per route (`http-request-method` plus `path-pattern`, forwarding to the
 * route's target) and one per route path (any other method, `OPTIONS` included, to a runtime that
 * answers it); priorities as infra/route-patterns.ts derives them. No rule lets a client choose the
 * runtime: an anonymous request reaches only the target its route or path is deployed to.
 */
export class RouteRules extends Construct {
  /** The listener the rules are on (HTTPS when configured, else HTTP). */
  readonly listener: LbListener;
  readonly redirectListener: LbListener | undefined;
  readonly planned: readonly PlannedRule[];
  /** Route id → its rule. */
  readonly rules: ReadonlyMap<string, LbListenerRule>;
  /** Express path → the rule that takes `OPTIONS` and other methods on it. */
  readonly pathRules: ReadonlyMap<string, LbListenerRule>;
  /**
   * The rules that associate the ECS target group with the listener, which ECS needs before it
   * registers tasks: the path rules, all of which name it (with weight 0 when they forward to Lambda).
   */
  readonly ecsAttachment: readonly LbListenerRule[];

  constructor(scope: Construct, id: string, options: RouteRulesOptions) {
    super(scope, id);
    this.planned = planListenerRules(options.assignments);

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

    const lambdaTargetGroup = (group: string, why: string) => {
      const arn = options.lambdaTargetGroupArns.get(group);
      if (!arn) throw new Error(`${why}: no target group for Lambda group ${group}`);
      return arn;
    };
    const rules = new Map<string, LbListenerRule>();
    const pathRules = new Map<string, LbListenerRule>();
    for (const planned of this.planned) {
      if (planned.kind === 'route') {
        const { assignment } = planned;
        const targetGroupArn =
          assignment.target === 'ecs'
            ? options.ecsTargetGroupArn
            : lambdaTargetGroup(assignment.route.lambdaGroup, assignment.id);
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
      } else {
        // Weighted forward ("Listener rules", ELB docs: weights 0–999, any target group types):
        // weight 0 sends nothing to ECS but keeps its target group on the listener.
        const targetGroups =
          planned.target.type === 'ecs'
            ? [{ arn: options.ecsTargetGroupArn, weight: 1 }]
            : [
                { arn: lambdaTargetGroup(planned.target.group, planned.key), weight: 1 },
                { arn: options.ecsTargetGroupArn, weight: 0 },
              ];
        pathRules.set(
          planned.path,
          new LbListenerRule(this, ruleId(planned.key), {
            listenerArn: this.listener.arn,
            priority: planned.priority,
            condition: [{ pathPattern: { values: [...planned.pathPatterns] } }],
            action: [{ type: 'forward', forward: { targetGroup: targetGroups } }],
            tags: {
              Path: tagValue(planned.path),
              Target: planned.target.type === 'ecs' ? 'ecs' : `lambda:${planned.target.group}`,
            },
          }),
        );
      }
    }
    this.rules = rules;
    this.pathRules = pathRules;
    this.ecsAttachment = [...pathRules.values()];
  }
}
