import { parse, stringify } from 'yaml';
import { isDnsLabel } from '../lib/core/checks';
import { OPTIONS } from '../lib/model/config';
import { MANAGED_ENV_PATTERNS, SECRET_ENV_NAME } from '../lib/model/environment';
import { translateProblem } from '../lib/core/problems';
import { siteFromText } from './resolve-site';
import { SITE_FILE_NAMES } from './site-keys';
import { SCHEMA_FILE } from './site-schema';

/**
 * A draft site file from the values of a Bitnami Discourse Helm release
 * (bitnami/charts, bitnami/discourse). Every fact about the chart below was read from
 * chart version 17.0.2 (Chart.yaml `version`, appVersion 3.5.0): its values.yaml, and
 * templates/_helpers.tpl, deployment.yaml, configmaps.yaml, secrets-*.yaml, ingress.yaml
 * and pvc.yaml; the Secret key names, host names and defaults are cited where used.
 */

/** The chart version the mapping was written against. */
export const BITNAMI_CHART_VERSION = '17.0.2';

/** A site file drafted from a Bitnami values file, and what needs a human. */
export interface BitnamiImport {
  /** Site-file YAML (no `image:` yet: a comment says what to write); secrets as Secret references. */
  readonly yaml: string;
  /** What to do before the site file is complete: Secrets to create, data to move, values not mapped. */
  readonly notes: string[];
}

/** Options of the importer. */
export interface BitnamiImportOptions {
  /** The Helm release name: the chart derives its object and Secret names from it. @default 'discourse' */
  readonly release?: string;
  /** Namespace of the site (the release's, so that existing Secrets are found). @default - the release name */
  readonly namespace?: string;
  /**
   * What the chart's `ingress` block becomes: an Ingress (`ingress:`), or an HTTPRoute on
   * the cluster's Gateway (`gateway:`, whose name and listeners the notes ask for).
   * @default 'ingress'
   */
  readonly routing?: 'ingress' | 'gateway';
}

/** Where one value of the chart goes. */
export interface BitnamiValue {
  /** Dotted path in the chart's values; the row also covers every value below it. */
  readonly value: string;
  /** The site-file key(s) it becomes (the converter's code does the mapping). @default - none: not mapped */
  readonly to?: string;
  /** Why it is not mapped, or what else to know; printed when the value is set. @default - none */
  readonly note?: string;
  /** The chart's default (values.yaml), when the converter reads it: an unset value means this. @default - empty */
  readonly default?: unknown;
}

const OVERLAY = 'patch it in overlays/<site>/ (docs/getting-started.md#your-own-repository)';

/**
 * Every value of bitnami/discourse 17.0.2 (values.yaml), as data: mapped ones name their
 * site-file key, the others say why not. The README's "From a Bitnami chart" table is
 * generated from it; a value in a file that no row covers is reported as unknown.
 */
