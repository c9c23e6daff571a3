import type { APIGatewayProxyEvent } from 'aws-lambda';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { MemoryLeadStore } from '../../app/leads/lead-store.js';
import { loadOnFirstUse } from '../../handlers/lazy-handler.js';
import { createLeadHandler, getLeadHandler, leadIdProblems } from '../../handlers/leads.js';
import type { HandlerContext, HandlerDeps } from '../../handlers/types.js';

/**
 * The lead handlers check ids with plain rules (no zod on a read's cold start) and load the body
 * schema on the first create (handlers/leads.ts).
 */

describe('lead ids', () => {
  it('accept printable text up to 128 characters without a slash', () => {
    for (const id of ['seed-1', 'café', 'a b', '🚀', 'x'.repeat(128), 'a.b_c~d']) {
      expect(leadIdProblems(id), id).toEqual([]);
    }
  });

  it('name every rule an id breaks', () => {
    expect(leadIdProblems('')).toEqual(['must not be empty']);
    expect(leadIdProblems('x'.repeat(129))).toEqual(['at most 128 characters']);
    expect(leadIdProblems('a/b')).toEqual(['no slashes or control characters']);
    expect(leadIdProblems('a\u0000b')).toEqual(['no slashes or control characters']);
    expect(leadIdProblems('\u007f')).toEqual(['no slashes or control characters']);
    expect(leadIdProblems(`${'x'.repeat(128)}/`)).toEqual([
      'at most 128 characters',
      'no slashes or control characters',
    ]);
  });
});

const deps = {
  leads: new MemoryLeadStore(),
  clock: () => new Date('2026-01-01T00:00:00Z'),
  logger: pino({ level: 'silent' }),
} as unknown as HandlerDeps;
const context = { signal: new AbortController().signal } as HandlerContext;
const event = (leadId: string, body?: unknown) =>
  ({
    pathParameters: { leadId },
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? null : JSON.stringify(body),
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEvent;

describe('the lead handlers', () => {
  it('answer a bad id with 400 naming leadId, on both routes', async () => {
    for (const handler of [getLeadHandler(deps), createLeadHandler(deps)]) {
      const result = await handler(event('a\u0001b', { name: 'Ada', email: 'ada@example.com' }), context);
      expect(result?.statusCode).toBe(400);
      expect(JSON.parse(result?.body ?? '{}').error.details.fields).toEqual([
        { path: 'leadId', message: 'no slashes or control characters' },
      ]);
    }
  });

  it('create with the body schema loaded on first use, then read back', async () => {
    const create = createLeadHandler(deps);
    const invalid = await create(event('l-1', { name: ' ', email: 'no', extra: 1 }), context);
    expect(invalid?.statusCode).toBe(400);
    expect(
      JSON.parse(invalid?.body ?? '{}').error.details.fields.map((f: { path: string }) => f.path),
    ).toEqual(['name', 'email', '(body)']);
    expect((await create(event('l-1', { name: 'Ada', email: 'ada@example.com' }), context))?.statusCode).toBe(
      201,
    );
    const read = await getLeadHandler(deps)(event('l-1'), context);
    expect(JSON.parse(read?.body ?? '{}')).toMatchObject({ leadId: 'l-1', name: 'Ada' });
  });
});

describe('loadOnFirstUse', () => {
  it('loads once for every caller, and again after a failed load', async () => {
    const load = vi
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(new Error('chunk missing'))
      .mockResolvedValue('schema');
    const get = loadOnFirstUse(load);
    await expect(get()).rejects.toThrow('chunk missing');
    const [a, b] = await Promise.all([get(), get()]);
    expect([a, b, await get()]).toEqual(['schema', 'schema', 'schema']);
    expect(load).toHaveBeenCalledTimes(2);
  });
});
