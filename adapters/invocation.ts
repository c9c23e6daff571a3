import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { LambdaHttpRequest } from './event-sources/lambda-http.js';
import { clientAddress } from './source-ip.js';

export type Runtime = 'ecs' | 'lambda';

/** What the runtime tells about one request, before any handler runs. */
export interface Invocation {
  readonly runtime: Runtime;
  /** The Lambda request id on Lambda; generated on ECS. Echoed as `x-request-id`. */
  readonly requestId: string;
  readonly sourceIp: string;
  readonly functionName: string;
  readonly stage: string;
  /** Epoch ms when the platform ends the invocation (Lambda); undefined on ECS. */
  readonly platformDeadline: number | undefined;
  /** Header name/value pairs as received, names lower-cased, repeats kept. */
  readonly headerPairs: readonly (readonly [string, string])[];
}

export type InvocationResolver = (req: Request) => Invocation;

/** Header pairs from Node's `rawHeaders`, which keeps repeated headers apart. */
function rawHeaderPairs(req: Request): [string, string][] {
  const pairs: [string, string][] = [];
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    pairs.push([(req.rawHeaders[i] as string).toLowerCase(), req.rawHeaders[i + 1] as string]);
  }
  return pairs;
}

/** Header pairs from an already-joined header map (what an in-memory request carries). */
export function headerMapPairs(headers: Record<string, string | string[] | undefined>): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) pairs.push([name.toLowerCase(), one]);
  }
  return pairs;
}

/** Every value of one header, in the order received (names already lower-cased). */
export function valuesOf(pairs: readonly (readonly [string, string])[], name: string): string[] {
  const values: string[] = [];
  for (const [key, value] of pairs) if (key === name) values.push(value);
  return values;
}

/** On ECS: a fresh request id, the client from the right-most X-Forwarded-For or the socket. */
export function ecsInvocationResolver(options: {
  stage: string;
  functionName: string;
  trustForwardedFor: boolean;
}): InvocationResolver {
  return (req) => {
    const headerPairs = req.rawHeaders.length > 0 ? rawHeaderPairs(req) : headerMapPairs(req.headers);
    return {
      runtime: 'ecs',
      requestId: randomUUID(),
      sourceIp: clientAddress({
        // From the raw lines: `req.headers` is built on first use, and most requests never need it.
        forwardedFor: options.trustForwardedFor ? valuesOf(headerPairs, 'x-forwarded-for') : undefined,
        socketAddress: req.socket?.remoteAddress,
        trustForwardedFor: options.trustForwardedFor,
      }),
      functionName: options.functionName,
      stage: options.stage,
      platformDeadline: undefined,
      headerPairs,
    };
  };
}

/** The request read from the Lambda event, and the context of the invocation being served. */
export interface LambdaInvoke {
  readonly request: LambdaHttpRequest;
  readonly context: { awsRequestId: string; functionName: string; getRemainingTimeInMillis(): number };
}

/**
 * On Lambda: the request id and deadline come from the invocation's context; the headers and the
 * client address from the event, as its source's reader (adapters/event-sources/) found them.
 */
export function lambdaInvocationResolver(options: {
  stage: string;
  /** The invocation a request belongs to. */
  current: (req: Request) => LambdaInvoke | undefined;
}): InvocationResolver {
  return (req) => {
    const invoke = options.current(req);
    if (!invoke)
      throw new Error('No Lambda invocation in scope: was the request routed through app/lambda.ts?');
    const { request, context } = invoke;
    return {
      runtime: 'lambda',
      requestId: context.awsRequestId,
      sourceIp: request.sourceIp,
      functionName: context.functionName,
      stage: options.stage,
      platformDeadline: Date.now() + context.getRemainingTimeInMillis(),
      headerPairs: request.headerPairs,
    };
  };
}
