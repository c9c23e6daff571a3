/**
 * The one list of intentional exceptions to the security rules the infra tests enforce (they
 * mirror checkov's IDs). Each names the check, where it applies, and why. The tests fail on any
 * violation not listed here, and on an entry that no longer matches anything.
 */
export interface SecurityException {
  /** checkov ID, e.g. `CKV_AWS_150`. */
  readonly check: string;
  /** Environments it applies to; all when omitted. */
  readonly envs?: readonly string[];
  /** Matched against `<resource address> <detail>` of a violation. */
  readonly match: RegExp;
  readonly reason: string;
}

export const SECURITY_EXCEPTIONS: readonly SecurityException[] = [
  {
    check: 'CKV_AWS_2',
    envs: ['dev'],
    match: /^aws_lb_listener\.routes_http_/,
    reason:
      'dev has no certificate and serves plain HTTP; prod (alb.https in infra/stack-config.ts) serves HTTPS and redirects HTTP.',
  },
  {
    check: 'CKV_AWS_150',
    envs: ['dev'],
    match: /^aws_lb\.alb_/,
    reason: 'dev is torn down and rebuilt freely; deletion protection is on in prod.',
  },
  {
    check: 'CKV_AWS_287',
    match: /execution-role.* ecr:GetAuthorizationToken$/,
    reason:
      'ECS pulls images with the execution role, and ecr:GetAuthorizationToken has no resource-level permission ' +
      '(Service Authorization Reference, Amazon ECR); the pull itself is limited to the one repository.',
  },
  {
    check: 'CKV_AWS_116',
    match: /^aws_lambda_function\.lambda_/,
    reason:
      'API functions are invoked synchronously by the ALB: the client gets the error, there is no event to dead-letter.',
  },
  {
    check: 'CKV_AWS_116',
    match: /^aws_lambda_function\.jobs_pacer_/,
    reason:
      "The pacer is invoked synchronously by its SQS event source; failed messages go to the queue's own dead-letter queue.",
  },
  {
    check: 'CKV_AWS_116',
    match: /^aws_lambda_function\.jobs_dead-letters_/,
    reason:
      'The dead-letter reader is invoked synchronously by its SQS event source on the jobs dead-letter queue itself; a message it cannot settle stays there and is retried until retention ends.',
  },
];

/**
 * Permissions the least-privilege report (`npm run iam-report`) finds granted but never used by
 * the code during the test suite, each with why it stays. The report fails on any unused grant
 * not listed here, and on an entry that no longer matches a grant.
 */
export interface UnusedGrant {
  /** Matched against the IAM role's name (e.g. `dra-dev-pacer`). */
  readonly role: RegExp;
  readonly actions: readonly string[];
  readonly reason: string;
}

const LAMBDA_ROLES = /-(pacer|task-events|job-dead-letters|api-\w+)$/;

export const UNUSED_GRANTS: readonly UnusedGrant[] = [
  {
    role: /-execution$/,
    actions: [
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'ecr:GetAuthorizationToken',
      'ecr:BatchCheckLayerAvailability',
      'ecr:BatchGetImage',
      'ecr:GetDownloadUrlForLayer',
      'secretsmanager:GetSecretValue',
    ],
    reason:
      'Task execution roles are used by ECS itself, not by the code: it pulls the image, sends the container logs and injects the secrets ("Amazon ECS task execution IAM role", ECS Developer Guide).',
  },
  {
    role: LAMBDA_ROLES,
    actions: [
      'logs:CreateLogStream',
      'logs:PutLogEvents',
      'ec2:AssignPrivateIpAddresses',
      'ec2:CreateNetworkInterface',
      'ec2:DeleteNetworkInterface',
      'ec2:UnassignPrivateIpAddresses',
      'ec2:DescribeNetworkInterfaces',
      'ec2:DescribeSubnets',
    ],
    reason:
      'Used by the Lambda service with the function\'s role: it writes the function\'s logs and manages its VPC network interfaces ("Lambda execution role" and "Giving Lambda functions access to a VPC", Lambda Developer Guide).',
  },
  {
    role: LAMBDA_ROLES,
    actions: ['secretsmanager:GetSecretValue'],
    reason:
      "Read once at init (app/secrets.ts): the Redis AUTH token and, for the API groups, the API key hashes. The suite's Redis has no AUTH and no keys are configured, so its runs skip the read; test/integration/secrets.test.ts covers it against a Secrets Manager stand-in.",
  },
  {
    role: /-api-jobs$/,
    actions: [
      's3:DeleteObject',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
      'sqs:SendMessage',
      'ecs:StopTask',
    ],
    reason:
      'The jobs routes on Lambda run the same JobsService as the API task, whose calls the suite checks end to end through the ECS runtime (test/aws); both roles get the same statements (infra/api-stack.ts).',
  },
  {
    role: /-pacer$/,
    actions: ['ecs:StopTask'],
    reason:
      'Stops a task it launched for a job cancelled while it was launching (app/jobs/pacer.ts, record): a race the end-to-end suite does not force.',
  },
];
