// The CDK app: the registry stack and the service stack, with cdk-nag's AWS Solutions checks on
// every construct. bin/app.ts runs it for the CLI; the tests build the same app in process.
import { App, Aspects } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from './config';
import { InsightStreamStack } from './insightstream-stack';
import { RegistryStack } from './registry-stack';

/**
 * Feature flags this app relies on. Set in code, not only in cdk.json, so that the tests (which
 * build the app without the CLI) synthesize exactly what `cdk synth` does.
 */
export const FEATURE_FLAGS: Record<string, unknown> = {
  // Server access logs delivered under a bucket policy instead of the log-delivery ACL, so the
  // log bucket can keep ACLs disabled (BucketOwnerEnforced).
  '@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy': true,
};

export interface BuiltApp {
  app: App;
  registry: RegistryStack;
  service: InsightStreamStack;
}

/** `context` adds to (and loses to) the CLI's context: -c values and cdk.json. */
export function buildApp(context: Record<string, unknown> = {}, outdir?: string): BuiltApp {
  const app = new App({ context: { ...FEATURE_FLAGS, ...context }, outdir });
  const config = readConfig((key) => app.node.tryGetContext(key));
  const registry = new RegistryStack(app, 'InsightStreamRegistry', {
    description: 'InsightStream: the container image repository (deploy before InsightStream)',
  });
  const service = new InsightStreamStack(app, 'InsightStream', {
    description: 'InsightStream: ECS Fargate per role, RDS PostgreSQL, S3, SQS, CloudWatch',
    config,
  });
  Aspects.of(app).add(new AwsSolutionsChecks({ verbose: true }));
  return { app, registry, service };
}
