// The deployment's parameters: CDK context values (`-c name=value`), their defaults, and the
// constants the stacks and the tests share. Nothing here looks anything up: the stacks are
// environment-agnostic, so `cdk synth` needs no AWS account and no network.

/** Placeholders that let `cdk synth` run without parameters; a real deploy passes both. */
export const PLACEHOLDER_IMAGE =
  '000000000000.dkr.ecr.us-east-1.amazonaws.com/insightstream@sha256:' + '0'.repeat(64);
export const PLACEHOLDER_CERTIFICATE_ARN =
  'arn:aws:acm:us-east-1:000000000000:certificate/00000000-0000-0000-0000-000000000000';
export const PLACEHOLDER_JWT_KEY_SECRET_ARN =
  'arn:aws:secretsmanager:us-east-1:000000000000:secret:insightstream/jwt-signing-key-000000';

/** The port every role listens on inside its task (INSIGHTSTREAM_LISTEN). */
export const APP_PORT = 8080;

/**
 * Attempts before SQS moves a job to the dead-letter queue. One constant for both sides: the
 * queue's RedrivePolicy maxReceiveCount and the workers' --job-max-receives.
 */
export const JOB_MAX_RECEIVES = 5;

/** The workers' lease per delivery (--job-visibility); also the queue's default visibility. */
export const JOB_VISIBILITY_SECONDS = 60;

/** Key prefix of every object the service owns: --objects s3://BUCKET/insightstream. */
export const OBJECT_PREFIX = 'insightstream';

/** Database names. The owner runs migrations; the app logs in as a role that owns nothing. */
export const DB_NAME = 'insightstream';
export const DB_OWNER_USER = 'insightstream_owner';
export const DB_APP_USER = 'insightstream_app';
/** Created by migration 0002 (NOLOGIN); the app's login role is made a member of it. */
export const DB_SERVICE_ROLE = 'insightstream_service';

/** Names operators and the release workflow use. */
export const MIGRATE_FAMILY = 'insightstream-migrate';
export const ECR_REPOSITORY_NAME = 'insightstream';
export const NAMESPACE = 'insightstream.internal';

export type Role = 'gateway' | 'auth' | 'ingest' | 'worker' | 'analytics';
export const ROLES: Role[] = ['gateway', 'auth', 'ingest', 'worker', 'analytics'];
/** The roles the gateway forwards to, reachable only from the gateway's security group. */
export const INTERNAL_ROLES: Role[] = ['auth', 'ingest', 'analytics'];

/** Task size per role (Fargate CPU units, MiB). Edit here to resize. */
export const TASK_SIZES: Record<Role | 'migrate', { cpu: number; memoryMiB: number }> = {
  gateway: { cpu: 512, memoryMiB: 1024 },
  auth: { cpu: 512, memoryMiB: 1024 },
  ingest: { cpu: 512, memoryMiB: 1024 },
  analytics: { cpu: 512, memoryMiB: 1024 },
  // --job-memory-bytes is 2 GiB by default: one analysis may grow that much.
  worker: { cpu: 1024, memoryMiB: 4096 },
  migrate: { cpu: 256, memoryMiB: 512 },
};

export interface DeployConfig {
  /** The one container image every role runs, best by digest. */
  image: string;
  /** ACM certificate (same region as the stack) for the HTTPS listener. */
  certificateArn: string;
  /** RDS Multi-AZ (a synchronous standby in the second AZ). */
  multiAz: boolean;
  /** RDS instance class without the `db.` prefix, e.g. t4g.small. */
  dbInstanceClass: string;
  dbAllocatedStorageGiB: number;
  dbMaxAllocatedStorageGiB: number;
  /**
   * Complete ARN (with Secrets Manager's 6-character suffix: ECS needs it) of the secret holding
   * the auth role's ES256 (P-256) private key as PEM text.
   */
  jwtKeySecretArn: string;
  /** Image with psql 15+, used once per migration run to set the app role's password. */
  dbClientImage: string;
  /** Tasks per HTTP role (gateway, auth, ingest, analytics): the floor and the ceiling. */
  minTasks: number;
  maxTasks: number;
  workerMinTasks: number;
  workerMaxTasks: number;
  /** Jobs waiting per running worker that the worker service's target tracking aims at. */
  workerBacklogPerTask: number;
  natGateways: number;
  logRetentionDays: number;
  /** Alarm thresholds. */
  p99LatencySeconds: number;
  http5xxPercent: number;
  oldestJobAgeSeconds: number;
  /** Optional e-mail address subscribed to the alarm topic. */
  alarmEmail?: string;
  /** The context values still at their placeholder (fine for synth, not for a deploy). */
  placeholders: string[];
}

