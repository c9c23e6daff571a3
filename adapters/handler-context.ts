import type { Context } from 'aws-lambda';

/**
 * A Lambda `Context` whose `getRemainingTimeInMillis()` counts down to the route's deadline
 * (on Lambda, never past the invocation's own end).
 */
export function createHandlerContext(options: {
  requestId: string;
  functionName: string;
  deadlineAt: number;
  now?: () => number;
}): Context {
  const now = options.now ?? Date.now;
  const region = process.env.AWS_REGION ?? 'local';
  const account = process.env.AWS_ACCOUNT_ID ?? '000000000000';
  const unsupported = (name: string) => () => {
    throw new Error(`context.${name}() is not supported: return a result from the async handler instead`);
  };
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: options.functionName,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${account}:function:${options.functionName}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '0',
    awsRequestId: options.requestId,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? `/app/${options.functionName}`,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? 'local',
    getRemainingTimeInMillis: () => Math.max(0, options.deadlineAt - now()),
    done: unsupported('done'),
    fail: unsupported('fail'),
    succeed: unsupported('succeed'),
  };
}
