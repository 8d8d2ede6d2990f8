import { Size } from 'cdk8s';
import { Construct } from 'constructs';
import {
  Cluster,
  ClusterSpec,
  ClusterSpecBackupBarmanObjectStoreDataCompression,
  ClusterSpecBackupBarmanObjectStoreWalCompression,
  ClusterSpecResourcesLimits,
  ClusterSpecResourcesRequests,
  ScheduledBackup,
  ScheduledBackupSpecBackupOwnerReference,
  ScheduledBackupSpecMethod,
} from '../../imports/postgresql.cnpg.io';
import { KEEP_ON_PRUNE } from '../core/annotations';
import { SecretKeyRef, isDnsLabel, isHttpUrl } from '../core/checks';
import {
  DataServiceResources,
  ResolvedResources,
  resourceQuantities,
  validateLabels,
  validateResources,
  validateSecretRef,
  validateStorageClass,
  validateStorageSize,
} from './data-resources';
import { ImmutabilityRule } from '../gitops/immutable-fields';
import { DEFAULTS } from '../core/defaults';
import { parseGoDuration, quantityBytes } from '../core/units';
import { Problem, show } from '../core/problems';
import { sizeQuantity } from '../core/units';

/**
 * The PostgreSQL operand image: the default of CloudNativePG 1.27.4 and 1.29.0
 * (`DefaultImageName` in pkg/versions/versions.go). PostgreSQL 18 is what Discourse's own
 * installer runs (discourse_docker templates/postgres.template.yml); the `system` flavour
 * carries the barman-cloud tools that `backup.barmanObjectStore` runs, and a cluster cannot
 * switch from `system` to `minimal`/`standard` images later (postgres-containers README).
 */
export const CNPG_POSTGRES_IMAGE = DEFAULTS.cnpgCluster.image;

/** The extensions Discourse's migrations need and its owner role may not create (the charm enables the same two). */
export const DISCOURSE_EXTENSIONS: readonly string[] = ['hstore', 'pg_trgm'];

/** Defaults of {@link CloudNativePgClusterProps}, in one place. */
/** Defaults of a CloudNativePG Cluster (they live in DEFAULTS). */
export const CNPG_CLUSTER_DEFAULTS = DEFAULTS.cnpgCluster;

/**
 * Base backups and WAL archiving to an S3-compatible object store, with CloudNativePG's
 * in-tree Barman Cloud support (`spec.backup.barmanObjectStore`).
 * @see https://cloudnative-pg.io/documentation/current/appendixes/backup_barmanobjectstore/
 */
export interface CloudNativePgBackup {
  /** Bucket and prefix, e.g. `s3://forum-backups/db`. */
  readonly destinationPath: string;
  /**
   * Endpoint of an S3-compatible store (MinIO, Ceph, R2, ...).
   * @default - AWS S3
   */
  readonly endpointUrl?: string;
  /** Access key id, from a Secret. */
  readonly accessKeyId: SecretKeyRef;
  /** Secret access key, from a Secret. */
  readonly secretAccessKey: SecretKeyRef;
  /**
   * Region, from a Secret (CloudNativePG reads it only from a Secret).
   * @default - the store's default region
   */
  readonly region?: SecretKeyRef;
  /**
   * How long base backups and WAL are kept: a number and `d`, `w` or `m`.
   * @default '30d'
   */
  readonly retentionPolicy?: string;
  /**
   * When base backups run: six cron fields, seconds first (robfig/cron, as CloudNativePG
   * parses it), or a descriptor such as `@daily`. A ScheduledBackup object carries it; there
   * is always one, since archived WAL without a base backup cannot be restored.
   * @default '0 0 3 * * *' (03:00:00 every day)
   * @see https://pkg.go.dev/github.com/robfig/cron#hdr-CRON_Expression_Format
   */
  readonly schedule?: string;
}