export const BITNAMI_VALUES: readonly BitnamiValue[] = [
  { value: 'global.imageRegistry', note: "the image is the rock, not Bitnami's (docs/image.md)" },
  { value: 'global.imagePullSecrets', note: 'list them in image.pull_secrets if the rock is in that registry' },
  { value: 'global.defaultStorageClass', to: 'uploads.storage_class', note: 'when persistence.storageClass is empty' },
  { value: 'global.postgresql.auth', to: 'database', note: 'with postgresql.enabled, as the chart reads it (_helpers.tpl)' },
  { value: 'global.security', note: 'no equivalent' },
  { value: 'global.compatibility', note: 'no equivalent: pods run as uid 584792 under Pod Security "restricted"' },
  { value: 'kubeVersion', note: 'no equivalent (Kubernetes 1.28 or later)' },
  { value: 'nameOverride', note: "read for the chart's Secret and Service names in the notes; the site's objects are named after the site" },
  { value: 'fullnameOverride', note: "read for the chart's Secret and Service names in the notes; the site's objects are named after the site" },
  { value: 'clusterDomain', note: 'no equivalent' },
  { value: 'commonLabels', note: `no equivalent; ${OVERLAY}` },
  { value: 'commonAnnotations', note: `no equivalent; ${OVERLAY}` },
  { value: 'extraDeploy', note: 'put those manifests in overlays/<site>/' },
  { value: 'diagnosticMode', note: 'no equivalent: use kubectl debug' },
  { value: 'image', note: 'the Bitnami image is not the rock this project runs (docs/image.md); not copied' },
  { value: 'auth.username', note: 'add-admin-user takes the e-mail only; Discourse derives the username', default: 'user' },
  { value: 'auth.email', to: 'operations[add-admin-user].email', default: 'user@example.com' },
  { value: 'auth.password', to: 'operations[add-admin-user].password', note: 'a Secret reference; the value is never copied' },
  { value: 'auth.existingSecret', to: 'operations[add-admin-user].password', note: 'key discourse-password' },
  { value: 'host', to: 'config.external_hostname', note: 'when ingress.enabled is false (else ingress.hostname)' },
  { value: 'siteName', note: 'no charm option: the title is a site setting in the database (Admin, Settings, title)', default: 'My Site!' },
  { value: 'smtp.enabled', to: 'config.smtp_*', default: false },
  { value: 'smtp.host', to: 'config.smtp_address' },
  { value: 'smtp.port', to: 'config.smtp_port' },
  { value: 'smtp.user', to: 'config.smtp_username' },
  { value: 'smtp.password', to: 'config.smtp_password', note: 'a Secret reference; the value is never copied' },
  { value: 'smtp.existingSecret', to: 'config.smtp_password', note: 'key smtp-password' },
  { value: 'smtp.protocol', to: 'config.smtp_enable_start_tls, config.smtp_force_tls', note: 'tls: STARTTLS; ssl: implicit TLS; empty: neither' },
  { value: 'smtp.auth', to: 'config.smtp_authentication', note: "empty: login, the image's default, when smtp.user is set" },
  { value: 'replicaCount', to: 'replicas', default: 1 },
  {
    value: 'podSecurityContext',
    note: "pods run as _daemon_ (uid 584792, fsGroup 584792), non-root (the chart's default fsGroup is 0)",
  },
  { value: 'automountServiceAccountToken', note: 'always false here' },
  { value: 'hostAliases', note: `no key; ${OVERLAY}` },
  { value: 'podAnnotations', note: `no key; ${OVERLAY}` },
  { value: 'podLabels', note: `no key; ${OVERLAY}` },
  { value: 'podAffinityPreset', note: `no key; ${OVERLAY}` },
  { value: 'podAntiAffinityPreset', note: 'pods are spread over nodes (topologySpreadConstraints) when there are several', default: 'soft' },
  { value: 'nodeAffinityPreset', note: `no key; use node_selector or ${OVERLAY}` },
  { value: 'affinity', note: `no key; use node_selector or ${OVERLAY}` },
  { value: 'nodeSelector', to: 'node_selector' },
  { value: 'tolerations', note: `no key; ${OVERLAY}` },
  { value: 'topologySpreadConstraints', note: 'set by the project when there are several pods' },
  { value: 'priorityClassName', to: 'priority_class_name' },
  { value: 'schedulerName', note: `no key; ${OVERLAY}` },
  { value: 'terminationGracePeriodSeconds', note: 'derived from kill_delay (plus 10s)' },
  {
    value: 'updateStrategy',
    note: 'derived: Recreate with a ReadWriteOnce uploads volume, else RollingUpdate',
    default: { type: 'RollingUpdate', rollingUpdate: {} },
  },
  { value: 'sidecars', note: `no key; ${OVERLAY}` },
  { value: 'initContainers', note: `no key; ${OVERLAY}` },
  { value: 'pdb', note: 'a PodDisruptionBudget is rendered when there is more than one pod', default: { create: true, minAvailable: '', maxUnavailable: '' } },
  { value: 'extraVolumeMounts', note: `no key; writable_paths for scratch space, else ${OVERLAY}` },
  { value: 'extraVolumes', note: `no key; ${OVERLAY}` },
  { value: 'discourse.skipInstall', note: 'the migration Jobs run db:migrate here (migrations: true); there is no install step' },
  { value: 'discourse.plugins', note: 'the rock bakes its plugins in (docs/image.md); add plugins by building the rock' },
  { value: 'discourse.persistPlugins', note: 'plugins are in the image, not on a volume', default: true },
  { value: 'discourse.compatiblePlugins', note: 'plugins are in the image', default: true },
  { value: 'discourse.command', note: 'Pebble is the entrypoint; Unicorn is its service' },
  { value: 'discourse.args', note: 'Pebble is the entrypoint; Unicorn is its service' },
  { value: 'discourse.extraEnvVars', to: 'extra_env, extra_secret_env', note: "the Bitnami image's own variables and managed ones are not copied" },
  { value: 'discourse.extraEnvVarsCM', note: 'copy its data into extra_env' },
  { value: 'discourse.extraEnvVarsSecret', note: 'list its keys in extra_secret_env: { NAME: { secret: <it>, key: NAME } }' },
  { value: 'discourse.containerPorts', note: "Unicorn listens on 3000 (the charm's port), not Passenger on 8080", default: { http: 8080 } },
  { value: 'discourse.extraContainerPorts', note: 'no key' },
  { value: 'discourse.livenessProbe', note: "fixed: Pebble's health endpoint (Pebble restarts Unicorn itself)" },
  { value: 'discourse.readinessProbe', note: 'fixed: /srv/status on Unicorn, every 5s' },
  { value: 'discourse.startupProbe', note: 'the boot budget is startup_timeout (default 10m)' },
  { value: 'discourse.customLivenessProbe', note: "fixed: Pebble's health endpoint" },
  { value: 'discourse.customReadinessProbe', note: 'fixed: /srv/status on Unicorn' },
  { value: 'discourse.customStartupProbe', note: 'the boot budget is startup_timeout' },
  { value: 'discourse.resourcesPreset', to: 'resources', note: "Bitnami's preset, as requests and limits", default: '2xlarge' },
  { value: 'discourse.resources', to: 'resources', note: 'requests and limits of cpu and memory' },
  {
    value: 'discourse.containerSecurityContext',
    note: "here uid 584792, no added capabilities, read-only root (the chart's default is root, runAsUser 0)",
  },
  { value: 'discourse.lifecycleHooks', note: 'Pebble stops Unicorn (kill_delay)' },
  { value: 'discourse.extraVolumeMounts', note: `no key; writable_paths for scratch space, else ${OVERLAY}` },
  { value: 'persistence.enabled', to: 'uploads', note: 'false (emptyDir) has no equivalent: uploads need a volume or S3', default: true },
  { value: 'persistence.storageClass', to: 'uploads.storage_class', note: '"-" (no class) has no equivalent' },
  { value: 'persistence.accessModes', to: 'uploads.access_mode', note: 'ReadWriteOnce or ReadWriteMany', default: ['ReadWriteOnce'] },
  { value: 'persistence.size', to: 'uploads.size', default: '10Gi' },
  { value: 'persistence.existingClaim', note: 'the site makes its own claim, <site>-uploads: copy the data' },
  { value: 'persistence.selector', note: 'no key' },
  { value: 'persistence.annotations', note: 'no key' },
  { value: 'sidekiq.resources', note: 'Sidekiq runs inside Unicorn here (as the charm does): add its share to resources' },
  { value: 'sidekiq.resourcesPreset', note: 'Sidekiq runs inside Unicorn here: add its share to resources', default: 'small' },
  { value: 'sidekiq.extraEnvVars', note: 'one container here: put them in extra_env' },
  { value: 'sidekiq', note: 'no sidekiq container: Sidekiq runs inside Unicorn, as the charm runs it' },
  { value: 'service', note: 'a ClusterIP Service on 3000 (http) and 9394 (metrics); expose it with the Ingress' },
  { value: 'ingress.enabled', to: 'ingress.enabled', default: false },
  { value: 'ingress.ingressClassName', to: 'ingress.class_name' },
  { value: 'ingress.pathType', note: 'Prefix here', default: 'ImplementationSpecific' },
  { value: 'ingress.apiVersion', note: 'networking.k8s.io/v1' },
  { value: 'ingress.hostname', to: 'config.external_hostname', note: 'the Ingress host is the external hostname', default: 'discourse.local' },
  { value: 'ingress.path', to: 'ingress.paths', default: '/' },
  {
    value: 'ingress.annotations',
    to: 'ingress.annotations, ingress.tls, ingress.max_body_size',
    note: 'cert-manager issuers become ingress.tls; proxy-body-size becomes max_body_size',
  },
  { value: 'ingress.tls', to: 'ingress.tls', note: 'with a cert-manager annotation (the chart emits no TLS otherwise)', default: false },
  { value: 'ingress.selfSigned', note: 'no self-signed certificates: use cert-manager or a Secret', default: false },
  { value: 'ingress.extraHosts', to: 'ingress.extra_hosts', note: 'hosts only; their paths are not mapped' },
  { value: 'ingress.extraPaths', note: `no key; ${OVERLAY}` },
  { value: 'ingress.extraTls', to: 'ingress.tls.secret_name', note: 'the first secretName' },
  { value: 'ingress.secrets', note: 'certificates are never copied: make a kubernetes.io/tls Secret and set ingress.tls.secret_name' },
  { value: 'ingress.extraRules', note: `no key; ${OVERLAY}` },
  { value: 'volumePermissions', note: 'not needed: fsGroup makes the volume writable' },
  { value: 'serviceAccount', note: 'one ServiceAccount per site, without a token; annotations not mapped' },
  { value: 'networkPolicy.enabled', to: 'network_policy.enabled', default: true },
  { value: 'networkPolicy.allowExternalEgress', to: 'network_policy.restrict_egress', note: 'false: restrict egress', default: true },
  {
    value: 'networkPolicy.allowExternal',
    note: "ingress is admitted from the ingress controller's namespace (network_policy.ingress_namespace)",
    default: true,
  },
  { value: 'networkPolicy.extraIngress', note: `no key; ${OVERLAY}` },
  { value: 'networkPolicy.extraEgress', note: `no key; ${OVERLAY}` },
  { value: 'networkPolicy.ingressNSMatchLabels', note: 'network_policy.ingress_namespace takes a namespace name' },
  { value: 'networkPolicy.ingressNSPodMatchLabels', note: 'no key' },
  { value: 'postgresql.enabled', to: 'database', note: "points at the subchart's Service and Secret; or database.cloudnativepg.create", default: true },
  { value: 'postgresql.auth.username', to: 'database.user', default: 'bn_discourse' },
  { value: 'postgresql.auth.database', to: 'database.name', default: 'bitnami_application' },
  { value: 'postgresql.auth.existingSecret', to: 'database.password', note: 'key password' },
  { value: 'postgresql.auth.password', note: "not copied: the subchart's Secret holds it" },
  { value: 'postgresql.auth.postgresPassword', note: "not copied: the subchart's Secret holds it" },
  { value: 'postgresql.auth.enablePostgresUser', note: "the subchart's", default: true },
  { value: 'postgresql.fullnameOverride', to: 'database.host' },
  { value: 'postgresql.nameOverride', to: 'database.host' },
  { value: 'postgresql', note: 'a setting of the PostgreSQL subchart: not mapped (database.cloudnativepg.create has its own)' },
  { value: 'externalDatabase.host', to: 'database.host', default: 'localhost' },
  { value: 'externalDatabase.port', to: 'database.port', default: 5432 },
  { value: 'externalDatabase.user', to: 'database.user', default: 'bn_discourse' },
  { value: 'externalDatabase.database', to: 'database.name', default: 'bitnami_application' },
  { value: 'externalDatabase.password', to: 'database.password', note: 'a Secret reference; the value is never copied' },
  { value: 'externalDatabase.existingSecret', to: 'database.password' },
  { value: 'externalDatabase.existingSecretPasswordKey', to: 'database.password.key', default: 'password' },
  { value: 'externalDatabase.create', note: 'the database must exist; database.extensions creates hstore and pg_trgm', default: true },
  { value: 'externalDatabase.postgresUser', note: 'database.extensions.superuser_secret takes a Secret with username and password' },
  { value: 'externalDatabase.postgresPassword', note: 'not copied; database.extensions.superuser_secret takes a Secret' },
  { value: 'externalDatabase.existingSecretPostgresPasswordKey', note: 'see database.extensions', default: 'postgres-password' },
  { value: 'redis.enabled', to: 'redis', note: "points at the subchart's Service and Secret; or redis.create", default: true },
  { value: 'redis.auth.enabled', to: 'redis.password', default: true },
  { value: 'redis.auth.existingSecret', to: 'redis.password', note: 'key redis-password' },
  { value: 'redis.auth.password', note: "not copied: the subchart's Secret holds it" },
  { value: 'redis.fullnameOverride', to: 'redis.host' },
  { value: 'redis.nameOverride', to: 'redis.host' },
  { value: 'redis', note: 'a setting of the Redis subchart: not mapped (redis.create has its own)' },
  { value: 'externalRedis.host', to: 'redis.host', default: 'localhost' },
  { value: 'externalRedis.port', to: 'redis.port', default: 6379 },
  { value: 'externalRedis.password', to: 'redis.password', note: 'a Secret reference; the value is never copied' },
  { value: 'externalRedis.existingSecret', to: 'redis.password' },
  { value: 'externalRedis.existingSecretPasswordKey', to: 'redis.password.key', default: 'redis-password' },
];

