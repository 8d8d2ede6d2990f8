import { parseAllDocuments, stringify } from 'yaml';
import { Manifest } from '../lib/core/manifest';
import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { jobRole } from '../app/change-summary';
import { renderCharts, writeTreeAtomically } from '../app/output';
import { siteFromText } from '../app/resolve-site';
import { SITE_FILE_NAMES } from '../app/site-keys';
import { buildApp } from '../app/site-chart';
import { formatProblems } from '../lib/core/problems';
import { Json } from './fixtures';

/**
 * The day-2 matrix: a base site and the everyday changes users make to it, with the Jobs
 * each change runs again (docs/day-2.md's table). test/day2.test.ts checks each change
 * against our own rules; test/cluster/day2.test.ts applies each to the real API server.
 */

/** A site file as data; each change edits a deep copy. */
type Site = Json;

export const BASE: Site = {
  namespace: 'forum',
  image: { repository: 'registry.example.com/discourse', tag: '3.4.1', pull_secrets: ['registry-credentials'] },
  replicas: 1,
  config: {
    external_hostname: 'forum.example.com',
    force_https: true,
    developer_emails: 'admin@example.com',
    smtp_address: 'smtp.example.com',
    smtp_port: 587,
    smtp_domain: 'example.com',
    smtp_username: 'discourse',
    smtp_password: { secret: 'forum-smtp', key: 'password' },
    throttle_level: 'permissive',
    max_category_nesting: 2,
    sidekiq_max_memory: 1000,
  },
  database: { cloudnativepg: { cluster: 'forum-db', manage_extensions: true } },
  redis: { host: 'forum-redis', port: 6379, password: { secret: 'forum-redis', key: 'password' } },
  secret_key_base: { secret: 'forum-secret-key-base', key: 'secret-key-base' },
  uploads: { size: '20Gi' },
  ingress: { class_name: 'nginx', tls: { cert_manager_cluster_issuer: 'letsencrypt' }, max_body_size: '20Mi' },
  monitoring: { prometheus_labels: { release: 'kube-prometheus-stack' } },
  gitops: { repo_url: 'https://git.example.com/platform/sites.git' },
  operations: [{ action: 'add-admin-user', email: 'admin@example.com', password: { secret: 'forum-admin', key: 'password' } }],
};

/** S3 for uploads and backups: what several replicas need. */
export const S3 = {
  s3_enabled: true,
  s3_bucket: 'forum-uploads',
  s3_backup_bucket: 'forum-backups',
  s3_region: 'eu-west-1',
  s3_access_key_id: { secret: 'forum-s3', key: 'access-key-id' },
  s3_secret_access_key: { secret: 'forum-s3', key: 'secret-access-key' },
};
/** Day 0: the site creates its PostgreSQL and Redis. */
export const withDataServices = (s: Site): void => {
  s.database = { cloudnativepg: { cluster: 'forum-db', create: { instances: 2, storage_size: '20Gi' } } };
  s.redis = { create: { password: { secret: 'forum-redis', key: 'password' } } };
};
/** The site runs an image built from a recipe: the rock plus one plugin, pinned. */
export const withPlugins = (s: Site): void => {
  s.image.base = `registry.example.com/discourse:charmhub-r200@sha256:${'1'.repeat(64)}`;
  s.image.plugins = [{ repo: 'https://github.com/discourse/discourse-follow', commit: 'a'.repeat(40) }];
  s.image.digest = `sha256:${'2'.repeat(64)}`;
};
export const withS3 = (s: Site): void => {
  Object.assign(s.config, S3);
  delete s.uploads;
};
/** Dashboards through the Grafana Operator, for a Grafana labelled dashboards: grafana. */
export const withGrafanaOperator = (s: Site): void => {
  s.monitoring = { ...s.monitoring, dashboards: 'grafana-operator', grafana_instance_selector: { dashboards: 'grafana' } };
};
const LOKI_URL = 'http://loki-gateway.monitoring/loki/api/v1/push';
const OTLP_URL = 'http://alloy.monitoring:4318';
/** Discourse's backups on a claim of their own. */
export const withBackupVolume = (s: Site): void => {
  s.backups = { to: 'volume', volume: { size: '40Gi' } };
};

