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