/**
 * Variables the Bitnami image's own scripts read (bitnami/containers, bitnami/discourse
 * README "Environment variables", and libdiscourse.sh `discourse_create_conf_file`), not
 * Discourse: in extraEnvVars they configured the image, so they are not copied.
 */
const BITNAMI_IMAGE_ENV =
  /^(ALLOW_EMPTY_PASSWORD|BITNAMI_DEBUG|POSTGRESQL_CLIENT_.*|DISCOURSE_(DATA_TO_PERSIST|ENABLE_HTTPS|EXTERNAL_HTTPS?_PORT_NUMBER|HOST|PORT_NUMBER|SKIP_BOOTSTRAP|SKIP_INSTALL|SITE_NAME|ENV|PRECOMPILE_ASSETS|ENABLE_CONF_PERSISTENCE|EXTRA_CONF_CONTENT|PASSENGER_.*|USERNAME|PASSWORD|EMAIL|FIRST_NAME|LAST_NAME|DATABASE_.*|POSTGRESQL_.*|DB_BACKUP_.*|REDIS_PORT_NUMBER|SMTP_HOST|SMTP_PORT|SMTP_PORT_NUMBER|SMTP_USER|SMTP_PROTOCOL|SMTP_AUTH))$/;

/** Discourse's variables for charm options (the reverse of lib/model/environment.ts discourseEnvironment). */
const ENV_OPTIONS: Readonly<Record<string, string>> = {
  DISCOURSE_DEVELOPER_EMAILS: 'developer_emails',
  DISCOURSE_ENABLE_CORS: 'enable_cors',
  DISCOURSE_CORS_ORIGIN: 'cors_origin',
  DISCOURSE_MAX_CATEGORY_NESTING: 'max_category_nesting',
  DISCOURSE_SMTP_ADDRESS: 'smtp_address',
  DISCOURSE_SMTP_DOMAIN: 'smtp_domain',
  DISCOURSE_SMTP_USER_NAME: 'smtp_username',
  DISCOURSE_SMTP_ENABLE_START_TLS: 'smtp_enable_start_tls',
  DISCOURSE_SMTP_FORCE_TLS: 'smtp_force_tls',
  DISCOURSE_SMTP_OPENSSL_VERIFY_MODE: 'smtp_openssl_verify_mode',
  DISCOURSE_USE_S3: 's3_enabled',
  DISCOURSE_S3_ACCESS_KEY_ID: 's3_access_key_id',
  DISCOURSE_S3_SECRET_ACCESS_KEY: 's3_secret_access_key',
  DISCOURSE_S3_BUCKET: 's3_bucket',
  DISCOURSE_S3_REGION: 's3_region',
  DISCOURSE_S3_ENDPOINT: 's3_endpoint',
  DISCOURSE_S3_BACKUP_BUCKET: 's3_backup_bucket',
  DISCOURSE_S3_CDN_URL: 's3_cdn_url',
  DISCOURSE_S3_INSTALL_CORS_RULE: 's3_install_cors_rule',
};

