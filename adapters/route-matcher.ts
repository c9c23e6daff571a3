import { pathToRegexp } from 'path-to-regexp';
import { clientKeyedMap } from './express-request-to-event.js';

/**
 * Finds the route a request is for, in one step, the way Express's router would: the same
 * path-to-regexp matching with case-sensitive, strict (no trailing slash) paths and percent-decoded
 * parameters, the first declared route winning, and HEAD served by a GET route. Express's router
 * walks one layer per route (and per OPTIONS and 405 handler) for every request; this replaces
 * that walk for the routes of the table, and leaves everything else (OPTIONS, 405, 404) to it.
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

  constructor(routes: readonly { readonly method: string; readonly path: string; readonly target: T }[]) {
    for (const route of routes) {
      const method = route.method.toUpperCase();
      const candidates = this.byMethod.get(method) ?? [];
      // Express's router builds its layers' expressions with the same call and options.
      const { regexp, keys } = pathToRegexp(route.path, { end: true, sensitive: true, trailing: false });
      candidates.push({
        target: route.target,
        path: route.path,
        regexp,
        names: keys.map((key) => (key.type === 'param' ? key.name : undefined)),
      });
      this.byMethod.set(method, candidates);
    }
    // HEAD is answered by a HEAD route when there is one, else by the GET route of the same path.
    const head = [...(this.byMethod.get('HEAD') ?? []), ...(this.byMethod.get('GET') ?? [])];
    if (head.length > 0) this.byMethod.set('HEAD', head);
  }

  /** The route for this method and (still percent-encoded) path, or undefined. Throws a 400 error on a malformed escape. */
  find(method: string, path: string): RouteMatch<T> | undefined {
    const candidates = this.byMethod.get(method);
    if (candidates === undefined) return undefined;
    for (const candidate of candidates) {
      const found = candidate.regexp.exec(path);
      if (found === null) continue;
      const params = clientKeyedMap<string>();
      for (let i = 1; i < found.length; i += 1) {
        const name = candidate.names[i - 1];
        const value = found[i];
        if (name !== undefined && value !== undefined) params[name] = decodeParameter(value);
      }
      return { target: candidate.target, params };
    }
    return undefined;
  }
}
