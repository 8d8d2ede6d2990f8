import { readdirSync, readFileSync } from 'fs';
import { basename, dirname, join } from 'path';
import { Cpu } from 'cdk8s-plus-28';
import { Document, LineCounter, isScalar, parseDocument } from 'yaml';
import { configFromCharmOptions } from '../lib/model/config';
import { SecretKeyRef, isDnsLabel } from '../lib/core/checks';
import { OidcProps, samlCertFingerprint } from '../lib/model/environment';
import { PostgresConnection } from '../lib/model/database';
import { GitOpsProps } from '../lib/gitops/gitops';
import { DiscoursePlugin } from '../lib/model/image-recipe';
import { DiscourseGatewayRouteProps, GATEWAY_IMPLEMENTATIONS } from '../lib/routing/gateway-route';
import { DiscourseIngressProps, IngressTls } from '../lib/routing/ingress';
import { DASHBOARD_CARRIERS, DashboardCarrier, DiscourseMonitoringProps } from '../lib/observability/monitoring';
import { DatabaseExtensions } from '../lib/model/database-extensions';
import { Operation } from '../lib/model/operations';
import { Problem, show } from '../lib/core/problems';
import { AutoscalingProps, DiscourseProps, PebbleSource } from '../lib/model/props';
import { BackupProps } from '../lib/model/backups';
import { CloudNativePgClusterProps } from '../lib/data/cnpg-cluster';
import { DataServiceResources } from '../lib/data/data-resources';
import { RedisServerProps } from '../lib/data/redis-server';
import { movedOption, movedOptionProblem } from './charm-history';
import { Reader } from './reader';
import { IMAGE_REFERENCE, SITE_KEYS, SiteKeySpec, sectionKeys } from './site-keys';
import { syntaxProblems, withPositions } from './source-positions';

/** One site file, read and checked for shape (semantic rules run in resolveDiscourse). */
export interface SiteDescription {
  /** The file it came from, for messages. */
  readonly file: string;
  /** Site name: the `name` key or the file's base name. */
  readonly name: string;
  /** Namespace of every object. */
  readonly namespace: string;
  /** Emit the Namespace (restricted Pod Security labels, never pruned). */
  readonly createNamespace: boolean;
  /** Props for the Discourse construct. */
  readonly props: DiscourseProps;
  /** Ingress options; false when the site has `ingress: { enabled: false }`. */
  readonly ingress: DiscourseIngressProps | false;
  /** The Gateway API route, when the site has a `gateway:` section. */
  readonly gateway?: SiteGateway;
  /** Monitoring options; false when the site has `monitoring: { enabled: false }`. */
  readonly monitoring: DiscourseMonitoringProps | false;
  /** Argo CD / Flux objects for the site, when it has a `gitops:` section. */
  readonly gitops?: GitOpsProps;
  /** A CloudNativePG Cluster to create (`database.cloudnativepg.create`). */
  readonly postgresServer?: Omit<CloudNativePgClusterProps, 'site' | 'clusterName'>;
  /** A Valkey server to run (`redis.create`). */
  readonly redisServer?: Omit<RedisServerProps, 'site'>;
}

/** The `gateway:` section: the route's options, and whether the Ingress stays for the move. */
export interface SiteGateway extends DiscourseGatewayRouteProps {
  /** Render the Ingress too (both for one sync while moving from `ingress:`). */
  readonly keepIngress: boolean;
}

/** `gateway:`, and the Ingress it leaves: none, unless keep_ingress keeps it for the move. */
function gatewayOptions(r: Reader, value: unknown, ingressValue: unknown): SiteGateway | undefined {
  const p = 'gateway';
  const s = r.section(value, p, sectionKeys(p));
  if (!s) return undefined;
  const name = r.string(s.name, `${p}.name`);
  if (s.name === undefined || s.name === null)
    r.problems.push({ path: `${p}.name`, message: 'is required', fix: 'name the Gateway the route attaches to (kubectl get gateways -A)' });
  const keepIngress = r.boolean(s.keep_ingress, `${p}.keep_ingress`) ?? false;
  const ingressOn = ingressValue !== undefined && ingressValue !== null && (ingressValue as { enabled?: unknown }).enabled !== false;
  if (ingressOn && !keepIngress)
    r.problems.push({
      path: p,
      message: 'is set together with ingress: (a site is routed by one of them)',
      fix: 'remove ingress:, or set gateway.keep_ingress: true for the one sync of a move from the Ingress (see the README)',
    });
  return dropUndefined({
    gatewayName: name ?? '',
    gatewayNamespace: r.string(s.namespace, `${p}.namespace`),
    sectionName: r.string(s.section_name, `${p}.section_name`),
    httpSectionName: r.string(s.http_section_name, `${p}.http_section_name`),
    implementation: r.oneOf(s.implementation, `${p}.implementation`, GATEWAY_IMPLEMENTATIONS),
    experimental: r.boolean(s.experimental, `${p}.experimental`),
    extraHosts: r.stringList(s.extra_hosts, `${p}.extra_hosts`),
    stickySessions: r.boolean(s.sticky_sessions, `${p}.sticky_sessions`),
    maxBodySize: r.size(s.max_body_size, `${p}.max_body_size`),
    dataPlaneNamespace: r.string(s.data_plane_namespace, `${p}.data_plane_namespace`),
    dataPlaneLabels: r.stringMap(s.data_plane_labels, `${p}.data_plane_labels`),
    keepIngress,
  });
}

