import { Lb } from '@cdktf/provider-aws/lib/lb/index.js';
import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { Construct } from 'constructs';

export interface AlbOptions {
  readonly namePrefix: string;
  readonly vpcId: string;
  readonly publicSubnetIds: readonly string[];
  readonly deletionProtection: boolean;
  /** Existing bucket for access logs; none when omitted. */
  readonly accessLogsBucket?: string;
}

/**
 * The one internet-facing ALB every route goes through. Listeners and rules live in RouteRules;
 * the targets' security groups add their own egress rules from this group.
 */
export class Alb extends Construct {
  readonly lb: Lb;
  readonly securityGroup: SecurityGroup;

  constructor(scope: Construct, id: string, options: AlbOptions) {
    super(scope, id);
    this.securityGroup = new SecurityGroup(this, 'sg', {
      name: `${options.namePrefix}-alb`,
      description: 'Public ALB: HTTP (redirected or served) and HTTPS from anywhere',
      vpcId: options.vpcId,
      tags: { Name: `${options.namePrefix}-alb` },
    });
    for (const port of [80, 443]) {
      for (const [family, cidr] of [
        ['ipv4', { cidrIpv4: '0.0.0.0/0' }],
        ['ipv6', { cidrIpv6: '::/0' }],
      ] as const) {
        new VpcSecurityGroupIngressRule(this, `ingress-${port}-${family}`, {
          securityGroupId: this.securityGroup.id,
          description: `${port === 443 ? 'HTTPS' : 'HTTP'} from the internet`,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          ...cidr,
        });
      }
    }

    this.lb = new Lb(this, 'lb', {
      name: options.namePrefix,
      loadBalancerType: 'application',
      internal: false,
      securityGroups: [this.securityGroup.id],
      subnets: [...options.publicSubnetIds],
      // Header names with characters outside [A-Za-z0-9-] are a request-smuggling vector.
      dropInvalidHeaderFields: true,
      desyncMitigationMode: 'defensive',
      enableDeletionProtection: options.deletionProtection,
      // The app's keep-alive timeout (65 s, app/server.ts) must exceed this.
      idleTimeout: 60,
      ...(options.accessLogsBucket
        ? { accessLogs: { bucket: options.accessLogsBucket, prefix: options.namePrefix, enabled: true } }
        : {}),
    });
  }
}
