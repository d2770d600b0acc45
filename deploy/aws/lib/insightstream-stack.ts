// InsightStream on AWS: one ECS Fargate service per role from one image, the gateway behind an
// HTTPS load balancer, the other HTTP roles reachable only from the gateway (Service Connect),
// RDS PostgreSQL, the dataset bucket, the jobs queue with its dead-letter queue, CloudWatch logs,
// alarms and a dashboard, and migrations run as a one-off task before the services roll.
import * as path from 'node:path';
import {
  Annotations,
  Aws,
  CfnCondition,
  CfnMapping,
  CfnOutput,
  CustomResource,
  Duration,
  Fn,
  RemovalPolicy,
  Stack,
  StackProps,
} from 'aws-cdk-lib';
import * as appscaling from 'aws-cdk-lib/aws-applicationautoscaling';
import * as cw from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as ecs from 'aws-cdk-lib/aws-ecs';
import * as elbv2 from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as rds from 'aws-cdk-lib/aws-rds';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as servicediscovery from 'aws-cdk-lib/aws-servicediscovery';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as cr from 'aws-cdk-lib/custom-resources';
import { RegionInfo } from 'aws-cdk-lib/region-info';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { APP_LOGIN_SCRIPT } from './app-login';
import {
  APP_PORT,
  DB_APP_USER,
  DB_NAME,
  DB_OWNER_USER,
  DeployConfig,
  ecrRepositoryOf,
  INTERNAL_ROLES,
  JOB_MAX_RECEIVES,
  JOB_VISIBILITY_SECONDS,
  MIGRATE_FAMILY,
  NAMESPACE,
  OBJECT_PREFIX,
  Role,
  ROLES,
  TASK_SIZES,
} from './config';
import { POLICY_ROLES, PolicyRole, renderPolicyDocument } from './iam-documents';

export interface InsightStreamStackProps extends StackProps {
  readonly config: DeployConfig;
}

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Liveness inside the task, with nothing but bash (the runtime image is Debian slim: no curl):
 * GET /healthz on the role's own port must answer 200.
 */
export const HEALTH_CHECK_COMMAND = [
  'CMD',
  'bash',
  '-c',
  `exec 3<>/dev/tcp/127.0.0.1/${APP_PORT} && printf 'GET /healthz HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && IFS= read -r status <&3 && [[ "$status" == *" 200 "* ]]`,
];

export class InsightStreamStack extends Stack {
  readonly services: Record<Role, ecs.FargateService>;

