// Shared by the template tests: the app built once per context, and a small evaluator that turns
// CloudFormation intrinsics into readable strings so documents can be compared as plain JSON.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, BuiltApp } from '../lib/app';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

export const CONTEXT = {
  image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/insightstream@sha256:' + 'ab'.repeat(32),
  certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
  jwtKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:insightstream/jwt-signing-key-AbC123',
};

const built = new Map<string, { app: BuiltApp; service: Template; registry: Template }>();

/** The app for `context` (on top of CONTEXT), synthesized once per distinct context. */
export function synth(extra: Record<string, unknown> = {}) {
  const key = JSON.stringify(extra);
  let b = built.get(key);
  if (!b) {
    const app = buildApp({ ...CONTEXT, ...extra });
    b = { app, service: Template.fromStack(app.service), registry: Template.fromStack(app.registry) };
    built.set(key, b);
  }
  return b;
}

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type Resources = Record<string, { Type: string; Properties?: any; DependsOn?: string[]; Metadata?: any }>;

export function resources(t: Template): Resources {
  return t.toJSON().Resources as Resources;
}

export function ofType(t: Template, type: string): [string, any][] {
  return Object.entries(resources(t)).filter(([, r]) => r.Type === type);
}

/**
 * CloudFormation intrinsics rendered as strings: {Ref: X} -> <X>, GetAtt -> <X.Attr>, Fn::Sub and
 * Fn::Join evaluated over those. Two documents that evaluate equal reference the same resources.
 */
export function evaluate(v: any): any {
  if (Array.isArray(v)) return v.map(evaluate);
  if (v === null || typeof v !== 'object') return v;
  const keys = Object.keys(v);
  if (keys.length === 1) {
    const k = keys[0]!;
    const a = v[k];
    if (k === 'Ref') return `<${a}>`;
    if (k === 'Fn::GetAtt') return `<${a[0]}.${a[1]}>`;
    if (k === 'Fn::Join') return (evaluate(a[1]) as string[]).join(a[0]);
    if (k === 'Fn::Sub') {
      const [text, vars] = Array.isArray(a) ? [a[0] as string, a[1] as Record<string, any>] : [a as string, {}];
      return text.replace(/\$\{([^}]+)\}/g, (_m, name: string) =>
        name in vars ? String(evaluate(vars[name])) : name.includes('.') ? `<${name}>` : `<${name}>`,
      );
    }
  }
  return Object.fromEntries(keys.map((k) => [k, evaluate(v[k])]));
}

/** The one container named `name` of the task definition of `family`. */
export function container(t: Template, family: string, name = 'app'): any {
  const td = ofType(t, 'AWS::ECS::TaskDefinition').find(([, r]) => r.Properties.Family === family);
  if (!td) throw new Error(`no task definition ${family}`);
  const c = td[1].Properties.ContainerDefinitions.find((d: any) => d.Name === name);
  if (!c) throw new Error(`no container ${name} in ${family}`);
  return c;
}

export function taskDefinition(t: Template, family: string): [string, any] {
  const td = ofType(t, 'AWS::ECS::TaskDefinition').find(([, r]) => r.Properties.Family === family);
  if (!td) throw new Error(`no task definition ${family}`);
  return td;
}

/** Environment of a container as name -> evaluated value. */
export function envOf(c: any): Record<string, string> {
  return Object.fromEntries((c.Environment ?? []).map((e: any) => [e.Name, evaluate(e.Value)]));
}

export function secretsOf(c: any): Record<string, string> {
  return Object.fromEntries((c.Secrets ?? []).map((e: any) => [e.Name, evaluate(e.ValueFrom)]));
}

/** The ECS service whose task definition has `family`. */
export function serviceOf(t: Template, family: string): [string, any] {
  const [tdId] = taskDefinition(t, family);
  const svc = ofType(t, 'AWS::ECS::Service').find(([, r]) => r.Properties.TaskDefinition?.Ref === tdId);
  if (!svc) throw new Error(`no service runs ${family}`);
  return svc;
}

export function readRepoFile(rel: string): string {
  return fs.readFileSync(path.join(REPO_ROOT, rel), 'utf8');
}

/** `<LogicalId>` or `<LogicalId.Attr>` -> LogicalId. */
export function logicalIdOf(evaluated: string): string {
  const m = /^<([A-Za-z0-9]+)(?:\.[A-Za-z.]+)?>$/.exec(evaluated);
  if (!m) throw new Error(`not a single reference: ${evaluated}`);
  return m[1]!;
}
