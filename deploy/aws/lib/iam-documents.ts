// The task roles' policies are the documents in deploy/iam/ — the same files the tests attach to
// the emulator's IAM users — with their placeholders (CloudFormation Fn::Sub syntax on purpose,
// see deploy/iam/README.md) filled with this stack's bucket and queues.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Fn, Token } from 'aws-cdk-lib';

/** deploy/iam, relative to this file (deploy/aws/lib). */
export const IAM_DIR = path.resolve(__dirname, '..', '..', 'iam');

/** The roles that have a policy document in deploy/iam/. */
export const POLICY_ROLES = ['ingest', 'worker', 'analytics'] as const;
export type PolicyRole = (typeof POLICY_ROLES)[number];

export const PLACEHOLDERS = ['BucketName', 'Prefix', 'JobsQueueArn', 'DeadLetterQueueArn'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

export function loadPolicyDocument(role: PolicyRole): unknown {
  return JSON.parse(fs.readFileSync(path.join(IAM_DIR, `${role}.json`), 'utf8'));
}

/**
 * Every JSON string of `doc` with `${Name}` placeholders, rendered through `fill`; other values
 * unchanged. Throws on a placeholder that has no value, as the test fixture does.
 */
export function substitute(doc: unknown, fill: (s: string, names: Placeholder[]) => unknown): unknown {
  if (typeof doc === 'string') {
    const names = [...doc.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]!);
    if (names.length === 0) return doc;
    for (const n of names) {
      if (!(PLACEHOLDERS as readonly string[]).includes(n)) throw new Error(`unknown placeholder \${${n}} in ${doc}`);
    }
    return fill(doc, [...new Set(names)] as Placeholder[]);
  }
  if (Array.isArray(doc)) return doc.map((d) => substitute(d, fill));
  if (doc !== null && typeof doc === 'object') {
    return Object.fromEntries(Object.entries(doc).map(([k, v]) => [k, substitute(v, fill)]));
  }
  return doc;
}

/**
 * The document with each placeholder string turned into `Fn::Sub` over the given values (plain
 * strings are substituted at synth time so the template stays readable).
 */
export function renderPolicyDocument(role: PolicyRole, values: Record<Placeholder, string>): unknown {
  return substitute(loadPolicyDocument(role), (s, names) => {
    const vars: Record<string, string> = {};
    let literal = s;
    for (const n of names) {
      const v = values[n];
      if (v === undefined) throw new Error(`no value for \${${n}}`);
      vars[n] = v;
    }
    // Fn.sub with only non-token values would still be a Fn::Sub; fold literals in first.
    const tokens: Record<string, string> = {};
    for (const [n, v] of Object.entries(vars)) {
      if (Token.isUnresolved(v)) tokens[n] = v;
      else literal = literal.split('${' + n + '}').join(v);
    }
    return Object.keys(tokens).length === 0 ? literal : Fn.sub(literal, tokens);
  });
}