  constructor(scope: Construct, id: string, props: InsightStreamStackProps) {
    super(scope, id, props);
    const cfg = props.config;
    for (const p of cfg.placeholders) {
      Annotations.of(this).addWarningV2(
        `insightstream:placeholder-${p}`,
        `context ${p} is a placeholder: fine for synth and tests, not for a deploy (pass -c ${p}=...)`,
      );
    }
    const retention = retentionDays(cfg.logRetentionDays);

    // ---- Network: two AZs; public (load balancer, NAT), private with egress (tasks), isolated (database).
    const flowLogGroup = new logs.LogGroup(this, 'VpcFlowLogs', {
      logGroupName: '/insightstream/vpc-flow-logs',
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: cfg.natGateways,
      restrictDefaultSecurityGroup: false,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'app', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
        { name: 'db', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
      ],
      // Uploads and every read of a dataset go to S3 without passing (and paying for) the NAT gateways.
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
      flowLogs: {
        all: {
          destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });
    const appSubnets: ec2.SubnetSelection = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };

    // ---- Logs: one group per role (and the migration task), retention from context.
    const logGroups = {} as Record<Role | 'migrate', logs.LogGroup>;
    for (const r of [...ROLES, 'migrate'] as const) {
      logGroups[r] = new logs.LogGroup(this, `${cap(r)}Logs`, {
        logGroupName: `/insightstream/${r}`,
        retention,
        removalPolicy: RemovalPolicy.DESTROY,
      });
    }

    // ---- Buckets: datasets, and the access logs of the datasets bucket and the load balancer.
    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED, // the load balancer's log delivery takes SSE-S3 only
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'expire-access-logs', expiration: Duration.days(365) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const bucket = new s3.Bucket(this, 'Datasets', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      // SSE-S3: the roles' policies (deploy/iam) grant no KMS key, and need none with it.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 's3/datasets/',
      lifecycleRules: [
        {
          // ingest aborts the uploads it gives up; those a crash orphaned go here.
          id: 'abort-incomplete-multipart-uploads',
          abortIncompleteMultipartUploadAfter: Duration.days(2),
        },
      ],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---- Queues: jobs and its dead-letter queue, SQS-managed encryption (no KMS grant needed).
    const deadLetters = new sqs.Queue(this, 'JobsDeadLetters', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    const jobs = new sqs.Queue(this, 'Jobs', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(JOB_VISIBILITY_SECONDS),
      retentionPeriod: Duration.days(4),
      receiveMessageWaitTime: Duration.seconds(20),
      deadLetterQueue: { queue: deadLetters, maxReceiveCount: JOB_MAX_RECEIVES },
    });

    // ---- Secrets. The owner's (generated with the database) is used only by the migration task;
    // the app's login password is generated here and set on the role by the migration task; the
    // JWT signing key is created by the operator before the first deploy (docs/deploy.md).
    const appDbSecret = new secretsmanager.Secret(this, 'DbAppSecret', {
      secretName: 'insightstream/db-app',
      description: `Password of ${DB_APP_USER}, the login role the services use (owns no table)`,
      generateSecretString: {
        secretStringTemplate: JSON.stringify({ username: DB_APP_USER }),
        generateStringKey: 'password',
        excludePunctuation: true,
        passwordLength: 40,
      },
    });
    const jwtKey = secretsmanager.Secret.fromSecretCompleteArn(this, 'JwtSigningKey', cfg.jwtKeySecretArn);

    // ---- Database: PostgreSQL 15, encrypted, Multi-AZ per context, isolated subnets, TLS only.
    const dbSg = new ec2.SecurityGroup(this, 'DatabaseSecurityGroup', {
      vpc,
      description: 'PostgreSQL: reachable only from the roles that use it and the migration task',
      allowAllOutbound: false,
    });
    const engine = rds.DatabaseInstanceEngine.postgres({ version: rds.PostgresEngineVersion.VER_15_17 });
    const dbLogGroup = new logs.LogGroup(this, 'DatabaseLogs', {
      logGroupName: '/aws/rds/instance/insightstream/postgresql',
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const db = new rds.DatabaseInstance(this, 'Database', {
      instanceIdentifier: 'insightstream',
      engine,
      instanceType: new ec2.InstanceType(cfg.dbInstanceClass),
      vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      securityGroups: [dbSg],
      credentials: rds.Credentials.fromGeneratedSecret(DB_OWNER_USER, { secretName: 'insightstream/db-owner' }),
      databaseName: DB_NAME,
      multiAz: cfg.multiAz,
      storageEncrypted: true,
      storageType: rds.StorageType.GP3,
      allocatedStorage: cfg.dbAllocatedStorageGiB,
      maxAllocatedStorage: cfg.dbMaxAllocatedStorageGiB,
      backupRetention: Duration.days(7),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.SNAPSHOT,
      publiclyAccessible: false,
      autoMinorVersionUpgrade: true,
      cloudwatchLogsExports: ['postgresql'],
      parameterGroup: new rds.ParameterGroup(this, 'DatabaseParameters', {
        engine,
        description: 'InsightStream: TLS required',
        parameters: { 'rds.force_ssl': '1' },
      }),
    });
    db.node.addDependency(dbLogGroup);
    const ownerSecret = db.secret!;
    const dbHostPort = `${db.dbInstanceEndpointAddress}:${db.dbInstanceEndpointPort}`;
    const appDatabaseUrl = `postgres://${DB_APP_USER}@${dbHostPort}/${DB_NAME}?sslmode=require`;
    const ownerDatabaseUrl = `postgres://${DB_OWNER_USER}@${dbHostPort}/${DB_NAME}?sslmode=require`;

    // ---- Cluster, with Container Insights and the Service Connect namespace.
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
      defaultCloudMapNamespace: {
        name: NAMESPACE,
        type: servicediscovery.NamespaceType.HTTP,
        useForServiceConnect: true,
      },
    });

    // ---- Security groups: no role accepts anything by default; egress only to what it calls.
    const sgs = {} as Record<Role | 'migrate', ec2.SecurityGroup>;
    for (const r of [...ROLES, 'migrate'] as const) {
      sgs[r] = new ec2.SecurityGroup(this, `${cap(r)}SecurityGroup`, {
        vpc,
        description: `InsightStream ${r} tasks`,
        allowAllOutbound: false,
      });
      // AWS APIs (ECR, Secrets Manager, CloudWatch Logs, SQS, ECS) through NAT; S3 through the endpoint.
      sgs[r].addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS to AWS APIs');
    }
    for (const r of ['auth', 'ingest', 'worker', 'analytics', 'migrate'] as const) {
      db.connections.allowDefaultPortFrom(sgs[r], `PostgreSQL from ${r}`);
    }
    for (const r of INTERNAL_ROLES) {
      sgs[r].addIngressRule(sgs.gateway, ec2.Port.tcp(APP_PORT), `HTTP from the gateway only`);
      sgs.gateway.addEgressRule(sgs[r], ec2.Port.tcp(APP_PORT), `HTTP to ${r}`);
    }

    // ---- Task roles: one per role; ingest, worker and analytics get exactly deploy/iam/<role>.json.
    const taskRoles = {} as Record<Role | 'migrate', iam.Role>;
    for (const r of [...ROLES, 'migrate'] as const) {
      taskRoles[r] = new iam.Role(this, `${cap(r)}TaskRole`, {
        assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com'),
        description: `InsightStream ${r}: ${
          (POLICY_ROLES as readonly string[]).includes(r) ? `deploy/iam/${r}.json` : 'no AWS permissions'
        }`,
      });
    }
    const policyValues = {
      BucketName: bucket.bucketName,
      Prefix: `${OBJECT_PREFIX}/`,
      JobsQueueArn: jobs.queueArn,
      DeadLetterQueueArn: deadLetters.queueArn,
    };
    const taskPolicies = {} as Record<PolicyRole, iam.CfnPolicy>;
    for (const r of POLICY_ROLES) {
      // L1 on purpose: the document goes into the template exactly as written in deploy/iam
      // (same Sids, statement order and value shapes), only its placeholders filled.
      taskPolicies[r] = new iam.CfnPolicy(this, `${cap(r)}TaskPolicy`, {
        policyName: `insightstream-${r}`,
        policyDocument: renderPolicyDocument(r, policyValues),
        roles: [taskRoles[r].roleName],
      });
    }

    // ---- Container image, and pull permission when it is in an ECR repository.
    const image = ecs.ContainerImage.fromRegistry(cfg.image);
    const repo = ecrRepositoryOf(cfg.image);
    const repoArn = repo
      ? `arn:${Aws.PARTITION}:ecr:${repo.region}:${repo.account}:repository/${repo.name}`
      : undefined;
    const allowPull = (td: ecs.TaskDefinition, container: ecs.ContainerDefinition) => {
      if (!repoArn) return;
      // The policy CDK asks for when an ECR image is given by name (fromRegistry) is this one.
      Annotations.of(container).acknowledgeWarning('@aws-cdk/aws-ecs:ecrImageRequiresPolicy', 'pull permission added here');
      const exec = td.obtainExecutionRole();
      exec.addToPrincipalPolicy(
        new iam.PolicyStatement({
          actions: ['ecr:BatchCheckLayerAvailability', 'ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer'],
          resources: [repoArn],
        }),
      );
      exec.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['ecr:GetAuthorizationToken'], resources: ['*'] }));
    };

