import type { StackJson } from './synth.js';

/** Built-in namespaces Terraform resolves by itself. */
const BUILT_INS = new Set(['path', 'terraform', 'count', 'each', 'self']);

/** The `${...}` expressions in a string, with `$${` (an escaped, literal `${`) skipped. */
export function templateExpressions(text: string): string[] {
  const found: string[] = [];
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '$' && text[i + 1] === '$' && text[i + 2] === '{') {
      i += 2;
      continue;
    }
    if (text[i] !== '$' || text[i + 1] !== '{') continue;
    let depth = 0;
    let inString = false;
    for (let j = i + 1; j < text.length; j += 1) {
      const c = text[j];
      if (inString) {
        if (c === '\\') j += 1;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === '{') depth += 1;
      else if (c === '}' && --depth === 0) {
        found.push(text.slice(i + 2, j));
        i = j;
        break;
      }
    }
  }
  return found;
}

/** The addresses an expression refers to: `aws_vpc.main`, `data.aws_region.x`, `var.x`, `local.x`. */
export function referencesIn(expression: string): string[] {
  const refs: string[] = [];
  // Quoted strings inside the expression may hold templates of their own; anything else in them is text.
  const outside = expression.replace(/"((?:[^"\\]|\\.)*)"/g, (_, inner: string) => {
    for (const nested of templateExpressions(inner)) refs.push(...referencesIn(nested));
    return '""';
  });
  const pattern = /(?<![\w.])(data\.[a-z0-9_]+\.[A-Za-z0-9_-]+|[a-z][a-z0-9_]*\.[A-Za-z_][A-Za-z0-9_-]*)/g;
  for (const match of outside.matchAll(pattern)) {
    const ref = match[1] as string;
    const head = ref.split('.')[0] as string;
    if (BUILT_INS.has(head)) continue;
    refs.push(ref);
  }
  return refs;
}

function* strings(value: unknown): Generator<string> {
  if (typeof value === 'string') yield value;
  else if (Array.isArray(value)) for (const v of value) yield* strings(v);
  else if (value && typeof value === 'object') {
    for (const [key, v] of Object.entries(value)) if (key !== '//') yield* strings(v);
  }
}

/** Every reference in the stack that names nothing the stack declares, as `where: reference`. */
export function danglingReferences(stack: StackJson): string[] {
  const exists = (ref: string): boolean => {
    const parts = ref.split('.');
    if (parts[0] === 'var') return Boolean(stack.variable?.[parts[1] as string]);
    if (parts[0] === 'local') return Boolean(stack.locals?.[parts[1] as string]);
    if (parts[0] === 'data') return Boolean(stack.data?.[parts[1] as string]?.[parts[2] as string]);
    return Boolean(stack.resource[parts[0] as string]?.[parts[1] as string]);
  };
  const problems: string[] = [];
  const blocks: [string, unknown][] = [
    ...Object.entries(stack.resource).flatMap(([type, byName]) =>
      Object.entries(byName).map(([name, body]) => [`${type}.${name}`, body] as [string, unknown]),
    ),
    ...Object.entries(stack.data ?? {}).flatMap(([type, byName]) =>
      Object.entries(byName).map(([name, body]) => [`data.${type}.${name}`, body] as [string, unknown]),
    ),
    ...Object.entries(stack.output ?? {}).map(
      ([name, body]) => [`output.${name}`, body] as [string, unknown],
    ),
    ['locals', stack.locals],
    ['provider', stack.provider],
  ];
  for (const [where, body] of blocks) {
    const dependsOn = (body as { depends_on?: string[] } | undefined)?.depends_on ?? [];
    for (const ref of dependsOn) if (!exists(ref)) problems.push(`${where}: depends_on ${ref}`);
    for (const text of strings(body)) {
      for (const expression of templateExpressions(text)) {
        for (const ref of referencesIn(expression)) if (!exists(ref)) problems.push(`${where}: ${ref}`);
      }
    }
  }
  return problems;
}