/** A PostgreSQL cluster for one Discourse site, run by the CloudNativePG operator. */
export interface CloudNativePgClusterProps {
  /** The site's name: the Cluster is `<site>-db` unless `clusterName` says otherwise. */
  readonly site: string;
  /**
   * Name of the Cluster; CloudNativePG names the application Secret `<clusterName>-app`.
   * @default `${site}-db`
   */
  readonly clusterName?: string;
  /**
   * PostgreSQL instances: one primary, the rest streaming standbys it fails over to. Two by
   * default because with one, CloudNativePG's PodDisruptionBudget blocks draining its node
   * (docs/src/kubernetes_upgrade.md) and nothing takes over when the node fails.
   * @default 2
   */
  readonly instances?: number;
  /**
   * PostgreSQL image; its tag must start with the major version (the operator reads it).
   * @default CNPG_POSTGRES_IMAGE
   */
  readonly imageName?: string;
  /**
   * Application database created at bootstrap, with hstore and pg_trgm.
   * @default 'discourse'
   */
  readonly database?: string;
  /**
   * Owner role of the database; CloudNativePG generates its password into `<clusterName>-app`.
   * @default 'discourse'
   */
  readonly owner?: string;
  /**
   * Size of each instance's data volume. Growing it later is fine (the operator resizes the
   * PVCs); shrinking is refused by the operator's webhook.
   * @default Size.gibibytes(10)
   */
  readonly storageSize?: Size;
  /**
   * StorageClass of the data volumes.
   * @default - the cluster's default StorageClass
   */
  readonly storageClass?: string;
  /**
   * Requests and limits of the PostgreSQL container.
   * @default - 1 CPU and 1Gi, requests equal to limits (Guaranteed QoS)
   */
  readonly resources?: DataServiceResources;
  /**
   * Backups to an object store.
   * @default - no backups
   */
  readonly backup?: CloudNativePgBackup;
  /**
   * Labels of the Cluster and ScheduledBackup objects (e.g. the site's common labels).
   * @default {}
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * Labels the operator copies onto everything it creates, the PodMonitor included
   * (`spec.inheritedMetadata`): put the label your Prometheus selects PodMonitors by here.
   * @default {}
   */
  readonly inheritedLabels?: Readonly<Record<string, string>>;
  /**
   * Let the operator create a PodMonitor, so Prometheus scrapes `cnpg_*` metrics (the alerts
   * read them). Deprecated upstream since 1.27 but still honoured through 1.30.
   * @default true
   */
  readonly enablePodMonitor?: boolean;
}

/** Backup settings with defaults applied. */
export type ResolvedCnpgBackup = CloudNativePgBackup & Required<Pick<CloudNativePgBackup, 'retentionPolicy' | 'schedule'>>;

/** Props with defaults applied. */
export interface ResolvedCnpgCluster {
  readonly clusterName: string;
  readonly instances: number;
  readonly imageName: string;
  readonly database: string;
  readonly owner: string;
  readonly storageSize: Size;
  readonly storageClass: string | undefined;
  readonly resources: ResolvedResources;
  readonly backup: ResolvedCnpgBackup | undefined;
  readonly labels: Readonly<Record<string, string>>;
  readonly inheritedLabels: Readonly<Record<string, string>>;
  readonly enablePodMonitor: boolean;
}

/** Applies the defaults. */
export function resolveCnpgCluster(props: CloudNativePgClusterProps): ResolvedCnpgCluster {
  const d = CNPG_CLUSTER_DEFAULTS;
  return {
    clusterName: props.clusterName ?? `${props.site}-db`,
    instances: props.instances ?? d.instances,
    imageName: props.imageName ?? CNPG_POSTGRES_IMAGE,
    database: props.database ?? d.database,
    owner: props.owner ?? d.owner,
    storageSize: props.storageSize ?? d.storageSize,
    storageClass: props.storageClass,
    resources: { ...d.resources, ...props.resources },
    backup: props.backup && {
      ...props.backup,
      retentionPolicy: props.backup.retentionPolicy ?? d.retentionPolicy,
      schedule: props.backup.schedule ?? d.schedule,
    },
    labels: props.labels ?? {},
    inheritedLabels: props.inheritedLabels ?? {},
    enablePodMonitor: props.enablePodMonitor ?? true,
  };
}

/** The SQL run once in the new application database: Discourse's extensions. */
export function extensionSql(extensions: readonly string[] = DISCOURSE_EXTENSIONS): string[] {
  return extensions.map((e) => `CREATE EXTENSION IF NOT EXISTS ${e}`);
}