/** Requests and limits of a data service. */
function dataResources(r: Reader, value: unknown, path: string): DataServiceResources | undefined {
  const s = r.section(value, path, sectionKeys(path));
  if (!s) return undefined;
  return dropUndefined({
    cpuRequest: cpu(r, s.cpu_request, `${path}.cpu_request`),
    cpuLimit: cpu(r, s.cpu_limit, `${path}.cpu_limit`),
    memoryRequest: r.size(s.memory_request, `${path}.memory_request`),
    memoryLimit: r.size(s.memory_limit, `${path}.memory_limit`),
  });
}

/** `database.cloudnativepg.create`: the Cluster to create. */
function postgresServer(r: Reader, database: unknown): SiteDescription['postgresServer'] {
  const cnpg = (database as { cloudnativepg?: { create?: unknown } } | undefined)?.cloudnativepg;
  const p = 'database.cloudnativepg.create';
  const s = r.section(cnpg?.create, p, sectionKeys(p));
  if (!s) return undefined;
  const b = r.section(s.backup, `${p}.backup`, sectionKeys(`${p}.backup`));
  const backup = b
    ? dropUndefined({
        destinationPath: r.string(b.destination_path, `${p}.backup.destination_path`) ?? '',
        endpointUrl: r.string(b.endpoint_url, `${p}.backup.endpoint_url`),
        accessKeyId: r.secret(b.access_key_id, `${p}.backup.access_key_id`)!,
        secretAccessKey: r.secret(b.secret_access_key, `${p}.backup.secret_access_key`)!,
        region: r.secret(b.region, `${p}.backup.region`),
        retentionPolicy: r.string(b.retention_policy, `${p}.backup.retention_policy`),
        schedule: r.string(b.schedule, `${p}.backup.schedule`),
      })
    : undefined;
  return dropUndefined({
    instances: r.integer(s.instances, `${p}.instances`),
    storageSize: r.size(s.storage_size, `${p}.storage_size`),
    storageClass: r.string(s.storage_class, `${p}.storage_class`),
    imageName: r.string(s.image, `${p}.image`),
    resources: dataResources(r, s.resources, `${p}.resources`),
    backup,
  });
}

/** `redis.create`: the Valkey server to run; it then is the site's Redis. */
function redisServer(r: Reader, redis: Record<string, unknown> | undefined): SiteDescription['redisServer'] {
  const p = 'redis.create';
  const s = r.section(redis?.create, p, sectionKeys(p));
  if (!s) return undefined;
  for (const key of ['host', 'port', 'password'].filter((k) => redis?.[k] !== undefined)) {
    r.problems.push({
      path: `redis.${key}`,
      message: 'is set together with redis.create, which runs the server and sets it',
      fix: `remove redis.${key}, or remove redis.create to use your own server`,
    });
  }
  return dropUndefined({
    password: r.secret(s.password, `${p}.password`)!,
    image: r.string(s.image, `${p}.image`),
    exporterImage: r.string(s.exporter_image, `${p}.exporter_image`),
    storageSize: r.size(s.storage_size, `${p}.storage_size`),
    storageClass: r.string(s.storage_class, `${p}.storage_class`),
    resources: dataResources(r, s.resources, `${p}.resources`),
  });
}

/** `backups:`: Discourse's automatic backups. */
function backupOptions(r: Reader, value: unknown): BackupProps | undefined {
  const p = 'backups';
  const s = r.section(value, p, sectionKeys(p));
  if (!s) return undefined;
  const to = r.oneOf(s.to, `${p}.to`, ['s3', 'volume'] as const);
  if (s.to === undefined || s.to === null) r.problems.push({ path: `${p}.to`, message: 'is required', fix: 'write to: s3 (the backup bucket) or to: volume' });
  const v = r.section(s.volume, `${p}.volume`, sectionKeys(`${p}.volume`));
  const volume = v
    ? dropUndefined({
        size: r.size(v.size, `${p}.volume.size`),
        storageClassName: r.string(v.storage_class, `${p}.volume.storage_class`),
        accessMode: r.oneOf(v.access_mode, `${p}.volume.access_mode`, ['ReadWriteOnce', 'ReadWriteMany'] as const),
      })
    : undefined;
  const options = {
    enabled: r.boolean(s.enabled, `${p}.enabled`),
    frequency: r.duration(s.frequency, `${p}.frequency`),
    timeOfDay: r.string(s.time_of_day, `${p}.time_of_day`),
    keep: r.integer(s.keep, `${p}.keep`),
    volume,
  };
  return to === undefined ? undefined : dropUndefined({ to, ...options });
}