type ContextGetter = (key: string) => unknown;

function str(get: ContextGetter, key: string, dflt: string): string {
  const v = get(key);
  if (v === undefined || v === null || v === '') return dflt;
  return String(v);
}

function num(get: ContextGetter, key: string, dflt: number, min: number): number {
  const v = get(key);
  if (v === undefined || v === null || v === '') return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < min) throw new Error(`context ${key} must be a number >= ${min}, got ${String(v)}`);
  return n;
}

function bool(get: ContextGetter, key: string, dflt: boolean): boolean {
  const v = get(key);
  if (v === undefined || v === null || v === '') return dflt;
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw new Error(`context ${key} must be true or false, got ${String(v)}`);
}

/** Reads the deployment's parameters from CDK context (`-c key=value` or cdk.json). */
export function readConfig(get: ContextGetter): DeployConfig {
  const image = str(get, 'image', PLACEHOLDER_IMAGE);
  const certificateArn = str(get, 'certificateArn', PLACEHOLDER_CERTIFICATE_ARN);
  const jwtKeySecretArn = str(get, 'jwtKeySecretArn', PLACEHOLDER_JWT_KEY_SECRET_ARN);
  const placeholders: string[] = [];
  if (image === PLACEHOLDER_IMAGE) placeholders.push('image');
  if (certificateArn === PLACEHOLDER_CERTIFICATE_ARN) placeholders.push('certificateArn');
  if (jwtKeySecretArn === PLACEHOLDER_JWT_KEY_SECRET_ARN) placeholders.push('jwtKeySecretArn');
  if (!/^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/.test(jwtKeySecretArn)) {
    throw new Error(
      `context jwtKeySecretArn must be the secret's complete ARN, ending in its 6-character suffix: ${jwtKeySecretArn}`,
    );
  }
  if (!/^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[A-Za-z0-9-]+$/.test(certificateArn)) {
    throw new Error(`context certificateArn is not an ACM certificate ARN: ${certificateArn}`);
  }
  const cfg: DeployConfig = {
    image,
    certificateArn,
    multiAz: bool(get, 'multiAz', true),
    dbInstanceClass: str(get, 'dbInstanceClass', 't4g.small'),
    dbAllocatedStorageGiB: num(get, 'dbAllocatedStorageGiB', 20, 20),
    dbMaxAllocatedStorageGiB: num(get, 'dbMaxAllocatedStorageGiB', 100, 20),
    jwtKeySecretArn,
    dbClientImage: str(get, 'dbClientImage', 'public.ecr.aws/docker/library/postgres:15-alpine'),
    minTasks: num(get, 'minTasks', 2, 1),
    maxTasks: num(get, 'maxTasks', 10, 1),
    workerMinTasks: num(get, 'workerMinTasks', 1, 1),
    workerMaxTasks: num(get, 'workerMaxTasks', 20, 1),
    workerBacklogPerTask: num(get, 'workerBacklogPerTask', 5, 1),
    natGateways: num(get, 'natGateways', 2, 1),
    logRetentionDays: num(get, 'logRetentionDays', 30, 1),
    p99LatencySeconds: num(get, 'p99LatencySeconds', 2, 0),
    http5xxPercent: num(get, 'http5xxPercent', 5, 0),
    oldestJobAgeSeconds: num(get, 'oldestJobAgeSeconds', 900, 60),
    alarmEmail: get('alarmEmail') ? String(get('alarmEmail')) : undefined,
    placeholders,
  };
  if (cfg.maxTasks < cfg.minTasks) throw new Error('context maxTasks must be >= minTasks');
  if (cfg.workerMaxTasks < cfg.workerMinTasks) throw new Error('context workerMaxTasks must be >= workerMinTasks');
  if (cfg.natGateways > 2) throw new Error('context natGateways must be 1 or 2 (the VPC spans two AZs)');
  return cfg;
}

/** The ECR repository an image URI names, when it is one: pull permission is granted on it. */
export function ecrRepositoryOf(image: string): { account: string; region: string; name: string } | undefined {
  const m = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/([a-z0-9._\/-]+?)(?:@sha256:[0-9a-f]{64}|:[A-Za-z0-9._-]+)?$/.exec(
    image,
  );
  if (!m) return undefined;
  return { account: m[1]!, region: m[2]!, name: m[3]! };
}