/**
 * Bitnami's resource presets (bitnami/common, templates/_resources.tpl
 * `common.resources.preset`; ephemeral-storage left out): [cpu request, memory request,
 * cpu limit, memory limit].
 */
const RESOURCE_PRESETS: Readonly<Record<string, readonly [string, string, string, string]>> = {
  nano: ['100m', '128Mi', '150m', '192Mi'],
  micro: ['250m', '256Mi', '375m', '384Mi'],
  small: ['500m', '512Mi', '750m', '768Mi'],
  medium: ['500m', '1024Mi', '750m', '1536Mi'],
  large: ['1', '2048Mi', '1500m', '3072Mi'],
  xlarge: ['1', '3072Mi', '3', '6144Mi'],
  '2xlarge': ['1', '3072Mi', '6', '12288Mi'],
};

type Values = Record<string, unknown>;
interface SecretRef {
  readonly secret: string;
  readonly key: string;
}

const isObject = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);
const isEmpty = (v: unknown): boolean =>
  v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0) || (isObject(v) && Object.values(v).every(isEmpty));
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' ? String(v) : undefined);

function at(values: Values, path: string): unknown {
  let node: unknown = values;
  for (const part of path.split('.')) node = isObject(node) ? node[part] : undefined;
  return node;
}

/** The row that covers a value: the longest row path that is the value's path or a prefix of it. */
function rowOf(path: string): BitnamiValue | undefined {
  let best: BitnamiValue | undefined;
  for (const row of BITNAMI_VALUES) {
    if ((path === row.value || path.startsWith(`${row.value}.`)) && (!best || row.value.length > best.value.length)) best = row;
  }
  return best;
}

/** `common.names.fullname` (bitnami/common, _names.tpl): the release name, with the chart's name unless it contains it. */
function fullnameOf(release: string, chart: string, fullnameOverride: unknown, nameOverride: unknown): string {
  if (typeof fullnameOverride === 'string' && fullnameOverride !== '') return fullnameOverride;
  const name = typeof nameOverride === 'string' && nameOverride !== '' ? nameOverride : chart;
  return (release.includes(name) ? release : `${release}-${name}`).slice(0, 63).replace(/-$/, '');
}

/** A Kubernetes quantity as a site file writes it: `1.0` → `1`, `1.5` → `1500m`. */
function cpuOf(v: unknown): string | undefined {
  const s = text(v);
  if (s === undefined) return undefined;
  const n = Number(s);
  if (!Number.isNaN(n) && /^\d+(\.\d+)?$/.test(s)) return Number.isInteger(n) ? String(n) : `${Math.round(n * 1000)}m`;
  return s;
}

/** An nginx size (`100m`, `1g`, `512k`) as a Kubernetes size, when it is one. */
function nginxSize(v: unknown): string | undefined {
  const m = /^(\d+)([kKmMgG])$/.exec(String(v));
  return m && Number(m[1]) > 0 ? `${m[1]}${m[2].toUpperCase()}i` : undefined;
}

/**
 * Turns a Bitnami Discourse chart's values (the release's own choices, as
 * `helm get values` prints them) into a site file: the charm options under `config:`,
 * the database and Redis the release used, the uploads volume, the Ingress, resources,
 * replicas and extra env; the admin user as an add-admin-user operation. A credential is
 * never copied: it becomes a Secret reference (the chart's existingSecret and key names
 * when the values name one, else `<release>-<what>-password`, key `password`) and a note
 * says how to create it. What does not map (the image, plugins, the sidekiq container,
 * probes, security contexts, ports) becomes a note.
 */