function ingressOptions(r: Reader, value: unknown): DiscourseIngressProps | false {
  const p = 'ingress';
  const s = r.section(value, p, sectionKeys(p)) ?? {};
  if (r.boolean(s.enabled, `${p}.enabled`) === false) return false;
  const tls = r.section(s.tls, `${p}.tls`, sectionKeys(`${p}.tls`));
  let ingressTls: IngressTls | undefined;
  if (tls) {
    const forms = ['secret_name', 'cert_manager_cluster_issuer', 'cert_manager_issuer'].filter((k) => tls[k] !== undefined);
    if (forms.length !== 1)
      r.problems.push({
        path: `${p}.tls`,
        message: forms.length === 0 ? 'names no certificate source' : `mixes ${forms.join(' and ')}`,
        fix: 'use exactly one of secret_name, cert_manager_cluster_issuer, cert_manager_issuer',
      });
    const secretName = r.string(tls.secret_name, `${p}.tls.secret_name`);
    const cluster = r.string(tls.cert_manager_cluster_issuer, `${p}.tls.cert_manager_cluster_issuer`);
    const issuer = r.string(tls.cert_manager_issuer, `${p}.tls.cert_manager_issuer`);
    ingressTls = secretName
      ? IngressTls.fromSecret(secretName)
      : cluster
        ? IngressTls.fromCertManager(cluster, 'ClusterIssuer')
        : issuer
          ? IngressTls.fromCertManager(issuer, 'Issuer')
          : undefined;
  }
  return dropUndefined({
    className: r.string(s.class_name, `${p}.class_name`),
    controller: r.oneOf(s.controller, `${p}.controller`, ['ingress-nginx', 'generic'] as const),
    tls: ingressTls,
    extraHosts: r.stringList(s.extra_hosts, `${p}.extra_hosts`),
    paths: r.stringList(s.paths, `${p}.paths`),
    stickySessions: r.boolean(s.sticky_sessions, `${p}.sticky_sessions`),
    maxBodySize: r.size(s.max_body_size, `${p}.max_body_size`),
    annotations: r.stringMap(s.annotations, `${p}.annotations`),
  });
}

/** `database.extensions` (superuser Job) or `database.cloudnativepg.manage_extensions` (CloudNativePG Database object). */
function extensionsOptions(r: Reader, value: unknown): DatabaseExtensions | undefined {
  const db = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const cnpg = (typeof db.cloudnativepg === 'object' && db.cloudnativepg !== null ? db.cloudnativepg : {}) as Record<string, unknown>;
  const ext = r.section(db.extensions, 'database.extensions', sectionKeys('database.extensions'));
  const managed = r.boolean(cnpg.manage_extensions, 'database.cloudnativepg.manage_extensions') ?? false;
  const database = r.string(cnpg.database, 'database.cloudnativepg.database');
  const owner = r.string(cnpg.owner, 'database.cloudnativepg.owner');
  for (const key of ['database', 'owner'].filter((k) => !managed && typeof cnpg[k] === 'string'))
    r.problems.push({
      path: `database.cloudnativepg.${key}`,
      message: 'is only used with manage_extensions: true',
      fix: "set manage_extensions: true, or remove it (the Cluster's own Secret names the database)",
    });
  if (ext && managed) {
    r.problems.push({
      path: 'database.extensions',
      message: 'is set while database.cloudnativepg.manage_extensions is true',
      fix: 'let CloudNativePG manage the extensions or run the superuser Job, not both',
    });
    return undefined;
  }
  if (managed) {
    return DatabaseExtensions.withCloudNativePgDatabase(dropUndefined({ database, owner }));
  }
  if (!ext) return undefined;
  const superuserSecret = r.string(ext.superuser_secret, 'database.extensions.superuser_secret');
  if (superuserSecret === undefined) {
    r.problems.push({
      path: 'database.extensions.superuser_secret',
      message: 'is required',
      fix: 'name the Secret with superuser credentials (CloudNativePG: <cluster>-superuser with enableSuperuserAccess)',
    });
    return undefined;
  }
  return DatabaseExtensions.withSuperuserJob(
    dropUndefined({
      superuserSecret,
      usernameKey: r.string(ext.username_key, 'database.extensions.username_key'),
      passwordKey: r.string(ext.password_key, 'database.extensions.password_key'),
      psqlImage: r.string(ext.psql_image, 'database.extensions.psql_image'),
      extensions: r.stringList(ext.names, 'database.extensions.names'),
    }),
  );
}

function autoscalingOptions(r: Reader, value: unknown): AutoscalingProps | undefined {
  const s = r.section(value, 'autoscaling', sectionKeys('autoscaling'));
  if (!s) return undefined;
  const maxReplicas = r.integer(s.max_replicas, 'autoscaling.max_replicas');
  if (maxReplicas === undefined) {
    r.problems.push({ path: 'autoscaling.max_replicas', message: 'is required', fix: 'write the most pods the autoscaler may run' });
    return undefined;
  }
  return dropUndefined({
    maxReplicas,
    minReplicas: r.integer(s.min_replicas, 'autoscaling.min_replicas'),
    cpuUtilization: r.integer(s.cpu_utilization, 'autoscaling.cpu_utilization'),
  });
}

