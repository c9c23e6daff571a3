import { describe, expect, it } from 'vitest';
import { isBinaryBody, isTextContentType } from '../../adapters/content-types.js';
import { formatRequestTime, parseQuery, splitUrl } from '../../adapters/express-request-to-event.js';
import { createHandlerContext } from '../../adapters/handler-context.js';
import { HttpError, PayloadTooLargeError, toHttpError } from '../../adapters/http-error.js';
import { malformedResultReason } from '../../adapters/proxy-result-to-express.js';
import { clientAddress, rightMostForwardedFor } from '../../adapters/source-ip.js';

describe('rightMostForwardedFor', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['1.2.3.4, 203.0.113.7', '203.0.113.7'],
    ['1.2.3.4,203.0.113.7 ', '203.0.113.7'],
    ['::ffff:10.0.0.9', '10.0.0.9'],
    ['2001:db8::1', '2001:db8::1'],
    ['', undefined],
    [' , ', undefined],
  ])('%j → %j', (header, expected) => {
    expect(rightMostForwardedFor(header)).toBe(expected);
  });

  it('reads the last of several header lines', () => {
    expect(rightMostForwardedFor(['1.2.3.4', '5.6.7.8, 9.9.9.9'])).toBe('9.9.9.9');
  });

  it('falls back to the socket, and ignores the header when not behind a proxy', () => {
    expect(
      clientAddress({ forwardedFor: undefined, socketAddress: '::ffff:127.0.0.1', trustForwardedFor: true }),
    ).toBe('127.0.0.1');
    expect(
      clientAddress({ forwardedFor: '1.2.3.4', socketAddress: '10.1.1.1', trustForwardedFor: false }),
    ).toBe('10.1.1.1');
  });
});

describe('query and path decoding', () => {
  it('keeps repeats, decodes + and %20, keeps the last value in the single map', () => {
    expect(parseQuery('a=1&a=2&b=x+y&c=x%20y&d')).toEqual({
      single: { a: '2', b: 'x y', c: 'x y', d: '' },
      multi: { a: ['1', '2'], b: ['x y'], c: ['x y'], d: [''] },
    });
  });

  it('gives null maps for no query, and leaves malformed escapes as sent', () => {
    expect(parseQuery('')).toEqual({ single: null, multi: null });
    expect(parseQuery('&&')).toEqual({ single: null, multi: null });
    expect(parseQuery('x=%E0%A4%A').single).toEqual({ x: '%E0%A4%A' });
  });

  it('decodes path segments but keeps an encoded slash encoded', () => {
    expect(splitUrl('/leads/caf%C3%A9/a%2Fb?x=1')).toEqual({ path: '/leads/café/a%2Fb', rawQuery: 'x=1' });
  });

  it('formats requestTime like API Gateway', () => {
    expect(formatRequestTime(new Date('2026-03-04T05:06:07Z'))).toBe('04/Mar/2026:05:06:07 +0000');
  });
});

describe('content types', () => {
  it.each([
    ['application/json', true],
    ['application/json; charset=utf-8', true],
    ['application/vnd.api+json', true],
    ['text/csv', true],
    ['application/x-www-form-urlencoded', true],
    ['image/svg+xml', true],
    ['image/png', false],
    ['application/octet-stream', false],
    ['application/pdf', false],
  ])('%s is text: %s', (type, text) => {
    expect(isTextContentType(type)).toBe(text);
  });

  it('treats compressed bodies as binary and untyped bodies by their bytes', () => {
    expect(isBinaryBody({ contentType: 'application/json', contentEncoding: 'gzip' })).toBe(true);
    expect(isBinaryBody({ contentType: undefined }, Buffer.from('plain text'))).toBe(false);
    expect(isBinaryBody({ contentType: undefined }, Buffer.from([0xff, 0xfe, 0x00]))).toBe(true);
  });
});

describe('handler results', () => {
  it.each([
    [{ statusCode: 200 }, undefined],
    [{ statusCode: 200, body: 'x', headers: { a: 1, b: true }, multiValueHeaders: { c: ['1'] } }, undefined],
    [null, 'result is null'],
    [undefined, 'result is undefined'],
    ['ok', 'result is string'],
    [{ statusCode: '200' }, 'statusCode "200" is not an HTTP status'],
    [{ statusCode: 99 }, 'statusCode 99 is not an HTTP status'],
    [{ statusCode: 200, body: { a: 1 } }, 'body is object, not a string'],
    [{ statusCode: 200, headers: { a: { b: 1 } } }, 'header a is object'],
    [{ statusCode: 200, multiValueHeaders: { a: 'x' } }, 'multiValueHeaders.a is not an array of strings'],
  ])('%j → %j', (result, reason) => {
    expect(malformedResultReason(result)).toBe(reason);
  });
});

describe('errors', () => {
  it('hides messages of server errors and shows those of client errors', () => {
    expect(new HttpError(500, 'x', 'secret').toJSON()).toEqual({
      error: { code: 'x', message: 'Internal server error' },
    });
    expect(new HttpError(422, 'x', 'shown', { details: { a: 1 } }).toJSON()).toEqual({
      error: { code: 'x', message: 'shown', details: { a: 1 } },
    });
  });

  it('maps body-parser errors to their 4xx and unknown errors to 500', () => {
    const tooLarge = Object.assign(new Error('request entity too large'), {
      status: 413,
      type: 'entity.too.large',
      limit: 10,
    });
    expect(toHttpError(tooLarge)).toBeInstanceOf(PayloadTooLargeError);
    expect(toHttpError(new Error('boom')).statusCode).toBe(500);
    expect(toHttpError('a string').statusCode).toBe(500);
  });
});

describe('handler context', () => {
  it('counts down to the deadline and never below zero', () => {
    let now = 1_000;
    const context = createHandlerContext({
      requestId: 'r',
      functionName: 'f',
      deadlineAt: 1_500,
      now: () => now,
    });
    expect(context.getRemainingTimeInMillis()).toBe(500);
    now = 1_400;
    expect(context.getRemainingTimeInMillis()).toBe(100);
    now = 2_000;
    expect(context.getRemainingTimeInMillis()).toBe(0);
    expect(context.awsRequestId).toBe('r');
    expect(() => context.succeed('x')).toThrow(/not supported/);
  });
});