export function fromBitnamiValues(input: string, options: BitnamiImportOptions = {}): BitnamiImport {
  const doc: unknown = parse(input) ?? {};
  if (!isObject(doc)) throw new Error('not a Helm values file: the top level is not a mapping');
  if ('settings' in doc && 'application' in doc) throw new Error('this is `juju config` output: use npm run from-juju');
  const release = options.release ?? 'discourse';
  if (!isDnsLabel(release)) throw new Error(`${JSON.stringify(release)} is not a Helm release name`);
  const namespace = options.namespace ?? release;
  if (!isDnsLabel(namespace)) throw new Error(`${JSON.stringify(namespace)} is not a namespace name`);
  const routing = options.routing ?? 'ingress';
  if (!['ingress', 'gateway'].includes(routing)) throw new Error(`--routing ${JSON.stringify(routing)} is not one of ingress, gateway`);

  const notes: string[] = [];
  const note = (s: string) => notes.push(s);
  const given = (path: string) => at(doc, path);
  /** The value the release ran with: the file's, else the chart's default. */
  const value = (path: string) => given(path) ?? BITNAMI_VALUES.find((r) => r.value === path)?.default;
  const fullname = fullnameOf(release, 'discourse', given('fullnameOverride'), given('nameOverride'));
  const newSecret = (name: string, target: string, from: string, chartSecret?: { name: string; key: string }): SecretRef => {
    const copy = chartSecret
      ? ` (or copy the chart's: kubectl -n ${namespace} get secret ${chartSecret.name} -o jsonpath='{.data.${chartSecret.key}}' | base64 -d)`
      : '';
    note(
      `${target}: create the Secret first (the value is not copied): kubectl -n ${namespace} create secret generic ${name} --from-literal=password='<${from}>'${copy}`,
    );
    return { secret: name, key: 'password' };
  };

  // The draft's sections, in the order of a site file (docs/getting-started.md#write-a-site-file).
  const site: Values = { namespace, replicas: undefined, resources: undefined, config: {}, database: undefined, redis: undefined };
  const config = site.config as Values;

  // Hostname: configmaps.yaml DISCOURSE_HOST is _helpers.tpl "discourse.host":
  // ingress.hostname when ingress.enabled, else host.
  const ingressOn = value('ingress.enabled') === true;
  const hostname = text(ingressOn ? value('ingress.hostname') : given('host'));
  if (hostname) config.external_hostname = hostname;
  else note('config.external_hostname: neither host nor ingress.hostname is set; set it (it defaults to the site name)');
  if (ingressOn && text(given('host')) && given('host') !== hostname)
    note(`host: the chart used ingress.hostname (${hostname}) as the hostname; host (${String(given('host'))}) is left out`);
  if (ingressOn && given('ingress.hostname') === undefined) note('ingress.hostname: the chart\'s default "discourse.local" is the hostname; check it');

  mapSmtp();
  const admin = mapAdmin();
  mapDatabase();
  mapRedis();
  mapPods();
  mapUploads();
  mapEnv();
  mapIngress();
  mapNetworkPolicy();
  reportUnmapped();
  note(
    'runtime: the chart ran Passenger on port 8080 as root, with a separate sidekiq container; the site runs Unicorn (Sidekiq inside it, as the charm does) on 3000 under Pebble as uid 584792: nothing to copy, but files you move must be readable by uid 584792',
  );
  note('image: the draft names none and synth refuses it until you add the Discourse rock (docs/image.md); the Bitnami image is not copied');
  // helm uninstall deletes what the release created: the uploads claim too, unless it is the user's own (existingClaim).
  const chartClaim = value('persistence.enabled') !== false && !text(given('persistence.existingClaim')) ? fullname : undefined;
  const uninstall = chartClaim
    ? `helm uninstall ${release} -n ${namespace} deletes the release's objects and with them its uploads claim ${chartClaim}, the uploads and backups on it (unless the claim has helm.sh/resource-policy: keep): uninstall only once they are copied and the site shows them`
    : `helm uninstall ${release} -n ${namespace} deletes the release's objects: uninstall only once the data is copied and the site runs`;
  note(
    `switching: while the release runs, its Ingress claims the same host and its pods use the same database. Safe first: stop its pods with kubectl -n ${namespace} scale deployment ${fullname} --replicas=0 (deletes nothing) before the site syncs; ${uninstall}; a site named ${fullname} would also take the names of its Deployment and Service`,
  );
  // Sections left empty are left out; the operations come last, as in a site file.
  const draft: Values = Object.fromEntries(Object.entries(site).filter(([, v]) => v !== undefined && !(isObject(v) && Object.keys(v).length === 0)));
  draft.operations = [admin];
  notes.push(...checked(draft));
  const header = [
    `# yaml-language-server: $schema=../${SCHEMA_FILE}`,
    `# Drafted by npm run from-bitnami from the values of Helm release ${release} (bitnami/discourse ${BITNAMI_CHART_VERSION}); read its notes.`,
    '# TODO image: the Discourse rock, not the Bitnami image (docs/image.md), e.g.',
    '# image: { repository: registry.example.com/discourse, tag: "<tag>", digest: "sha256:<digest>" }',
  ].join('\n');
  return { yaml: `${header}\n${stringify(draft, { lineWidth: 0 })}`, notes };

  function mapSmtp(): void {
    if (value('smtp.enabled') !== true) {
      if (['host', 'user', 'password', 'existingSecret'].some((k) => !isEmpty(given(`smtp.${k}`))))
        note('smtp: smtp.enabled is not true, so the chart sent no mail: smtp.* left out');
      return;
    }
    const host = text(given('smtp.host'));
    if (host) config.smtp_address = host;
    else note('smtp.host: empty with smtp.enabled; set config.smtp_address');
    const port = Number(text(given('smtp.port')));
    if (Number.isInteger(port) && port > 0) config.smtp_port = port;
    else note("smtp.port: empty (the Bitnami image refuses that); the charm's default is 587");
    const user = text(given('smtp.user'));
    if (user) config.smtp_username = user;
    // deployment.yaml: DISCOURSE_SMTP_PASSWORD from smtp.existingSecret (else the chart's
    // <fullname>-discourse Secret, secrets-discourse.yaml), key smtp-password.
    const existing = text(given('smtp.existingSecret'));
    if (existing) config.smtp_password = { secret: existing, key: 'smtp-password' };
    else if (!isEmpty(given('smtp.password')))
      config.smtp_password = newSecret(`${release}-smtp-password`, 'config.smtp_password', 'smtp.password', {
        name: `${fullname}-discourse`,
        key: 'smtp-password',
      });
    // libdiscourse.sh discourse_create_conf_file: smtp_enable_start_tls is true only for
    // protocol "tls"; the image sets no implicit TLS for "ssl" (Discourse's smtp_force_tls).
    const protocol = given('smtp.protocol') ?? '';
    if (protocol === 'ssl') {
      config.smtp_enable_start_tls = false;
      config.smtp_force_tls = true;
      note('smtp.protocol: ssl is implicit TLS (SMTPS): smtp_force_tls: true, smtp_enable_start_tls: false (the Bitnami image only turned STARTTLS off)');
    } else if (protocol === '') {
      config.smtp_enable_start_tls = false;
      note(
        "smtp.protocol: empty, so the Bitnami image turned STARTTLS off: smtp_enable_start_tls: false (the charm's default is true: drop the line to use STARTTLS)",
      );
    } else if (protocol !== 'tls') note(`smtp.protocol: ${JSON.stringify(protocol)} is not tls or ssl (the Bitnami image refuses it); left out`);
    const auth = given('smtp.auth') ?? '';
    if (auth === 'login' || auth === 'plain' || auth === 'cram_md5') config.smtp_authentication = auth;
    else if (auth === '' && user) {
      config.smtp_authentication = 'login';
      note('smtp.auth: empty, so the Bitnami image used login: smtp_authentication: login');
    } else if (auth !== '') note(`smtp.auth: ${JSON.stringify(auth)} is not login, plain or cram_md5; left out`);
  }

  function mapAdmin(): Values {
    // configmaps.yaml DISCOURSE_EMAIL; deployment.yaml DISCOURSE_PASSWORD from
    // auth.existingSecret (else <fullname>-discourse), key discourse-password.
    const email = String(value('auth.email'));
    const existing = text(given('auth.existingSecret'));
    const password = existing
      ? { secret: existing, key: 'discourse-password' }
      : newSecret(`${release}-admin-password`, 'operations[0].password', isEmpty(given('auth.password')) ? 'a new admin password' : 'auth.password', {
          name: `${fullname}-discourse`,
          key: 'discourse-password',
        });
    note(
      `operations: add-admin-user ${email}, the chart's admin (auth.*); it leaves an existing user alone, so it is harmless when you keep the database${given('auth.email') === undefined ? "; the e-mail is the chart's default: check it" : ''}`,
    );
    return { action: 'add-admin-user', email, password };
  }

  function mapDatabase(): void {
    if (value('postgresql.enabled') === true) {
      // _helpers.tpl: host "discourse.postgresql.fullname", port 5432, name and user from
      // (global.)postgresql.auth, Secret (global.)postgresql.auth.existingSecret or the
      // subchart's fullname, key "password".
      const pg = fullnameOf(release, 'postgresql', given('postgresql.fullnameOverride'), given('postgresql.nameOverride'));
      const auth = (k: string) => text(given(`global.postgresql.auth.${k}`)) ?? text(value(`postgresql.auth.${k}`));
      site.database = {
        host: pg,
        name: auth('database'),
        user: auth('username'),
        password: { secret: text(given('global.postgresql.auth.existingSecret')) ?? text(given('postgresql.auth.existingSecret')) ?? pg, key: 'password' },
      };
      note(
        `database: points at the chart's PostgreSQL subchart (Service and Secret ${pg}), which goes when the Helm release is uninstalled; to leave Helm, move the data (pg_dump, pg_restore) into database.cloudnativepg.create (docs/getting-started.md#in-cluster-postgresql-and-redis-optional-off-by-default) or a server of yours`,
      );
      return;
    }
    const host = text(value('externalDatabase.host'));
    const port = Number(text(value('externalDatabase.port')));
    const db: Values = { host, ...(port !== 5432 ? { port } : {}), name: text(value('externalDatabase.database')), user: text(value('externalDatabase.user')) };
    if (host === 'localhost') note("database.host: localhost (the chart's default) is the pod itself; set the server's host");
    const existing = text(given('externalDatabase.existingSecret'));
    if (existing) db.password = { secret: existing, key: text(value('externalDatabase.existingSecretPasswordKey')) ?? 'password' };
    else if (!isEmpty(given('externalDatabase.password')))
      db.password = newSecret(`${release}-database-password`, 'database.password', 'externalDatabase.password', {
        name: `${fullname}-database`,
        key: 'password',
      });
    else note('database.password: the chart passed an empty password; add database.password if the server wants one');
    site.database = db;
    // configmaps.yaml POSTGRESQL_CLIENT_CREATE_DATABASE_*: with externalDatabase.create the
    // image created the database and hstore, pg_trgm and vector as the postgres user.
    if (value('externalDatabase.create') === true)
      note(
        'database: the Bitnami image created the database and its extensions (externalDatabase.create); here it must exist (it does if you keep it); for a new one add database.extensions: { superuser_secret: <Secret with username and password> }',
      );
  }

  function mapRedis(): void {
    if (value('redis.enabled') === true) {
      // _helpers.tpl: host "<redis fullname>-master", port 6379, Secret redis.auth.existingSecret
      // or the subchart's fullname, key "redis-password" (when redis.auth.enabled).
      const name = fullnameOf(release, 'redis', given('redis.fullnameOverride'), given('redis.nameOverride'));
      const redis: Values = { host: `${name}-master` };
      if (value('redis.auth.enabled') === true) redis.password = { secret: text(given('redis.auth.existingSecret')) ?? name, key: 'redis-password' };
      site.redis = redis;
      note(
        `redis: points at the chart's Redis subchart (Service ${name}-master, Secret ${name}), which goes when the Helm release is uninstalled; redis.create runs a Valkey server for the site instead (Discourse keeps only caches and queues there)`,
      );
      return;
    }
    const port = Number(text(value('externalRedis.port')));
    const redis: Values = { host: text(value('externalRedis.host')), ...(port !== 6379 ? { port } : {}) };
    if (redis.host === 'localhost') note("redis.host: localhost (the chart's default) is the pod itself; set the server's host");
    const existing = text(given('externalRedis.existingSecret'));
    if (existing) redis.password = { secret: existing, key: text(value('externalRedis.existingSecretPasswordKey')) ?? 'redis-password' };
    else if (!isEmpty(given('externalRedis.password')))
      redis.password = newSecret(`${release}-redis-password`, 'redis.password', 'externalRedis.password', { name: `${fullname}-redis`, key: 'redis-password' });
    site.redis = redis;
  }

  function mapPods(): void {
    const replicas = given('replicaCount');
    if (replicas !== undefined) site.replicas = replicas;
    const resources = given('discourse.resources');
    const preset = given('discourse.resourcesPreset');
    if (isObject(resources) && !isEmpty(resources)) {
      const r = (k: string) => cpuOf(at(resources, k));
      const out = {
        cpu_request: r('requests.cpu'),
        cpu_limit: r('limits.cpu'),
        memory_request: text(at(resources, 'requests.memory')),
        memory_limit: text(at(resources, 'limits.memory')),
      };
      site.resources = Object.fromEntries(Object.entries(out).filter(([, v]) => v !== undefined));
    } else if (typeof preset === 'string' && preset !== 'none') {
      const p = RESOURCE_PRESETS[preset];
      if (p) {
        site.resources = { cpu_request: p[0], memory_request: p[1], cpu_limit: p[2], memory_limit: p[3] };
        note(`resources: from Bitnami's preset ${preset} (bitnami/common), which the chart says is not meant for production; size them for your forum`);
      } else note(`discourse.resourcesPreset: ${JSON.stringify(preset)} is not a Bitnami preset; left out`);
    }
    const nodeSelector = given('nodeSelector');
    if (isObject(nodeSelector) && !isEmpty(nodeSelector)) site.node_selector = nodeSelector;
    const priority = text(given('priorityClassName'));
    if (priority) site.priority_class_name = priority;
  }

  function mapUploads(): void {
    const uploads: Values = {};
    const size = text(given('persistence.size'));
    if (size) uploads.size = size;
    // common.storage.class (bitnami/common, _storage.tpl): persistence.storageClass, else
    // global.defaultStorageClass; "-" means none.
    const storageClass = text(given('persistence.storageClass')) ?? text(given('global.defaultStorageClass'));
    if (storageClass === '-') note('persistence.storageClass: "-" (no class) has no equivalent; the cluster default is used');
    else if (storageClass) uploads.storage_class = storageClass;
    const modes = given('persistence.accessModes');
    if (Array.isArray(modes) && modes.length > 0) {
      if (modes.includes('ReadWriteMany')) uploads.access_mode = 'ReadWriteMany';
      else if (modes.includes('ReadWriteOnce')) uploads.access_mode = 'ReadWriteOnce';
      else note(`persistence.accessModes: ${modes.join(', ')} has no equivalent (ReadWriteOnce or ReadWriteMany); left out`);
    }
    if (Object.keys(uploads).length > 0) site.uploads = uploads;
    if (value('persistence.enabled') === false)
      note(
        'persistence.enabled: false (an emptyDir: uploads lost at each restart) has no equivalent: the site keeps uploads on a volume, or in S3 (config.s3_*)',
      );
    else {
      // deployment.yaml: the claim (persistence.existingClaim or <fullname>) is mounted at
      // /bitnami/discourse with subPath discourse.
      const claim = text(given('persistence.existingClaim')) ?? fullname;
      note(
        `uploads: the forum's uploads and backups are on the chart's claim ${claim} (folder discourse/, under public/uploads and public/backups): copy them into the site's <site>-uploads volume (owned by uid 584792) or to S3 before switching`,
      );
    }
  }

  function mapIngress(): void {
    if (!ingressOn) {
      site.ingress = { enabled: false };
      note('ingress: the chart had none (ingress.enabled false); here the site has one by default: drop "enabled: false" to get it');
      return;
    }
    const ingress: Values = {};
    const className = text(given('ingress.ingressClassName'));
    if (className) ingress.class_name = className;
    const annotations: Record<string, string> = {};
    for (const [k, v] of Object.entries(isObject(given('ingress.annotations')) ? (given('ingress.annotations') as Values) : {})) annotations[k] = String(v);
    // ingress.yaml: a TLS section only with ingress.tls and a cert-manager annotation
    // (common.ingress.certManagerRequest) or selfSigned, or from extraTls.
    if (given('ingress.tls') === true) {
      if (annotations['cert-manager.io/cluster-issuer']) {
        ingress.tls = { cert_manager_cluster_issuer: annotations['cert-manager.io/cluster-issuer'] };
        delete annotations['cert-manager.io/cluster-issuer'];
      } else if (annotations['cert-manager.io/issuer']) {
        ingress.tls = { cert_manager_issuer: annotations['cert-manager.io/issuer'] };
        delete annotations['cert-manager.io/issuer'];
      } else if (annotations['kubernetes.io/tls-acme'])
        note("ingress.annotations: kubernetes.io/tls-acme used cert-manager's default issuer; name it in ingress.tls.cert_manager_cluster_issuer");
    }
    const extraTls = given('ingress.extraTls');
    if (Array.isArray(extraTls) && extraTls.length > 0) {
      const first = extraTls.find((t) => isObject(t) && text(t.secretName));
      if (!ingress.tls && isObject(first)) ingress.tls = { secret_name: first.secretName };
      if (extraTls.length > 1 || ingress.tls === undefined || !isObject(first) || (ingress.tls as Values).secret_name !== first.secretName)
        note('ingress.extraTls: one TLS Secret per site (ingress.tls.secret_name, for every host); the other entries are left out');
    }
    if (ingress.tls && config.force_https === undefined)
      note('config.force_https: the Ingress has TLS; set force_https: true to serve HTTPS only (SAML and OIDC need it)');
    const body = annotations['nginx.ingress.kubernetes.io/proxy-body-size'];
    if (body !== undefined && nginxSize(body)) {
      ingress.max_body_size = nginxSize(body);
      delete annotations['nginx.ingress.kubernetes.io/proxy-body-size'];
    }
    if (Object.keys(annotations).length > 0) ingress.annotations = annotations;
    const path = text(given('ingress.path'));
    if (path && path !== '/') ingress.paths = [path];
    const extraHosts = given('ingress.extraHosts');
    if (Array.isArray(extraHosts) && extraHosts.length > 0) {
      ingress.extra_hosts = extraHosts.map((h) => (isObject(h) ? String(h.name) : String(h)));
      if (extraHosts.some((h) => isObject(h) && text(h.path) && h.path !== '/'))
        note('ingress.extraHosts: their paths are not mapped: every host routes ingress.paths');
    }
    if (routing === 'gateway') site.gateway = asGateway(ingress);
    else if (Object.keys(ingress).length > 0) site.ingress = ingress;
  }

  /** The Ingress values as a gateway: section; what the Gateway's owner holds becomes notes. */
  function asGateway(ingress: Values): Values {
    const gateway: Values = {};
    note(
      'gateway.name: required: name the Gateway the route attaches to (kubectl get gateways -A), its namespace in gateway.namespace, and gateway.implementation (envoy-gateway, nginx-gateway-fabric, or standard for any other); its listeners are gateway.section_name (HTTPS, default https) and gateway.http_section_name (default http)',
    );
    if (ingress.class_name !== undefined)
      note(`ingress.ingressClassName (${String(ingress.class_name)}): no class on a route; the Gateway you name decides which implementation serves it`);
    const tls = ingress.tls as Values | undefined;
    if (tls?.cert_manager_cluster_issuer !== undefined || tls?.cert_manager_issuer !== undefined)
      note(
        `ingress.tls: the certificate belongs to the Gateway's HTTPS listener: annotate the Gateway with cert-manager.io/${tls.cert_manager_cluster_issuer !== undefined ? `cluster-issuer: ${String(tls.cert_manager_cluster_issuer)}` : `issuer: ${String(tls.cert_manager_issuer)}`} (cert-manager with config.enableGatewayAPI=true)`,
      );
    else if (tls?.secret_name !== undefined)
      note(
        `ingress.tls: the Secret ${String(tls.secret_name)} goes into the Gateway's HTTPS listener (certificateRefs; a ReferenceGrant in ${namespace} if the Gateway is elsewhere)`,
      );
    if (ingress.max_body_size !== undefined) gateway.max_body_size = ingress.max_body_size;
    if (ingress.extra_hosts !== undefined) gateway.extra_hosts = ingress.extra_hosts;
    if (ingress.paths !== undefined) note(`ingress.path: a route of the site serves every path; ${String((ingress.paths as string[])[0])} alone is not mapped`);
    if (ingress.annotations !== undefined)
      note(
        `ingress.annotations: not mapped (${Object.keys(ingress.annotations as Values).join(', ')}): a route has no annotations; use the implementation's policies`,
      );
    return gateway;
  }

  function mapNetworkPolicy(): void {
    const policy: Values = {};
    if (given('networkPolicy.enabled') === false) policy.enabled = false;
    else if (given('networkPolicy.allowExternalEgress') === false) policy.restrict_egress = true;
    if (Object.keys(policy).length > 0) site.network_policy = policy;
  }

  function mapEnv(): void {
    const env: Record<string, string> = {};
    const secretEnv: Record<string, SecretRef> = {};
    const vars = given('discourse.extraEnvVars');
    for (const entry of Array.isArray(vars) ? vars : []) {
      const name = isObject(entry) ? text(entry.name) : undefined;
      if (!name || !isObject(entry)) {
        note(`discourse.extraEnvVars: ${JSON.stringify(entry)} is not { name, value }; left out`);
        continue;
      }
      const ref = isObject(entry.valueFrom) ? entry.valueFrom.secretKeyRef : undefined;
      if (name === 'DISCOURSE_ENABLE_HTTPS') {
        // The Bitnami image's switch for HTTPS; the charm's is force_https.
        if (/^(yes|true|1)$/i.test(String(entry.value ?? ''))) config.force_https = true;
        note(`discourse.extraEnvVars: ${name} is the Bitnami image's; config.force_https is the charm's`);
      } else if (ENV_OPTIONS[name]) {
        // Discourse's own variable for a charm option (lib/model/environment.ts): the option.
        const option = ENV_OPTIONS[name];
        const spec = OPTIONS.find((o) => o.option === option);
        if (spec?.kind === 'secret') {
          config[option] =
            isObject(ref) && text(ref.name) && text(ref.key)
              ? { secret: String(ref.name), key: String(ref.key) }
              : newSecret(`${release}-${option.replace(/_/g, '-')}`, `config.${option}`, `the value of ${name}`);
        } else if (entry.valueFrom !== undefined) note(`discourse.extraEnvVars: ${name} comes from a reference; set config.${option} to its value`);
        else {
          const raw = String(entry.value ?? '');
          config[option] =
            spec?.kind === 'boolean' ? /^(yes|true|1)$/i.test(raw) : spec?.kind === 'integer' || typeof spec?.default === 'number' ? Number(raw) : raw;
        }
        note(`discourse.extraEnvVars: ${name} is config.${option} here`);
      } else if (BITNAMI_IMAGE_ENV.test(name)) note(`discourse.extraEnvVars: ${name} configured the Bitnami image's scripts, not Discourse; left out`);
      else if (MANAGED_ENV_PATTERNS.some((re) => re.test(name)))
        note(`discourse.extraEnvVars: ${name} is set from the typed options (docs/reference.md); left out`);
      else if (isObject(ref) && text(ref.name) && text(ref.key)) secretEnv[name] = { secret: String(ref.name), key: String(ref.key) };
      else if (entry.valueFrom !== undefined)
        note(`discourse.extraEnvVars: ${name} comes from ${Object.keys(entry.valueFrom as Values).join(', ')}, which has no equivalent; left out`);
      else if (SECRET_ENV_NAME.test(name)) {
        const secret = `${release}-env`;
        secretEnv[name] = { secret, key: name };
        note(
          `extra_secret_env.${name}: looks like a credential; create the Secret (the value is not copied): kubectl -n ${namespace} create secret generic ${secret} --from-literal=${name}='<its value>'`,
        );
      } else env[name] = String(entry.value ?? '');
    }
    if (Object.keys(env).length > 0) site.extra_env = env;
    if (Object.keys(secretEnv).length > 0) site.extra_secret_env = secretEnv;
  }

  /** Notes for values the file sets that are not mapped, and for values the chart does not have. */
  function reportUnmapped(): void {
    const noted = new Set<BitnamiValue>();
    const walk = (node: unknown, path: string): void => {
      if (path !== '' && !rowOf(path) && !BITNAMI_VALUES.some((r) => r.value.startsWith(`${path}.`))) {
        note(`${path}: not a value of bitnami/discourse ${BITNAMI_CHART_VERSION}; left out`);
        return;
      }
      if (isObject(node) && !isEmpty(node)) {
        for (const [k, v] of Object.entries(node)) walk(v, path === '' ? k : `${path}.${k}`);
        return;
      }
      const row = rowOf(path);
      if (!row || row.to || !row.note || noted.has(row) || isEmpty(node)) return;
      // A value equal to the chart's default is no choice of the user's.
      const fallback = path === row.value ? row.default : isObject(row.default) ? at(row.default, path.slice(row.value.length + 1)) : undefined;
      if (fallback === undefined ? node === false : JSON.stringify(fallback) === JSON.stringify(node)) return;
      noted.add(row);
      note(`${row.value}: not mapped: ${row.note}`);
    };
    walk(doc, '');
  }
}

/** The draft's problems as synth would report them (with a placeholder image), in the site file's words. */
function checked(site: Values): string[] {
  const draft = `image: registry.example.com/discourse:1.0\n${stringify(site, { lineWidth: 0 })}`;
  const { problems } = siteFromText(draft, 'draft');
  return problems
    .map((p) => translateProblem(p, SITE_FILE_NAMES))
    .filter((p) => !p.path.startsWith('image'))
    .map((p) => `${p.path}: ${p.message}${p.fix ? `. Fix: ${p.fix}` : ''} (synth would refuse it)`);
}

/** The table in docs/from-bitnami.md of the mapping, from BITNAMI_VALUES. */
export function bitnamiReference(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/</g, '&lt;');
  return [
    '| Bitnami value | site-file key | notes |',
    '|---|---|---|',
    ...BITNAMI_VALUES.map(
      (r) =>
        `| \`${r.value}\` | ${
          r.to
            ? r.to
                .split(', ')
                .map((k) => `\`${k}\``)
                .join(', ')
            : 'not mapped'
        } | ${cell(r.note ?? '')} |`,
    ),
  ].join('\n');
}