/** `sidekiq:` (mode, replicas, autoscaling, resources, max_memory). */
function sidekiqOptions(r: Reader, value: unknown): DiscourseProps['sidekiq'] {
  const p = 'sidekiq';
  const s = r.section(value, p, sectionKeys(p));
  if (!s) return undefined;
  const a = r.section(s.autoscaling, `${p}.autoscaling`, sectionKeys(`${p}.autoscaling`));
  const maxReplicas = r.integer(a?.max_replicas, `${p}.autoscaling.max_replicas`);
  if (a && maxReplicas === undefined)
    r.problems.push({ path: `${p}.autoscaling.max_replicas`, message: 'is required', fix: 'write the most Sidekiq pods the autoscaler may run' });
  const res = r.section(s.resources, `${p}.resources`, sectionKeys(`${p}.resources`));
  const q = r.section(a?.queue_latency, `${p}.autoscaling.queue_latency`, sectionKeys(`${p}.autoscaling.queue_latency`));
  return dropUndefined({
    mode: r.oneOf(s.mode, `${p}.mode`, ['embedded', 'separate'] as const),
    queueLatencyScaling: q
      ? dropUndefined({
          prometheusUrl: r.string(q.prometheus_url, `${p}.autoscaling.queue_latency.prometheus_url`),
          thresholdSeconds: r.integer(q.threshold_seconds, `${p}.autoscaling.queue_latency.threshold_seconds`),
        })
      : undefined,
    replicas: r.integer(s.replicas, `${p}.replicas`),
    autoscaling:
      a && maxReplicas !== undefined
        ? dropUndefined({
            maxReplicas,
            minReplicas: r.integer(a.min_replicas, `${p}.autoscaling.min_replicas`),
            cpuUtilization: r.integer(a.cpu_utilization, `${p}.autoscaling.cpu_utilization`),
          })
        : undefined,
    resources: res
      ? dropUndefined({
          cpuRequest: cpu(r, res.cpu_request, `${p}.resources.cpu_request`),
          cpuLimit: cpu(r, res.cpu_limit, `${p}.resources.cpu_limit`),
          memoryRequest: r.size(res.memory_request, `${p}.resources.memory_request`),
          memoryLimit: r.size(res.memory_limit, `${p}.resources.memory_limit`),
        })
      : undefined,
    maxMemory: r.size(s.max_memory, `${p}.max_memory`),
  });
}

function secretMap(r: Reader, value: unknown, path: string): Record<string, SecretKeyRef> | undefined {
  const s = r.section(value, path, Object.keys((value as object | undefined) ?? {}));
  if (!s) return undefined;
  const out: Record<string, SecretKeyRef> = {};
  for (const [key, ref] of Object.entries(s)) {
    const checked = r.secret(ref, `${path}.${key}`);
    if (checked) out[key] = checked;
  }
  return out;
}

function oidcSettings(r: Reader, s: Record<string, unknown> | undefined): OidcProps | undefined {
  if (!s) return undefined;
  if (s.client_secret === undefined) {
    r.problems.push({ path: 'oidc.client_secret', message: 'is required', fix: 'write client_secret: { secret: <name>, key: <key> }' });
    return undefined;
  }
  const clientSecret = r.secret(s.client_secret, 'oidc.client_secret');
  if (!clientSecret) return undefined;
  return dropUndefined({
    issuerUrl: r.string(s.issuer_url, 'oidc.issuer_url') ?? '',
    clientId: r.string(s.client_id, 'oidc.client_id') ?? '',
    clientSecret,
    scope: r.string(s.scope, 'oidc.scope'),
  });
}

function gitopsOptions(r: Reader, value: unknown): GitOpsProps | undefined {
  const p = 'gitops';
  const s = r.section(value, p, sectionKeys(p));
  if (!s) return undefined;
  const argo = r.section(s.argocd, `${p}.argocd`, sectionKeys(`${p}.argocd`));
  const flux = r.section(s.flux, `${p}.flux`, sectionKeys(`${p}.flux`));
  const repoUrl = r.string(s.repo_url, `${p}.repo_url`);
  if (repoUrl === undefined) r.problems.push({ path: `${p}.repo_url`, message: 'is required', fix: 'write the Git URL of the repository holding dist/' });
  const options = dropUndefined<GitOpsProps>({
    repoUrl: repoUrl ?? '',
    revision: r.string(s.revision, `${p}.revision`),
    path: r.string(s.path, `${p}.path`),
    destinationServer: r.string(s.destination_server, `${p}.destination_server`),
    argocd: r.boolean(argo?.enabled, `${p}.argocd.enabled`),
    argocdNamespace: r.string(argo?.namespace, `${p}.argocd.namespace`),
    argocdProject: r.string(argo?.project, `${p}.argocd.project`),
    flux: r.boolean(flux?.enabled, `${p}.flux.enabled`),
    fluxNamespace: r.string(flux?.namespace, `${p}.flux.namespace`),
    interval: r.string(flux?.interval, `${p}.flux.interval`),
  });
  return options;
}

/** `image.plugins`: a list of { repo, commit }; the rules are checkImagePlugins'. */
function imagePlugins(r: Reader, value: unknown): DiscoursePlugin[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    r.problems.push({ path: 'image.plugins', message: `${show(value)} is not a list`, fix: 'write a YAML list of { repo: https://..., commit: <40 hex> }' });
    return undefined;
  }
  return value.map((item, i) => {
    const p = `image.plugins[${i}]`;
    const s = r.section(item, p, sectionKeys('image.plugins')) ?? {};
    for (const key of ['repo', 'commit'].filter((k) => s[k] === undefined || s[k] === null))
      r.problems.push({ path: `${p}.${key}`, message: 'is required', fix: 'write { repo: https://host/owner/name, commit: <40 hex> }' });
    return { repo: r.string(s.repo, `${p}.repo`) ?? '', commit: r.string(s.commit, `${p}.commit`) ?? '' };
  });
}

