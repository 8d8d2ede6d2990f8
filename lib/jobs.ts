import { k8s } from 'cdk8s-plus-28';
import { Construct } from 'constructs';
import { SecretKeyRef, checkSecretRef, isDnsSubdomain } from './config';
import type { Discourse } from './discourse';
import { APP_DIR } from './environment';
import { contentHash } from './pebble';
import { Problem, ValidationError, show } from './problems';
import { SCRATCH_MOUNTS, containerResources, containerSecurityContext, podSecurityContext, secretEnvVars } from './workload';

/** Argo CD runs hooks before syncing the rest; lower weights first. */
export function argoPreSync(weight: number): Record<string, string> {
  return {
    'argocd.argoproj.io/hook': 'PreSync',
    'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    'argocd.argoproj.io/sync-wave': String(weight),
  };
}

/** The full env of a one-shot Discourse process: Jobs run without Pebble, so the layer's env goes on the container. */
export function jobEnv(discourse: Discourse, extra: k8s.EnvVar[] = []): k8s.EnvVar[] {
  const plain = Object.entries(discourse.resolved.environment).map(([name, value]) => ({ name, value }));
  // Pebble sets HOME from the service user; here the root filesystem is read-only, so bundler gets /tmp.
  return [{ name: 'HOME', value: '/tmp' }, ...plain, ...secretEnvVars(discourse.resolved.secretEnvironment), ...extra];
}

/** The scratch volumes a one-shot Discourse process needs under a read-only root. */
function scratchMounts(): [string, string][] {
  return Object.entries(SCRATCH_MOUNTS).filter(([name]) => name !== 'pebble-dir');
}

/**
 * The init container that holds web pods until the migration Job has brought
 * the schema up to date: for Flux and `kubectl apply`, which have no PreSync.
 * `db:abort_if_pending_migrations` exits non-zero while migrations are pending.
 */
export function waitForMigrationsContainer(discourse: Discourse): k8s.Container {
  return {
    name: 'wait-for-migrations',
    image: discourse.resolved.image,
    imagePullPolicy: 'IfNotPresent',
    workingDir: APP_DIR,
    command: ['sh', '-c', 'until bundle exec rake db:abort_if_pending_migrations; do echo "waiting for the migration Job"; sleep 15; done'],
    env: jobEnv(discourse),
    resources: containerResources(discourse.resolved),
    securityContext: containerSecurityContext(),
    volumeMounts: scratchMounts().map(([name, mountPath]) => ({ name, mountPath })),
  };
}

/** A pod spec running `command` in the Discourse image with the site's env. */
export function discourseJobPod(discourse: Discourse, command: string[], extraEnv: k8s.EnvVar[] = []): k8s.PodSpec {
  const r = discourse.resolved;
  const scratch = scratchMounts();
  return {
    restartPolicy: 'Never',
    serviceAccountName: discourse.names.serviceAccount,
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    securityContext: podSecurityContext(),
    containers: [{
      name: 'discourse',
      image: r.image,
      imagePullPolicy: 'IfNotPresent',
      workingDir: APP_DIR,
      command,
      env: jobEnv(discourse, extraEnv),
      resources: containerResources(discourse.resolved),
      securityContext: containerSecurityContext(),
      volumeMounts: scratch.map(([name, mountPath]) => ({ name, mountPath })),
    }],
    volumes: scratch.map(([name]) => ({ name, emptyDir: {} })),
  };
}

/** What a one-shot Job needs. */
interface OneShot {
  readonly id: string;
  /** Name before the content hash. */
  readonly baseName: string;
  /** Inputs whose change must create a new Job (Jobs are immutable). */
  readonly hashOf: readonly string[];
  readonly command: string[];
  readonly env?: k8s.EnvVar[];
  /** Argo CD PreSync weight, or undefined for a plain Job. */
  readonly preSyncWeight?: number;
  readonly backoffLimit?: number;
}

function oneShot(scope: Construct, discourse: Discourse, job: OneShot): k8s.KubeJob {
  const hash = contentHash(...job.hashOf).slice(0, 8);
  return new k8s.KubeJob(scope, job.id, {
    metadata: {
      name: `${job.baseName}-${hash}`,
      labels: { ...discourse.labels, 'app.kubernetes.io/component': job.baseName.slice(discourse.resolved.name.length + 1) },
      ...(job.preSyncWeight !== undefined ? { annotations: argoPreSync(job.preSyncWeight) } : {}),
    },
    spec: {
      backoffLimit: job.backoffLimit ?? 3,
      template: { metadata: { labels: discourse.labels }, spec: discourseJobPod(discourse, job.command, job.env) },
    },
  });
}

