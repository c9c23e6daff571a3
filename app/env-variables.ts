/**
 * Readers for environment variables: each turns one variable's text into a typed value or says,
 * in a few words, what is wrong with it. app/config.ts describes every variable with them and
 * reads them all at once, so a bad configuration is reported in full, naming each variable.
 *
 * Configuration is read at every Lambda cold start. A schema library (zod is the one this app
 * uses for request bodies) costs several milliseconds there to load, build some fifty schemas and
 * run them; these readers are plain functions and cost next to nothing.
 */

/** A reader's refusal: what is wrong, without the variable's name (the caller adds it). */
export class VariableProblem extends Error {
  readonly problems: readonly string[];
  constructor(problems: string | readonly string[]) {
    const list = typeof problems === 'string' ? [problems] : problems;
    super(list.join('; '));
    this.name = 'VariableProblem';
    this.problems = list;
  }
}

/** Reads a set variable's text (never empty: an empty variable counts as unset). */
export type Reader<T> = (text: string) => T;

/** Reads a variable that may be unset. */
export type Variable<T> = (text: string | undefined) => T;

/** The values a set of variables reads to, by name. */
export type ValuesOf<Shape extends Record<string, Variable<unknown>>> = {
  -readonly [Name in keyof Shape]: ReturnType<Shape[Name]>;
};

export function optional<T>(read: Reader<T>): Variable<T | undefined> {
  return (text) => (text === undefined ? undefined : read(text));
}

export function withDefault<T>(read: Reader<T>, fallback: T): Variable<T> {
  return (text) => (text === undefined ? fallback : read(text));
}

/** Any text. */
export const text: Reader<string> = (value) => value;

const WHOLE_NUMBER = /^-?\d+$/;

/** A whole number from `min` to `max`, written in decimal digits. */
export function integer(min: number, max: number): Reader<number> {
  return (value) => {
    const trimmed = value.trim();
    const number = WHOLE_NUMBER.test(trimmed) ? Number(trimmed) : Number.NaN;
    if (!Number.isSafeInteger(number) || number < min || number > max) {
      throw new VariableProblem(`must be a whole number from ${min} to ${max}`);
    }
    return number;
  };
}

/** A number above zero and at most `max` (fractions allowed). */
export function positiveNumber(max: number): Reader<number> {
  return (value) => {
    const trimmed = value.trim();
    const number = trimmed === '' ? Number.NaN : Number(trimmed);
    if (!Number.isFinite(number) || number <= 0 || number > max) {
      throw new VariableProblem(`must be a number above 0 and at most ${max}`);
    }
    return number;
  };
}

/** One of the given words, exactly. */
export function oneOf<const Word extends string>(words: readonly Word[]): Reader<Word> {
  return (value) => {
    if (!(words as readonly string[]).includes(value)) {
      throw new VariableProblem(`must be one of ${words.join(', ')}`);
    }
    return value as Word;
  };
}

/** `true`, `false`, `1` or `0`. */
export const boolean: Reader<boolean> = (value) => {
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new VariableProblem('must be true, false, 1 or 0');
};

/** Text the pattern matches; `expected` says what that is, and is the whole message when it does not. */
export function matching(pattern: RegExp, expected: string): Reader<string> {
  return (value) => {
    if (!pattern.test(value)) throw new VariableProblem(expected);
    return value;
  };
}

/** An absolute http or https URL. */
export const httpUrl: Reader<string> = (value) => {
  const parsed = URL.canParse(value) ? new URL(value) : undefined;
  if (parsed?.protocol !== 'http:' && parsed?.protocol !== 'https:') {
    throw new VariableProblem('must be an http:// or https:// URL');
  }
  return value;
};

/** Comma-separated items, each trimmed, empty ones left out. */
export const list: Reader<string[]> = (value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);

/**
 * Reads every variable of `shape` from `env`; problems come back as `NAME: what is wrong (got "…")`,
 * the value left out for the `secret` ones, and `refused` names the variables that had one.
 */
export function readVariables<Shape extends Record<string, Variable<unknown>>>(
  shape: Shape,
  env: Readonly<Record<string, string | undefined>>,
  options: { readonly secret?: ReadonlySet<string> } = {},
): { values: ValuesOf<Shape>; problems: string[]; refused: ReadonlySet<string> } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  const refused = new Set<string>();
  for (const [name, read] of Object.entries(shape)) {
    // An empty variable counts as unset, as shells and CI parameters commonly pass them.
    const given = env[name] === '' ? undefined : env[name];
    try {
      values[name] = read(given);
    } catch (error) {
      if (!(error instanceof VariableProblem)) throw error;
      refused.add(name);
      const shown = given === undefined || options.secret?.has(name) ? '' : ` (got ${JSON.stringify(given)})`;
      for (const problem of error.problems) problems.push(`${name}: ${problem}${shown}`);
    }
  }
  // A refused variable has no value; the caller stops on the problems before reading them.
  return { values: values as ValuesOf<Shape>, problems, refused };
}