/** The keys each action takes in a site file. */
const OPERATION_FIELDS: Record<string, readonly string[]> = {
  'create-user': ['email', 'admin', 'active', 'password'],
  'add-admin-user': ['email', 'active', 'password'],
  'promote-user': ['email'],
  'anonymize-user': ['username'],
};

function operations(r: Reader, value: unknown): Operation[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    r.problems.push({ path: 'operations', message: `${show(value)} is not a list`, fix: 'write a YAML list of { action: ..., ... }' });
    return undefined;
  }
  const ops: Operation[] = [];
  value.forEach((item, i) => {
    const p = `operations[${i}]`;
    const s = r.section(item, p, sectionKeys('operations')) ?? {};
    const action = r.oneOf(s.action, `${p}.action`, ['create-user', 'add-admin-user', 'promote-user', 'anonymize-user'] as const);
    if (s.action === undefined || s.action === null)
      r.problems.push({ path: `${p}.action`, message: 'is required', fix: 'write action: create-user, add-admin-user, promote-user or anonymize-user' });
    // Every field is read (a wrong type is reported whatever the action), then the action's own are used.
    const fields = {
      email: r.string(s.email, `${p}.email`),
      admin: r.boolean(s.admin, `${p}.admin`),
      active: r.boolean(s.active, `${p}.active`),
      password: r.secret(s.password, `${p}.password`),
      username: r.string(s.username, `${p}.username`),
    };
    if (action === undefined) return;
    const used = OPERATION_FIELDS[action];
    for (const key of Object.keys(fields).filter((k) => s[k] !== undefined && s[k] !== null && !used.includes(k)))
      r.problems.push({ path: `${p}.${key}`, message: `is not used by ${action}`, fix: `remove it; ${action} takes ${used.join(', ')}` });
    if (action === 'create-user' || action === 'add-admin-user') {
      if (s.password === undefined) r.problems.push({ path: `${p}.password`, message: 'is required', fix: 'write password: { secret: <name>, key: <key> }' });
      if (fields.password)
        ops.push({
          action: 'create-user',
          email: fields.email ?? '',
          admin: action === 'add-admin-user' ? true : fields.admin,
          active: fields.active,
          password: fields.password,
        });
    } else if (action === 'promote-user') {
      ops.push({ action, email: fields.email ?? '' });
    } else {
      ops.push({ action, username: fields.username ?? '' });
    }
  });
  return ops;
}

/**
 * The `monitoring:` section: options of DiscourseMonitoring, and the plugin's
 * trusted-IP regex, which is a Discourse prop (it becomes an env variable of
 * the pods) but belongs with the other monitoring settings in a site file.
 */
function monitoringOptions(r: Reader, value: unknown): { options: DiscourseMonitoringProps | false; trustedIpRegex?: string } {
  const p = 'monitoring';
  const s = r.section(value, p, sectionKeys(p)) ?? {};
  const trustedIpRegex = r.string(s.trusted_ip_allowlist_regex, `${p}.trusted_ip_allowlist_regex`);
  if (r.boolean(s.enabled, `${p}.enabled`) === false) return { options: false, trustedIpRegex };
  const options = dropUndefined({
    prometheusLabels: r.stringMap(s.prometheus_labels, `${p}.prometheus_labels`),
    interval: r.string(s.interval, `${p}.interval`),
    scrapeTimeout: r.string(s.scrape_timeout, `${p}.scrape_timeout`),
    alerts: r.boolean(s.alerts, `${p}.alerts`),
    dashboards: dashboards(r, s.dashboards, `${p}.dashboards`),
    dashboardLabels: r.stringMap(s.dashboard_labels, `${p}.dashboard_labels`),
    dashboardNamespace: r.string(s.dashboard_namespace, `${p}.dashboard_namespace`),
    grafanaInstanceSelector: r.stringMap(s.grafana_instance_selector, `${p}.grafana_instance_selector`),
    grafanaFolder: r.string(s.grafana_folder, `${p}.grafana_folder`),
    grafanaAllowCrossNamespaceImport: r.boolean(s.grafana_allow_cross_namespace_import, `${p}.grafana_allow_cross_namespace_import`),
    ingressNamespaceLabel: r.oneOf(s.ingress_namespace_label, `${p}.ingress_namespace_label`, ['exported_namespace', 'namespace'] as const),
  });
  return { options, trustedIpRegex };
}

/** `monitoring.dashboards`: a carrier, or true (the sidecar, as it always meant) or false. */
function dashboards(r: Reader, value: unknown, path: string): DashboardCarrier | boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (value === undefined || value === null) return undefined;
  const carrier = DASHBOARD_CARRIERS.find((c) => c === value);
  if (carrier !== undefined) return carrier;
  const allowed = [...DASHBOARD_CARRIERS, 'true', 'false'].join(', ');
  r.problems.push({ path, message: `${show(value)} is not one of ${allowed}`, fix: `use one of ${allowed} (true is sidecar)` });
  return undefined;
}