/** What makes migrations differ: the image (new code) and the database they run against. */
export function migrationHashInputs(discourse: Discourse): string[] {
  const r = discourse.resolved;
  return [r.image, JSON.stringify(r.database.sources)];
}

/**
 * The charm's setup before Unicorn starts: `rake db:migrate`, once per image and
 * database. Named with a hash of both, so Flux and `kubectl apply` create a new
 * Job per release; an Argo CD PreSync hook so Argo runs it before the rollout.
 */
export class MigrationJob extends Construct {
  public readonly job: k8s.KubeJob;

  constructor(scope: Construct, id: string, discourse: Discourse) {
    super(scope, id);
    this.job = oneShot(this, discourse, {
      id: 'Resource',
      baseName: `${discourse.resolved.name}-migrate`,
      hashOf: migrationHashInputs(discourse),
      command: ['bundle', 'exec', 'rake', 'db:migrate'],
      preSyncWeight: 0,
      backoffLimit: 6,
    });
  }
}

/** When S3 is on, the charm uploads the image's assets to the bucket; so do we, once per image and S3 settings. */
export class S3AssetsJob extends Construct {
  constructor(scope: Construct, id: string, discourse: Discourse) {
    super(scope, id);
    const c = discourse.resolved.config;
    oneShot(this, discourse, {
      id: 'Resource',
      baseName: `${discourse.resolved.name}-s3-assets`,
      hashOf: [discourse.resolved.image, c.s3Bucket, c.s3Region, c.s3Endpoint, c.s3CdnUrl],
      command: ['bundle', 'exec', 'rake', 's3:upload_assets'],
      preSyncWeight: 1,
    });
  }
}

/** Superuser access for creating extensions, which the application user usually may not do. */
export interface ExtensionsSetupOptions {
  /** Secret with the superuser's credentials (keys as below). */
  readonly superuserSecret: string;
  /** @default 'username' */
  readonly usernameKey?: string;
  /** @default 'password' */
  readonly passwordKey?: string;
  /**
   * Image with `psql`.
   * @default 'docker.io/library/postgres:16'
   */
  readonly psqlImage?: string;
  /**
   * Extensions to create.
   * @default ['hstore', 'pg_trgm'] (what the charm enables)
   */
  readonly extensions?: readonly string[];
}

export const DEFAULT_EXTENSIONS: readonly string[] = ['hstore', 'pg_trgm'];

/**
 * The charm's database_relation_joined: create `hstore` and `pg_trgm` with a
 * superuser, before migrations. Host, port and database name come from the same
 * place as the application's connection.
 */
