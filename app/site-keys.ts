import { OPTIONS, charmOptionOf } from '../lib/model/config';
import { DEFAULTS } from '../lib/core/defaults';
import { Vocabulary } from '../lib/core/problems';

/**
 * Every key a site file may hold besides the charm options (`config:`, whose table is
 * OPTIONS in lib/model/config.ts), as data: the key, the prop it fills, its type, default and
 * doc. The reader takes its allowed keys and its scalar readers from here, the site
 * file's vocabulary (how problems name options) is derived from it, and so are the docs
 * and the JSON Schema for editors. A new top-level scalar key is one row here, its
 * mapping in the Discourse construct, and its test.
 */

/** How a value is written in a site file. */
export type SiteKeyType =
  | 'string'
  | 'integer'
  | 'boolean'
  | 'enum'
  | 'duration'
  | 'size'
  | 'cpu'
  | 'secret'
  | 'strings'
  | 'string-map'
  | 'secret-map'
  | 'section'
  | 'list'
  | 'charm-options';

/** One site-file key. */
export interface SiteKeySpec {
  /** Dotted path in the file: `image.pull_secrets`. */
  readonly key: string;
  /** The prop path it fills, when there is one: `imagePullSecrets`. @default - none (read by the section's reader) */
  readonly prop?: string;
  readonly type: SiteKeyType;
  /** Allowed values of an `enum`. @default - any */
  readonly values?: readonly string[];
  /** An `enum` that also takes `true` (its first value) and `false` (none). @default false */
  readonly orBoolean?: boolean;
  /** The default, as the docs show it. @default - none */
  readonly default?: string;
  /** Whether the file must have it. @default false */
  readonly required?: boolean;
  /** A section's string form, as a pattern (`image: registry/x:1.0`). @default - none */
  readonly shorthand?: RegExp;
  readonly doc: string;
}

/** `repository:tag[@digest]`: the string form of `image` (the tag is after the last ":" that follows the last "/"). */
export const IMAGE_REFERENCE = /^([^\s@]+):([^\s:/@]+)(?:@(\S+))?$/;

const d = DEFAULTS;