function cpu(r: Reader, value: unknown, path: string): Cpu | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'number' && value > 0) return Cpu.units(value);
  const m = typeof value === 'string' ? /^(\d+)m$/.exec(value) : null;
  if (m && Number(m[1]) > 0) return Cpu.millis(Number(m[1]));
  // Kubernetes quantities are often quoted ("2", "0.5").
  if (typeof value === 'string' && /^\d+(\.\d+)?$/.test(value) && Number(value) > 0) return Cpu.units(Number(value));
  r.problems.push({ path, message: `${show(value)} is not a CPU amount`, fix: 'write e.g. 500m or 2' });
  return undefined;
}

function database(r: Reader, value: unknown): PostgresConnection | undefined {
  const db = r.section(value, 'database', sectionKeys('database'));
  if (!db) {
    r.problems.push({
      path: 'database',
      message: 'is required',
      fix: 'add database: { cloudnativepg: { cluster: <name> } } or another form (docs/reference.md)',
    });
    return undefined;
  }
  const forms = ['cloudnativepg', 'crunchy_pgo', 'zalando', 'secret', 'host'].filter((k) => db[k] !== undefined);
  // extensions is read by databaseExtensions(); it is not a connection form.
  if (forms.length !== 1) {
    r.problems.push({
      path: 'database',
      message: forms.length === 0 ? 'names no connection' : `mixes ${forms.join(' and ')}`,
      fix: 'use exactly one of cloudnativepg, crunchy_pgo, zalando, secret, or host/port/name/user/password',
    });
    return undefined;
  }
  if (db.cloudnativepg !== undefined) {
    const s = r.section(db.cloudnativepg, 'database.cloudnativepg', sectionKeys('database.cloudnativepg'));
    const cluster = r.string(s?.cluster, 'database.cloudnativepg.cluster');
    return cluster === undefined ? undefined : PostgresConnection.fromCloudNativePg(cluster);
  }
  if (db.crunchy_pgo !== undefined) {
    const s = r.section(db.crunchy_pgo, 'database.crunchy_pgo', sectionKeys('database.crunchy_pgo'));
    const cluster = r.string(s?.cluster, 'database.crunchy_pgo.cluster');
    const user = r.string(s?.user, 'database.crunchy_pgo.user');
    return cluster === undefined || user === undefined ? undefined : PostgresConnection.fromCrunchyPgo(cluster, user);
  }
  if (db.zalando !== undefined) {
    const s = r.section(db.zalando, 'database.zalando', sectionKeys('database.zalando'));
    const cluster = r.string(s?.cluster, 'database.zalando.cluster');
    const user = r.string(s?.user, 'database.zalando.user');
    return cluster === undefined || user === undefined
      ? undefined
      : PostgresConnection.fromZalandoPostgres(cluster, user, r.string(s?.database, 'database.zalando.database'));
  }
  if (db.secret !== undefined) {
    const p = 'database.secret';
    const s = r.section(db.secret, p, sectionKeys(p));
    const secret = r.string(s?.name, `${p}.name`);
    if (secret === undefined) return undefined;
    return PostgresConnection.fromSecret({
      secret,
      hostKey: r.string(s?.host_key, `${p}.host_key`),
      portKey: r.string(s?.port_key, `${p}.port_key`),
      databaseKey: r.string(s?.database_key, `${p}.database_key`),
      usernameKey: r.string(s?.username_key, `${p}.username_key`),
      passwordKey: r.string(s?.password_key, `${p}.password_key`),
    });
  }
  const host = r.string(db.host, 'database.host');
  const password = r.secret(db.password, 'database.password');
  if (password === undefined && db.password === undefined)
    r.problems.push({ path: 'database.password', message: 'is required with database.host', fix: 'write password: { secret: <name>, key: <key> }' });
  if (host === undefined || password === undefined) return undefined;
  return PostgresConnection.fromValues({
    host,
    port: r.integer(db.port, 'database.port'),
    database: r.string(db.name, 'database.name'),
    username: r.string(db.user, 'database.user'),
    password,
  });
}

/** A site file as parsed YAML, kept to point problems at their line and column. */
export interface SiteSource {
  readonly doc: Document;
  readonly lines: LineCounter;
}

/**
 * Reads a site file (`sites/<name>.yaml`). The `config:` section takes the charm's
 * option names verbatim; the other sections describe what Juju relations and
 * the pod spec provided. Returns every shape problem found, each at its line and column
 * when the file has its key.
 */
export function parseSite(text: string, file: string): { site?: SiteDescription; problems: Problem[]; source: SiteSource } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { uniqueKeys: true, lineCounter: lines });
  const source = { doc, lines };
  if (doc.errors.length > 0) return { problems: syntaxProblems(doc, lines, text), source };
  if (doc.contents === null || (isScalar(doc.contents) && (doc.contents.value === null || doc.contents.value === '')))
    return { problems: [emptyFile(file)], source };
  const { site, problems } = readSiteDocument(doc.toJS(), file);
  return { site, problems: withPositions(problems, doc, lines, (p) => p.path), source };
}