/** The site routed by an HTTPRoute on the cluster's Envoy Gateway instead of the Ingress. */
export const withGateway = (s: Site): void => {
  delete s.ingress;
  s.gateway = { name: 'eg', namespace: 'envoy-gateway-system', implementation: 'envoy-gateway' };
};
/** The first sync of the move from ingress: to gateway:, both rendered. */
export const withGatewayKeepingIngress = (s: Site): void => {
  s.gateway = { name: 'eg', namespace: 'envoy-gateway-system', implementation: 'envoy-gateway', keep_ingress: true };
};

/** Job kinds by what they do (the middle of their names). */
export type JobKind = 'migrate' | 'post-migrate' | 'force-https' | 's3-assets' | 'backup-config' | 'op-create' | 'op-promote' | 'op-anonymize';
export const ALL_RAILS_JOBS: JobKind[] = ['migrate', 'post-migrate', 'force-https', 'op-create'];

export interface Change {
  /** What a user does. */
  readonly name: string;
  /** The site before (default: BASE). */
  readonly from?: (s: Site) => void;
  readonly change: (s: Site) => void;
  /** Jobs that must get a new name (run again), going forward; every other Job keeps its name. */
  readonly reruns: readonly JobKind[];
  /** Findings the revert is expected to have, with the reason it is accepted. */
  readonly revertRefused?: { readonly field: string; readonly because: string };
}