export class ExtensionsSetupJob extends Construct {
  constructor(scope: Construct, id: string, discourse: Discourse, options: ExtensionsSetupOptions) {
    super(scope, id);
    const problems: Problem[] = [];
    if (!isDnsSubdomain(options.superuserSecret)) problems.push({ path: 'database.superuser_secret', message: `${show(options.superuserSecret)} is not a Secret name`, fix: 'name the Secret with superuser credentials' });
    const extensions = options.extensions ?? DEFAULT_EXTENSIONS;
    for (const e of extensions) if (!/^[a-z_][a-z0-9_]*$/.test(e)) problems.push({ path: 'database.extensions', message: `${show(e)} is not an extension name`, fix: 'use names like pg_trgm' });
    if (problems.length > 0) throw new ValidationError(`ExtensionsSetupJob ${this.node.path}`, problems);
    const db = discourse.resolved.database.sources;
    const fromSource = (name: string, source: typeof db.host): k8s.EnvVar =>
      'from' in source ? { name, valueFrom: { secretKeyRef: { name: source.from.secret, key: source.from.key } } } : { name, value: source.value };
    const sql = extensions.map((e) => `CREATE EXTENSION IF NOT EXISTS ${e};`).join(' ');
    const r = discourse.resolved;
    const pod = discourseJobPod(discourse, ['psql', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
    const container = pod.containers[0];
    const superuser = (key: string) => ({ secretKeyRef: { name: options.superuserSecret, key } });
    new k8s.KubeJob(this, 'Resource', {
      metadata: {
        name: `${r.name}-db-extensions-${contentHash(sql, JSON.stringify(db), options.superuserSecret).slice(0, 8)}`,
        labels: { ...discourse.labels, 'app.kubernetes.io/component': 'db-extensions' },
        annotations: argoPreSync(-1),
      },
      spec: {
        backoffLimit: 6,
        template: {
          metadata: { labels: discourse.labels },
          spec: {
            ...pod,
            containers: [{
              ...container,
              image: options.psqlImage ?? 'docker.io/library/postgres:16',
              workingDir: '/tmp',
              env: [
                fromSource('PGHOST', db.host), fromSource('PGPORT', db.port), fromSource('PGDATABASE', db.database),
                { name: 'PGUSER', valueFrom: superuser(options.usernameKey ?? 'username') },
                { name: 'PGPASSWORD', valueFrom: superuser(options.passwordKey ?? 'password') },
              ],
              resources: { requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') }, limits: { cpu: k8s.Quantity.fromString('200m'), memory: k8s.Quantity.fromString('128Mi') } },
              // The postgres image's default user is root; run psql as the image's postgres user.
              securityContext: { ...containerSecurityContext(), runAsUser: 999, runAsGroup: 999 },
            }],
            securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
          },
        },
      },
    });
  }
}

/** The charm's actions, as Jobs rendered on demand. */
export type Operation =
  | { readonly action: 'create-user'; readonly email: string; readonly admin?: boolean; readonly active?: boolean; readonly password: SecretKeyRef }
  | { readonly action: 'promote-user'; readonly email: string }
  | { readonly action: 'anonymize-user'; readonly username: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Problems with an operation, naming `path`. */
export function validateOperation(op: Operation, path: string): Problem[] {
  const problems: Problem[] = [];
  if (op.action === 'create-user' || op.action === 'promote-user') {
    if (!EMAIL.test(op.email ?? '')) problems.push({ path: `${path}.email`, message: `${show(op.email)} is not an e-mail address`, fix: 'write the user\'s e-mail' });
  }
  if (op.action === 'create-user') checkSecretRef(op.password, `${path}.password`, problems);
  if (op.action === 'anonymize-user' && !/^[\w.-]{1,60}$/.test(op.username ?? '')) problems.push({ path: `${path}.username`, message: `${show(op.username)} is not a Discourse username`, fix: 'write the username, not the e-mail' });
  return problems;
}

/**
 * Ruby for `rails runner`: reads its inputs from env, so nothing (least of all
 * a password) is interpolated into the command line or the manifest.
 */
export const OPERATION_SCRIPTS: Readonly<Record<Operation['action'], string>> = {
  'create-user': [
    "email = ENV.fetch('OP_EMAIL')",
    'user = User.find_by_email(email) || User.new(email: email, username: UserNameSuggester.suggest(email))',
    "user.password = ENV.fetch('OP_PASSWORD')",
    "user.active = ENV.fetch('OP_ACTIVE') == 'true'",
    'user.save!',
    "user.activate if ENV.fetch('OP_ACTIVE') == 'true'",
    "user.grant_admin! if ENV.fetch('OP_ADMIN') == 'true'",
    'puts "user #{user.username} ready"',
  ].join('; '),
  'promote-user': "user = User.find_by_email!(ENV.fetch('OP_EMAIL')); user.grant_admin!; puts \"#{user.username} is an admin\"",
  'anonymize-user': "user = User.find_by_username!(ENV.fetch('OP_USERNAME')); UserAnonymizer.new(user, Discourse.system_user).make_anonymous; puts 'anonymized'",
};

/** One action as a Job. Named by a hash of its inputs, so re-rendering the same operation is a no-op. */
export class OperationJob extends Construct {
  constructor(scope: Construct, id: string, discourse: Discourse, op: Operation) {
    super(scope, id);
    const problems = validateOperation(op, `operations.${id}`);
    if (problems.length > 0) throw new ValidationError(`OperationJob ${this.node.path}`, problems);
    const env: k8s.EnvVar[] =
      op.action === 'create-user'
        ? [
          { name: 'OP_EMAIL', value: op.email },
          { name: 'OP_ADMIN', value: String(op.admin ?? false) },
          { name: 'OP_ACTIVE', value: String(op.active ?? true) },
          { name: 'OP_PASSWORD', valueFrom: { secretKeyRef: { name: op.password.secret, key: op.password.key } } },
        ]
        : op.action === 'promote-user'
          ? [{ name: 'OP_EMAIL', value: op.email }]
          : [{ name: 'OP_USERNAME', value: op.username }];
    oneShot(this, discourse, {
      id: 'Resource',
      baseName: `${discourse.resolved.name}-op-${op.action}`,
      hashOf: [JSON.stringify(op)],
      command: ['bundle', 'exec', 'rails', 'runner', OPERATION_SCRIPTS[op.action]],
      env,
      backoffLimit: 1,
    });
  }
}
