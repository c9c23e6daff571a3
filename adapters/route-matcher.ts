import { pathToRegexp } from 'path-to-regexp';
import { clientKeyedMap } from './express-request-to-event.js';

/**
 * Finds the route a request is for, in one step, the way Express's router would: the same
 * path-to-regexp matching with case-sensitive, strict (no trailing slash) paths and percent-decoded
 * parameters, the first declared route winning, and HEAD served by a GET route. Express's router
 * walks one layer per route (and per OPTIONS and 405 handler) for every request; this replaces
 * that walk: a request finds its route, or the path it names with the methods that path takes
 * (for OPTIONS and 405 answers), or nothing (404), in one step.
 */

export interface RouteMatch<T> {
  readonly target: T;
  /** Path parameters, decoded; a map that inherits nothing. */
  readonly params: Record<string, string>;
}

interface Candidate<T> {
  readonly target: T;
  readonly path: string;
  readonly regexp: RegExp;
  /** The name of each capture group's parameter; undefined for a wildcard (never a string parameter). */
  readonly names: readonly (string | undefined)[];
}

/** A path of the table, for a request whose method none of its routes takes. */
export interface PathMatch {
  /** The path as the table writes it (`/leads/:leadId`). */
  readonly path: string;
  /** Every method its routes take, HEAD with GET, sorted; OPTIONS is not among them. */
  readonly methods: readonly string[];
}

interface KnownPath {
  readonly regexp: RegExp;
  readonly names: readonly (string | undefined)[];
  readonly match: PathMatch;
}

/** A malformed percent-escape in a parameter: the client's fault (Express's router says 400 too). */
export class MalformedPathParameterError extends URIError {
  readonly status = 400;
  readonly statusCode = 400;
}

function decodeParameter(value: string): string {
  if (!value.includes('%')) return value;
  try {
    return decodeURIComponent(value);
  } catch {
    throw new MalformedPathParameterError(`Failed to decode param '${value}'`);
  }
}

export class RouteMatcher<T> {
  private readonly byMethod = new Map<string, Candidate<T>[]>();
  /** Each distinct path once, in the order the table first names it. */
  private readonly paths: readonly KnownPath[];

  constructor(routes: readonly { readonly method: string; readonly path: string; readonly target: T }[]) {
    const paths = new Map<string, Omit<KnownPath, 'match'> & { methods: Set<string> }>();
    for (const route of routes) {
      const method = route.method.toUpperCase();
      let known = paths.get(route.path);
      if (known === undefined) {
        // Express's router builds its layers' expressions with the same call and options.
        const { regexp, keys } = pathToRegexp(route.path, { end: true, sensitive: true, trailing: false });
        const names = keys.map((key) => (key.type === 'param' ? key.name : undefined));
        known = { regexp, names, methods: new Set() };
        paths.set(route.path, known);
      }
      known.methods.add(method);
      if (method === 'GET') known.methods.add('HEAD');
      const candidates = this.byMethod.get(method) ?? [];
      candidates.push({ target: route.target, path: route.path, regexp: known.regexp, names: known.names });
      this.byMethod.set(method, candidates);
    }
    // HEAD is answered by a HEAD route when there is one, else by the GET route of the same path.
    const head = [...(this.byMethod.get('HEAD') ?? []), ...(this.byMethod.get('GET') ?? [])];
    if (head.length > 0) this.byMethod.set('HEAD', head);
    this.paths = [...paths].map(([path, { regexp, names, methods }]) => ({
      regexp,
      names,
      match: { path, methods: [...methods].sort() },
    }));
  }

  /** The route for this method and (still percent-encoded) path, or undefined. Throws a 400 error on a malformed escape. */
  find(method: string, path: string): RouteMatch<T> | undefined {
    const candidates = this.byMethod.get(method);
    if (candidates === undefined) return undefined;
    for (const candidate of candidates) {
      const found = candidate.regexp.exec(path);
      if (found === null) continue;
      return { target: candidate.target, params: decodedParameters(found, candidate.names) };
    }
    return undefined;
  }

  /**
   * The first path of the table this (still percent-encoded) path is, whatever the method: for a
   * request `find` found no route for. Throws the same 400 error as `find` on a malformed escape,
   * as Express's router does on the layer of an OPTIONS or 405 handler.
   */
  pathOf(path: string): PathMatch | undefined {
    for (const known of this.paths) {
      const found = known.regexp.exec(path);
      if (found === null) continue;
      decodedParameters(found, known.names);
      return known.match;
    }
    return undefined;
  }
}

function decodedParameters(
  found: RegExpExecArray,
  names: readonly (string | undefined)[],
): Record<string, string> {
  const params = clientKeyedMap<string>();
  for (let i = 1; i < found.length; i += 1) {
    const name = names[i - 1];
    const value = found[i];
    if (name !== undefined && value !== undefined) params[name] = decodeParameter(value);
  }
  return params;
}
