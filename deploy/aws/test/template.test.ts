// Assertions on the synthesized templates: each requirement of the AWS deployment (issue 14, item
// 3) checked on what CloudFormation would receive.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { readConfig } from '../lib/config';
import {
  CONTEXT,
  container,
  envOf,
  evaluate,
  logicalIdOf,
  ofType,
  readRepoFile,
  REPO_ROOT,
  resources,
  secretsOf,
  serviceOf,
  synth,
  taskDefinition,
} from './helpers';

const ROLES = ['gateway', 'auth', 'ingest', 'worker', 'analytics'] as const;
const INTERNAL = ['auth', 'ingest', 'analytics'] as const;
const DB_ROLES = ['auth', 'ingest', 'worker', 'analytics'] as const;
const family = (r: string) => `insightstream-${r}`;

const { service: t, registry, app } = synth();
const R = resources(t);

/** Security group logical id of the service of `role`. */
function sgOf(role: string): string {
  const [, svc] = serviceOf(t, family(role));
  const groups = svc.Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups;
  assert.equal(groups.length, 1, `${role}: one security group`);
  return logicalIdOf(evaluate(groups[0]));
}

/** Every inbound rule of a security group (inline and separate resources), as {from, port}. */
function ingressOf(sgId: string): { from: string; fromPort: number; toPort: number }[] {
  const inline = (R[sgId]!.Properties.SecurityGroupIngress ?? []).map((r: any) => ({
    from: r.CidrIp ?? r.CidrIpv6 ?? evaluate(r.SourceSecurityGroupId),
    fromPort: r.FromPort,
    toPort: r.ToPort,
  }));
  const separate = ofType(t, 'AWS::EC2::SecurityGroupIngress')
    .filter(([, r]) => evaluate(r.Properties.GroupId) === `<${sgId}.GroupId>`)
    .map(([, r]) => ({
      from: r.Properties.CidrIp ?? evaluate(r.Properties.SourceSecurityGroupId),
      fromPort: r.Properties.FromPort,
      toPort: r.Properties.ToPort,
    }));
  return [...inline, ...separate];
}

describe('network', () => {
  it('spans two AZs with public, private and isolated subnets', () => {
    const subnets = ofType(t, 'AWS::EC2::Subnet');
    assert.equal(subnets.length, 6);
    const azs = new Set(subnets.map(([, s]) => JSON.stringify(s.Properties.AvailabilityZone)));
    assert.equal(azs.size, 2, 'two distinct availability zones');
    t.resourceCountIs('AWS::EC2::NatGateway', 2);
    t.resourceCountIs('AWS::EC2::VPCEndpoint', 1); // S3 gateway endpoint
  });

  it('has VPC flow logs for all traffic into a log group with retention', () => {
    const [[, flow]] = ofType(t, 'AWS::EC2::FlowLog') as [[string, any]];
    assert.equal(flow.Properties.ResourceType, 'VPC');
    assert.equal(flow.Properties.TrafficType, 'ALL');
    assert.equal(flow.Properties.LogDestinationType, 'cloud-watch-logs');
    const group = logicalIdOf(evaluate(flow.Properties.LogGroupName));
    assert.ok(R[group]!.Properties.RetentionInDays > 0);
  });
});