/** A site file with no keys: one problem saying so and what the least site holds, not one per missing key. */
function emptyFile(file: string): Problem {
  const name = basename(file).replace(/\.ya?ml$/, '');
  const dir = dirname(file);
  const newSite = `${dir === 'sites' || dir.endsWith('/sites') ? '' : `SITES_DIR=${dir} `}npm run new-site ${name}`;
  const required = SITE_KEYS.filter((k) => k.required && !k.key.includes('.')).map((k) => `${k.key}:`);
  return {
    path: '',
    message: `the file is empty (no keys): a site needs at least ${required.slice(0, -1).join(', ')} and ${required[required.length - 1]}`,
    fix: `write them (docs/getting-started.md#write-a-site-file), or delete this empty file and run ${newSite}, which writes a commented site file with them set`,
  };
}

/** `image: registry/discourse:3.4.2[@sha256:...]`, the string form of the image section. */
function imageFromReference(r: Reader, value: string): Record<string, unknown> | undefined {
  const m = IMAGE_REFERENCE.exec(value);
  if (!m) {
    r.problems.push({
      path: 'image',
      message: `${show(value)} is not an image reference repository:tag[@digest]`,
      fix: 'write image: registry/path/name:tag, or image: { repository: ..., tag: "..." }',
    });
    return undefined;
  }
  return { repository: m[1], tag: m[2], ...(m[3] !== undefined ? { digest: m[3] } : {}) };
}

function readSiteDocument(js: unknown, file: string): { site?: SiteDescription; problems: Problem[] } {
  const problems: Problem[] = [];
  const r = new Reader(problems);
  const raw = r.section(js ?? {}, '', sectionKeys('')) ?? {};
  const name = r.string(raw.name, 'name') ?? basename(file).replace(/\.ya?ml$/, '');
  const namespace = r.string(raw.namespace, 'namespace') ?? name;
  if (!isDnsLabel(namespace))
    problems.push({ path: 'namespace', message: `${show(namespace)} is not a namespace name`, fix: 'use at most 63 lowercase letters, digits and "-"' });

  const image = typeof raw.image === 'string' ? imageFromReference(r, raw.image) : r.section(raw.image, 'image', sectionKeys('image'));
  const resources = r.section(raw.resources, 'resources', sectionKeys('resources'));
  const config = r.section(raw.config, 'config', Object.keys((raw.config as object | undefined) ?? {}));
  const redis = r.section(raw.redis, 'redis', sectionKeys('redis'));
  if (!redis) problems.push({ path: 'redis', message: 'is required', fix: 'add redis: { host: <service>, port: 6379 }' });
  const saml = r.section(raw.saml, 'saml', sectionKeys('saml'));
  const oidc = r.section(raw.oidc, 'oidc', sectionKeys('oidc'));
  if (saml && (saml.cert_fingerprint === undefined) === (saml.certificate === undefined)) {
    problems.push({
      path: 'saml',
      message: 'needs exactly one of cert_fingerprint and certificate',
      fix: 'give the IdP certificate (PEM) or its SHA-1 fingerprint',
    });
  }
  const proxy = r.section(raw.proxy, 'proxy', sectionKeys('proxy'));
  const pebble = r.section(raw.pebble, 'pebble', sectionKeys('pebble'));
  const uploads = r.section(raw.uploads, 'uploads', sectionKeys('uploads'));
  const netpol = r.section(raw.network_policy, 'network_policy', sectionKeys('network_policy'));

  let pebbleSource: PebbleSource | undefined;
  if (pebble) {
    const source = r.oneOf(pebble.source ?? 'image', 'pebble.source', ['image', 'init-container'] as const);
    const path = r.string(pebble.path, 'pebble.path');
    if (source === 'init-container') {
      const pebbleImage = r.string(pebble.image, 'pebble.image');
      if (pebbleImage === undefined)
        problems.push({ path: 'pebble.image', message: 'is required with source: init-container', fix: 'name an image that contains Pebble and cp' });
      else pebbleSource = PebbleSource.fromInitContainer(pebbleImage, path);
    } else if (source === 'image') {
      if (pebble.image !== undefined)
        problems.push({ path: 'pebble.image', message: 'is only used with source: init-container', fix: 'remove it or set source: init-container' });
      pebbleSource = PebbleSource.fromImage(path);
    }
  }

  const props: DiscourseProps = {
    ...configFromCharmOptions(currentOptions(config ?? {}, problems), problems),
    ...topLevelScalars(r, raw),
    name,
    image: image
      ? {
          repository: r.string(image.repository, 'image.repository') ?? '',
          tag: r.string(image.tag, 'image.tag') ?? '',
          digest: r.string(image.digest, 'image.digest'),
          ...dropUndefined({ plugins: imagePlugins(r, image.plugins), base: r.string(image.base, 'image.base') }),
        }
      : // A missing image is reported once, by resolveDiscourse, with the way to get one.
        undefined!,
    autoscaling: autoscalingOptions(r, raw.autoscaling),
    resources: resources
      ? {
          cpuRequest: cpu(r, resources.cpu_request, 'resources.cpu_request'),
          cpuLimit: cpu(r, resources.cpu_limit, 'resources.cpu_limit'),
          memoryRequest: r.size(resources.memory_request, 'resources.memory_request'),
          memoryLimit: r.size(resources.memory_limit, 'resources.memory_limit'),
        }
      : undefined,
    database: database(r, raw.database)!,
    // With redis.create, the site's Redis is the server it runs (see resolveSite).
    redis:
      redis && redis.create === undefined
        ? { host: r.string(redis.host, 'redis.host')!, port: r.integer(redis.port, 'redis.port'), password: r.secret(redis.password, 'redis.password') }
        : undefined!,
    saml: saml
      ? {
          targetUrl: r.string(saml.target_url, 'saml.target_url') ?? '',
          certFingerprint:
            saml.certificate !== undefined
              ? samlCertFingerprint(r.string(saml.certificate, 'saml.certificate') ?? '')
              : (r.string(saml.cert_fingerprint, 'saml.cert_fingerprint') ?? ''),
        }
      : undefined,
    oidc: oidcSettings(r, oidc),
    proxy: proxy
      ? {
          httpProxy: r.string(proxy.http_proxy, 'proxy.http_proxy'),
          httpsProxy: r.string(proxy.https_proxy, 'proxy.https_proxy'),
          noProxy: r.string(proxy.no_proxy, 'proxy.no_proxy'),
        }
      : undefined,
    pebble: pebbleSource,
    uploads: uploads
      ? {
          size: r.size(uploads.size, 'uploads.size'),
          storageClassName: r.string(uploads.storage_class, 'uploads.storage_class'),
          accessMode: r.oneOf(uploads.access_mode, 'uploads.access_mode', ['ReadWriteOnce', 'ReadWriteMany'] as const),
        }
      : undefined,
    networkPolicy: netpol
      ? {
          enabled: r.boolean(netpol.enabled, 'network_policy.enabled'),
          ingressNamespace: r.string(netpol.ingress_namespace, 'network_policy.ingress_namespace'),
          monitoringNamespace: r.string(netpol.monitoring_namespace, 'network_policy.monitoring_namespace'),
          restrictEgress: r.boolean(netpol.restrict_egress, 'network_policy.restrict_egress'),
        }
      : undefined,
  };
  const databaseExtensions = extensionsOptions(r, raw.database);
  const gateway = gatewayOptions(r, raw.gateway, raw.ingress);
  // A gateway: site has no Ingress, but while keep_ingress keeps the one it had.
  const ingress = gateway && !gateway.keepIngress ? false : ingressOptions(r, raw.ingress);
  const { options: monitoring, trustedIpRegex } = monitoringOptions(r, raw.monitoring);
  const gitops = gitopsOptions(r, raw.gitops);
  const fullProps: DiscourseProps = {
    ...props,
    imagePullSecrets: r.stringList(image?.pull_secrets, 'image.pull_secrets'),
    operations: operations(r, raw.operations),
    backups: backupOptions(r, raw.backups),
    databaseExtensions,
    prometheusTrustedIpAllowlistRegex: trustedIpRegex,
    sidekiq: sidekiqOptions(r, raw.sidekiq),
  };
  const createNamespace = r.boolean(raw.create_namespace, 'create_namespace') ?? true;
  const dataServices = { postgresServer: postgresServer(r, raw.database), redisServer: redisServer(r, redis) };
  return {
    site: dropUndefined({ file, name, namespace, createNamespace, props: dropUndefined(fullProps), ingress, gateway, monitoring, gitops, ...dataServices }),
    problems,
  };
}

