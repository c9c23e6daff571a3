import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group/index.js';
import { LambdaFunction } from '@cdktf/provider-aws/lib/lambda-function/index.js';
import { Fn } from 'cdktf';
import { Construct } from 'constructs';
import { logWriteStatement, type PolicyStatement, ServiceRole } from './iam-role.js';

/**
 * Where Terraform finds a bundle `npm run build` wrote: `dist/lambda/<name>.zip`. Terraform runs in
 * `cdktf.out/stacks/<stack>/`, hence the relative path. The hash is Terraform's
 * `filebase64sha256()`, evaluated at plan time, not at synthesis: synthesis works before any build,
 * and a changed bundle changes the hash and redeploys. (An S3 artifact would also do, at the cost of
 * a bucket and an upload step; the pipeline builds and plans in one workspace, so a file is simpler.)
 */
export function lambdaArtifact(name: string): { filename: string; sourceCodeHash: string } {
  const filename = `../../../dist/lambda/${name}.zip`;
  return { filename, sourceCodeHash: Fn.filebase64sha256(filename) };
}

/**
 * nodejs20.x left standard support with Node 20's end of life (Lambda runtimes page, "Runtime
 * deprecation"). Node 22 LTS everywhere: this runtime, the container's base image (Dockerfile) and
 * `engines` in package.json (a test keeps the three on one major); the runtime also provides the AWS SDK v3 the build leaves out of the zips.
 */
export const LAMBDA_RUNTIME = 'nodejs22.x';

export interface NodeFunctionOptions {
  readonly name: string;
  /** `file.export` inside the bundle, e.g. `lambda.handler`. */
  readonly handler: string;
  /** Bundle name under dist/lambda/, without `.zip`. */
  readonly artifact: string;
  readonly timeoutSeconds: number;
  readonly memoryMb: number;
  readonly environment: Readonly<Record<string, string>>;
  readonly statements: readonly PolicyStatement[];
  readonly logRetentionDays: number;
  readonly region: string;
  readonly accountId: string;
  /** In the VPC (to reach Redis); ENIs go into these subnets with this security group. */
  readonly vpc: { readonly subnetIds: readonly string[]; readonly securityGroupId: string };
  readonly reservedConcurrency?: number;
  /** For asynchronously invoked functions: where events go after the retries fail. */
  readonly deadLetterQueueArn?: string;
}

/** A Node.js Lambda function with its own role, log group (with retention) and VPC placement. */
export class NodeFunction extends Construct {
  readonly function: LambdaFunction;
  readonly role: ServiceRole;

  constructor(scope: Construct, id: string, options: NodeFunctionOptions) {
    super(scope, id);
    const logGroup = new CloudwatchLogGroup(this, 'logs', {
      name: `/aws/lambda/${options.name}`,
      retentionInDays: options.logRetentionDays,
    });
    // Lambda manages the function's ENIs with its role ("Giving Lambda functions access to a VPC",
    // Lambda docs): the write actions are scoped to this account and region, the Describe ones
    // have no resource-level permission.
    const ec2Scope = `arn:aws:ec2:${options.region}:${options.accountId}:*`;
    this.role = new ServiceRole(this, 'role', {
      name: options.name,
      service: 'lambda.amazonaws.com',
      statements: [
        logWriteStatement(logGroup.arn),
        {
          Effect: 'Allow',
          Action: [
            'ec2:AssignPrivateIpAddresses',
            'ec2:CreateNetworkInterface',
            'ec2:DeleteNetworkInterface',
            'ec2:UnassignPrivateIpAddresses',
          ],
          Resource: [ec2Scope],
        },
        { Effect: 'Allow', Action: ['ec2:DescribeNetworkInterfaces', 'ec2:DescribeSubnets'], Resource: '*' },
        ...(options.deadLetterQueueArn
          ? [
              {
                Effect: 'Allow' as const,
                Action: ['sqs:SendMessage'],
                Resource: [options.deadLetterQueueArn],
              },
            ]
          : []),
        ...options.statements,
      ],
    });

    this.function = new LambdaFunction(this, 'function', {
      functionName: options.name,
      role: this.role.arn,
      runtime: LAMBDA_RUNTIME,
      handler: options.handler,
      ...lambdaArtifact(options.artifact),
      timeout: options.timeoutSeconds,
      memorySize: options.memoryMb,
      environment: {
        variables: { NODE_OPTIONS: '--enable-source-maps', ...options.environment },
      },
      vpcConfig: {
        subnetIds: [...options.vpc.subnetIds],
        securityGroupIds: [options.vpc.securityGroupId],
      },
      loggingConfig: { logFormat: 'Text', logGroup: logGroup.name },
      ...(options.reservedConcurrency !== undefined
        ? { reservedConcurrentExecutions: options.reservedConcurrency }
        : {}),
      ...(options.deadLetterQueueArn ? { deadLetterConfig: { targetArn: options.deadLetterQueueArn } } : {}),
      dependsOn: [logGroup],
    });
  }
}
