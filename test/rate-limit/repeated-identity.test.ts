import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toAlbEvent, toApiGatewayV1Event, toApiGatewayV2Event } from '../parity/event-builders.js';
import type { HttpCase } from '../parity/http-case.js';
import { invokeLambda, sendToEcs } from '../parity/runtimes.js';
import { API_KEY, ecsApp, guardFor, lambdaHandler, OTHER_API_KEY } from './support.js';

/**
 * A repeated identity header means the same on every source. ECS sees the repeats apart; HTTP API
 * (v2) joins them with commas ("Working with AWS Lambda proxy integrations for HTTP APIs"), which
 * the Lambda entry splits again: two different keys are refused everywhere, the same key sent
 * twice is that key everywhere.
 */

const cases: [string, [string, string][], number][] = [
  [
    'two different x-api-key headers',
    [
      ['x-api-key', API_KEY],
      ['x-api-key', OTHER_API_KEY],
    ],
    401,
  ],
  [
    'the same x-api-key twice',
    [
      ['x-api-key', API_KEY],
      ['x-api-key', API_KEY],
    ],
    200,
  ],
  [
    'the same Authorization twice',
    [
      ['authorization', `Bearer ${API_KEY}`],
      ['authorization', `Bearer ${API_KEY}`],
    ],
    200,
  ],
  [
    'an x-api-key and a different bearer key',
    [
      ['x-api-key', API_KEY],
      ['authorization', `Bearer ${OTHER_API_KEY}`],
    ],
    401,
  ],
];

describe('repeated identity headers', () => {
  let server: Server;
  let port: number;

  beforeAll(async () => {
    server = createServer(ecsApp(guardFor({ redis: undefined, prefix: 'repeat:' })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it.each(cases)('%s: the same answer on ECS and every Lambda source', async (_name, headers, expected) => {
    // Prepare: each case from its own address, so quotas do not interfere.
    const request: HttpCase = {
      name: 'identity',
      method: 'GET',
      path: '/items/1',
      headers,
      sourceIp: '198.51.100.60',
    };
    const lambda = lambdaHandler(guardFor({ redis: undefined, prefix: 'repeat:' }));

    // Act
    const answers = {
      ecs: (await sendToEcs(port, request)).status,
      'alb-multivalue': (await invokeLambda(lambda, toAlbEvent(request, { multiValue: true }))).status,
      'apigw-v1': (await invokeLambda(lambda, toApiGatewayV1Event(request))).status,
      'apigw-v2': (await invokeLambda(lambda, toApiGatewayV2Event(request))).status,
    };

    // Assess
    expect(answers).toEqual({
      ecs: expected,
      'alb-multivalue': expected,
      'apigw-v1': expected,
      'apigw-v2': expected,
    });
  });
});
