import type { HandlerContext as ApiHandlerContext } from '../handlers/types.js';

/**
 * A Lambda `Context` whose `getRemainingTimeInMillis()` counts down to the route's deadline
 * (on Lambda, never past the invocation's own end), with a `signal` that aborts then. A class, so
 * each request allocates fields only, not a set of closures.
 */
// The environment is read once per process: process.env is a slow lookup on every access.
const FUNCTION_VERSION = process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST';
const MEMORY_LIMIT_MB = process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '0';
const LOG_STREAM = process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? 'local';
const LOG_GROUP = process.env.AWS_LAMBDA_LOG_GROUP_NAME;
const REGION = process.env.AWS_REGION ?? 'local';
const ACCOUNT = process.env.AWS_ACCOUNT_ID ?? '000000000000';

class HandlerContext implements ApiHandlerContext {
  readonly callbackWaitsForEmptyEventLoop = false;
  readonly functionVersion = FUNCTION_VERSION;
  readonly memoryLimitInMB = MEMORY_LIMIT_MB;
  readonly logStreamName = LOG_STREAM;

  constructor(
    readonly awsRequestId: string,
    readonly functionName: string,
    private readonly deadlineAt: number,
    private readonly now: () => number,
    private readonly abort: Abort,
  ) {}

  /** Made on first read: most handlers never look at it, and an AbortController is not free. */
  get signal(): AbortSignal {
    return this.abort.signal;
  }

  get invokedFunctionArn(): string {
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${this.functionName}`;
  }

  get logGroupName(): string {
    return LOG_GROUP ?? `/app/${this.functionName}`;
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

/**
 * An AbortController made only when its signal is first read. Aborting before that is kept, so
 * a signal read later starts aborted with the same reason: what the handler sees is the same as
 * with a controller made up front.
 */
export class Abort {
  private controller: AbortController | undefined;
  private reason: unknown;
  private aborted = false;

  /** `watch` runs when the signal is first read and not yet aborted: the place to start listening for what aborts it. */
  constructor(private readonly watch?: (abort: Abort) => void) {}

  get signal(): AbortSignal {
    if (this.controller === undefined) {
      this.controller = new AbortController();
      if (this.aborted) this.controller.abort(this.reason);
      else this.watch?.(this);
    }
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.controller?.abort(reason);
  }
}

export function createHandlerContext(options: {
  requestId: string;
  functionName: string;
  deadlineAt: number;
  now?: () => number;
  /** Fires at the deadline (and when the client goes away); a never-firing one if absent. */
  abort?: Abort;
}): ApiHandlerContext {
  return new HandlerContext(
    options.requestId,
    options.functionName,
    options.deadlineAt,
    options.now ?? Date.now,
    options.abort ?? new Abort(),
  );
}