    // ---- Environment per role (flags as INSIGHTSTREAM_* variables; secrets as ECS secrets).
    const common: Record<string, string> = {
      INSIGHTSTREAM_LISTEN: `0.0.0.0:${APP_PORT}`,
      INSIGHTSTREAM_LOG_LEVEL: 'info',
      AWS_REGION: Aws.REGION,
    };
    const behindGateway: Record<string, string> = {
      INSIGHTSTREAM_DATABASE: appDatabaseUrl,
      // The services log in as a role that owns nothing: it could not migrate, and must not.
      INSIGHTSTREAM_MIGRATE: 'false',
      // The client address is the one the gateway forwards.
      INSIGHTSTREAM_TRUST_FORWARDED_FOR: 'true',
    };
    const objects = `s3://${bucket.bucketName}/${OBJECT_PREFIX}`;
    const env: Record<Role, Record<string, string>> = {
      gateway: {
        ...common,
        INSIGHTSTREAM_UPSTREAMS: INTERNAL_ROLES.map((r) => `${r}=http://${r}:${APP_PORT}`).join(';'),
        // The load balancer's X-Forwarded-For carries the client's address.
        INSIGHTSTREAM_TRUST_FORWARDED_FOR: 'true',
        // Longer than the load balancer's idle timeout (60 s), so the gateway never closes a
        // kept-alive connection the load balancer is about to reuse (that would be a 502).
        INSIGHTSTREAM_HEADER_TIMEOUT: '75',
      },
      auth: {
        ...common,
        ...behindGateway,
        // Each login hashes with Argon2id (64 MiB): bound the hashes at once to fit the task.
        INSIGHTSTREAM_HANDLER_THREADS: '8',
      },
      ingest: {
        ...common,
        ...behindGateway,
        INSIGHTSTREAM_OBJECTS: objects,
        INSIGHTSTREAM_QUEUE: jobs.queueUrl,
        // Each upload buffers up to 2 parts of 8 MiB: 32 at once fit the task's 1 GiB.
        INSIGHTSTREAM_MAX_CONCURRENT_UPLOADS: '32',
      },
      worker: {
        ...common,
        ...behindGateway,
        INSIGHTSTREAM_OBJECTS: objects,
        INSIGHTSTREAM_QUEUE: jobs.queueUrl,
        INSIGHTSTREAM_DEAD_LETTER_QUEUE: deadLetters.queueUrl,
        INSIGHTSTREAM_JOB_MAX_RECEIVES: String(JOB_MAX_RECEIVES),
        INSIGHTSTREAM_JOB_VISIBILITY: String(JOB_VISIBILITY_SECONDS),
        // One job at a time per task needs few connections; workers scale out in tasks.
        INSIGHTSTREAM_DB_POOL_SIZE: '4',
      },
      analytics: {
        ...common,
        ...behindGateway,
        // Reads the versions' Parquet snapshots (export, queries); no queue.
        INSIGHTSTREAM_OBJECTS: objects,
      },
    };
    const dbPassword = ecs.Secret.fromSecretsManager(appDbSecret, 'password');
    const secrets: Record<Role, Record<string, ecs.Secret>> = {
      gateway: {},
      auth: {
        INSIGHTSTREAM_DATABASE_PASSWORD: dbPassword,
        INSIGHTSTREAM_JWT_PRIVATE_KEY: ecs.Secret.fromSecretsManager(jwtKey),
      },
      ingest: { INSIGHTSTREAM_DATABASE_PASSWORD: dbPassword },
      worker: { INSIGHTSTREAM_DATABASE_PASSWORD: dbPassword },
      analytics: { INSIGHTSTREAM_DATABASE_PASSWORD: dbPassword },
    };

    // ---- The migration task (family insightstream-migrate): `insightstream migrate` as the owner,
    // then the app's login role and password (lib/app-login.ts), in that order.
    const migrateTask = new ecs.FargateTaskDefinition(this, 'MigrateTask', {
      family: MIGRATE_FAMILY,
      cpu: TASK_SIZES.migrate.cpu,
      memoryLimitMiB: TASK_SIZES.migrate.memoryMiB,
      taskRole: taskRoles.migrate,
      runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
    });
    const migrateContainer = migrateTask.addContainer('migrate', {
      image,
      command: ['migrate'],
      essential: false,
      environment: {
        INSIGHTSTREAM_DATABASE: ownerDatabaseUrl,
        INSIGHTSTREAM_LOG_LEVEL: 'info',
        AWS_REGION: Aws.REGION,
      },
      secrets: { INSIGHTSTREAM_DATABASE_PASSWORD: ecs.Secret.fromSecretsManager(ownerSecret, 'password') },
      logging: ecs.LogDrivers.awsLogs({ logGroup: logGroups.migrate, streamPrefix: 'migrate' }),
    });
    const loginContainer = migrateTask.addContainer('app-login', {
      image: ecs.ContainerImage.fromRegistry(cfg.dbClientImage),
      essential: true,
      entryPoint: ['sh', '-c'],
      command: [APP_LOGIN_SCRIPT],
      environment: {
        PGHOST: db.dbInstanceEndpointAddress,
        PGPORT: db.dbInstanceEndpointPort,
        PGDATABASE: DB_NAME,
        PGUSER: DB_OWNER_USER,
        PGSSLMODE: 'require',
        PGCONNECT_TIMEOUT: '15',
      },
      secrets: {
        PGPASSWORD: ecs.Secret.fromSecretsManager(ownerSecret, 'password'),
        APP_DB_PASSWORD: ecs.Secret.fromSecretsManager(appDbSecret, 'password'),
      },
      logging: ecs.LogDrivers.awsLogs({ logGroup: logGroups.migrate, streamPrefix: 'app-login' }),
    });
    allowPull(migrateTask, migrateContainer);
    loginContainer.addContainerDependencies({
      container: migrateContainer,
      condition: ecs.ContainerDependencyCondition.SUCCESS,
    });