export const SITE_KEYS: readonly SiteKeySpec[] = [
  // The site itself.
  {
    key: 'name',
    type: 'string',
    default: 'the file name',
    doc: 'Site name: base name of every object and the app.kubernetes.io/instance label (at most 40 characters).',
  },
  { key: 'namespace', type: 'string', default: 'the site name', doc: 'Namespace of every object.' },
  { key: 'create_namespace', type: 'boolean', default: 'true', doc: 'Emit the Namespace with Pod Security "restricted" labels (never pruned).' },
  // The image and the pods.
  {
    key: 'image',
    type: 'section',
    required: true,
    shorthand: IMAGE_REFERENCE,
    doc: 'The Discourse image, no default (docs/image.md): { repository, tag, digest, pull_secrets } or the string repository:tag[@digest].',
  },
  { key: 'image.repository', prop: 'image.repository', type: 'string', required: true, doc: 'Registry and repository.' },
  { key: 'image.tag', prop: 'image.tag', type: 'string', required: true, doc: 'Version tag (not "latest"); also the app.kubernetes.io/version label.' },
  { key: 'image.digest', prop: 'image.digest', type: 'string', doc: 'sha256 digest that pins the exact image.' },
  { key: 'image.pull_secrets', prop: 'imagePullSecrets', type: 'strings', default: '[]', doc: 'Secrets for pulling from a private registry.' },
  {
    key: 'image.plugins',
    prop: 'image.plugins',
    type: 'list',
    default: '[]',
    doc: 'Plugins baked into this image at pinned commits (docs/image.md#plugins): synth writes the recipe to dist/images/<site>/; needs base and digest.',
  },
  {
    key: 'image.plugins.repo',
    prop: 'image.plugins.repo',
    type: 'string',
    required: true,
    doc: 'https URL of its Git repository; not one Discourse or the rock bundles.',
  },
  { key: 'image.plugins.commit', prop: 'image.plugins.commit', type: 'string', required: true, doc: 'Full 40-hex commit (no branch, tag or short hash).' },
  { key: 'image.base', prop: 'image.base', type: 'string', doc: 'With plugins: the rock they are baked onto, repository:tag@sha256:<digest>.' },
  {
    key: 'replicas',
    prop: 'replicas',
    type: 'integer',
    default: String(d.replicas),
    doc: 'Number of pods; above 1 needs S3 or a ReadWriteMany uploads volume.',
  },
  { key: 'autoscaling', type: 'section', doc: 'Scale on CPU with a HorizontalPodAutoscaler instead of replicas.' },
  { key: 'autoscaling.min_replicas', prop: 'autoscaling.minReplicas', type: 'integer', default: String(d.autoscalingMinReplicas), doc: 'Lower bound.' },
  { key: 'autoscaling.max_replicas', prop: 'autoscaling.maxReplicas', type: 'integer', required: true, doc: 'Upper bound.' },
  {
    key: 'autoscaling.cpu_utilization',
    prop: 'autoscaling.cpuUtilization',
    type: 'integer',
    default: String(d.autoscalingCpuUtilization),
    doc: 'Target average CPU, percent of the request.',
  },
  { key: 'resources', type: 'section', doc: 'Requests and limits of the Discourse container (Jobs use the same).' },
  { key: 'resources.cpu_request', prop: 'resources.cpuRequest', type: 'cpu', default: d.cpuRequest.amount, doc: 'CPU request.' },
  { key: 'resources.cpu_limit', prop: 'resources.cpuLimit', type: 'cpu', default: d.cpuLimit.amount, doc: 'CPU limit.' },
  { key: 'resources.memory_request', prop: 'resources.memoryRequest', type: 'size', default: '2Gi', doc: 'Memory request.' },
  { key: 'resources.memory_limit', prop: 'resources.memoryLimit', type: 'size', default: '4Gi', doc: 'Memory limit.' },
  { key: 'sidekiq', type: 'section', doc: 'Sidekiq in the web pods (embedded, as the charm) or as its own <site>-sidekiq Deployment (separate).' },
  {
    key: 'sidekiq.mode',
    prop: 'sidekiq.mode',
    type: 'enum',
    values: ['embedded', 'separate'],
    default: d.sidekiqMode,
    doc: 'separate: web pods run UNICORN_SIDEKIQS=0; needs S3 or ReadWriteMany uploads.',
  },
  { key: 'sidekiq.replicas', prop: 'sidekiq.replicas', type: 'integer', default: String(d.sidekiqReplicas), doc: 'Sidekiq pods (separate).' },
  { key: 'sidekiq.autoscaling', prop: 'sidekiq.autoscaling', type: 'section', doc: 'Scale the Sidekiq pods on CPU (separate).' },
  {
    key: 'sidekiq.autoscaling.min_replicas',
    prop: 'sidekiq.autoscaling.minReplicas',
    type: 'integer',
    default: String(d.sidekiqAutoscalingMinReplicas),
    doc: 'Lower bound.',
  },
  { key: 'sidekiq.autoscaling.max_replicas', prop: 'sidekiq.autoscaling.maxReplicas', type: 'integer', required: true, doc: 'Upper bound.' },
  {
    key: 'sidekiq.autoscaling.cpu_utilization',
    prop: 'sidekiq.autoscaling.cpuUtilization',
    type: 'integer',
    default: String(d.autoscalingCpuUtilization),
    doc: 'Target average CPU, percent of the request.',
  },
  {
    key: 'sidekiq.autoscaling.queue_latency',
    prop: 'sidekiq.queueLatencyScaling',
    type: 'section',
    doc: 'Also scale on queue latency with a KEDA ScaledObject (KEDA owns the HPA then).',
  },
  {
    key: 'sidekiq.autoscaling.queue_latency.prometheus_url',
    prop: 'sidekiq.queueLatencyScaling.prometheusUrl',
    type: 'string',
    default: d.kedaPrometheusUrl,
    doc: 'Prometheus that scrapes the site.',
  },
  {
    key: 'sidekiq.autoscaling.queue_latency.threshold_seconds',
    prop: 'sidekiq.queueLatencyScaling.thresholdSeconds',
    type: 'integer',
    default: String(d.sidekiqQueueLatencyThresholdSeconds),
    doc: "Seconds a queue's oldest job may wait before KEDA adds a pod.",
  },
  { key: 'sidekiq.resources', prop: 'sidekiq.resources', type: 'section', doc: 'Requests and limits of the Sidekiq container (separate).' },
  {
    key: 'sidekiq.resources.cpu_request',
    prop: 'sidekiq.resources.cpuRequest',
    type: 'cpu',
    default: d.sidekiqResources.cpuRequest.amount,
    doc: 'CPU request.',
  },
  { key: 'sidekiq.resources.cpu_limit', prop: 'sidekiq.resources.cpuLimit', type: 'cpu', default: d.sidekiqResources.cpuLimit.amount, doc: 'CPU limit.' },
  { key: 'sidekiq.resources.memory_request', prop: 'sidekiq.resources.memoryRequest', type: 'size', default: '1Gi', doc: 'Memory request.' },
  { key: 'sidekiq.resources.memory_limit', prop: 'sidekiq.resources.memoryLimit', type: 'size', default: '2Gi', doc: 'Memory limit.' },
  {
    key: 'sidekiq.max_memory',
    prop: 'sidekiq.maxMemory',
    type: 'size',
    default: 'config.sidekiq_max_memory (MiB)',
    doc: 'RSS above which Pebble restarts Sidekiq gracefully (separate); below the memory limit.',
  },
  { key: 'config', type: 'charm-options', doc: 'The discourse-k8s charm options, named as `juju config discourse-k8s` shows them.' },
  // Relations of the charm.
  {
    key: 'database',
    type: 'section',
    required: true,
    doc: 'PostgreSQL: exactly one of cloudnativepg, crunchy_pgo, zalando, secret, or host/port/name/user/password.',
  },
  { key: 'database.cloudnativepg', type: 'section', doc: 'A CloudNativePG Cluster: its <cluster>-app Secret.' },
  { key: 'database.cloudnativepg.cluster', prop: 'database.cluster', type: 'string', required: true, doc: 'Name of the Cluster.' },
  {
    key: 'database.cloudnativepg.manage_extensions',
    prop: 'databaseExtensions',
    type: 'boolean',
    default: 'false',
    doc: 'Declare hstore and pg_trgm with a CloudNativePG Database object.',
  },
  {
    key: 'database.cloudnativepg.database',
    prop: 'databaseExtensions.database',
    type: 'string',
    default: 'app',
    doc: 'Database name (with manage_extensions).',
  },
  { key: 'database.cloudnativepg.owner', prop: 'databaseExtensions.owner', type: 'string', default: 'app', doc: 'Database owner (with manage_extensions).' },
  {
    key: 'database.cloudnativepg.create',
    prop: 'postgresServer',
    type: 'section',
    doc: 'Create the CloudNativePG Cluster too (operator 1.27+): the database and owner discourse with hstore and pg_trgm.',
  },
  {
    key: 'database.cloudnativepg.create.instances',
    prop: 'postgresServer.instances',
    type: 'integer',
    default: String(d.cnpgCluster.instances),
    doc: 'PostgreSQL instances (primary and standbys).',
  },
  {
    key: 'database.cloudnativepg.create.storage_size',
    prop: 'postgresServer.storageSize',
    type: 'size',
    default: '10Gi',
    doc: 'Data volume of each instance (can grow, never shrink).',
  },
  {
    key: 'database.cloudnativepg.create.storage_class',
    prop: 'postgresServer.storageClass',
    type: 'string',
    default: 'the cluster default',
    doc: 'StorageClass.',
  },
  {
    key: 'database.cloudnativepg.create.image',
    prop: 'postgresServer.imageName',
    type: 'string',
    default: d.cnpgCluster.image,
    doc: 'PostgreSQL image, pinned.',
  },
  {
    key: 'database.cloudnativepg.create.resources',
    prop: 'postgresServer.resources',
    type: 'section',
    doc: 'Requests and limits (default 1 CPU, 1Gi, requests = limits).',
  },
  { key: 'database.cloudnativepg.create.resources.cpu_request', prop: 'postgresServer.resources.cpuRequest', type: 'cpu', doc: 'CPU request.' },
  { key: 'database.cloudnativepg.create.resources.cpu_limit', prop: 'postgresServer.resources.cpuLimit', type: 'cpu', doc: 'CPU limit.' },
  { key: 'database.cloudnativepg.create.resources.memory_request', prop: 'postgresServer.resources.memoryRequest', type: 'size', doc: 'Memory request.' },
  { key: 'database.cloudnativepg.create.resources.memory_limit', prop: 'postgresServer.resources.memoryLimit', type: 'size', doc: 'Memory limit.' },
  {
    key: 'database.cloudnativepg.create.backup',
    prop: 'postgresServer.backup',
    type: 'section',
    doc: 'Base backups and WAL archiving to S3-compatible storage.',
  },
  {
    key: 'database.cloudnativepg.create.backup.destination_path',
    prop: 'postgresServer.backup.destinationPath',
    type: 'string',
    required: true,
    doc: 's3://bucket/prefix.',
  },
  {
    key: 'database.cloudnativepg.create.backup.endpoint_url',
    prop: 'postgresServer.backup.endpointUrl',
    type: 'string',
    default: 'AWS S3',
    doc: 'S3 endpoint.',
  },
  {
    key: 'database.cloudnativepg.create.backup.access_key_id',
    prop: 'postgresServer.backup.accessKeyId',
    type: 'secret',
    required: true,
    doc: 'Access key id, from a Secret.',
  },
  {
    key: 'database.cloudnativepg.create.backup.secret_access_key',
    prop: 'postgresServer.backup.secretAccessKey',
    type: 'secret',
    required: true,
    doc: 'Secret access key, from a Secret.',
  },
  { key: 'database.cloudnativepg.create.backup.region', prop: 'postgresServer.backup.region', type: 'secret', doc: 'Region, from a Secret.' },
  {
    key: 'database.cloudnativepg.create.backup.retention_policy',
    prop: 'postgresServer.backup.retentionPolicy',
    type: 'string',
    default: d.cnpgCluster.retentionPolicy,
    doc: 'How long backups are kept: <n>d, <n>w or <n>m.',
  },
  {
    key: 'database.cloudnativepg.create.backup.schedule',
    prop: 'postgresServer.backup.schedule',
    type: 'string',
    default: d.cnpgCluster.schedule,
    doc: 'Six cron fields, seconds first.',
  },
  { key: 'database.crunchy_pgo', type: 'section', doc: 'A Crunchy PGO PostgresCluster: its <cluster>-pguser-<user> Secret.' },
  { key: 'database.crunchy_pgo.cluster', prop: 'database.cluster', type: 'string', required: true, doc: 'Name of the PostgresCluster.' },
  { key: 'database.crunchy_pgo.user', prop: 'database.user', type: 'string', required: true, doc: 'The PGO user.' },
  { key: 'database.zalando', type: 'section', doc: "A Zalando postgres-operator cluster: the operator's user Secret." },
  { key: 'database.zalando.cluster', prop: 'database.cluster', type: 'string', required: true, doc: 'Name of the postgresql object.' },
  { key: 'database.zalando.user', prop: 'database.user', type: 'string', required: true, doc: 'The database user.' },
  { key: 'database.zalando.database', prop: 'database.database', type: 'string', default: 'discourse', doc: 'Database name.' },
  { key: 'database.secret', type: 'section', doc: 'Any Secret holding the connection.' },
  { key: 'database.secret.name', prop: 'database.secret', type: 'string', required: true, doc: 'Name of the Secret.' },
  { key: 'database.secret.host_key', prop: 'database.hostKey', type: 'string', default: 'host', doc: 'Key of the host.' },
  { key: 'database.secret.port_key', prop: 'database.portKey', type: 'string', default: 'port', doc: 'Key of the port.' },
  { key: 'database.secret.database_key', prop: 'database.databaseKey', type: 'string', default: 'dbname', doc: 'Key of the database name.' },
  { key: 'database.secret.username_key', prop: 'database.usernameKey', type: 'string', default: 'username', doc: 'Key of the user name.' },
  { key: 'database.secret.password_key', prop: 'database.passwordKey', type: 'string', default: 'password', doc: 'Key of the password.' },
  { key: 'database.host', prop: 'database.host', type: 'string', doc: 'Host, with port, name, user and password.' },
  { key: 'database.port', prop: 'database.port', type: 'integer', default: String(d.postgresPort), doc: 'Port.' },
  { key: 'database.name', prop: 'database.database', type: 'string', default: 'discourse', doc: 'Database name.' },
  { key: 'database.user', prop: 'database.username', type: 'string', default: 'discourse', doc: 'User name.' },
  { key: 'database.password', prop: 'database.password', type: 'secret', doc: 'Password, from a Secret.' },
  { key: 'database.extensions', type: 'section', doc: 'Create hstore and pg_trgm with a superuser Job before migrations.' },
  {
    key: 'database.extensions.superuser_secret',
    prop: 'databaseExtensions.superuserSecret',
    type: 'string',
    required: true,
    doc: 'Secret with superuser credentials.',
  },
  { key: 'database.extensions.username_key', prop: 'databaseExtensions.usernameKey', type: 'string', default: 'username', doc: 'Key of the user name.' },
  { key: 'database.extensions.password_key', prop: 'databaseExtensions.passwordKey', type: 'string', default: 'password', doc: 'Key of the password.' },
  { key: 'database.extensions.psql_image', prop: 'databaseExtensions.psqlImage', type: 'string', default: d.psqlImage, doc: 'Image with psql.' },
  { key: 'database.extensions.names', prop: 'databaseExtensions.extensions', type: 'strings', default: '[hstore, pg_trgm]', doc: 'Extensions to create.' },
  { key: 'redis', type: 'section', required: true, doc: 'Redis (the charm’s redis relation).' },
  { key: 'redis.host', prop: 'redis.host', type: 'string', doc: 'Service name or host (or redis.create).' },
  { key: 'redis.create', prop: 'redisServer', type: 'section', doc: 'Run a Valkey server for the site (<site>-redis) instead of naming one.' },
  { key: 'redis.create.password', prop: 'redisServer.password', type: 'secret', required: true, doc: 'The password, from a Secret.' },
  { key: 'redis.create.image', prop: 'redisServer.image', type: 'string', default: d.redisServer.image, doc: 'Valkey image, pinned.' },
  {
    key: 'redis.create.exporter_image',
    prop: 'redisServer.exporterImage',
    type: 'string',
    default: d.redisServer.exporterImage,
    doc: 'redis_exporter image, pinned; runs beside Valkey when the site has monitoring.',
  },
  { key: 'redis.create.storage_size', prop: 'redisServer.storageSize', type: 'size', default: '2Gi', doc: 'Data volume (fixed once created).' },
  {
    key: 'redis.create.storage_class',
    prop: 'redisServer.storageClass',
    type: 'string',
    default: 'the cluster default',
    doc: 'StorageClass (fixed once created).',
  },
  { key: 'redis.create.resources', prop: 'redisServer.resources', type: 'section', doc: 'Requests and limits (default 100m/256Mi, limits 1 CPU/1Gi).' },
  { key: 'redis.create.resources.cpu_request', prop: 'redisServer.resources.cpuRequest', type: 'cpu', doc: 'CPU request.' },
  { key: 'redis.create.resources.cpu_limit', prop: 'redisServer.resources.cpuLimit', type: 'cpu', doc: 'CPU limit.' },
  { key: 'redis.create.resources.memory_request', prop: 'redisServer.resources.memoryRequest', type: 'size', doc: 'Memory request.' },
  {
    key: 'redis.create.resources.memory_limit',
    prop: 'redisServer.resources.memoryLimit',
    type: 'size',
    doc: 'Memory limit; Valkey holds at most half of it (maxmemory, noeviction), the rest is room for AOF rewrites.',
  },

  { key: 'redis.port', prop: 'redis.port', type: 'integer', default: String(d.redisPort), doc: 'Port.' },
  { key: 'redis.password', prop: 'redis.password', type: 'secret', doc: 'Password, from a Secret.' },
  { key: 'secret_key_base', prop: 'secretKeyBase', type: 'secret', doc: 'SECRET_KEY_BASE from a Secret, so sessions survive a Redis flush.' },
  { key: 'saml', type: 'section', doc: 'SAML identity provider (the charm’s saml relation).' },
  { key: 'saml.target_url', prop: 'saml.targetUrl', type: 'string', required: true, doc: "The IdP's SSO URL." },
  { key: 'saml.cert_fingerprint', prop: 'saml.certFingerprint', type: 'string', doc: 'SHA-1 fingerprint of the IdP certificate (or certificate).' },
  { key: 'saml.certificate', prop: 'saml.certFingerprint', type: 'string', doc: 'The IdP certificate (PEM); its fingerprint is computed.' },
  { key: 'oidc', type: 'section', doc: 'OpenID Connect (the charm’s oauth relation); needs force_https.' },
  { key: 'oidc.issuer_url', prop: 'oidc.issuerUrl', type: 'string', required: true, doc: 'Issuer URL.' },
  { key: 'oidc.client_id', prop: 'oidc.clientId', type: 'string', required: true, doc: 'Client id.' },
  { key: 'oidc.client_secret', prop: 'oidc.clientSecret', type: 'secret', required: true, doc: 'Client secret, from a Secret.' },
  { key: 'oidc.scope', prop: 'oidc.scope', type: 'string', default: 'openid email', doc: 'Scopes requested.' },
  { key: 'proxy', type: 'section', doc: 'HTTP proxy for outgoing requests.' },
  { key: 'proxy.http_proxy', prop: 'proxy.httpProxy', type: 'string', doc: 'Proxy for http:// URLs.' },
  { key: 'proxy.https_proxy', prop: 'proxy.httpsProxy', type: 'string', doc: 'Proxy for https:// URLs.' },
  { key: 'proxy.no_proxy', prop: 'proxy.noProxy', type: 'string', doc: 'Hosts that bypass the proxy.' },
  // Environment.
  {
    key: 'extra_env',
    prop: 'extraEnv',
    type: 'string-map',
    default: '{}',
    doc: 'More Discourse settings as plain env; managed and credential-like names are refused.',
  },
  { key: 'extra_secret_env', prop: 'extraSecretEnv', type: 'secret-map', default: '{}', doc: 'More env from Secrets.' },
  // Pebble and the pod.
  {
    key: 'metrics',
    prop: 'metrics',
    type: 'enum',
    values: ['exporter', 'plugin'],
    default: d.metrics,
    doc: 'exporter: collector on 9394; plugin: /metrics on 3000.',
  },
  { key: 'pebble', type: 'section', doc: 'Where Pebble comes from.' },
  {
    key: 'pebble.source',
    prop: 'pebble',
    type: 'enum',
    values: ['image', 'init-container'],
    default: 'image',
    doc: 'In the image, or copied in by an init container.',
  },
  { key: 'pebble.path', prop: 'pebble', type: 'string', default: '/bin/pebble', doc: 'Where the binary is (in the image or in pebble.image).' },
  { key: 'pebble.image', prop: 'pebble', type: 'string', doc: 'Image containing Pebble and cp (init-container).' },
  { key: 'pebble_health_port', prop: 'pebbleHealthPort', type: 'integer', default: String(d.pebbleHealthPort), doc: "Port of Pebble's HTTP API." },
  { key: 'kill_delay', prop: 'killDelay', type: 'duration', default: '20s', doc: 'Time Pebble gives Unicorn between SIGTERM and SIGKILL.' },
  { key: 'startup_timeout', prop: 'startupTimeout', type: 'duration', default: '10m', doc: 'How long one Unicorn boot may take.' },
  { key: 'uploads', type: 'section', doc: 'The uploads and backups volume, when S3 is off.' },
  { key: 'uploads.size', prop: 'uploads.size', type: 'size', default: '20Gi', doc: 'Size (can grow, never shrink).' },
  { key: 'uploads.storage_class', prop: 'uploads.storageClassName', type: 'string', default: 'the cluster default', doc: 'StorageClass.' },
  {
    key: 'uploads.access_mode',
    prop: 'uploads.accessMode',
    type: 'enum',
    values: ['ReadWriteOnce', 'ReadWriteMany'],
    default: d.uploadsAccessMode,
    doc: 'ReadWriteOnce forces one replica and Recreate.',
  },
  { key: 'loki_url', prop: 'lokiUrl', type: 'string', doc: 'Loki push URL for a Pebble log target (Pebble v1.6.0 or later).' },
  {
    key: 'otlp_logs_url',
    prop: 'otlpLogsUrl',
    type: 'string',
    doc: 'OpenTelemetry collector OTLP/HTTP base URL for a Pebble log target (Pebble v1.25.0 or later); not with loki_url.',
  },
  { key: 'network_policy', type: 'section', doc: "The site's NetworkPolicy." },
  { key: 'network_policy.enabled', prop: 'networkPolicy.enabled', type: 'boolean', default: 'true', doc: 'Emit it.' },
  {
    key: 'network_policy.ingress_namespace',
    prop: 'networkPolicy.ingressNamespace',
    type: 'string',
    default: d.ingressNamespace,
    doc: 'Namespace of the ingress controller.',
  },
  {
    key: 'network_policy.monitoring_namespace',
    prop: 'networkPolicy.monitoringNamespace',
    type: 'string',
    default: d.monitoringNamespace,
    doc: 'Namespace of Prometheus.',
  },
  {
    key: 'network_policy.restrict_egress',
    prop: 'networkPolicy.restrictEgress',
    type: 'boolean',
    default: 'false',
    doc: 'Also restrict egress to DNS and the ports the site uses.',
  },
  { key: 'read_only_root_filesystem', prop: 'readOnlyRootFilesystem', type: 'boolean', default: 'true', doc: 'Mount the root filesystem read-only.' },
  { key: 'writable_paths', prop: 'writablePaths', type: 'strings', default: '[]', doc: 'More paths that get a writable emptyDir.' },
  { key: 'node_selector', prop: 'nodeSelector', type: 'string-map', default: '{}', doc: 'Node labels the pods must match.' },
  { key: 'priority_class_name', prop: 'priorityClassName', type: 'string', default: 'the cluster default', doc: 'PriorityClass of the pods.' },
  { key: 'unicorn_workers', prop: 'unicornWorkers', type: 'integer', default: '3 (Discourse)', doc: 'Unicorn worker processes.' },
  {
    key: 'reload_on_secret_change',
    prop: 'reloadOnSecretChange',
    type: 'boolean',
    default: 'true',
    doc: 'Annotate the Deployment for Stakater Reloader with every Secret it reads.',
  },
  {
    key: 'migrations',
    prop: 'migrations',
    type: 'boolean',
    default: 'true',
    doc: 'Run the two-phase migration Jobs and hold web pods until the schema is current.',
  },
  { key: 'operations', prop: 'operations', type: 'list', default: '[]', doc: "The charm's actions, each run once per forum (a list of these keys)." },
  {
    key: 'operations.action',
    type: 'enum',
    values: ['create-user', 'add-admin-user', 'promote-user', 'anonymize-user'],
    required: true,
    doc: 'The charm action.',
  },
  { key: 'operations.email', type: 'string', doc: 'The user (create-user, add-admin-user, promote-user).' },
  { key: 'operations.admin', type: 'boolean', default: 'false', doc: 'create-user: make an admin.' },
  { key: 'operations.active', type: 'boolean', default: 'true', doc: 'create-user: activate the user.' },
  { key: 'operations.password', type: 'secret', doc: 'create-user, add-admin-user: the password, from a Secret.' },
  { key: 'operations.username', type: 'string', doc: 'anonymize-user: the username.' },
  {
    key: 'backups',
    prop: 'backups',
    type: 'section',
    default: 'the site settings as they are',
    doc: "Discourse's automatic backups, set by a site-setting Job after migrations (restore: npm run op -- <site> restore).",
  },
  {
    key: 'backups.to',
    prop: 'backups.to',
    type: 'enum',
    values: ['s3', 'volume'],
    required: true,
    doc: 's3: config.s3_backup_bucket; volume: <site>-backups.',
  },
  { key: 'backups.enabled', prop: 'backups.enabled', type: 'boolean', default: 'true', doc: 'automatic_backups_enabled.' },
  { key: 'backups.frequency', prop: 'backups.frequency', type: 'duration', default: '1d', doc: 'backup_frequency: whole days, 1d to 30d.' },
  { key: 'backups.time_of_day', prop: 'backups.timeOfDay', type: 'string', default: d.backups.timeOfDay, doc: 'backup_time_of_day: H:MM, UTC.' },
  { key: 'backups.keep', prop: 'backups.keep', type: 'integer', default: String(d.backups.keep), doc: 'maximum_backups: how many are kept.' },
  { key: 'backups.volume', prop: 'backups.volume', type: 'section', doc: 'The claim <site>-backups at public/backups (to: volume; never pruned).' },
  { key: 'backups.volume.size', prop: 'backups.volume.size', type: 'size', default: '50Gi', doc: 'keep × (database + uploads).' },
  {
    key: 'backups.volume.storage_class',
    prop: 'backups.volume.storageClassName',
    type: 'string',
    default: 'the cluster default',
    doc: 'StorageClass.',
  },
  {
    key: 'backups.volume.access_mode',
    prop: 'backups.volume.accessMode',
    type: 'enum',
    values: ['ReadWriteOnce', 'ReadWriteMany'],
    default: d.backups.volumeAccessMode,
    doc: 'ReadWriteMany for more than one pod.',
  },
  // Exposure, observability, delivery.
  { key: 'ingress', type: 'section', doc: 'The Ingress; { enabled: false } for none.' },
  { key: 'ingress.enabled', type: 'boolean', default: 'true', doc: 'Emit it.' },
  { key: 'ingress.class_name', prop: 'ingress.className', type: 'string', default: d.ingressClassName, doc: 'spec.ingressClassName.' },
  {
    key: 'ingress.controller',
    prop: 'ingress.controller',
    type: 'enum',
    values: ['ingress-nginx', 'generic'],
    default: d.ingressController,
    doc: 'Annotation dialect.',
  },
  {
    key: 'ingress.tls',
    prop: 'ingress.tls',
    type: 'section',
    default: 'plain HTTP',
    doc: 'Exactly one of secret_name, cert_manager_cluster_issuer, cert_manager_issuer.',
  },
  { key: 'ingress.tls.secret_name', prop: 'ingress.tls', type: 'string', doc: 'An existing kubernetes.io/tls Secret.' },
  { key: 'ingress.tls.cert_manager_cluster_issuer', prop: 'ingress.tls', type: 'string', doc: 'A cert-manager ClusterIssuer.' },
  { key: 'ingress.tls.cert_manager_issuer', prop: 'ingress.tls', type: 'string', doc: 'A cert-manager Issuer.' },
  { key: 'ingress.extra_hosts', prop: 'ingress.extraHosts', type: 'strings', default: '[]', doc: 'More hostnames of the same site.' },
  { key: 'ingress.paths', prop: 'ingress.paths', type: 'strings', default: "['/']", doc: 'Path prefixes routed to Discourse.' },
  { key: 'ingress.sticky_sessions', prop: 'ingress.stickySessions', type: 'boolean', default: 'true', doc: 'Sticky cookie, max-age 3600 s.' },
  { key: 'ingress.max_body_size', prop: 'ingress.maxBodySize', type: 'size', default: '20Mi', doc: 'Largest request body.' },
  { key: 'ingress.annotations', prop: 'ingress.annotations', type: 'string-map', default: '{}', doc: 'More annotations, merged last.' },
  {
    key: 'gateway',
    type: 'section',
    default: 'none (the Ingress)',
    doc: "A Gateway API HTTPRoute on the cluster's Gateway instead of the Ingress (not with ingress:, but with keep_ingress).",
  },
  { key: 'gateway.name', prop: 'gateway.gatewayName', type: 'string', required: true, doc: 'The Gateway the route attaches to.' },
  { key: 'gateway.namespace', prop: 'gateway.gatewayNamespace', type: 'string', default: "the site's namespace", doc: "The Gateway's namespace." },
  { key: 'gateway.section_name', prop: 'gateway.sectionName', type: 'string', default: d.gatewaySectionName, doc: 'Its HTTPS listener.' },
  {
    key: 'gateway.http_section_name',
    prop: 'gateway.httpSectionName',
    type: 'string',
    default: d.gatewayHttpSectionName,
    doc: 'Its plain-HTTP listener (the force_https redirect).',
  },
  {
    key: 'gateway.implementation',
    prop: 'gateway.implementation',
    type: 'enum',
    values: ['standard', 'envoy-gateway', 'nginx-gateway-fabric'],
    default: d.gatewayImplementation,
    doc: 'Whose policies to render beside the route.',
  },
  {
    key: 'gateway.experimental',
    prop: 'gateway.experimental',
    type: 'boolean',
    default: 'false',
    doc: 'Experimental channel: sessionPersistence on the route.',
  },
  { key: 'gateway.extra_hosts', prop: 'gateway.extraHosts', type: 'strings', default: '[]', doc: 'More hostnames of the same site.' },
  {
    key: 'gateway.sticky_sessions',
    prop: 'gateway.stickySessions',
    type: 'boolean',
    default: 'true',
    doc: 'Sticky cookie, max-age 3600 s, where the implementation has one.',
  },
  { key: 'gateway.max_body_size', prop: 'gateway.maxBodySize', type: 'size', default: '20Mi', doc: "Largest request body (the implementation's policy)." },
  {
    key: 'gateway.data_plane_namespace',
    prop: 'gateway.dataPlaneNamespace',
    type: 'string',
    default: "envoy-gateway-system for envoy-gateway, else the Gateway's namespace",
    doc: "The Gateway's proxy pods' namespace (NetworkPolicy).",
  },
  {
    key: 'gateway.data_plane_labels',
    prop: 'gateway.dataPlaneLabels',
    type: 'string-map',
    default: "the implementation's",
    doc: "The Gateway's proxy pods' labels (NetworkPolicy).",
  },
  {
    key: 'gateway.keep_ingress',
    type: 'boolean',
    default: 'false',
    doc: 'Render the Ingress too, for the one sync of a move from ingress: (then remove it).',
  },
  { key: 'monitoring', type: 'section', doc: 'ServiceMonitor, alerts and dashboards; { enabled: false } for none.' },
  { key: 'monitoring.enabled', type: 'boolean', default: 'true', doc: 'Emit them.' },
  {
    key: 'monitoring.prometheus_labels',
    prop: 'monitoring.prometheusLabels',
    type: 'string-map',
    default: 'release: kube-prometheus-stack',
    doc: 'Labels the Prometheus selectors want.',
  },
  { key: 'monitoring.interval', prop: 'monitoring.interval', type: 'string', default: d.scrapeInterval, doc: 'Scrape interval, at most 4m.' },
  { key: 'monitoring.scrape_timeout', prop: 'monitoring.scrapeTimeout', type: 'string', default: d.scrapeTimeout, doc: 'Scrape timeout.' },
  { key: 'monitoring.alerts', prop: 'monitoring.alerts', type: 'boolean', default: 'true', doc: 'Emit the PrometheusRule.' },
  {
    key: 'monitoring.dashboards',
    prop: 'monitoring.dashboards',
    type: 'enum',
    values: ['sidecar', 'grafana-operator'],
    orBoolean: true,
    default: d.dashboardCarrier,
    doc: 'How the two dashboards reach Grafana: sidecar (ConfigMaps for the Grafana sidecar), grafana-operator (GrafanaDashboard objects, Grafana Operator v5), or false (none); true is sidecar.',
  },
  {
    key: 'monitoring.dashboard_labels',
    prop: 'monitoring.dashboardLabels',
    type: 'string-map',
    default: 'grafana_dashboard: "1"',
    doc: 'sidecar: labels the Grafana sidecar watches for.',
  },
  {
    key: 'monitoring.dashboard_namespace',
    prop: 'monitoring.dashboardNamespace',
    type: 'string',
    default: 'the site namespace',
    doc: 'Namespace of the dashboard objects (a sidecar that watches only its own; an operator Grafana elsewhere needs grafana_allow_cross_namespace_import).',
  },
  {
    key: 'monitoring.grafana_instance_selector',
    prop: 'monitoring.grafanaInstanceSelector',
    type: 'string-map',
    doc: 'grafana-operator, required then: labels of the Grafana resources to import into (spec.instanceSelector.matchLabels; cannot change in place).',
  },
  {
    key: 'monitoring.grafana_folder',
    prop: 'monitoring.grafanaFolder',
    type: 'string',
    default: 'the namespace',
    doc: 'grafana-operator: title of the Grafana folder of the dashboards.',
  },
  {
    key: 'monitoring.grafana_allow_cross_namespace_import',
    prop: 'monitoring.grafanaAllowCrossNamespaceImport',
    type: 'boolean',
    default: 'false',
    doc: 'grafana-operator: also import into matching Grafana instances in other namespaces (turning it off again needs the GrafanaDashboards deleted).',
  },
  {
    key: 'monitoring.ingress_namespace_label',
    prop: 'monitoring.ingressNamespaceLabel',
    type: 'enum',
    values: ['exported_namespace', 'namespace'],
    default: d.ingressNamespaceLabel,
    doc: "The ingress-nginx metrics' namespace label.",
  },
  {
    key: 'monitoring.trusted_ip_allowlist_regex',
    prop: 'prometheusTrustedIpAllowlistRegex',
    type: 'string',
    doc: 'Plugin mode: client IPs besides private ones that may read /metrics.',
  },
  { key: 'gitops', type: 'section', doc: 'Argo CD and Flux objects for the site.' },
  { key: 'gitops.repo_url', prop: 'gitops.repoUrl', type: 'string', required: true, doc: 'Git URL of the repository holding dist/.' },
  { key: 'gitops.revision', prop: 'gitops.revision', type: 'string', default: d.gitRevision, doc: 'Branch, tag or commit.' },
  { key: 'gitops.path', prop: 'gitops.path', type: 'string', default: 'dist/<site>', doc: 'Folder of the site in the repository.' },
  { key: 'gitops.destination_server', prop: 'gitops.destinationServer', type: 'string', default: d.argocdDestinationServer, doc: 'Argo CD destination.' },
  { key: 'gitops.argocd', type: 'section', doc: 'The Argo CD Application.' },
  { key: 'gitops.argocd.enabled', prop: 'gitops.argocd', type: 'boolean', default: 'true', doc: 'Emit it.' },
  { key: 'gitops.argocd.namespace', prop: 'gitops.argocdNamespace', type: 'string', default: d.argocdNamespace, doc: "Argo CD's namespace." },
  { key: 'gitops.argocd.project', prop: 'gitops.argocdProject', type: 'string', default: d.argocdProject, doc: 'AppProject.' },
  { key: 'gitops.flux', type: 'section', doc: 'The Flux GitRepository and Kustomization.' },
  { key: 'gitops.flux.enabled', prop: 'gitops.flux', type: 'boolean', default: 'true', doc: 'Emit them.' },
  { key: 'gitops.flux.namespace', prop: 'gitops.fluxNamespace', type: 'string', default: d.fluxNamespace, doc: "Flux's namespace." },
  { key: 'gitops.flux.interval', prop: 'gitops.interval', type: 'string', default: d.fluxInterval, doc: 'Reconcile interval.' },
];

