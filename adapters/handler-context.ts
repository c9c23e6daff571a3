import type { Context } from 'aws-lambda';

/**
 * A Lambda `Context` whose `getRemainingTimeInMillis()` counts down to the route's deadline
 * (on Lambda, never past the invocation's own end). A class, so each request allocates fields
 * only, not a set of closures.
 */
class HandlerContext implements Context {
  readonly callbackWaitsForEmptyEventLoop = false;
  readonly functionVersion = process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST';
  readonly memoryLimitInMB = process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '0';
  readonly logStreamName = process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? 'local';

  constructor(
    readonly awsRequestId: string,
    readonly functionName: string,
    private readonly deadlineAt: number,
    private readonly now: () => number,
  ) {}

  get invokedFunctionArn(): string {
    const region = process.env.AWS_REGION ?? 'local';
    const account = process.env.AWS_ACCOUNT_ID ?? '000000000000';
    return `arn:aws:lambda:${region}:${account}:function:${this.functionName}`;
  }

  get logGroupName(): string {
    return process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? `/app/${this.functionName}`;
  }

  getRemainingTimeInMillis(): number {
    return Math.max(0, this.deadlineAt - this.now());
  }

  done(): never {
    return unsupported('done');
  }

  fail(): never {
    return unsupported('fail');
  }

  succeed(): never {
    return unsupported('succeed');
  }
}

function unsupported(name: string): never {
  throw new Error(`context.${name}() is not supported: return a result from the async handler instead`);
}

export function createHandlerContext(options: {
  requestId: string;
  functionName: string;
  deadlineAt: number;
  now?: () => number;
}): Context {
  return new HandlerContext(
    options.requestId,
    options.functionName,
    options.deadlineAt,
    options.now ?? Date.now,
  );
}