export const CHANGES: readonly Change[] = [
  // Charm options, group by group.
  { name: 'throttle_level permissive → strict', change: (s) => (s.config.throttle_level = 'strict'), reruns: [] },
  {
    name: 'smtp_port 587 → 465 with implicit TLS',
    change: (s) => Object.assign(s.config, { smtp_port: 465, smtp_force_tls: true, smtp_enable_start_tls: false }),
    reruns: [],
  },
  { name: 'smtp password in another Secret', change: (s) => (s.config.smtp_password = { secret: 'forum-smtp-2', key: 'password' }), reruns: [] },
  { name: 'developer_emails', change: (s) => (s.config.developer_emails = 'admin@example.com,ops@example.com'), reruns: [] },
  { name: 'max_category_nesting 2 → 3', change: (s) => (s.config.max_category_nesting = 3), reruns: [] },
  { name: 'force_https true → false', change: (s) => (s.config.force_https = false), reruns: ['force-https'] },
  { name: 'sidekiq_max_memory 1000 → 2000', change: (s) => (s.config.sidekiq_max_memory = 2000), reruns: [] },
  { name: 'CORS origins', change: (s) => Object.assign(s.config, { cors_origin: 'https://app.example.com', augment_cors_origin: false }), reruns: [] },
  // The hostname is what Rails builds URLs from, in data migrations too.
  { name: 'external_hostname', change: (s) => (s.config.external_hostname = 'community.example.com'), reruns: ALL_RAILS_JOBS },
  // The image.
  { name: 'image tag 3.4.1 → 3.4.2', change: (s) => (s.image.tag = '3.4.2'), reruns: ALL_RAILS_JOBS },
  { name: 'image pinned by digest', change: (s) => (s.image.digest = `sha256:${'a'.repeat(64)}`), reruns: ALL_RAILS_JOBS },
  // A plugin is a new image: its migrations must run before the new pods serve.
  { name: 'plugins baked into a built image (digest of the build)', change: withPlugins, reruns: ALL_RAILS_JOBS },
  {
    name: 'a plugin added (image rebuilt, new digest)',
    from: withPlugins,
    change: (s) => {
      s.image.plugins.push({ repo: 'https://github.com/discourse/discourse-bbcode', commit: 'b'.repeat(40) });
      s.image.digest = `sha256:${'3'.repeat(64)}`;
    },
    reruns: ALL_RAILS_JOBS,
  },
  // Data services.
  { name: 'redis host', change: (s) => (s.redis.host = 'forum-redis-2'), reruns: ALL_RAILS_JOBS },
  { name: 'secret key base in another Secret', change: (s) => (s.secret_key_base = { secret: 'forum-skb-2', key: 'secret-key-base' }), reruns: ALL_RAILS_JOBS },
  { name: 'database CloudNativePG → an existing Secret', change: (s) => (s.database = { secret: { name: 'forum-pg' } }), reruns: ALL_RAILS_JOBS },
  { name: 'CloudNativePG extensions managed → not', change: (s) => (s.database.cloudnativepg.manage_extensions = false), reruns: [] },
  // Storage and scale.
  { name: 'S3 off → on (uploads and backups in buckets)', change: withS3, reruns: ['s3-assets'] },
  { name: 'S3 bucket renamed', from: withS3, change: (s) => (s.config.s3_bucket = 'forum-uploads-2'), reruns: ['s3-assets'] },
  { name: 'replicas 1 → 3 with S3', from: withS3, change: (s) => (s.replicas = 3), reruns: [] },
  {
    name: 'autoscaling on (and off, reverting)',
    from: withS3,
    change: (s) => {
      delete s.replicas;
      s.autoscaling = { min_replicas: 2, max_replicas: 5, cpu_utilization: 70 };
    },
    reruns: [],
  },
  // Sidekiq as its own workload: a new Deployment, the web layer's command; no Job reruns.
  // The post-deploy migration then also waits for the Sidekiq rollout: a new spec, a new Job (a no-op run).
  { name: 'sidekiq embedded → separate (and back)', from: withS3, change: (s) => (s.sidekiq = { mode: 'separate' }), reruns: ['post-migrate'] },
  {
    name: 'separate sidekiq replicas 1 → 3',
    from: (s) => (withS3(s), (s.sidekiq = { mode: 'separate' })),
    change: (s) => (s.sidekiq.replicas = 3),
    reruns: [],
  },
  {
    name: 'separate sidekiq autoscaling on (and off)',
    from: (s) => (withS3(s), (s.sidekiq = { mode: 'separate' })),
    change: (s) => (s.sidekiq = { mode: 'separate', autoscaling: { max_replicas: 4 } }),
    reruns: [],
  },
  {
    name: 'uploads volume grows 20Gi → 30Gi',
    change: (s) => (s.uploads.size = '30Gi'),
    reruns: [],
    revertRefused: { field: 'spec.resources.requests.storage', because: 'a claim cannot shrink: Kubernetes refuses it and so must the harness' },
  },
  {
    name: 'resources',
    change: (s) => (s.resources = { cpu_request: '1', cpu_limit: '3', memory_request: '3Gi', memory_limit: '6Gi' }),
    // One-shot Jobs run with the site's resources (migrations boot the whole app); each
    // rerun is a no-op: nothing is pending, operations find their record.
    reruns: [...ALL_RAILS_JOBS],
  },
  // Delivery and exposure.
  { name: 'ingress TLS cert-manager → existing Secret', change: (s) => (s.ingress.tls = { secret_name: 'forum-tls' }), reruns: [] },
  { name: 'ingress class', change: (s) => (s.ingress.class_name = 'nginx-internal'), reruns: [] },
  { name: 'metrics exporter → plugin', change: (s) => (s.metrics = 'plugin'), reruns: [] },
  { name: 'monitoring interval 30s → 1m', change: (s) => (s.monitoring.interval = '1m'), reruns: [] },
  { name: 'monitoring off', change: (s) => (s.monitoring = { enabled: false }), reruns: [] },
  // The Valkey exporter comes and goes with monitoring: a new container in the StatefulSet's template, a Service and a ServiceMonitor.
  {
    name: 'monitoring off with an in-cluster Valkey (its exporter leaves)',
    from: withDataServices,
    change: (s) => (s.monitoring = { enabled: false }),
    reruns: [],
  },
  // Dashboards between carriers: ConfigMaps ↔ GrafanaDashboards keep their names, so one kind leaves as the other comes.
  { name: 'dashboards sidecar → grafana-operator (and back)', change: withGrafanaOperator, reruns: [] },
  {
    name: 'dashboards grafana-operator → none (and back)',
    from: withGrafanaOperator,
    change: (s) => (s.monitoring = { ...s.monitoring, dashboards: false, grafana_instance_selector: undefined }),
    reruns: [],
  },
  {
    name: 'dashboards none → sidecar (true; and back)',
    from: (s) => (s.monitoring.dashboards = false),
    change: (s) => (s.monitoring.dashboards = true),
    reruns: [],
  },
  // Logs between targets: the layers' log-targets change, the pods roll, no Job runs again.
  { name: 'logs to Loki (and none again)', change: (s) => (s.loki_url = LOKI_URL), reruns: [] },
  {
    name: 'logs Loki → an OpenTelemetry collector (and back)',
    from: (s) => (s.loki_url = LOKI_URL),
    change: (s) => (delete s.loki_url, (s.otlp_logs_url = OTLP_URL)),
    reruns: [],
  },
  { name: 'logs OpenTelemetry collector → none (and back)', from: (s) => (s.otlp_logs_url = OTLP_URL), change: (s) => delete s.otlp_logs_url, reruns: [] },
  {
    name: 'logs Loki → OpenTelemetry with separate Sidekiq (both layers change)',
    from: (s) => (withS3(s), (s.sidekiq = { mode: 'separate' }), (s.loki_url = LOKI_URL)),
    change: (s) => (delete s.loki_url, (s.otlp_logs_url = OTLP_URL)),
    reruns: [],
  },
  { name: 'network policy restricts egress', change: (s) => (s.network_policy = { restrict_egress: true }), reruns: [] },
  { name: 'network policy off', change: (s) => (s.network_policy = { enabled: false }), reruns: [] },
  { name: 'gitops revision', change: (s) => (s.gitops.revision = 'release'), reruns: [] },
  // Pod settings.
  { name: 'kill_delay 20s → 40s', change: (s) => (s.kill_delay = '40s'), reruns: [] },
  { name: 'extra_env', change: (s) => (s.extra_env = { DISCOURSE_ENABLE_PERFORMANCE_HTTP_HEADERS: 'true' }), reruns: [] },
  { name: 'unicorn_workers', change: (s) => (s.unicorn_workers = 4), reruns: [] },
  { name: 'node_selector', change: (s) => (s.node_selector = { 'node-role.example.com/forum': 'true' }), reruns: ALL_RAILS_JOBS },
  // In-cluster data services (Day 0).
  // Same cluster name and the same Redis Service name and Secret: the Jobs' specs, and so
  // their names, do not change.
  { name: 'in-cluster PostgreSQL and Redis created (under the names the site already used)', change: withDataServices, reruns: [] },
  { name: 'CloudNativePG instances 2 → 3', from: withDataServices, change: (s) => (s.database.cloudnativepg.create.instances = 3), reruns: [] },
  {
    name: 'CloudNativePG storage grows 20Gi → 40Gi',
    from: withDataServices,
    change: (s) => (s.database.cloudnativepg.create.storage_size = '40Gi'),
    reruns: [],
    revertRefused: { field: 'spec.storage.size', because: "CloudNativePG's webhook refuses to shrink a Cluster's storage" },
  },
  {
    name: 'CloudNativePG backups on',
    from: withDataServices,
    change: (s) =>
      (s.database.cloudnativepg.create.backup = {
        destination_path: 's3://b/pg',
        access_key_id: { secret: 'bk', key: 'id' },
        secret_access_key: { secret: 'bk', key: 'key' },
      }),
    reruns: [],
  },
  { name: 'Valkey resources', from: withDataServices, change: (s) => (s.redis.create.resources = { memory_limit: '2Gi' }), reruns: [] },
  { name: 'Valkey image bump', from: withDataServices, change: (s) => (s.redis.create.image = 'docker.io/valkey/valkey:9.0.5'), reruns: [] },
  {
    name: 'Sidekiq scaled by KEDA on queue latency (from an HPA on CPU)',
    from: (s) => {
      withS3(s);
      s.sidekiq = { mode: 'separate', autoscaling: { min_replicas: 1, max_replicas: 4 } };
    },
    change: (s) => (s.sidekiq.autoscaling.queue_latency = { threshold_seconds: 20 }),
    reruns: [],
  },
  // Discourse's backups.
  { name: 'backups on, to a volume of their own', change: withBackupVolume, reruns: ['backup-config'] },
  { name: 'backups on, to the S3 backup bucket', from: withS3, change: (s) => (s.backups = { to: 's3' }), reruns: ['backup-config'] },
  {
    name: 'backup schedule daily → weekly at 1:00',
    from: withBackupVolume,
    change: (s) => Object.assign(s.backups, { frequency: '7d', time_of_day: '1:00' }),
    reruns: ['backup-config'],
  },
  { name: 'backups kept 5 → 10', from: withBackupVolume, change: (s) => (s.backups.keep = 10), reruns: ['backup-config'] },
  { name: 'automatic backups off', from: withBackupVolume, change: (s) => (s.backups.enabled = false), reruns: ['backup-config'] },
  {
    name: 'backups volume → S3 (with S3 for uploads)',
    from: withBackupVolume,
    change: (s) => {
      withS3(s);
      s.backups = { to: 's3' };
    },
    reruns: ['s3-assets', 'backup-config'],
  },
  {
    name: 'backups volume grows 40Gi → 80Gi',
    from: withBackupVolume,
    change: (s) => (s.backups.volume.size = '80Gi'),
    reruns: [],
    revertRefused: { field: 'spec.resources.requests.storage', because: 'a claim cannot shrink: Kubernetes refuses it and so must the harness' },
  },
  // Operations.
  {
    name: 'an operation added',
    change: (s) => s.operations.push({ action: 'promote-user', email: 'mod@example.com' }),
    reruns: ['op-promote'],
  },
  { name: 'an operation removed', change: (s) => (s.operations = []), reruns: [] },
  // Routing through a Gateway (README "Moving from ingress: to gateway:").
  { name: 'ingress → gateway, sync 1: the HTTPRoute beside the Ingress (keep_ingress)', change: withGatewayKeepingIngress, reruns: [] },
  { name: 'ingress → gateway, sync 2: the Ingress removed', from: withGatewayKeepingIngress, change: withGateway, reruns: [] },
  { name: 'gateway: external_hostname', from: withGateway, change: (s) => (s.config.external_hostname = 'community.example.com'), reruns: ALL_RAILS_JOBS },
  { name: 'gateway: an extra hostname', from: withGateway, change: (s) => (s.gateway.extra_hosts = ['www.forum.example.com']), reruns: [] },
  {
    name: 'gateway: policies off (implementation envoy-gateway → standard)',
    from: withGateway,
    change: (s) => (s.gateway.implementation = 'standard'),
    reruns: [],
  },
  {
    name: 'gateway: implementation envoy-gateway → nginx-gateway-fabric',
    from: withGateway,
    change: (s) => Object.assign(s.gateway, { implementation: 'nginx-gateway-fabric', namespace: 'nginx-gateway' }),
    reruns: [],
  },
  { name: 'gateway: experimental channel on (sessionPersistence)', from: withGateway, change: (s) => (s.gateway.experimental = true), reruns: [] },
  { name: 'gateway: body limit 20Mi → 100Mi', from: withGateway, change: (s) => (s.gateway.max_body_size = '100Mi'), reruns: [] },
];