/** The keys a section may hold (`''` for the top level), from the table. */
export function sectionKeys(section: string): string[] {
  const depth = section === '' ? 0 : section.split('.').length;
  return SITE_KEYS.filter((k) => (section === '' ? true : k.key.startsWith(`${section}.`)) && k.key.split('.').length === depth + 1).map((k) =>
    k.key.split('.').pop()!,
  );
}

/** The row of a key. */
export function siteKey(key: string): SiteKeySpec {
  const spec = SITE_KEYS.find((k) => k.key === key);
  if (!spec) throw new Error(`no site key ${key} in SITE_KEYS`);
  return spec;
}

const SECTIONS = new Set(
  SITE_KEYS.filter((k) => ['section', 'list', 'charm-options', 'string-map', 'secret-map', 'secret'].includes(k.type)).map((k) => k.key),
);
const KEYS = new Set(SITE_KEYS.map((k) => k.key));

/**
 * Whether a path is already in the site file's words: a key of the table, or a key inside
 * one of its sections (an unknown key, a Secret reference's field, an env name). Renaming such a path
 * again would turn `gitops.argocd.bogus` into `gitops.argocd.enabled.bogus`.
 */
function isSiteKeyPath(path: string): boolean {
  const bare = path.replace(/\[\d+\]/g, '');
  if (KEYS.has(bare)) return true;
  const parent = bare.slice(0, Math.max(0, bare.lastIndexOf('.')));
  // A camelCase segment is a prop (`monitoring.scrapeTimeout`), not a key the user wrote.
  return SECTIONS.has(parent) && !/[a-z][A-Z]/.test(bare.slice(parent.length + 1));
}

