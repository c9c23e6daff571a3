/**
 * Documents of the AWS managed policies a stack may attach by ARN. IAM keeps them, so the
 * synthesized stack holds only the ARN; these are their documents as published in the
 * "AWS Managed Policy Reference Guide" (one page per policy, named in `source`). Only the few the
 * project could use are kept; attaching any other stops the local checks with its ARN named.
 */
interface ManagedPolicy {
  readonly source: string;
  readonly document: unknown;
}

const statement = (actions: readonly string[]) => ({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Action: actions, Resource: '*' }],
});

const MANAGED: Readonly<Record<string, ManagedPolicy>> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    source: 'AWS Managed Policy Reference Guide, AWSLambdaBasicExecutionRole (version 1)',
    document: statement(['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents']),
  },
  'arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole': {
    source: 'AWS Managed Policy Reference Guide, AWSLambdaSQSQueueExecutionRole (version 1)',
    document: statement([
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:GetQueueAttributes',
      'logs:CreateLogGroup',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]),
  },
  'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy': {
    source: 'AWS Managed Policy Reference Guide, AmazonECSTaskExecutionRolePolicy (version 1)',
    document: statement([
      'ecr:GetAuthorizationToken',
      'ecr:BatchCheckLayerAvailability',
      'ecr:GetDownloadUrlForLayer',
      'ecr:BatchGetImage',
      'logs:CreateLogStream',
      'logs:PutLogEvents',
    ]),
  },
};

export function managedPolicyDocument(arn: string): ManagedPolicy {
  const found = MANAGED[arn];
  if (!found) {
    throw new Error(
      `${arn}: no document for this managed policy in test/servers/iam/managed-policies.ts; add it from the AWS Managed Policy Reference Guide`,
    );
  }
  return found;
}