    // ---- Services, one per role.
    const services = {} as Record<Role, ecs.FargateService>;
    for (const r of ROLES) {
      const td = new ecs.FargateTaskDefinition(this, `${cap(r)}Task`, {
        family: `insightstream-${r}`,
        cpu: TASK_SIZES[r].cpu,
        memoryLimitMiB: TASK_SIZES[r].memoryMiB,
        taskRole: taskRoles[r],
        runtimePlatform: { cpuArchitecture: ecs.CpuArchitecture.X86_64, operatingSystemFamily: ecs.OperatingSystemFamily.LINUX },
      });
      const app = td.addContainer('app', {
        image,
        command: [r],
        environment: env[r],
        secrets: secrets[r],
        portMappings: [{ name: 'http', containerPort: APP_PORT, protocol: ecs.Protocol.TCP }],
        healthCheck: {
          command: HEALTH_CHECK_COMMAND,
          interval: Duration.seconds(15),
          timeout: Duration.seconds(5),
          retries: 3,
          startPeriod: Duration.seconds(30),
        },
        // SIGTERM first: the app finishes in-flight work for --shutdown-grace (20 s).
        stopTimeout: Duration.seconds(30),
        logging: ecs.LogDrivers.awsLogs({ logGroup: logGroups[r], streamPrefix: r }),
      });
      allowPull(td, app);
      const serviceConnect: ecs.ServiceConnectProps | undefined =
        r === 'worker'
          ? undefined // takes no requests and makes none to the other roles
          : {
              namespace: NAMESPACE,
              logDriver: ecs.LogDrivers.awsLogs({ logGroup: logGroups[r], streamPrefix: 'service-connect' }),
              // Plain TCP (no appProtocol): the proxy passes bytes through, so streamed uploads,
              // Expect: 100-continue and long event streams behave exactly as without it.
              services: (INTERNAL_ROLES as string[]).includes(r)
                ? [{ portMappingName: 'http', discoveryName: r, dnsName: r, port: APP_PORT }]
                : undefined,
            };
      services[r] = new ecs.FargateService(this, `${cap(r)}Service`, {
        cluster,
        taskDefinition: td,
        securityGroups: [sgs[r]],
        vpcSubnets: appSubnets,
        assignPublicIp: false,
        circuitBreaker: { enable: true, rollback: true },
        minHealthyPercent: 100,
        maxHealthyPercent: 200,
        enableECSManagedTags: true,
        propagateTags: ecs.PropagatedTagSource.SERVICE,
        serviceConnectConfiguration: serviceConnect,
        healthCheckGracePeriod: r === 'gateway' ? Duration.seconds(60) : undefined,
      });
      // The Service Connect namespace must exist before a service names it, and the task role's
      // policy (an L1 resource, so CDK does not add this) before its tasks make their first call.
      if (cluster.defaultCloudMapNamespace) services[r].node.addDependency(cluster.defaultCloudMapNamespace);
      if ((POLICY_ROLES as readonly string[]).includes(r)) services[r].node.addDependency(taskPolicies[r as PolicyRole]);
    }
    this.services = services;