describe('ECS', () => {
  it('cluster has Container Insights on', () => {
    t.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });

  it('runs one Fargate service per role, all from the one image, the role as the command', () => {
    t.resourceCountIs('AWS::ECS::Service', ROLES.length);
    for (const r of ROLES) {
      const [, svc] = serviceOf(t, family(r));
      assert.equal(svc.Properties.LaunchType, 'FARGATE');
      assert.equal(svc.Properties.NetworkConfiguration.AwsvpcConfiguration.AssignPublicIp, 'DISABLED');
      assert.deepEqual(svc.Properties.DeploymentConfiguration.DeploymentCircuitBreaker, { Enable: true, Rollback: true });
      const c = container(t, family(r));
      assert.equal(c.Image, CONTEXT.image, `${r} runs the context image`);
      assert.deepEqual(c.Command, [r]);
      assert.equal(envOf(c).INSIGHTSTREAM_LISTEN, '0.0.0.0:8080');
      assert.deepEqual(c.HealthCheck.Command.slice(0, 3), ['CMD', 'bash', '-c']);
      assert.match(c.HealthCheck.Command[3], /GET \/healthz HTTP\/1\.1/);
      assert.match(c.HealthCheck.Command[3], /\/dev\/tcp\/127\.0\.0\.1\/8080/);
    }
  });

  it('puts the gateway behind an internet-facing ALB with HTTPS and an HTTP->HTTPS redirect', () => {
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      Type: 'application',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [{ CertificateArn: CONTEXT.certificateArn }],
    });
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 80,
      Protocol: 'HTTP',
      DefaultActions: [{ Type: 'redirect', RedirectConfig: { Port: '443', Protocol: 'HTTPS', StatusCode: 'HTTP_301' } }],
    });
    const withLb = ofType(t, 'AWS::ECS::Service').filter(([, s]) => (s.Properties.LoadBalancers ?? []).length > 0);
    assert.deepEqual(
      withLb.map(([id]) => id),
      [serviceOf(t, family('gateway'))[0]],
      'only the gateway is a load balancer target',
    );
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::TargetGroup', { HealthCheckPath: '/readyz', Port: 8080 });
    // The gateway's /metrics is not served to the internet.
    t.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/metrics', '/metrics/*'] } }],
      Actions: [Match.objectLike({ Type: 'fixed-response', FixedResponseConfig: Match.objectLike({ StatusCode: '404' }) })],
    });
    // The gateway keeps idle connections open longer than the load balancer does (else 502s).
    const idle = ofType(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0]![1].Properties.LoadBalancerAttributes.find(
      (a: any) => a.Key === 'idle_timeout.timeout_seconds',
    ).Value;
    assert.ok(Number(envOf(container(t, family('gateway'))).INSIGHTSTREAM_HEADER_TIMEOUT) > Number(idle));
    // The gateway accepts connections from the load balancer only.
    const albSg = logicalIdOf(
      evaluate(ofType(t, 'AWS::ElasticLoadBalancingV2::LoadBalancer')[0]![1].Properties.SecurityGroups[0]),
    );
    assert.deepEqual(ingressOf(sgOf('gateway')), [{ from: `<${albSg}.GroupId>`, fromPort: 8080, toPort: 8080 }]);
  });

  it('reaches auth, ingest and analytics through Service Connect, only from the gateway; workers take nothing', () => {
    const upstreams = envOf(container(t, family('gateway'))).INSIGHTSTREAM_UPSTREAMS!.split(';');
    assert.deepEqual(upstreams, INTERNAL.map((r) => `${r}=http://${r}:8080`));
    const gatewaySg = sgOf('gateway');
    for (const r of INTERNAL) {
      const [, svc] = serviceOf(t, family(r));
      const sc = svc.Properties.ServiceConnectConfiguration;
      assert.equal(sc.Enabled, true);
      assert.deepEqual(sc.Services, [
        { ClientAliases: [{ DnsName: r, Port: 8080 }], DiscoveryName: r, PortName: 'http' },
      ]);
      assert.deepEqual(ingressOf(sgOf(r)), [{ from: `<${gatewaySg}.GroupId>`, fromPort: 8080, toPort: 8080 }], r);
      assert.equal(envOf(container(t, family(r))).INSIGHTSTREAM_TRUST_FORWARDED_FOR, 'true');
    }
    const [, gw] = serviceOf(t, family('gateway'));
    assert.equal(gw.Properties.ServiceConnectConfiguration.Enabled, true);
    assert.equal(gw.Properties.ServiceConnectConfiguration.Services, undefined, 'the gateway is a client only');
    assert.deepEqual(ingressOf(sgOf('worker')), [], 'workers accept no connection at all');
    assert.equal(serviceOf(t, family('worker'))[1].Properties.ServiceConnectConfiguration, undefined);
  });
});

describe('database', () => {
  const [[dbId, db]] = ofType(t, 'AWS::RDS::DBInstance') as [[string, any]];

  it('is PostgreSQL 15, encrypted, Multi-AZ by default, private, deletion-protected', () => {
    assert.equal(db.Properties.Engine, 'postgres');
    assert.match(db.Properties.EngineVersion, /^15(\.|$)/);
    assert.equal(db.Properties.StorageEncrypted, true);
    assert.equal(db.Properties.MultiAZ, true);
    assert.equal(db.Properties.PubliclyAccessible, false);
    assert.equal(db.Properties.DeletionProtection, true);
    assert.match(JSON.stringify(db.Properties.MasterUserPassword), /resolve:secretsmanager/);
    const params = R[logicalIdOf(evaluate(db.Properties.DBParameterGroupName))]!;
    assert.equal(params.Properties.Parameters['rds.force_ssl'], '1');
  });

  it('takes Multi-AZ from context', () => {
    const single = synth({ multiAz: 'false' }).service;
    single.hasResourceProperties('AWS::RDS::DBInstance', { MultiAZ: false });
  });

  it('admits only the roles that use it and the migration task', () => {
    const dbSg = logicalIdOf(evaluate(db.Properties.VPCSecurityGroups[0]));
    const from = ingressOf(dbSg).map((r) => {
      assert.equal(evaluate(r.fromPort), `<${dbId}.Endpoint.Port>`, 'the database port only');
      assert.equal(evaluate(r.toPort), `<${dbId}.Endpoint.Port>`);
      return r.from;
    });
    const expected = [...DB_ROLES.map(sgOf), outputValue('MigrateSecurityGroupId')].map((id) => `<${id}.GroupId>`);
    assert.deepEqual(from.sort(), expected.sort());
  });

  it('services connect as a role that owns nothing, with the password from Secrets Manager', () => {
    const appSecret = ofType(t, 'AWS::SecretsManager::Secret').find(
      ([, s]) => s.Properties.Name === 'insightstream/db-app',
    )!;
    assert.equal(
      JSON.parse(appSecret[1].Properties.GenerateSecretString.SecretStringTemplate).username,
      'insightstream_app',
    );
    for (const r of DB_ROLES) {
      const c = container(t, family(r));
      const env = envOf(c);
      assert.match(env.INSIGHTSTREAM_DATABASE!, /^postgres:\/\/insightstream_app@<[A-Za-z0-9]+\.Endpoint\.Address>:<[A-Za-z0-9]+\.Endpoint\.Port>\/insightstream\?sslmode=require$/);
      assert.equal(env.INSIGHTSTREAM_MIGRATE, 'false', `${r} must not migrate (it cannot, and must not)`);
      assert.equal(secretsOf(c).INSIGHTSTREAM_DATABASE_PASSWORD, `<${appSecret[0]}>:password::`);
      assert.ok(!Object.keys(env).some((k) => /PASSWORD|PRIVATE_KEY/.test(k)), `${r}: no secret in plain environment`);
    }
    const gw = container(t, family('gateway'));
    assert.equal(envOf(gw).INSIGHTSTREAM_DATABASE, undefined, 'the gateway has no database');
    assert.deepEqual(secretsOf(gw), {});
  });
});

function outputValue(name: string): string {
  const o = t.toJSON().Outputs?.[name];
  if (!o) throw new Error(`no output ${name}`);
  const v = evaluate(o.Value);
  return typeof v === 'string' && v.startsWith('<') ? logicalIdOf(v.replace(/\.GroupId>$/, '>')) : v;
}

describe('migrations', () => {
  it('run as a one-off task (family insightstream-migrate): migrate as the owner, then the app login role', () => {
    const [, td] = taskDefinition(t, 'insightstream-migrate');
    assert.deepEqual(
      td.Properties.ContainerDefinitions.map((c: any) => c.Name),
      ['migrate', 'app-login'],
    );
    const migrate = container(t, 'insightstream-migrate', 'migrate');
    assert.equal(migrate.Image, CONTEXT.image);
    assert.deepEqual(migrate.Command, ['migrate']);
    assert.match(envOf(migrate).INSIGHTSTREAM_DATABASE!, /^postgres:\/\/insightstream_owner@/);
    const owner = ofType(t, 'AWS::SecretsManager::SecretTargetAttachment')[0]![0];
    assert.equal(secretsOf(migrate).INSIGHTSTREAM_DATABASE_PASSWORD, `<${owner}>:password::`);
    const login = container(t, 'insightstream-migrate', 'app-login');
    assert.deepEqual(login.DependsOn, [{ ContainerName: 'migrate', Condition: 'SUCCESS' }]);
    assert.equal(login.Essential, true);
    const script: string = login.Command[0];
    assert.match(script, /CREATE ROLE %I LOGIN', 'insightstream_app'/);
    assert.match(script, /GRANT insightstream_service TO insightstream_app;/);
    // The group role the script grants is the one the migrations create.
    assert.match(
      readRepoFile('src/store/db/migrations/0002_auth_and_tenancy.sql'),
      /CREATE ROLE insightstream_service NOLOGIN/,
    );
    assert.equal(envOf(login).PGUSER, 'insightstream_owner');
    assert.deepEqual(Object.keys(secretsOf(login)).sort(), ['APP_DB_PASSWORD', 'PGPASSWORD']);
  });

  it('run before the services roll: every service depends on the migration custom resource', () => {
    const [[crId, cr]] = ofType(t, 'Custom::InsightStreamMigrations') as [[string, any]];
    const [migrateTd] = taskDefinition(t, 'insightstream-migrate');
    assert.equal(evaluate(cr.Properties.TaskDefinition), `<${migrateTd}>`);
    assert.equal(evaluate(cr.Properties.SecurityGroups[0]), `<${outputValue('MigrateSecurityGroupId')}.GroupId>`);
    assert.equal(cr.Properties.Image, CONTEXT.image);
    for (const [id, svc] of ofType(t, 'AWS::ECS::Service')) {
      assert.ok((svc.DependsOn ?? []).includes(crId), `${id} depends on the migrations`);
    }
    // ...and the task can start: the database exists and the private subnets route through NAT.
    const [dbId] = ofType(t, 'AWS::RDS::DBInstance')[0]!;
    assert.ok(cr.DependsOn.includes(dbId));
    for (const subnet of evaluate(cr.Properties.Subnets) as string[]) {
      const routeTable = ofType(t, 'AWS::EC2::SubnetRouteTableAssociation').find(
        ([, a]) => evaluate(a.Properties.SubnetId) === subnet,
      )![1].Properties.RouteTableId;
      const [routeId, route] = ofType(t, 'AWS::EC2::Route').find(
        ([, r]) => JSON.stringify(r.Properties.RouteTableId) === JSON.stringify(routeTable),
      )!;
      assert.ok(route.Properties.NatGatewayId, 'private subnets leave through NAT');
      assert.ok(cr.DependsOn.includes(routeId), `the migrations wait for ${routeId}`);
    }
  });

  it('lets the runner start only that task family, in this cluster', () => {
    const statements = ofType(t, 'AWS::IAM::Policy')
      .filter(([id]) => id.startsWith('MigrateRunnerRole'))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement);
    const run = statements.find((s: any) => s.Action === 'ecs:RunTask');
    assert.match(evaluate(run.Resource), /:task-definition\/insightstream-migrate:\*$/);
    const [clusterId] = ofType(t, 'AWS::ECS::Cluster')[0]!;
    assert.equal(evaluate(run.Condition.ArnEquals['ecs:cluster']), `<${clusterId}.Arn>`);
    const pass = statements.find((s: any) => s.Action === 'iam:PassRole');
    const [, migrateTd] = taskDefinition(t, 'insightstream-migrate');
    assert.deepEqual(
      evaluate(pass.Resource).sort(),
      [evaluate(migrateTd.Properties.TaskRoleArn), evaluate(migrateTd.Properties.ExecutionRoleArn)].sort(),
    );
  });

  it('exposes what a release needs to run the task by hand', () => {
    const outputs = t.toJSON().Outputs;
    for (const name of ['ClusterName', 'MigrateTaskDefinitionFamily', 'MigrateSubnetIds', 'MigrateSecurityGroupId']) {
      assert.ok(outputs[name], `output ${name}`);
    }
    assert.equal(outputs.MigrateTaskDefinitionFamily.Value, 'insightstream-migrate');
    const subnets: string = evaluate(outputs.MigrateSubnetIds.Value);
    const [[, cr]] = ofType(t, 'Custom::InsightStreamMigrations') as [[string, any]];
    assert.equal(subnets, (evaluate(cr.Properties.Subnets) as string[]).join(','));
    for (const s of subnets.split(',')) {
      const subnet = R[logicalIdOf(s)]!;
      assert.equal(subnet.Type, 'AWS::EC2::Subnet');
      assert.ok(subnet.Properties.Tags.some((tag: any) => tag.Key === 'aws-cdk:subnet-type' && tag.Value === 'Private'));
    }
  });
});

describe('S3', () => {
  const objects = envOf(container(t, family('worker'))).INSIGHTSTREAM_OBJECTS!;
  const bucketId = logicalIdOf(/^s3:\/\/(<[^>]+>)\//.exec(objects)![1]!);
  const bucket = R[bucketId]!;

  it('blocks public access, encrypts, enforces TLS, aborts incomplete multipart uploads', () => {
    assert.deepEqual(bucket.Properties.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    assert.equal(
      bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm,
      'AES256',
    );
    const rules = bucket.Properties.LifecycleConfiguration.Rules;
    assert.ok(rules.some((r: any) => r.Status === 'Enabled' && r.AbortIncompleteMultipartUpload?.DaysAfterInitiation > 0));
    const [, policy] = ofType(t, 'AWS::S3::BucketPolicy').find(([, p]) => evaluate(p.Properties.Bucket) === `<${bucketId}>`)!;
    assert.ok(
      policy.Properties.PolicyDocument.Statement.some(
        (s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
      ),
      'TLS enforced',
    );
  });

  it('is the object store of ingest, worker and analytics; only ingest and worker are given the queues', () => {
    for (const r of ['ingest', 'worker', 'analytics']) {
      assert.equal(envOf(container(t, family(r))).INSIGHTSTREAM_OBJECTS, objects, `${r}: the one bucket and prefix`);
    }
    const analytics = envOf(container(t, family('analytics')));
    assert.equal(analytics.INSIGHTSTREAM_QUEUE, undefined, 'analytics uses no queue');
    assert.equal(analytics.INSIGHTSTREAM_DEAD_LETTER_QUEUE, undefined, 'analytics uses no queue');
    for (const r of ['gateway', 'auth']) {
      const env = envOf(container(t, family(r)));
      assert.equal(env.INSIGHTSTREAM_OBJECTS, undefined, `${r}: no object store`);
      assert.equal(env.INSIGHTSTREAM_QUEUE, undefined, `${r}: no queue`);
    }
  });
});

describe('SQS', () => {
  const env = envOf(container(t, family('worker')));
  const jobsId = logicalIdOf(env.INSIGHTSTREAM_QUEUE!);
  const dlqId = logicalIdOf(env.INSIGHTSTREAM_DEAD_LETTER_QUEUE!);

  it('redrives to the dead-letter queue after exactly the workers --job-max-receives', () => {
    const redrive = R[jobsId]!.Properties.RedrivePolicy;
    assert.equal(evaluate(redrive.deadLetterTargetArn), `<${dlqId}.Arn>`);
    assert.equal(String(redrive.maxReceiveCount), env.INSIGHTSTREAM_JOB_MAX_RECEIVES);
    assert.equal(envOf(container(t, family('ingest'))).INSIGHTSTREAM_QUEUE, `<${jobsId}>`);
  });

  it('encrypts both queues and refuses plain HTTP', () => {
    for (const id of [jobsId, dlqId]) {
      assert.equal(R[id]!.Properties.SqsManagedSseEnabled, true);
      const [, policy] = ofType(t, 'AWS::SQS::QueuePolicy').find(([, p]) =>
        p.Properties.Queues.some((q: any) => evaluate(q) === `<${id}>`),
      )!;
      assert.ok(
        policy.Properties.PolicyDocument.Statement.some(
          (s: any) => s.Effect === 'Deny' && s.Condition?.Bool?.['aws:SecureTransport'] === 'false',
        ),
      );
    }
  });
});

describe('IAM', () => {
  const workerEnv = envOf(container(t, family('worker')));
  const objects = /^s3:\/\/(<[^>]+>)\/(.*)$/.exec(workerEnv.INSIGHTSTREAM_OBJECTS!)!;
  // Placeholder values as the template must resolve them: the bucket, prefix and queues the app is given.
  const expectedValues: Record<string, string> = {
    BucketName: objects[1]!,
    Prefix: `${objects[2]}/`,
    JobsQueueArn: `<${logicalIdOf(workerEnv.INSIGHTSTREAM_QUEUE!)}.Arn>`,
    DeadLetterQueueArn: `<${logicalIdOf(workerEnv.INSIGHTSTREAM_DEAD_LETTER_QUEUE!)}.Arn>`,
  };
  const fill = (v: any): any => {
    if (typeof v === 'string') {
      return v.replace(/\$\{([^}]+)\}/g, (_m, n: string) => {
        assert.ok(n in expectedValues, `placeholder ${n} has a value`);
        return expectedValues[n]!;
      });
    }
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  const taskRoleOf = (r: string) => logicalIdOf(evaluate(taskDefinition(t, family(r))[1].Properties.TaskRoleArn));
  const policiesOn = (roleId: string) =>
    ofType(t, 'AWS::IAM::Policy').filter(([, p]) => (p.Properties.Roles ?? []).some((x: any) => evaluate(x) === `<${roleId}>`));

  it('gives each service its own task role', () => {
    const roles = ROLES.map(taskRoleOf);
    assert.equal(new Set(roles).size, ROLES.length);
  });

  for (const r of ['ingest', 'worker', 'analytics'] as const) {
    it(`attaches exactly deploy/iam/${r}.json to the ${r} task role`, () => {
      const file = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'deploy', 'iam', `${r}.json`), 'utf8'));
      const role = taskRoleOf(r);
      const attached = policiesOn(role);
      assert.equal(attached.length, 1, `${r}: one policy, nothing else`);
      assert.deepEqual(evaluate(attached[0]![1].Properties.PolicyDocument), fill(file));
      assert.equal(R[role]!.Properties.ManagedPolicyArns, undefined);
      assert.equal(R[role]!.Properties.Policies, undefined);
    });
  }

  it('lets analytics only read and list the prefix, and denies it object writes and SQS explicitly', () => {
    const attached = policiesOn(taskRoleOf('analytics'));
    assert.equal(attached.length, 1);
    const statements: any[] = evaluate(attached[0]![1].Properties.PolicyDocument).Statement;
    const list = (v: any): any[] => (Array.isArray(v) ? v : [v]);
    const allows = statements.filter((s) => s.Effect === 'Allow');
    assert.deepEqual(allows.flatMap((s) => list(s.Action)).sort(), ['s3:GetObject', 's3:ListBucket']);
    const bucket = expectedValues.BucketName!;
    const prefix = expectedValues.Prefix!;
    const get = allows.find((s) => list(s.Action).includes('s3:GetObject'));
    assert.deepEqual(list(get.Resource), [`arn:aws:s3:::${bucket}/${prefix}*`]);
    assert.equal(get.Condition, undefined);
    const listing = allows.find((s) => list(s.Action).includes('s3:ListBucket'));
    assert.deepEqual(list(listing.Resource), [`arn:aws:s3:::${bucket}`]);
    assert.deepEqual(listing.Condition, { StringLike: { 's3:prefix': `${prefix}*` } });
    const denies = statements.filter((s) => s.Effect === 'Deny');
    assert.ok(denies.every((s) => s.Condition === undefined && list(s.Resource).join() === '*'), 'unconditional, everywhere');
    const denied = denies.flatMap((s) => list(s.Action));
    for (const a of ['sqs:*', 's3:Put*', 's3:Delete*', 's3:AbortMultipartUpload']) assert.ok(denied.includes(a), `denies ${a}`);
  });

  it('grants the gateway and auth task roles nothing', () => {
    for (const r of ['gateway', 'auth']) {
      const role = taskRoleOf(r);
      assert.equal(policiesOn(role).length, 0, r);
      assert.equal(R[role]!.Properties.ManagedPolicyArns, undefined);
    }
  });
});

describe('JWT signing key', () => {
  it('reaches only the auth role, from Secrets Manager', () => {
    for (const r of ROLES) {
      const s = secretsOf(container(t, family(r)));
      if (r === 'auth') assert.equal(s.INSIGHTSTREAM_JWT_PRIVATE_KEY, CONTEXT.jwtKeySecretArn);
      else assert.equal(s.INSIGHTSTREAM_JWT_PRIVATE_KEY, undefined, r);
    }
  });
});

describe('CloudWatch', () => {
  it('logs each role to its own group with retention', () => {
    const groups = new Set<string>();
    for (const r of [...ROLES, 'migrate']) {
      const [, td] = taskDefinition(t, family(r));
      for (const c of td.Properties.ContainerDefinitions) {
        assert.equal(c.LogConfiguration.LogDriver, 'awslogs');
        const g = logicalIdOf(evaluate(c.LogConfiguration.Options['awslogs-group']));
        assert.equal(R[g]!.Properties.LogGroupName, `/insightstream/${r}`);
        assert.ok(R[g]!.Properties.RetentionInDays > 0);
        groups.add(g);
      }
    }
    assert.equal(groups.size, ROLES.length + 1);
  });

  const alarms = ofType(t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const [[topicId]] = ofType(t, 'AWS::SNS::Topic') as [[string, any]];
  const env = envOf(container(t, family('worker')));

  it('alarms when the dead-letter queue is not empty', () => {
    const a = alarms.find(
      (p) => p.MetricName === 'ApproximateNumberOfMessagesVisible' && evaluate(p.Dimensions[0].Value) === `<${logicalIdOf(env.INSIGHTSTREAM_DEAD_LETTER_QUEUE!)}.QueueName>`,
    );
    assert.ok(a);
    assert.equal(a.Threshold, 0);
    assert.equal(a.ComparisonOperator, 'GreaterThanThreshold');
  });

  it("alarms when a ready version's snapshot could not be written (from the worker's log)", () => {
    const [[filterId, filter]] = ofType(t, 'AWS::Logs::MetricFilter') as [[string, any]];
    assert.ok(filterId);
    assert.equal(R[logicalIdOf(evaluate(filter.Properties.LogGroupName))]!.Properties.LogGroupName, '/insightstream/worker');
    assert.match(filter.Properties.FilterPattern, /\$\.event\s*=\s*"job\.snapshot_failed"/);
    const [transform] = filter.Properties.MetricTransformations;
    const a = alarms.find((p) => p.MetricName === transform.MetricName && p.Namespace === transform.MetricNamespace);
    assert.ok(a, 'an alarm on the filtered metric');
    assert.equal(a.Threshold, 0);
    assert.equal(a.ComparisonOperator, 'GreaterThanThreshold');
  });

  it('alarms on the 5xx rate, p99 latency and the age of the oldest job', () => {
    const fiveXx = alarms.find((p) => (p.Metrics ?? []).some((m: any) => m.MetricStat?.Metric.MetricName === 'HTTPCode_Target_5XX_Count'));
    assert.ok(fiveXx, '5xx rate');
    assert.ok(fiveXx.Metrics.some((m: any) => m.MetricStat?.Metric.MetricName === 'RequestCount'));
    const p99 = alarms.find((p) => p.MetricName === 'TargetResponseTime');
    assert.equal(p99?.ExtendedStatistic, 'p99');
    const age = alarms.find((p) => p.MetricName === 'ApproximateAgeOfOldestMessage');
    assert.equal(evaluate(age?.Dimensions[0].Value), `<${logicalIdOf(env.INSIGHTSTREAM_QUEUE!)}.QueueName>`);
    for (const a of alarms) assert.deepEqual(a.AlarmActions.map(evaluate), [`<${topicId}>`]);
    const [, topicPolicy] = ofType(t, 'AWS::SNS::TopicPolicy')[0]!;
    assert.ok(
      topicPolicy.Properties.PolicyDocument.Statement.some(
        (st: any) => st.Effect === 'Allow' && st.Principal?.Service === 'cloudwatch.amazonaws.com' && st.Action === 'sns:Publish',
      ),
      'CloudWatch may publish to the topic',
    );
  });

  it('has a dashboard', () => {
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('autoscaling', () => {
  const policies = ofType(t, 'AWS::ApplicationAutoScaling::ScalingPolicy').map(([, p]) => p.Properties);
  const targets = Object.fromEntries(
    ofType(t, 'AWS::ApplicationAutoScaling::ScalableTarget').map(([id, s]) => [id, evaluate(s.Properties.ResourceId) as string]),
  );
  const policiesFor = (r: string) => {
    const [svcId] = serviceOf(t, family(r));
    return policies.filter((p) => targets[logicalIdOf(evaluate(p.ScalingTargetId))]!.includes(`<${svcId}.Name>`));
  };

  it('scales workers on the SQS backlog per running task (target tracking on metric math)', () => {
    const [p] = policiesFor('worker');
    assert.ok(p);
    assert.equal(p.PolicyType, 'TargetTrackingScaling');
    const metrics = p.TargetTrackingScalingPolicyConfiguration.CustomizedMetricSpecification.Metrics;
    const byId = Object.fromEntries(metrics.map((m: any) => [m.Id, m]));
    assert.equal(byId.visible.MetricStat.Metric.MetricName, 'ApproximateNumberOfMessagesVisible');
    assert.equal(evaluate(byId.visible.MetricStat.Metric.Dimensions[0].Value), `<${logicalIdOf(envOf(container(t, family('worker'))).INSIGHTSTREAM_QUEUE!)}.QueueName>`);
    assert.equal(byId.running.MetricStat.Metric.MetricName, 'RunningTaskCount');
    const result = metrics.filter((m: any) => m.ReturnData !== false);
    assert.equal(result.length, 1);
    assert.equal(result[0].Expression, 'visible / running');
  });

  it('scales the gateway on CPU and request count, analytics on CPU', () => {
    const gw = policiesFor('gateway').map((p) => p.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType);
    assert.deepEqual(gw.sort(), ['ALBRequestCountPerTarget', 'ECSServiceAverageCPUUtilization']);
    const an = policiesFor('analytics').map((p) => p.TargetTrackingScalingPolicyConfiguration.PredefinedMetricSpecification.PredefinedMetricType);
    assert.deepEqual(an, ['ECSServiceAverageCPUUtilization']);
  });
});

describe('registry stack', () => {
  it('holds the insightstream ECR repository, immutable tags, scanned on push, retained', () => {
    registry.hasResource('AWS::ECR::Repository', {
      Properties: {
        RepositoryName: 'insightstream',
        ImageTagMutability: 'IMMUTABLE',
        ImageScanningConfiguration: { ScanOnPush: true },
      },
      DeletionPolicy: 'Retain',
    });
    assert.ok(registry.toJSON().Outputs.RepositoryUri);
  });
});

describe('synthesis', () => {
  it('is environment-agnostic (no account, region or lookups)', () => {
    for (const s of [app.service, app.registry]) {
      assert.equal(s.environment, 'aws://unknown-account/unknown-region');
    }
    const assembly = app.app.synth();
    for (const a of assembly.manifest.missing ?? []) assert.fail(`context lookup: ${a.key}`);
  });

  it('leaves no cdk-nag AwsSolutions error or warning unsuppressed', () => {
    for (const s of [app.service, app.registry, synth({ multiAz: 'false' }).app.service]) {
      const errors = Annotations.fromStack(s).findError('*', Match.stringLikeRegexp('AwsSolutions-'));
      const warnings = Annotations.fromStack(s).findWarning('*', Match.stringLikeRegexp('AwsSolutions-'));
      assert.deepEqual(
        [...errors, ...warnings].map((e) => `${e.id}: ${String(e.entry.data).slice(0, 120)}`),
        [],
      );
    }
  });

  it('gives every cdk-nag suppression a specific reason', () => {
    let count = 0;
    for (const [id, r] of Object.entries(R)) {
      for (const s of r.Metadata?.cdk_nag?.rules_to_suppress ?? []) {
        count++;
        assert.ok(s.reason.length >= 60, `${id} ${s.id}: reason too short`);
      }
    }
    assert.ok(count > 0);
  });

  it('refuses context values it cannot deploy', () => {
    const get = (o: Record<string, unknown>) => (k: string) => o[k];
    assert.throws(() => readConfig(get({ certificateArn: 'not-an-arn' })), /certificateArn/);
    assert.throws(
      () => readConfig(get({ jwtKeySecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:insightstream/jwt' })),
      /complete ARN/,
    );
    assert.throws(() => readConfig(get({ multiAz: 'yes' })), /multiAz/);
    assert.throws(() => readConfig(get({ logRetentionDays: 0 })), /logRetentionDays/);
    assert.deepEqual(readConfig(get({})).placeholders, ['image', 'certificateArn', 'jwtKeySecretArn']);
  });
});