/** The Cluster's spec, as plain data. */
export function cnpgClusterSpec(r: ResolvedCnpgCluster): ClusterSpec {
  const q = resourceQuantities(r.resources);
  const b = r.backup;
  const ref = (s: SecretKeyRef) => ({ name: s.secret, key: s.key });
  return {
    instances: r.instances,
    imageName: r.imageName,
    ...(Object.keys(r.inheritedLabels).length > 0 ? { inheritedMetadata: { labels: { ...r.inheritedLabels } } } : {}),
    // initdb runs once, when the cluster is created: changing these later does nothing to an
    // existing database (CloudNativePG ignores bootstrap after the first instance exists).
    bootstrap: { initdb: { database: r.database, owner: r.owner, postInitApplicationSql: extensionSql() } },
    storage: { size: sizeQuantity(r.storageSize), ...(r.storageClass !== undefined ? { storageClass: r.storageClass } : {}) },
    resources: {
      requests: Object.fromEntries(Object.entries(q.requests).map(([k, v]) => [k, ClusterSpecResourcesRequests.fromString(v)])),
      limits: Object.fromEntries(Object.entries(q.limits).map(([k, v]) => [k, ClusterSpecResourcesLimits.fromString(v)])),
    },
    monitoring: { enablePodMonitor: r.enablePodMonitor },
    ...(b
      ? {
          backup: {
            retentionPolicy: b.retentionPolicy,
            barmanObjectStore: {
              destinationPath: b.destinationPath,
              ...(b.endpointUrl !== undefined ? { endpointUrl: b.endpointUrl } : {}),
              s3Credentials: {
                accessKeyId: ref(b.accessKeyId),
                secretAccessKey: ref(b.secretAccessKey),
                ...(b.region ? { region: ref(b.region) } : {}),
              },
              // Discourse's WAL and tables compress well; gzip is in every barman-cloud build.
              wal: { compression: ClusterSpecBackupBarmanObjectStoreWalCompression.GZIP },
              data: { compression: ClusterSpecBackupBarmanObjectStoreDataCompression.GZIP },
            },
          },
        }
      : {}),
  };
}

const CRON_RANGES: ReadonlyArray<readonly [string, number, number]> = [
  ['seconds', 0, 59],
  ['minutes', 0, 59],
  ['hours', 0, 23],
  ['day of month', 1, 31],
  ['month', 1, 12],
  ['day of week', 0, 6],
];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DESCRIPTORS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'];

/** Whether one cron field (`*`, `?`, `5`, `1-5`, `*\/15`, `mon-fri`, lists of these) fits its range. */
function cronFieldOk(field: string, index: number): boolean {
  const [, min, max] = CRON_RANGES[index];
  const names = index === 4 ? MONTHS : index === 5 ? DAYS : [];
  const value = (v: string): number => {
    const named = names.indexOf(v.toLowerCase());
    if (named >= 0) return index === 4 ? named + 1 : named;
    return /^\d+$/.test(v) ? Number(v) : NaN;
  };
  return field.split(',').every((part) => {
    const [range, step, ...rest] = part.split('/');
    if (rest.length > 0 || (step !== undefined && !/^[1-9]\d*$/.test(step))) return false;
    if (range === '*' || (range === '?' && (index === 3 || index === 5))) return true;
    const [lo, hi, ...more] = range.split('-');
    if (more.length > 0) return false;
    const a = value(lo);
    const b = hi === undefined ? a : value(hi);
    return a >= min && b <= max && a <= b;
  });
}

/**
 * Why `schedule` is not a schedule CloudNativePG runs as meant, or undefined if it is.
 * CloudNativePG parses it with robfig/cron v1's `cron.Parse` (internal/webhook/v1/
 * scheduledbackup_webhook.go), whose first field is seconds: a five-field Kubernetes
 * CronJob schedule like `0 3 * * *` would be read as "second 0 of minute 3 of every hour",
 * so five fields are refused here rather than silently meaning something else.
 */
