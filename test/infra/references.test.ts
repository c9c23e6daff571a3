import { beforeAll, describe, expect, it } from 'vitest';
import { danglingReferences, referencesIn, templateExpressions } from './references.js';
import { type StackJson, synthStacks } from './synth.js';

let stacks: Record<string, StackJson>;
beforeAll(() => {
  stacks = synthStacks();
});

describe('references in the synthesized stacks', () => {
  it.each(['dev', 'prod'])(
    `every \${...} reference in the %s stack names something the stack declares`,
    (env) => {
      const stack = stacks[env] as StackJson;
      const all = JSON.stringify(stack.resource);
      expect(all).toContain('${');

      const problems = danglingReferences(stack);

      expect(problems).toEqual([]);
    },
  );
});

describe('JSON documents inside the stacks', () => {
  const JSON_ATTRIBUTES = [
    'container_definitions',
    'policy',
    'assume_role_policy',
    'policy_document',
    'event_pattern',
    'redrive_policy',
    'redrive_allow_policy',
  ];

  it.each(['dev', 'prod'])('stay valid JSON once Terraform fills their references (%s)', (env) => {
    const stack = stacks[env] as StackJson;
    const problems: string[] = [];
    for (const [type, byName] of Object.entries(stack.resource)) {
      for (const [name, body] of Object.entries(byName)) {
        for (const key of JSON_ATTRIBUTES) {
          const text = body[key];
          if (typeof text !== 'string') continue;
          // A quote inside an interpolation would be escaped by the JSON around it, which HCL rejects.
          const quoted = templateExpressions(text).filter((e) => e.includes('"'));
          if (quoted.length > 0) problems.push(`${type}.${name}.${key}: quotes in ${quoted.join(', ')}`);
          let filled = text;
          for (const e of templateExpressions(text)) filled = filled.replace(`\${${e}}`, 'x');
          try {
            JSON.parse(filled);
          } catch {
            problems.push(`${type}.${name}.${key}: not JSON`);
          }
        }
      }
    }

    expect(problems).toEqual([]);
  });
});

describe('the reference checker', () => {
  it('finds references inside functions and nested templates, and skips escaped ones', () => {
    expect(templateExpressions(`a \${aws_vpc.main.id} b $\${not.this} c`)).toEqual(['aws_vpc.main.id']);
    expect(referencesIn(`filebase64sha256("\${path.module}/x.zip")`)).toEqual([]);
    expect(referencesIn('element(data.aws_availability_zones.zones.names, 1)')).toEqual([
      'data.aws_availability_zones.zones',
    ]);
    expect(referencesIn(`"\${var.name}-x"`)).toEqual(['var.name']);
  });

  it('reports a reference to a resource the stack does not have', () => {
    const broken = structuredClone(stacks.dev) as StackJson & {
      resource: Record<string, Record<string, Record<string, unknown>>>;
    };
    const vpc = Object.values(broken.resource.aws_vpc ?? {})[0] as Record<string, unknown>;
    vpc.tags = { Name: `\${aws_subnet.missing.id}` };

    const problems = danglingReferences(broken);

    expect(problems).toEqual([expect.stringContaining('aws_subnet.missing')]);
  });
});
