import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

/**
 * One Lambda execution environment: a process of its own (so the function's module-level init,
 * its environment and its credentials are its own, as on Lambda) that imports the handler module
 * named by LAMBDA_ENTRY once, then answers `{ id, event, timeoutMs }` invocations over IPC with
 * `{ id, result }` or `{ id, error }`. The parent (local-lambda.ts) plays the Lambda service.
 */
interface Invocation {
  readonly id: number;
  readonly event: unknown;
  readonly timeoutMs: number;
}

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const entry = process.env.LAMBDA_ENTRY;
if (!entry) throw new Error('LAMBDA_ENTRY is required');
const module_ = (await import(pathToFileURL(entry).href)) as { handler: Handler };

process.on('message', (message: Invocation) => {
  const deadline = Date.now() + message.timeoutMs;
  const context = {
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  module_.handler(message.event, context).then(
    (result) => process.send?.({ id: message.id, result }),
    (error: unknown) =>
      process.send?.({ id: message.id, error: error instanceof Error ? error.stack : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