export function cnpgScheduleProblem(schedule: string): string | undefined {
  const s = schedule.trim();
  if (s.startsWith('@')) {
    if (DESCRIPTORS.includes(s)) return undefined;
    return /^@every \d+(\.\d+)?(ns|us|µs|ms|s|m|h)(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))*$/.test(s)
      ? undefined
      : 'is not a cron descriptor (@daily, @every 24h, ...)';
  }
  const fields = s.split(/\s+/);
  if (fields.length === 5) return 'has five fields; CloudNativePG schedules have six, seconds first (e.g. "0 0 3 * * *" for 03:00 daily)';
  if (fields.length !== 6) return `has ${fields.length} fields; CloudNativePG schedules have six, seconds first`;
  const bad = fields.map((f, i) => (cronFieldOk(f, i) ? undefined : `${CRON_RANGES[i][0]} ${show(f)}`)).filter((x) => x !== undefined);
  if (bad.length > 0) return `has an invalid ${bad.join(', ')}`;
  return cnpgScheduleMaxGapSeconds(s) === undefined ? 'never runs (no day matches)' : undefined;
}

/** The values one valid cron field matches (see cronFieldOk). */
function cronFieldValues(field: string, index: number): Set<number> {
  const [, min, max] = CRON_RANGES[index];
  const names = index === 4 ? MONTHS : index === 5 ? DAYS : [];
  const value = (v: string): number => {
    const named = names.indexOf(v.toLowerCase());
    return named >= 0 ? (index === 4 ? named + 1 : named) : Number(v);
  };
  const out = new Set<number>();
  for (const part of field.split(',')) {
    const [range, step] = part.split('/');
    const [lo, hi] = range === '*' || range === '?' ? [min, max] : range.split('-').map(value);
    // robfig/cron: "a/n" runs from a to the end of the range.
    const end = hi ?? (step === undefined ? lo : max);
    for (let v = lo; v <= end; v += Number(step ?? 1)) out.add(v);
  }
  return out;
}

const DESCRIPTOR_SECONDS: Readonly<Record<string, number>> = {
  '@yearly': 366 * 86_400,
  '@annually': 366 * 86_400,
  '@monthly': 31 * 86_400,
  '@weekly': 7 * 86_400,
  '@daily': 86_400,
  '@midnight': 86_400,
  '@hourly': 3_600,
};

/**
 * The longest time between two runs of a valid CloudNativePG schedule, in seconds: how old
 * the newest backup may get before one is missing. Six-field schedules are run over eight
 * years of UTC days (leap days included) with robfig/cron's day rule (day of month and day
 * of week must both match when either is `*`, else either does). Undefined when the
 * schedule never runs (e.g. February 30th).
 */
export function cnpgScheduleMaxGapSeconds(schedule: string): number | undefined {
  const s = schedule.trim();
  if (s.startsWith('@every ')) return (parseGoDuration(s.slice('@every '.length)) ?? NaN) / 1000;
  if (s.startsWith('@')) return DESCRIPTOR_SECONDS[s];
  const fields = s.split(/\s+/);
  const [seconds, minutes, hours, dom, months, dow] = fields.map((f, i) => cronFieldValues(f, i));
  const times = [...hours].flatMap((h) => [...minutes].flatMap((m) => [...seconds].map((sec) => h * 3600 + m * 60 + sec))).sort((a, b) => a - b);
  const anyDay = /^[*?]/.test(fields[3]) || /^[*?]/.test(fields[5]);
  const start = Date.UTC(2024, 0, 1);
  const days: number[] = [];
  for (let d = 0; d < 8 * 366; d++) {
    const date = new Date(start + d * 86_400_000);
    const [domOk, dowOk] = [dom.has(date.getUTCDate()), dow.has(date.getUTCDay())];
    if (months.has(date.getUTCMonth() + 1) && (anyDay ? domOk && dowOk : domOk || dowOk)) days.push(d);
  }
  if (days.length === 0 || times.length === 0) return undefined;
  let gap = times.length > 1 ? Math.max(...times.slice(1).map((t, i) => t - times[i])) : 0;
  for (let i = 1; i < days.length; i++) gap = Math.max(gap, (days[i] - days[i - 1]) * 86_400 - times[times.length - 1] + times[0]);
  return gap;
}

/** The PostgreSQL major version of an image, from its tag (as CloudNativePG reads it), or undefined. */
export function postgresMajorVersion(imageName: string): number | undefined {
  const m = IMAGE.exec(imageName);
  return m ? Number(m[2]) : undefined;
}