const snake = (segment: string) => segment.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * Prop paths whose site-file key is not their snake_case spelling, longest first: the
 * renames the table implies (`imagePullSecrets` → `image.pull_secrets`). Where several
 * keys fill one prop (the TLS forms, the database forms), the section is named.
 */
const RENAMES: ReadonlyArray<readonly [string, string]> = (() => {
  const byProp = new Map<string, string[]>();
  for (const k of SITE_KEYS) if (k.prop) byProp.set(k.prop, [...(byProp.get(k.prop) ?? []), k.key]);
  const out: Array<readonly [string, string]> = [];
  for (const [prop, keys] of byProp) {
    const target = keys.length === 1 ? keys[0] : commonPrefix(keys);
    if (target !== prop.split('.').map(snake).join('.')) out.push([prop, target]);
  }
  return out.sort((a, b) => b[0].length - a[0].length);
})();

function commonPrefix(keys: readonly string[]): string {
  const parts = keys.map((k) => k.split('.'));
  const out: string[] = [];
  for (let i = 0; parts.every((p) => i < p.length && p[i] === parts[0][i]); i++) out.push(parts[0][i]);
  return out.join('.');
}

/**
 * The site file's words for a prop path: charm options under `config.` by their charm
 * name, renamed keys from the table, everything else in snake_case. Paths that are
 * already site-file keys (problems of the file's shape) pass through unchanged.
 */
export const SITE_FILE_NAMES: Vocabulary = {
  name(path: string): string {
    if (isSiteKeyPath(path)) return path;
    const [head, ...rest] = path.split('.');
    const bare = head.replace(/\[\d+\]$/, '');
    const option = charmOptionOf(bare);
    if (option !== undefined && OPTIONS.length > 0) return ['config', option + head.slice(bare.length), ...rest.map(snake)].join('.');
    for (const [prop, key] of RENAMES) {
      if (path === prop || path.startsWith(`${prop}.`)) return key + path.slice(prop.length).split('.').map(snake).join('.');
    }
    return path.split('.').map(snake).join('.');
  },
};