    // ---- Migrations before the services roll: a custom resource runs the migration task and
    // waits for it; every service depends on it. It runs again whenever the task definition
    // changes (a new image is a new revision), and not otherwise.
    const runnerCode = lambda.Code.fromAsset(path.join(__dirname, '..', 'lambda', 'migrate-runner'));
    const runnerLogs = new logs.LogGroup(this, 'MigrateRunnerLogs', {
      retention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // One role for both handlers: write their logs, start this task family, read its tasks.
    const runnerRole = new iam.Role(this, 'MigrateRunnerRole', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Runs the insightstream-migrate task for CloudFormation and waits for it',
    });
    runnerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [runnerLogs.logGroupArn],
      }),
    );
    // Any revision of the one family: the policy then stays the same from deploy to deploy, so a
    // new revision is never run before IAM has caught up with a changed policy.
    runnerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['ecs:RunTask'],
        resources: [`arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:task-definition/${MIGRATE_FAMILY}:*`],
        conditions: { ArnEquals: { 'ecs:cluster': cluster.clusterArn } },
      }),
    );
    runnerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['iam:PassRole'],
        resources: [migrateTask.taskRole.roleArn, migrateTask.obtainExecutionRole().roleArn],
        conditions: { StringEquals: { 'iam:PassedToService': 'ecs-tasks.amazonaws.com' } },
      }),
    );
    const describeMigrateTasks = new iam.PolicyStatement({
      actions: ['ecs:DescribeTasks'],
      resources: [`arn:${Aws.PARTITION}:ecs:${Aws.REGION}:${Aws.ACCOUNT_ID}:task/${cluster.clusterName}/*`],
    });
    runnerRole.addToPolicy(describeMigrateTasks);
    const runtime = lambda.determineLatestNodeRuntime(this);
    const startFn = new lambda.Function(this, 'MigrateStart', {
      runtime,
      handler: 'index.onEvent',
      code: runnerCode,
      role: runnerRole,
      timeout: Duration.minutes(1),
      logGroup: runnerLogs,
      description: 'Starts the insightstream-migrate task for CloudFormation',
    });
    const pollFn = new lambda.Function(this, 'MigratePoll', {
      runtime,
      handler: 'index.isComplete',
      code: runnerCode,
      role: runnerRole,
      timeout: Duration.minutes(1),
      logGroup: runnerLogs,
      description: 'Waits for the insightstream-migrate task and reports its exit codes',
    });
    const provider = new cr.Provider(this, 'MigrateProvider', {
      onEventHandler: startFn,
      isCompleteHandler: pollFn,
      queryInterval: Duration.seconds(15),
      totalTimeout: Duration.minutes(60),
      logGroup: runnerLogs,
      disableWaiterStateMachineLogging: false,
      waiterStateMachineLogOptions: {
        destination: new logs.LogGroup(this, 'MigrateWaiterLogs', { retention, removalPolicy: RemovalPolicy.DESTROY }),
        level: sfn.LogLevel.ALL,
      },
    });
    const migrations = new CustomResource(this, 'Migrations', {
      serviceToken: provider.serviceToken,
      resourceType: 'Custom::InsightStreamMigrations',
      properties: {
        Cluster: cluster.clusterArn,
        TaskDefinition: migrateTask.taskDefinitionArn,
        Subnets: vpc.selectSubnets(appSubnets).subnetIds,
        SecurityGroups: [sgs.migrate.securityGroupId],
        LogGroup: logGroups.migrate.logGroupName,
        Image: cfg.image,
      },
    });
    // The task needs the NAT gateways (image, secrets, logs) and the database to be up.
    migrations.node.addDependency(vpc.selectSubnets(appSubnets).internetConnectivityEstablished, db);
    for (const r of ROLES) services[r].node.addDependency(migrations);

    // ---- Load balancer: HTTPS in, HTTP redirected; the gateway is its only target.
    const alb = new elbv2.ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      dropInvalidHeaderFields: true,
      idleTimeout: Duration.seconds(60),
    });
    logAccessLogs(this, alb, accessLogs, 'alb');
    const https = alb.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [elbv2.ListenerCertificate.fromArn(cfg.certificateArn)],
      sslPolicy: elbv2.SslPolicy.RECOMMENDED_TLS,
      open: true,
    });
    // /metrics (Prometheus text) is for the operators' scraper inside the VPC, not for the internet.
    https.addAction('MetricsNotPublic', {
      priority: 10,
      conditions: [elbv2.ListenerCondition.pathPatterns(['/metrics', '/metrics/*'])],
      action: elbv2.ListenerAction.fixedResponse(404, {
        contentType: 'application/problem+json',
        messageBody: JSON.stringify({
          type: 'https://insightstream.dev/problems/not-found',
          title: 'Not Found',
          status: 404,
          detail: 'no such route',
          instance: '/metrics',
        }),
      }),
    });
    alb.addRedirect({ sourcePort: 80, sourceProtocol: elbv2.ApplicationProtocol.HTTP, targetPort: 443, targetProtocol: elbv2.ApplicationProtocol.HTTPS });
    const gatewayTargets = https.addTargets('Gateway', {
      port: APP_PORT,
      protocol: elbv2.ApplicationProtocol.HTTP,
      targets: [services.gateway.loadBalancerTarget({ containerName: 'app', containerPort: APP_PORT })],
      deregistrationDelay: Duration.seconds(30),
      healthCheck: {
        path: '/readyz',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
        healthyHttpCodes: '200',
      },
    });

    // ---- Autoscaling.
    const httpScaling = (r: Role) => {
      const s = services[r].autoScaleTaskCount({ minCapacity: cfg.minTasks, maxCapacity: cfg.maxTasks });
      s.scaleOnCpuUtilization('Cpu', {
        targetUtilizationPercent: 60,
        scaleInCooldown: Duration.minutes(5),
        scaleOutCooldown: Duration.minutes(1),
      });
      return s;
    };
    httpScaling('gateway').scaleOnRequestCount('Requests', {
      requestsPerTarget: 1000, // a minute, per gateway task
      targetGroup: gatewayTargets,
      scaleInCooldown: Duration.minutes(5),
      scaleOutCooldown: Duration.minutes(1),
    });
    for (const r of ['auth', 'ingest', 'analytics'] as const) httpScaling(r);
    const workerScaling = services.worker.autoScaleTaskCount({
      minCapacity: cfg.workerMinTasks,
      maxCapacity: cfg.workerMaxTasks,
    });
    // Target tracking on metric math (the L2 takes only a plain metric): jobs waiting per
    // running worker task.
    const workerTarget = workerScaling.node.findChild('Target') as appscaling.ScalableTarget;
    new appscaling.CfnScalingPolicy(this, 'WorkerBacklogPerTask', {
      policyName: 'insightstream-worker-backlog-per-task',
      policyType: 'TargetTrackingScaling',
      scalingTargetId: workerTarget.scalableTargetId,
      targetTrackingScalingPolicyConfiguration: {
        targetValue: cfg.workerBacklogPerTask,
        scaleOutCooldown: 60,
        scaleInCooldown: 300,
        customizedMetricSpecification: {
          metrics: [
            {
              id: 'visible',
              label: 'Jobs waiting',
              returnData: false,
              metricStat: {
                metric: {
                  namespace: 'AWS/SQS',
                  metricName: 'ApproximateNumberOfMessagesVisible',
                  dimensions: [{ name: 'QueueName', value: jobs.queueName }],
                },
                stat: 'Sum',
              },
            },
            {
              id: 'running',
              label: 'Running worker tasks',
              returnData: false,
              metricStat: {
                metric: {
                  namespace: 'ECS/ContainerInsights',
                  metricName: 'RunningTaskCount',
                  dimensions: [
                    { name: 'ClusterName', value: cluster.clusterName },
                    { name: 'ServiceName', value: services.worker.serviceName },
                  ],
                },
                stat: 'Average',
              },
            },
            { id: 'backlog', expression: 'visible / running', label: 'Jobs waiting per worker task', returnData: true },
          ],
        },
      },
    });

    // ---- Alarms, to an encrypted SNS topic (CloudWatch may use the key).
    const alarmKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'InsightStream alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    alarmKey.grant(new iam.ServicePrincipal('cloudwatch.amazonaws.com'), 'kms:Decrypt', 'kms:GenerateDataKey*');
    const alarmTopic = new sns.Topic(this, 'Alarms', {
      displayName: 'InsightStream alarms',
      masterKey: alarmKey,
      enforceSSL: true,
    });
    // The topic policy replaces SNS's default one: CloudWatch alarms of this account may publish.
    alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [alarmTopic.topicArn],
        conditions: {
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
        },
      }),
    );
    if (cfg.alarmEmail) alarmTopic.addSubscription(new subscriptions.EmailSubscription(cfg.alarmEmail));
    const alarmAction = new cwActions.SnsAction(alarmTopic);
    const prefix = this.stackName;
    const alarm = (id: string, props: cw.AlarmProps) => {
      const a = new cw.Alarm(this, id, { treatMissingData: cw.TreatMissingData.NOT_BREACHING, ...props });
      a.addAlarmAction(alarmAction);
      a.addOkAction(alarmAction);
      return a;
    };
    const fiveMinutes = Duration.minutes(5);
    alarm('DeadLetterQueueNotEmpty', {
      alarmName: `${prefix}-dead-letter-queue-not-empty`,
      alarmDescription:
        'Jobs failed every attempt and were dead-lettered (their dataset versions are marked failed, or, for a version already ready, its snapshot). Inspect with the worker logs; the DLQ keeps them 14 days.',
      metric: deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
      threshold: 0,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    // The worker logs one JSON line per snapshot it could not write (event job.snapshot_failed).
    const snapshotFailures = new logs.MetricFilter(this, 'SnapshotFailuresFilter', {
      logGroup: logGroups.worker,
      filterPattern: logs.FilterPattern.stringValue('$.event', '=', 'job.snapshot_failed'),
      metricNamespace: 'InsightStream',
      metricName: 'SnapshotFailures',
      metricValue: '1',
    });
    alarm('SnapshotFailed', {
      alarmName: `${prefix}-snapshot-failed`,
      alarmDescription:
        "A ready version's columnar snapshot could not be written: its exports and queries answer snapshot-failed (its insights are unaffected). The worker log's job.snapshot_failed line has the reason; reprocessing the version writes a new one.",
      metric: snapshotFailures.metric({ period: fiveMinutes, statistic: 'Sum' }),
      threshold: 0,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    });
    const requests = alb.metrics.requestCount({ period: fiveMinutes });
    const target5xx = alb.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, { period: fiveMinutes });
    const elb5xx = alb.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, { period: fiveMinutes });
    alarm('Http5xxRate', {
      alarmName: `${prefix}-http-5xx-rate`,
      alarmDescription: `More than ${cfg.http5xxPercent}% of requests at the load balancer answered 5xx (by the gateway or the load balancer itself), two 5-minute periods running, with at least 20 requests a period.`,
      metric: new cw.MathExpression({
        expression: 'IF(requests >= 20, 100 * (FILL(target5xx, 0) + FILL(elb5xx, 0)) / requests, 0)',
        usingMetrics: { requests, target5xx, elb5xx },
        label: '5xx %',
        period: fiveMinutes,
      }),
      threshold: cfg.http5xxPercent,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
    });
    alarm('LatencyP99', {
      alarmName: `${prefix}-latency-p99`,
      alarmDescription: `p99 of the gateway's response time (to the first byte of the answer; an upload counts until its body is stored) above ${cfg.p99LatencySeconds} s for 15 minutes.`,
      metric: alb.metrics.targetResponseTime({ period: fiveMinutes, statistic: 'p99' }),
      threshold: cfg.p99LatencySeconds,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });
    alarm('OldestJobAge', {
      alarmName: `${prefix}-oldest-job-age`,
      alarmDescription: `A job has waited in the queue more than ${cfg.oldestJobAgeSeconds} s: workers are stuck, failing, or at their maximum count.`,
      metric: jobs.metricApproximateAgeOfOldestMessage({ period: fiveMinutes, statistic: 'Maximum' }),
      threshold: cfg.oldestJobAgeSeconds,
      comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 2,
    });
    alarm('NoHealthyGateway', {
      alarmName: `${prefix}-no-healthy-gateway`,
      alarmDescription: 'No gateway task passes the load balancer health check (/readyz): the product is down.',
      metric: gatewayTargets.metrics.healthyHostCount({ period: Duration.minutes(1), statistic: 'Minimum' }),
      threshold: 1,
      comparisonOperator: cw.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 3,
      treatMissingData: cw.TreatMissingData.BREACHING,
    });
    alarm('DatabaseStorageLow', {
      alarmName: `${prefix}-database-storage-low`,
      alarmDescription: 'Less than 2 GiB free on the database (storage autoscaling stops at dbMaxAllocatedStorageGiB).',
      metric: db.metricFreeStorageSpace({ period: fiveMinutes, statistic: 'Minimum' }),
      threshold: 2 * 1024 ** 3,
      comparisonOperator: cw.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 2,
    });

    // ---- Dashboard.
    const dashboard = new cw.Dashboard(this, 'Dashboard', {
      dashboardName: prefix,
      defaultInterval: Duration.hours(3),
    });
    const cpu = (r: Role) => services[r].metricCpuUtilization({ period: Duration.minutes(1), label: r });
    const mem = (r: Role) => services[r].metricMemoryUtilization({ period: Duration.minutes(1), label: r });
    const running = (r: Role) =>
      new cw.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName: 'RunningTaskCount',
        dimensionsMap: { ClusterName: cluster.clusterName, ServiceName: services[r].serviceName },
        period: Duration.minutes(1),
        statistic: 'Average',
        label: r,
      });
    dashboard.addWidgets(
      new cw.GraphWidget({ title: 'Requests (load balancer)', left: [requests], right: [target5xx, elb5xx], width: 8 }),
      new cw.GraphWidget({
        title: 'Gateway response time',
        left: [
          alb.metrics.targetResponseTime({ period: Duration.minutes(1), statistic: 'p50', label: 'p50' }),
          alb.metrics.targetResponseTime({ period: Duration.minutes(1), statistic: 'p99', label: 'p99' }),
        ],
        width: 8,
      }),
      new cw.GraphWidget({
        title: 'Healthy gateway tasks',
        left: [gatewayTargets.metrics.healthyHostCount({ period: Duration.minutes(1) })],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new cw.GraphWidget({
        title: 'Jobs queue',
        left: [
          jobs.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), label: 'waiting' }),
          jobs.metricApproximateNumberOfMessagesNotVisible({ period: Duration.minutes(1), label: 'in progress' }),
        ],
        right: [jobs.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1), label: 'oldest (s)' })],
        width: 8,
      }),
      new cw.GraphWidget({
        title: 'Dead-letter queue',
        left: [deadLetters.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), label: 'dead letters' })],
        width: 8,
      }),
      new cw.GraphWidget({ title: 'Running tasks', left: ROLES.map(running), width: 8 }),
    );
    dashboard.addWidgets(
      new cw.GraphWidget({ title: 'CPU % per role', left: ROLES.map(cpu), width: 8 }),
      new cw.GraphWidget({ title: 'Memory % per role', left: ROLES.map(mem), width: 8 }),
      new cw.GraphWidget({
        title: 'Database',
        left: [db.metricCPUUtilization({ label: 'CPU %' })],
        right: [db.metricDatabaseConnections({ label: 'connections' })],
        width: 8,
      }),
    );
    dashboard.addWidgets(
      new cw.AlarmStatusWidget({
        title: 'Alarms',
        alarms: this.node.children.filter((c): c is cw.Alarm => c instanceof cw.Alarm),
        width: 24,
      }),
    );

    // ---- Outputs (names are relied on by .github/workflows and docs/deploy.md).
    const out = (id: string, value: string, description: string) => new CfnOutput(this, id, { value, description });
    out('ServiceUrl', `https://${alb.loadBalancerDnsName}`, 'Point your DNS name (the certificate\'s) at LoadBalancerDnsName');
    out('LoadBalancerDnsName', alb.loadBalancerDnsName, 'CNAME/alias target for the service\'s DNS name');
    out('Image', cfg.image, 'The image every role runs (deploy an earlier one to roll back)');
    out('ClusterName', cluster.clusterName, 'ECS cluster');
    out('MigrateTaskDefinitionFamily', MIGRATE_FAMILY, 'One-off migration task (aws ecs run-task --task-definition)');
    out('MigrateSubnetIds', Fn.join(',', vpc.selectSubnets(appSubnets).subnetIds), 'Subnets for the migration task');
    out('MigrateSecurityGroupId', sgs.migrate.securityGroupId, 'Security group for the migration task');
    for (const r of ROLES) out(`${cap(r)}ServiceName`, services[r].serviceName, `ECS service of the ${r} role`);
    out('BucketName', bucket.bucketName, 'Datasets bucket (objects under insightstream/)');
    out('JobsQueueUrl', jobs.queueUrl, 'SQS jobs queue');
    out('DeadLetterQueueUrl', deadLetters.queueUrl, 'SQS dead-letter queue of the jobs queue');
    out('DatabaseEndpoint', dbHostPort, 'PostgreSQL (private)');
    out('DbOwnerSecretArn', ownerSecret.secretArn, `Secret of ${DB_OWNER_USER} (migrations only)`);
    out('DbAppSecretArn', appDbSecret.secretArn, `Secret of ${DB_APP_USER} (the services)`);
    out('AlarmTopicArn', alarmTopic.topicArn, 'SNS topic every alarm notifies');
    out('DashboardName', prefix, 'CloudWatch dashboard');

    this.suppressNagFindings({
      cfg,
      bucket,
      taskPolicies,
      alb,
      provider,
      runnerRole,
      appDbSecret,
      db,
      taskDefinitions: [migrateTask, ...ROLES.map((r) => services[r].taskDefinition)],
      pullsFromEcr: repoArn !== undefined,
    });
  }

  /**
   * Every cdk-nag finding this stack accepts, each with its reason (docs/deploy.md lists them
   * too). Suppressions name the exact finding (`appliesTo`) wherever cdk-nag reports one, so a new
   * wildcard elsewhere in the same policy is still an error.
   */
  private suppressNagFindings(p: {
    cfg: DeployConfig;
    bucket: s3.Bucket;
    taskPolicies: Record<PolicyRole, iam.CfnPolicy>;
    alb: elbv2.ApplicationLoadBalancer;
    provider: cr.Provider;
    runnerRole: iam.Role;
    appDbSecret: secretsmanager.Secret;
    db: rds.DatabaseInstance;
    taskDefinitions: ecs.TaskDefinition[];
    pullsFromEcr: boolean;
  }) {
    const bucketRef = this.getLogicalId(p.bucket.node.defaultChild as s3.CfnBucket);
    for (const r of POLICY_ROLES) {
      NagSuppressions.addResourceSuppressions(p.taskPolicies[r], [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            `deploy/iam/${r}.json verbatim: object actions on the service's own prefix (${OBJECT_PREFIX}/*) of the one ` +
            'datasets bucket. Keys are made per tenant, dataset and version at run time, so the object ARN ends in a ' +
            'wildcard; s3:ListBucket on the bucket is confined to the same prefix by its s3:prefix condition.',
          appliesTo: [`Resource::["arn:aws:s3:::\${BucketName}/${OBJECT_PREFIX}/*",{"BucketName":{"Ref":"${bucketRef}"}}]`],
        },
      ]);
    }
    for (const td of p.taskDefinitions) {
      NagSuppressions.addResourceSuppressions(td, [
        {
          id: 'AwsSolutions-ECS2',
          reason:
            'Environment variables carry only non-secret configuration (listen address, log level, region, the database ' +
            'URL without its password, bucket and queue locations, limits): the binary is configured through ' +
            'INSIGHTSTREAM_* variables by design. Every secret (database passwords, the JWT signing key) is injected from ' +
            'Secrets Manager as an ECS secret.',
        },
      ]);
      if (p.pullsFromEcr) {
        NagSuppressions.addResourceSuppressions(
          td.obtainExecutionRole(),
          [
            {
              id: 'AwsSolutions-IAM5',
              reason:
                'ecr:GetAuthorizationToken has no resource-level permissions and must name "*"; the image pull itself ' +
                '(BatchGetImage, GetDownloadUrlForLayer) is limited to the one repository the image is in.',
              appliesTo: ['Resource::*'],
            },
          ],
          true,
        );
      }
    }
    // The generated secret itself (db.secret is its attachment to the instance).
    NagSuppressions.addResourceSuppressions(p.db.node.findChild('Secret'), [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'The owner password is used only by the migration task, which reads it at each start. Automatic rotation ' +
          'needs a rotation function with network access to the database, which this stack does not deploy; rotate it ' +
          'by hand as docs/deploy.md describes.',
      },
    ]);
    NagSuppressions.addResourceSuppressions(p.appDbSecret, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'ECS injects the password into the services when a task starts; rotating it underneath running tasks would ' +
          'make their new database connections fail until they are replaced. It is rotated by hand with the procedure ' +
          'in docs/deploy.md (new value, migration task sets it, services redeployed).',
      },
    ]);
    NagSuppressions.addResourceSuppressions(p.db, [
      {
        id: 'AwsSolutions-RDS11',
        reason:
          'PostgreSQL keeps its default port: the instance is in isolated subnets (no route to or from the internet) ' +
          'and its security group admits only the InsightStream task security groups, so another port would hide nothing.',
      },
      ...(p.cfg.multiAz
        ? []
        : [
            {
              id: 'AwsSolutions-RDS3',
              reason: 'Single-AZ chosen explicitly with -c multiAz=false (a small or non-production installation).',
            },
          ]),
    ]);
    NagSuppressions.addResourceSuppressions(
      p.alb.node.findChild('SecurityGroup'),
      [
        {
          id: 'AwsSolutions-EC23',
          reason:
            'The load balancer is the public entry point: 443 (HTTPS) and 80 (which only redirects to HTTPS) are open to ' +
            'the internet by design, and nothing else is.',
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(
      p.runnerRole,
      [
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'ecs:DescribeTasks on the tasks of this one cluster: a task id exists only once RunTask has started the ' +
            'task, so it cannot be named in the policy.',
          appliesTo: [{ regex: String.raw`/^Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task\/<Cluster[A-Za-z0-9]+>\/\*$/` }],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            `ecs:RunTask on any revision of the one task definition family ${MIGRATE_FAMILY}, only in this cluster ` +
            '(ecs:cluster condition): each deploy registers a new revision, and a policy that named it would change ' +
            'just before the task is run, racing IAM propagation.',
          appliesTo: [`Resource::arn:<AWS::Partition>:ecs:<AWS::Region>:<AWS::AccountId>:task-definition/${MIGRATE_FAMILY}:*`],
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(
      p.provider,
      [
        {
          id: 'AwsSolutions-IAM4',
          reason:
            "The CDK provider framework's own functions use the AWS managed AWSLambdaBasicExecutionRole, which grants " +
            'only CloudWatch Logs writes.',
          appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole'],
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'lambda:InvokeFunction on one named function of the migration runner and its versions (ARN:*), as the CDK ' +
            'provider framework generates it.',
          appliesTo: [{ regex: String.raw`/^Resource::<Migrate[A-Za-z0-9]+\.Arn>:\*$/` }],
        },
      ],
      true,
    );
    NagSuppressions.addResourceSuppressions(
      p.provider.node.findChild('waiter-state-machine'),
      [
        {
          id: 'AwsSolutions-SF2',
          reason:
            "The provider framework's waiter state machine only calls the isComplete function every 15 s until the " +
            'migration task stops; its executions are logged (level ALL), and X-Ray would trace nothing else.',
        },
        {
          id: 'AwsSolutions-IAM5',
          reason:
            'The CloudWatch Logs actions Step Functions needs to deliver the waiter state machine\'s execution logs ' +
            '(logs:CreateLogDelivery, GetLogDelivery, UpdateLogDelivery, DeleteLogDelivery, ListLogDeliveries, ' +
            'PutResourcePolicy, DescribeResourcePolicies, DescribeLogGroups) support no resource-level permissions.',
          appliesTo: ['Resource::*'],
        },
      ],
      true,
    );
  }
}

/**
 * ALB access logs into `bucket` under `prefix`, in an environment-agnostic stack (CDK's own
 * logAccessLogs needs the region at synth time). Regions older than August 2022 deliver as a
 * regional ELB account, newer ones as the log-delivery service principal: both are allowed, the
 * account picked from a mapping of CDK's region facts (the stack's own account where the region
 * has none, which grants nothing new).
 */
function logAccessLogs(stack: Stack, alb: elbv2.ApplicationLoadBalancer, bucket: s3.Bucket, prefix: string) {
  const regions = RegionInfo.regions.filter((r) => r.partition === 'aws' || r.partition === undefined);
  const mapping = new CfnMapping(stack, 'ElbLogDeliveryAccount', {
    mapping: Object.fromEntries(regions.map((r) => [r.name, { account: r.elbv2Account ?? 'none' }])),
  });
  const account = mapping.findInMap(Aws.REGION, 'account');
  const hasAccount = new CfnCondition(stack, 'RegionHasElbLogDeliveryAccount', {
    expression: Fn.conditionNot(Fn.conditionEquals(account, 'none')),
  });
  const deliveringAccount = Fn.conditionIf(hasAccount.logicalId, account, Aws.ACCOUNT_ID).toString();
  const objects = bucket.arnForObjects(`${prefix}/AWSLogs/${Aws.ACCOUNT_ID}/*`);
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'ElbLogDeliveryServicePrincipal',
      actions: ['s3:PutObject'],
      principals: [new iam.ServicePrincipal('logdelivery.elasticloadbalancing.amazonaws.com')],
      resources: [objects],
    }),
  );
  bucket.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'ElbLogDeliveryRegionalAccount',
      actions: ['s3:PutObject'],
      principals: [new iam.ArnPrincipal(`arn:${Aws.PARTITION}:iam::${deliveringAccount}:root`)],
      resources: [objects],
    }),
  );
  alb.setAttribute('access_logs.s3.enabled', 'true');
  alb.setAttribute('access_logs.s3.bucket', bucket.bucketName);
  alb.setAttribute('access_logs.s3.prefix', prefix);
  // The load balancer checks that it may write there when it is created.
  if (bucket.policy) alb.node.addDependency(bucket.policy);
}

function retentionDays(days: number): logs.RetentionDays {
  const allowed = Object.values(logs.RetentionDays).filter((v): v is number => typeof v === 'number' && v > 0);
  if (!allowed.includes(days)) {
    throw new Error(`context logRetentionDays must be one of CloudWatch's values: ${allowed.sort((a, b) => a - b).join(', ')}`);
  }
  return days as logs.RetentionDays;
}