/** Image tags CloudNativePG can read a major version from (pkg/postgres/version.go: a number first). */
const IMAGE = /^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?:(\d+)(?:[._-][\w.-]*)?(?:@sha256:[a-f0-9]{64})?$/;

/**
 * Every problem with the props, naming `path` (e.g. `database.cloudnativepg_cluster` in a
 * site file, or `cnpgCluster` in TypeScript) and then the camelCase prop.
 */
export function validateCnpgClusterProps(props: CloudNativePgClusterProps, path: string): Problem[] {
  const r = resolveCnpgCluster(props);
  const p = (key: string) => `${path}.${key}`;
  const problems: Problem[] = [];
  // The operator's own rule (internal/webhook/v1/cluster_webhook.go validateName): a DNS-1035
  // label of at most 50 characters, leaving room for the Service and pod suffixes it adds.
  if (!isDnsLabel(r.clusterName, 50) || !/^[a-z]/.test(r.clusterName))
    problems.push({
      path: p(props.clusterName === undefined ? 'site' : 'clusterName'),
      message: `${show(r.clusterName)} is not a valid cluster name`,
      fix: 'use at most 50 lowercase letters, digits and "-", starting with a letter',
    });
  if (!(Number.isInteger(r.instances) && r.instances >= 1))
    problems.push({ path: p('instances'), message: `${show(r.instances)} is not a positive number of instances`, fix: 'use 1, or 2 or more for failover' });
  const image = IMAGE.exec(r.imageName);
  if (!image)
    problems.push({
      path: p('imageName'),
      message: `${show(r.imageName)} has no tag starting with the PostgreSQL major version`,
      fix: `pin a tag such as ${CNPG_POSTGRES_IMAGE}`,
    });
  else if (Number(image[2]) < 13)
    problems.push({ path: p('imageName'), message: `PostgreSQL ${image[2]} is older than Discourse supports`, fix: 'use PostgreSQL 13 or newer' });
  for (const [key, name] of [
    ['database', r.database],
    ['owner', r.owner],
  ] as const) {
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name))
      problems.push({ path: p(key), message: `${show(name)} is not a plain PostgreSQL identifier`, fix: 'use lowercase letters, digits and "_"' });
  }
  if (r.owner === 'postgres') problems.push({ path: p('owner'), message: '"postgres" is the superuser', fix: 'use an unprivileged role such as discourse' });
  problems.push(...validateStorageSize(r.storageSize, p('storageSize')), ...validateStorageClass(r.storageClass, p('storageClass')));
  problems.push(...validateResources(r.resources, p('resources')));
  problems.push(...validateLabels(r.labels, p('labels')), ...validateLabels(r.inheritedLabels, p('inheritedLabels')));
  const b = r.backup;
  if (b) {
    const bp = (key: string) => `${path}.backup.${key}`;
    if (typeof b.destinationPath !== 'string' || !/^(s3|gs|https?):\/\/[^/\s]+/.test(b.destinationPath))
      problems.push({ path: bp('destinationPath'), message: `${show(b.destinationPath)} is not an object-store path`, fix: 'use s3://<bucket>/<prefix>' });
    if (b.endpointUrl !== undefined && !isHttpUrl(b.endpointUrl))
      problems.push({ path: bp('endpointUrl'), message: `${show(b.endpointUrl)} is not an http(s) URL`, fix: 'use e.g. https://minio.example.com' });
    problems.push(...validateSecretRef(b.accessKeyId, bp('accessKeyId')), ...validateSecretRef(b.secretAccessKey, bp('secretAccessKey')));
    if (b.region !== undefined) problems.push(...validateSecretRef(b.region, bp('region')));
    if (!/^[1-9][0-9]*[dwm]$/.test(b.retentionPolicy))
      problems.push({
        path: bp('retentionPolicy'),
        message: `${show(b.retentionPolicy)} is not a retention policy`,
        fix: 'use a number and d, w or m, e.g. 30d',
      });
    const why = cnpgScheduleProblem(b.schedule);
    if (why !== undefined)
      problems.push({ path: bp('schedule'), message: `${show(b.schedule)} ${why}`, fix: 'write six fields, seconds first, e.g. "0 0 3 * * *"' });
    // The in-tree barmanObjectStore runs barman-cloud inside the PostgreSQL container; only the
    // `system` images of ghcr.io/cloudnative-pg/postgresql ship it.
    if (image && r.imageName.startsWith('ghcr.io/cloudnative-pg/postgresql:') && /-(minimal|standard)-/.test(r.imageName))
      problems.push({
        path: p('imageName'),
        message: `${show(r.imageName)} has no barman-cloud, which backup.barmanObjectStore needs`,
        fix: 'use a -system- image, or drop backup and use the Barman Cloud plugin',
      });
  }
  return problems;
}

