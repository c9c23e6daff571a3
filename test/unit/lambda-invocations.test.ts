import { describe, expect, it } from 'vitest';
import { createLambdaHandler } from '../../app/lambda-handler.js';
import { MemoryLeadStore } from '../../app/leads/lead-store.js';
import { DrainState } from '../../app/readiness.js';
import { routes } from '../../app/routes.js';
import { silentLogger } from '../jobs/support/harness.js';
import { toAlbEvent, toApiGatewayV1Event } from '../parity/event-builders.js';
import { fakeLambdaContext, invokeLambda } from '../parity/runtimes.js';

/**
 * Invocations served at once by one process never mix: each answer carries its own invocation's
 * request id, and its own request's path and body — also when they share one event object.
 */
async function lambda() {
  const leads = new MemoryLeadStore();
  const { handler } = createLambdaHandler(
    { leads, readiness: new DrainState(), logger: silentLogger, clock: () => new Date() },
    { stage: 'test', maxBodyBytes: 64 * 1024, routes },
  );
  return handler;
}

describe('concurrent Lambda invocations in one process', () => {
  it('keep their own request id, path and body', async () => {
    const handler = await lambda();
    const count = 40;
    const answers = await Promise.all(
      Array.from({ length: count }, async (_, i) => {
        const context = fakeLambdaContext();
        const write = i % 2 === 0;
        const request = {
          name: `lead ${i}`,
          method: write ? 'POST' : 'GET',
          path: `/leads/lead-${i}`,
          headers: write ? ([['content-type', 'application/json']] as const) : [],
          body: write ? JSON.stringify({ name: `Name ${i}`, email: `n${i}@example.com` }) : undefined,
        };
        const event =
          i % 3 === 0 ? toApiGatewayV1Event(request) : toAlbEvent(request, { multiValue: i % 4 === 1 });
        return { i, write, context, answer: await invokeLambda(handler, event, context) };
      }),
    );
    for (const { i, write, context, answer } of answers) {
      expect(answer.headers['x-request-id']).toEqual([context.awsRequestId]);
      if (write) {
        expect(answer.status).toBe(201);
        expect(JSON.parse(answer.body.toString())).toMatchObject({ leadId: `lead-${i}`, name: `Name ${i}` });
      } else {
        // Nothing stored under an odd id: 404 naming this request's own id.
        expect(answer.status).toBe(404);
        expect(answer.body.toString()).toContain(`lead-${i}`);
      }
    }
  });

  it('keep apart two invocations of the very same event object', async () => {
    const handler = await lambda();
    const event = toAlbEvent({ name: 'same', method: 'GET', path: '/healthz' }, { multiValue: false });
    const contexts = [fakeLambdaContext(), fakeLambdaContext()];
    const answers = await Promise.all(contexts.map((context) => invokeLambda(handler, event, context)));
    expect(answers.map((a) => a.headers['x-request-id'])).toEqual(contexts.map((c) => [c.awsRequestId]));
  });
});
