import { SecurityGroup } from '@cdktf/provider-aws/lib/security-group/index.js';
import { VpcSecurityGroupEgressRule } from '@cdktf/provider-aws/lib/vpc-security-group-egress-rule/index.js';
import { VpcSecurityGroupIngressRule } from '@cdktf/provider-aws/lib/vpc-security-group-ingress-rule/index.js';
import { Construct } from 'constructs';

export interface AppSecurityGroupsOptions {
  readonly namePrefix: string;
  readonly vpcId: string;
  readonly albSecurityGroupId: string;
  /** The API container's port. */
  readonly apiPort: number;
}

/**
 * The security groups of the app's two runtimes, made before either so Redis can admit both.
 * Tasks take requests from the ALB only; both reach AWS APIs over HTTPS (Redis adds its own pair of
 * rules). Lambdas need no ingress: the ALB invokes them through the Lambda API, not the VPC.
 */
export class AppSecurityGroups extends Construct {
  readonly tasks: SecurityGroup;
  readonly lambdas: SecurityGroup;

  constructor(scope: Construct, id: string, options: AppSecurityGroupsOptions) {
    super(scope, id);
    const group = (key: string, name: string, description: string) => {
      const sg = new SecurityGroup(this, key, {
        name,
        description,
        vpcId: options.vpcId,
        tags: { Name: name },
      });
      new VpcSecurityGroupEgressRule(this, `${key}-https-out`, {
        securityGroupId: sg.id,
        description: 'AWS APIs and ECR through the NAT gateway',
        ipProtocol: 'tcp',
        fromPort: 443,
        toPort: 443,
        cidrIpv4: '0.0.0.0/0',
      });
      return sg;
    };
    this.tasks = group(
      'tasks',
      `${options.namePrefix}-api-tasks`,
      'API tasks: the ALB in, HTTPS and Redis out',
    );
    this.lambdas = group(
      'lambdas',
      `${options.namePrefix}-lambdas`,
      'Lambdas: HTTPS and Redis out, nothing in',
    );

    new VpcSecurityGroupIngressRule(this, 'alb-to-tasks-in', {
      securityGroupId: this.tasks.id,
      description: 'Requests from the ALB',
      ipProtocol: 'tcp',
      fromPort: options.apiPort,
      toPort: options.apiPort,
      referencedSecurityGroupId: options.albSecurityGroupId,
    });
    new VpcSecurityGroupEgressRule(this, 'alb-to-tasks-out', {
      securityGroupId: options.albSecurityGroupId,
      description: 'ALB to the API tasks',
      ipProtocol: 'tcp',
      fromPort: options.apiPort,
      toPort: options.apiPort,
      referencedSecurityGroupId: this.tasks.id,
    });
  }
}
