// One Lambda execution environment: a fresh node process that imports a built bundle the way the
// Node.js runtime does (init once, outside the handler) and then runs invocations sent over IPC.
// argv: <bundle module path> <export name> <function name> <memory MB>
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';

const [modulePath, exportName, functionName, memory] = process.argv.slice(2);
let handler;
try {
  handler = (await import(pathToFileURL(modulePath).href))[exportName];
  if (typeof handler !== 'function') throw new Error(`${modulePath} exports no function ${exportName}`);
} catch (error) {
  process.send?.({ type: 'init-error', message: error instanceof Error ? error.stack : String(error) });
  process.exit(1);
}

process.on('message', async (message) => {
  if (message?.type !== 'invoke') return;
  const requestId = randomUUID();
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: memory,
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `local/[$LATEST]${process.pid}`,
    getRemainingTimeInMillis: () => Math.max(0, message.deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
  try {
    const result = await handler(message.event, context);
    process.send?.({ type: 'result', id: message.id, json: JSON.stringify(result ?? null) });
  } catch (error) {
    process.send?.({
      type: 'error',
      id: message.id,
      message: error instanceof Error ? error.message : String(error),
    });
  }
});
// The launcher is gone (killed, crashed): an environment nobody can invoke must not linger.
process.on('disconnect', () => process.exit(0));
process.send?.({ type: 'ready' });
