import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { runSimulation } from '@cloud-copilot/iam-simulate';
import type { LocalRole, LocalStack } from './local-stack.js';

/**
 * Who is calling, and may they: the local AWS servers' IAM. Each process that calls AWS gets the
 * access key of the role the synthesized stack gives it (`credentialsFor`); a server reads the key
 * from the request's SigV4 `Authorization` header (signatures are not verified: the point is the
 * identity, not the cryptography) and asks `authorize` with the action, the resource ARN and the
 * condition keys of the request. Policies are evaluated by `@cloud-copilot/iam-simulate` as IAM's
 * policy evaluation logic does ("Policy evaluation logic", IAM User Guide): an explicit deny wins,
 * otherwise an identity-based allow is needed.
 *
 * Every decision is recorded for the least-privilege report (`npm run iam-report`), in memory and,
 * when IAM_CALL_LOG names a directory, appended there as one JSON line per call.
 */

export interface AwsCall {
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string | readonly string[]>>;
  /** Checked by AWS on the caller's behalf (iam:PassRole on RunTask…), not called by it directly. */
  readonly implicit?: boolean;
}

export type Decision =
  | { readonly allowed: true; readonly roleName: string }
  | {
      readonly allowed: false;
      /** `unknown-key`: the access key belongs to no role (AWS: InvalidAccessKeyId / UnrecognizedClient). */
      readonly reason: 'unknown-key' | 'denied';
      readonly roleName: string | undefined;
      /** AWS's wording: "User: <arn> is not authorized to perform: <action> on resource: <arn> because …". */
      readonly message: string;
    };

export interface CallRecord {
  readonly role: string;
  readonly action: string;
  readonly resource: string;
  readonly allowed: boolean;
  readonly implicit: boolean;
}

/** What the servers ask: real roles (`LocalIam`) or, named at each use, no checks at all. */
export interface AccessCheck {
  authorize(accessKeyId: string | undefined, call: AwsCall): Promise<Decision>;
}

/**
 * For tests that are not about permissions (rate limits, pacing, fault injection): every call is
 * allowed and nothing is recorded. Each use names it, so a reader sees the checks are off there.
 */
export const UNCHECKED_ACCESS: AccessCheck = {
  async authorize() {
    return { allowed: true, roleName: 'unchecked' };
  },
};

/** The access key id in `Credential=<key>/<date>/<region>/<service>/aws4_request` (SigV4). */
export function accessKeyOf(req: IncomingMessage): string | undefined {
  const header = String(req.headers.authorization ?? '');
  return /Credential=([^/,\s]+)\//.exec(header)?.[1];
}

export class LocalIam implements AccessCheck {
  readonly calls: CallRecord[] = [];
  private readonly keys = new Map<string, LocalRole>();
  private readonly logFile: string | undefined;

  /**
   * `record: false` for tests that probe the rules themselves (their deliberate refusals and
   * probes say nothing about what the code needs, so the report leaves them out).
   */
  constructor(
    readonly stack: LocalStack,
    options: { readonly record?: boolean } = {},
  ) {
    const dir = process.env.IAM_CALL_LOG;
    if (dir && options.record !== false) {
      mkdirSync(dir, { recursive: true });
      this.logFile = join(dir, `calls-${process.pid}.jsonl`);
    }
  }

  /** Static credentials of the role, for a process's AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. */
  credentialsFor(roleName: string): { accessKeyId: string; secretAccessKey: string } {
    const role = this.stack.roles.get(roleName);
    if (!role)
      throw new Error(`no role ${roleName} in the stack (roles: ${[...this.stack.roles.keys()].join(', ')})`);
    // ASIA: the prefix of temporary (role session) keys ("Understanding unique ID prefixes", IAM).
    const accessKeyId = `ASIA${createHash('sha256').update(roleName).digest('hex').slice(0, 16).toUpperCase()}`;
    this.keys.set(accessKeyId, role);
    return { accessKeyId, secretAccessKey: 'local-secret' };
  }

  /** Environment variables that give a process the role's identity. */
  environmentFor(roleName: string): Record<string, string> {
    const { accessKeyId, secretAccessKey } = this.credentialsFor(roleName);
    return {
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_SESSION_TOKEN: `session-${roleName}`,
      AWS_REGION: this.stack.region,
    };
  }

  roleOfKey(accessKeyId: string | undefined): LocalRole | undefined {
    return accessKeyId ? this.keys.get(accessKeyId) : undefined;
  }

  async authorize(accessKeyId: string | undefined, call: AwsCall): Promise<Decision> {
    const role = this.roleOfKey(accessKeyId);
    if (!role) {
      return {
        allowed: false,
        reason: 'unknown-key',
        roleName: undefined,
        message: 'The AWS Access Key Id you provided does not exist in our records.',
      };
    }
    const allowed = await this.evaluate(role, call);
    this.record({
      role: role.name,
      action: call.action,
      resource: call.resource,
      allowed,
      implicit: call.implicit ?? false,
    });
    if (allowed) return { allowed: true, roleName: role.name };
    // The assumed-role ARN names the session; the message shape is the one AWS documents in
    // "Access denied error messages" (IAM User Guide, Troubleshooting).
    const principal = `arn:aws:sts::${this.stack.accountId}:assumed-role/${role.name}/local-session`;
    return {
      allowed: false,
      reason: 'denied',
      roleName: role.name,
      message: `User: ${principal} is not authorized to perform: ${call.action} on resource: ${call.resource} because no identity-based policy allows the ${call.action} action`,
    };
  }

  private async evaluate(role: LocalRole, call: AwsCall): Promise<boolean> {
    const result = await runSimulation(
      {
        request: {
          principal: role.arn,
          action: call.action,
          resource: { resource: call.resource, accountId: this.stack.accountId },
          contextVariables: Object.fromEntries(
            Object.entries(call.context ?? {}).map(([k, v]) => [k, typeof v === 'string' ? v : [...v]]),
          ),
        },
        identityPolicies: role.policies.map((p) => ({ name: p.name, policy: p.document })),
        serviceControlPolicies: [],
        resourceControlPolicies: [],
      },
      {},
    );
    if (result.resultType === 'error') {
      // A policy or request the simulator rejects is a bug in the stack or in a server: say so loudly.
      throw new Error(
        `IAM simulation failed for ${role.name} ${call.action}: ${JSON.stringify(result.errors)}`,
      );
    }
    return result.overallResult === 'Allowed';
  }

  private record(call: CallRecord): void {
    this.calls.push(call);
    if (this.logFile) appendFileSync(this.logFile, `${JSON.stringify(call)}\n`);
  }

  /** Denied calls so far, as `role action resource` lines (what a test asserts is empty). */
  denied(): string[] {
    return this.calls.filter((c) => !c.allowed).map((c) => `${c.role} ${c.action} ${c.resource}`);
  }
}
