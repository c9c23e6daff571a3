import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UNUSED_GRANTS } from '../infra/security-exceptions.js';
import { synthStacks } from '../test/infra/synth.js';
import type { CallRecord } from '../test/servers/iam/local-iam.js';
import { localStackFrom } from '../test/servers/iam/local-stack.js';

/**
 * The least-privilege report: runs the test suite with the local AWS servers recording every
 * call they check (IAM_CALL_LOG), then prints per role of the dev stack the actions it was granted
 * and never used, and the calls it made that were denied. Every unused grant must be removed or
 * justified in infra/security-exceptions.ts (UNUSED_GRANTS); the exit code is 1 when a call was
 * denied, a grant is unused without a reason, or a reason no longer matches a grant.
 *
 * `npm run iam-report` runs the whole suite; `npm run iam-report -- test/aws` only those files.
 */

const dir = mkdtempSync(join(tmpdir(), 'iam-calls-'));
const files = process.argv.slice(2);
console.log(`iam-report: running ${files.length ? files.join(' ') : 'the test suite'} with call recording…`);
const testsPassed = await new Promise<boolean>((resolve) => {
  const child = spawn('npx', ['vitest', 'run', ...files], {
    stdio: 'inherit',
    env: { ...process.env, IAM_CALL_LOG: dir },
  });
  child.once('exit', (code) => resolve(code === 0));
});

const calls: CallRecord[] = readdirSync(dir)
  .filter((f) => f.endsWith('.jsonl'))
  .flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as CallRecord),
  );
rmSync(dir, { recursive: true, force: true });

const stackJson = synthStacks({ env: { STACK_ENV: 'dev' } }).dev;
if (!stackJson) throw new Error('no dev stack');
const stack = localStackFrom(stackJson);

/** Every Allow action of a role's policies. */
function granted(roleName: string): string[] {
  const actions = new Set<string>();
  for (const policy of stack.roles.get(roleName)?.policies ?? []) {
    const document = policy.document as { Statement: { Effect: string; Action: string | string[] }[] };
    for (const statement of document.Statement) {
      if (statement.Effect !== 'Allow') continue;
      for (const action of [statement.Action].flat()) actions.add(action);
    }
  }
  return [...actions].sort();
}

const usedJustifications = new Set<number>();
let deniedTotal = 0;
let unjustifiedTotal = 0;
console.log(`\nIAM report: ${calls.length} calls checked against the dev stack's roles\n`);
for (const roleName of [...stack.roles.keys()].sort()) {
  const mine = calls.filter((c) => c.role === roleName);
  const used = new Set(mine.filter((c) => c.allowed).map((c) => c.action.toLowerCase()));
  const denied = new Map<string, number>();
  for (const c of mine.filter((c) => !c.allowed)) {
    const key = `${c.action} ${c.resource}`;
    denied.set(key, (denied.get(key) ?? 0) + 1);
  }
  const grants = granted(roleName);
  const unused = grants.filter((a) => !used.has(a.toLowerCase()));
  console.log(
    `${roleName}: ${grants.length} granted, ${grants.length - unused.length} used, ${mine.length} calls, ${[...denied.values()].reduce((a, b) => a + b, 0)} denied`,
  );
  for (const [call, count] of denied) {
    deniedTotal += count;
    console.log(`  DENIED ${call} (${count}×)`);
  }
  for (const action of unused) {
    const index = UNUSED_GRANTS.findIndex((g) => g.role.test(roleName) && g.actions.includes(action));
    if (index < 0) {
      unjustifiedTotal += 1;
      console.log(`  UNUSED, not justified: ${action}`);
      continue;
    }
    usedJustifications.add(index);
    console.log(`  unused, justified: ${action} — ${(UNUSED_GRANTS[index]?.reason ?? '').slice(0, 90)}…`);
  }
}
const stale = UNUSED_GRANTS.filter((_, i) => !usedJustifications.has(i));
for (const entry of stale)
  console.log(`STALE justification (matches no unused grant): ${entry.role} ${entry.actions.join(', ')}`);

console.log(
  `\nSummary: ${deniedTotal} denied calls; ${unjustifiedTotal} unused grants without a justification; ${stale.length} stale justifications; tests ${testsPassed ? 'passed' : 'FAILED'}`,
);
process.exit(deniedTotal === 0 && unjustifiedTotal === 0 && stale.length === 0 && testsPassed ? 0 : 1);
