import { expect } from 'vitest';
import type { ParityCase } from './cases.js';
import type { NormalizedResponse } from './http-case.js';

/**
 * Requests an attacker sends, which must be answered alike on every runtime and source, with a
 * 4xx at worst: names of built-in object members where the client chooses names, ill-formed
 * Unicode, headers as large as the ALB takes.
 */

const bodyJson = (response: NormalizedResponse) => JSON.parse(response.body.toString('utf8'));
const BUILT_INS = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'prototype'];

export const hostileCases: Record<string, ParityCase> = {
  'built-in member names as query keys on the health check': {
    request: { name: '', method: 'GET', path: '/healthz', query: 'constructor=1&__proto__=2' },
    status: 200,
  },
  'built-in member names as query keys reach the handler as plain keys': {
    request: {
      name: '',
      method: 'GET',
      path: '/probe/echo/q',
      query: BUILT_INS.map((name, i) => `${name}=${i}`).join('&'),
    },
    status: 200,
    check: (r) => {
      expect(Object.keys(bodyJson(r).query).sort()).toEqual([...BUILT_INS].sort());
      expect(Object.keys(bodyJson(r).multiQuery).sort()).toEqual([...BUILT_INS].sort());
    },
  },
  'built-in member names as header names': {
    request: {
      name: '',
      method: 'GET',
      path: '/probe/echo/h',
      headers: [...BUILT_INS.map((name) => [name, 'x'] as const), ['x-test-constructor', 'kept']],
    },
    status: 200,
    check: (r) => expect(bodyJson(r).testHeaders).toEqual({ 'x-test-constructor': ['kept'] }),
  },
  'built-in member names as a lead id': {
    request: { name: '', method: 'GET', path: '/leads/__proto__' },
    status: 404,
    check: (r) => expect(bodyJson(r).error.code).toBe('lead_not_found'),
  },
  'built-in member names as JSON keys are refused as unknown fields': {
    request: {
      name: '',
      method: 'POST',
      path: '/leads/proto-keys',
      headers: [['content-type', 'application/json']],
      body: '{"name":"Ada","email":"ada@example.com","__proto__":{"admin":true},"constructor":1}',
    },
    status: 400,
    check: (r) => expect(bodyJson(r).error.code).toBe('validation_failed'),
  },
  'an unpaired surrogate in a JSON body is refused': {
    request: {
      name: '',
      method: 'POST',
      path: '/leads/surrogate',
      headers: [['content-type', 'application/json']],
      body: '{"name":"\\ud800","email":"ada@example.com"}',
    },
    status: 400,
    check: (r) => expect(bodyJson(r).error.code).toBe('ill_formed_unicode'),
  },
  'headers of 40 KB are served, as the ALB serves them': {
    request: {
      name: '',
      method: 'GET',
      path: '/probe/echo/big',
      headers: [['x-test-big', 'a'.repeat(40 * 1024)]],
    },
    status: 200,
    check: (r) => expect(bodyJson(r).testHeaders['x-test-big'][0]).toHaveLength(40 * 1024),
  },
};