/**
 * What CloudNativePG's admission webhook refuses on update of a Cluster, as data
 * (internal/webhook/v1/cluster_webhook.go, validateClusterChanges). These are not CRD rules,
 * so `crdImmutabilityRules` cannot find them.
 */
export const CNPG_WEBHOOK_RULES: readonly ImmutabilityRule[] = [
  {
    kind: 'Cluster.postgresql.cnpg.io',
    path: 'spec.storage.size',
    refuses: (before, after) => (quantityBytes(after) ?? Infinity) < (quantityBytes(before) ?? 0),
    why: "CloudNativePG can't shrink existing storage (validateStorageChange)",
  },
  {
    kind: 'Cluster.postgresql.cnpg.io',
    path: 'spec.imageName',
    refuses: (before, after) => majorOf(after) < majorOf(before),
    why: "CloudNativePG can't downgrade a PostgreSQL major version (validateImageChange)",
  },
];

function majorOf(image: unknown): number {
  const m = IMAGE.exec(String(image ?? ''));
  return m ? Number(m[2]) : NaN;
}

/**
 * A CloudNativePG `Cluster` for one Discourse site: the database and owner Discourse uses,
 * with hstore and pg_trgm created at bootstrap, its PodMonitor on, optional backups to S3 with
 * a `ScheduledBackup`. Argo CD and Flux never prune it (the data would go with it).
 *
 * Discourse connects with `PostgresConnection.fromCloudNativePg(cluster.clusterName)`: the
 * operator writes host, port, dbname, user, username and password into `<clusterName>-app`
 * (pkg/specs/secrets.go, CreateSecret).
 * @see https://cloudnative-pg.io/documentation/current/bootstrap/#initdb
 */
export class CloudNativePgCluster extends Construct {
  /** The Cluster object (`node.defaultChild`). */
  public readonly resource: Cluster;
  /** The ScheduledBackup, when backups are on. */
  public readonly scheduledBackup?: ScheduledBackup;
  /** Name of the Cluster. */
  public readonly clusterName: string;
  /** Name of the Secret the operator writes the application credentials to. */
  public readonly appSecretName: string;
  /** Read-write Service of the primary (`<clusterName>-rw`), as in the app Secret's `host`. */
  public readonly readWriteService: string;
  /** Props with defaults applied. */
  public readonly resolved: ResolvedCnpgCluster;

  constructor(scope: Construct, id: string, props: CloudNativePgClusterProps) {
    super(scope, id);
    const r = resolveCnpgCluster(props);
    this.resolved = r;
    this.clusterName = r.clusterName;
    this.appSecretName = `${r.clusterName}-app`;
    this.readWriteService = `${r.clusterName}-rw`;
    this.resource = new Cluster(this, 'Resource', {
      metadata: { name: r.clusterName, labels: { ...r.labels }, annotations: { ...KEEP_ON_PRUNE } },
      spec: cnpgClusterSpec(r),
    });
    if (r.backup) {
      this.scheduledBackup = new ScheduledBackup(this, 'ScheduledBackup', {
        metadata: { name: `${r.clusterName}-backup`, labels: { ...r.labels } },
        spec: {
          cluster: { name: r.clusterName },
          schedule: r.backup.schedule,
          // A base backup right away: until the first one exists, archived WAL restores nothing.
          immediate: true,
          method: ScheduledBackupSpecMethod.BARMAN_OBJECT_STORE,
          // The Backup objects go with the schedule; their data stays in the bucket, under retentionPolicy.
          backupOwnerReference: ScheduledBackupSpecBackupOwnerReference.SELF,
        },
      });
    }
  }
}