/** The site's rendering as synth writes it: file path → text. */
export function renderTree(site: Site): Map<string, string> {
  const { resolved: description, problems } = siteFromText(stringify(site), 'sites/forum.yaml');
  if (!description) throw new Error(formatProblems('sites/forum.yaml', problems, SITE_FILE_NAMES));
  const { charts, gitops } = buildApp([description]);
  return renderCharts(charts, gitops);
}

export function render(site: Site): Map<string, Manifest> {
  const out = new Map<string, Manifest>();
  for (const [path, text] of renderTree(site)) {
    if (!path.endsWith('.yaml') || path.endsWith('kustomization.yaml')) continue;
    for (const doc of parseAllDocuments(text)) {
      const m = doc.toJS() as Manifest;
      out.set(`${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`, m);
    }
  }
  return out;
}

export const copy = (s: Site): Site => structuredClone(s);
export const jobKinds = (ms: Map<string, Manifest>) =>
  new Map([...ms.values()].filter((m) => m.kind === 'Job').map((m) => [jobRole('forum', m.metadata.name), m.metadata.name]));

/** The site's own folder of a rendering (no gitops/), written to a temporary dist/; returns the folder. */
export function writeSiteFolder(site: Site, prefix: string): string {
  const dist = join(mkdtempSync(join(tmpdir(), prefix)), 'dist');
  writeTreeAtomically(dist, new Map([...renderTree(site)].filter(([p]) => p.startsWith('forum/'))));
  return join(dist, 'forum');
}
