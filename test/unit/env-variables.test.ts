import { describe, expect, it } from 'vitest';
import {
  boolean,
  httpUrl,
  integer,
  list,
  matching,
  oneOf,
  optional,
  positiveNumber,
  readVariables,
  text,
  VariableProblem,
  withDefault,
} from '../../app/env-variables.js';

/** The readers app/config.ts describes every variable with (app/env-variables.ts). */

const refusal = (read: () => unknown) => {
  try {
    read();
  } catch (error) {
    if (error instanceof VariableProblem) return error.problems;
    throw error;
  }
  throw new Error('accepted');
};

describe('environment variable readers', () => {
  it('reads whole numbers in decimal digits within bounds, and nothing else', () => {
    const port = integer(0, 65_535);
    expect(port('0')).toBe(0);
    expect(port(' 8080 ')).toBe(8080);
    expect(port('65535')).toBe(65_535);
    for (const bad of ['65536', '-1', '1.5', '1e3', '0x10', 'eighty', ' ', '9007199254740993'])
      expect(
        refusal(() => port(bad)),
        bad,
      ).toEqual(['must be a whole number from 0 to 65535']);
  });

  it('reads positive numbers with fractions up to a maximum', () => {
    const rate = positiveNumber(1_000);
    expect(rate('0.5')).toBe(0.5);
    expect(rate('1000')).toBe(1_000);
    for (const bad of ['0', '-2', '1000.1', 'Infinity', 'NaN', 'fast', ' '])
      expect(
        refusal(() => rate(bad)),
        bad,
      ).toEqual(['must be a number above 0 and at most 1000']);
  });

  it('reads booleans, words from a list, patterns, URLs and lists', () => {
    expect([boolean('true'), boolean('1'), boolean('false'), boolean('0')]).toEqual([
      true,
      true,
      false,
      false,
    ]);
    expect(refusal(() => boolean('yes'))).toEqual(['must be true, false, 1 or 0']);
    expect(oneOf(['open', 'closed'])('closed')).toBe('closed');
    expect(refusal(() => oneOf(['open', 'closed'])('Open'))).toEqual(['must be one of open, closed']);
    expect(matching(/^[a-z]+$/, 'lower-case letters')('abc')).toBe('abc');
    expect(refusal(() => matching(/^[a-z]+$/, 'lower-case letters')('ABC'))).toEqual(['lower-case letters']);
    expect(httpUrl('https://sqs.eu-west-1.amazonaws.com/123456789012/jobs')).toMatch(/^https:/);
    for (const bad of ['sqs/jobs', 'ftp://host/x', 'javascript:alert(1)'])
      expect(
        refusal(() => httpUrl(bad)),
        bad,
      ).toEqual(['must be an http:// or https:// URL']);
    expect(list(' a, b,,c ,')).toEqual(['a', 'b', 'c']);
  });

  it('gives the default or undefined when a variable is unset or empty', () => {
    const { values, problems } = readVariables(
      { PORT: withDefault(integer(0, 65_535), 3000), HOST: optional(text), NAME: optional(text) },
      { PORT: '', NAME: 'api' },
    );
    expect(problems).toEqual([]);
    expect(values).toEqual({ PORT: 3000, HOST: undefined, NAME: 'api' });
  });

  it('names every refused variable with what it got, except secrets', () => {
    const { problems, refused } = readVariables(
      {
        PORT: withDefault(integer(0, 65_535), 3000),
        TOKEN: optional(matching(/^[a-f0-9]{64}$/, 'a hex SHA-256 hash')),
        MODE: withDefault(oneOf(['a', 'b']), 'a'),
      },
      { PORT: 'eighty', TOKEN: 'sk_live_secret', MODE: 'b' },
      { secret: new Set(['TOKEN']) },
    );
    expect(problems).toEqual([
      'PORT: must be a whole number from 0 to 65535 (got "eighty")',
      'TOKEN: a hex SHA-256 hash',
    ]);
    expect([...refused]).toEqual(['PORT', 'TOKEN']);
  });

  it('lets a reader report several problems, and a bug in a reader throw as it is', () => {
    const many = () => {
      throw new VariableProblem(['entry 1 is bad', 'entry 3 is bad']);
    };
    expect(readVariables({ LIST: optional(many) }, { LIST: 'x' }).problems).toEqual([
      'LIST: entry 1 is bad (got "x")',
      'LIST: entry 3 is bad (got "x")',
    ]);
    const buggy = () => {
      throw new TypeError('bug');
    };
    expect(() => readVariables({ X: optional(buggy) }, { X: 'x' })).toThrow(TypeError);
  });
});