/** The `config:` section without the options that live elsewhere now, each reported with where it goes. */
function currentOptions(config: Record<string, unknown>, problems: Problem[]): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config).filter(([option, value]) => {
      const moved = movedOption(option);
      if (moved) problems.push(movedOptionProblem(option, value, moved));
      return moved === undefined;
    }),
  );
}

/** Top-level keys whose value fills one prop as it is: read by their type in SITE_KEYS. */
const SCALAR_TYPES = new Set(['string', 'integer', 'boolean', 'enum', 'duration', 'secret', 'strings', 'string-map', 'secret-map']);
const TOP_LEVEL_SCALARS = SITE_KEYS.filter((k) => !k.key.includes('.') && k.prop !== undefined && !k.prop.includes('.') && SCALAR_TYPES.has(k.type));

function readScalar(r: Reader, spec: SiteKeySpec, value: unknown): unknown {
  switch (spec.type) {
    case 'string':
      return r.string(value, spec.key);
    case 'integer':
      return r.integer(value, spec.key);
    case 'boolean':
      return r.boolean(value, spec.key);
    case 'enum':
      return r.oneOf(value, spec.key, spec.values ?? []);
    case 'duration':
      return r.duration(value, spec.key);
    case 'secret':
      return r.secret(value, spec.key);
    case 'strings':
      return r.stringList(value, spec.key);
    case 'string-map':
      return r.stringMap(value, spec.key);
    default:
      return secretMap(r, value, spec.key);
  }
}

function topLevelScalars(r: Reader, raw: Record<string, unknown>): Partial<DiscourseProps> {
  return Object.fromEntries(TOP_LEVEL_SCALARS.map((spec) => [spec.prop!, readScalar(r, spec, raw[spec.key])]));
}

/** Removes undefined entries so defaults apply and "unknown prop" checks see only what the file set. */
function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Every `*.yaml` in `dir`, sorted by name so output never depends on directory order. */
export function siteFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Reads a site file from disk. */
export function readSite(file: string): { site?: SiteDescription; problems: Problem[]; source: SiteSource } {
  return parseSite(readFileSync(file, 'utf8'), file);
}
