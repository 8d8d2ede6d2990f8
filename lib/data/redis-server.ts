import { Size, SizeRoundingBehavior } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import { ServiceMonitor, ServiceMonitorSpecEndpointsScheme } from '../../imports/monitoring.coreos.com';
import { SKIP_DRY_RUN_ON_MISSING_CRD } from '../core/annotations';
import { SecretKeyRef, isDnsLabel } from '../core/checks';
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
import { Problem, show } from '../core/problems';
import { DEFAULTS } from '../core/defaults';
import { sizeQuantity } from '../core/units';
import { containerSecurityContext } from '../core/security-context';
import { RedisConnection, redisMetricsJob } from '../model/redis';

/**
 * The official Valkey image, pinned. Valkey is the Linux Foundation's BSD-3-Clause fork of
 * Redis 7.2.4, made when Redis moved to RSALv2/SSPL (7.4); it speaks the same protocol and
 * reads the same AOF/RDB files, so Discourse's redis gem sees a Redis server. 9.0.4 is the
 * newest patch of the newest line with patch releases (valkey-container versions.json).
 */
export const VALKEY_IMAGE = DEFAULTS.redisServer.image;

/** The `valkey` user and group of the official image (`useradd -r -g valkey -u 999` in its Dockerfile). */
export const VALKEY_UID = 999;

/** The port Discourse connects to. */
export const REDIS_PORT = 6379;

/**
 * The password's env var. Kubernetes expands `$(VALKEYCLI_AUTH)` in the server's args, so the
 * manifest holds only the reference; valkey-cli reads the same variable (src/valkey-cli.c,
 * CLI_AUTH_ENV), which lets the readiness probe authenticate without the password in argv.
 */
const PASSWORD_ENV = 'VALKEYCLI_AUTH';

/** The exporter's port (its default listen address, :9121). */
export const REDIS_EXPORTER_PORT = 9121;

/** The user and group of the exporter image (`USER 59000:59000` in its Dockerfile). */
export const REDIS_EXPORTER_UID = 59000;

/** Prometheus scraping the server through redis_exporter, beside it in the pod. */
export interface RedisServerMetricsProps {
  /** Namespace Prometheus scrapes from: the NetworkPolicy admits it to the exporter's port only. */
  readonly monitoringNamespace: string;
  /**
   * Labels Prometheus selects ServiceMonitors by.
   * @default {}
   */
  readonly prometheusLabels?: Readonly<Record<string, string>>;
  /**
   * Scrape interval.
   * @default '30s'
   */
  readonly interval?: string;
  /**
   * Scrape timeout.
   * @default '10s'
   */
  readonly scrapeTimeout?: string;
}

/** Defaults of {@link RedisServerProps}, in one place. */
/** Defaults of the Valkey server (they live in DEFAULTS). */
export const REDIS_SERVER_DEFAULTS = DEFAULTS.redisServer;

/** How Discourse reaches the server these props describe: pass it as the site's `redis`. */
export function redisConnectionOf(props: RedisServerProps): RedisConnection {
  const r = resolveRedisServer(props);
  return { host: r.serviceName, port: REDIS_PORT, password: r.password };
}

/** A single Valkey server with persistence, for one Discourse site. */
export interface RedisServerProps {
  /** The site's name: names the objects `<site>-redis` and selects the site's pods as its only clients. */
  readonly site: string;
  /** The password clients must send (`requirepass`), from a Secret. */
  readonly password: SecretKeyRef;
  /**
   * Name of the StatefulSet and of the ClusterIP Service Discourse connects to.
   * @default `${site}-redis`
   */
  readonly serviceName?: string;
  /**
   * Valkey (or Redis) image, pinned by tag.
   * @default VALKEY_IMAGE
   */
  readonly image?: string;
  /**
   * Size of the data volume (AOF and snapshots). Kubernetes refuses to change a StatefulSet's
   * volumeClaimTemplates: changing it later means resizing the PVC by hand and recreating the
   * StatefulSet with `kubectl delete statefulset --cascade=orphan`.
   * @default Size.gibibytes(2)
   */
  readonly storageSize?: Size;
  /**
   * StorageClass of the data volume; like the size, fixed once the StatefulSet exists.
   * @default - the cluster's default StorageClass
   */
  readonly storageClass?: string;
  /**
   * Requests and limits of the Valkey container. Valkey's `maxmemory` is half the memory limit
   * (see {@link redisMaxMemoryBytes}): the other half is room for the fork of an AOF rewrite,
   * which can touch as much memory again as the data set. Raising the limit restarts the pod.
   * @default - 100m and 256Mi requested, 1 CPU and 1Gi limit
   */
  readonly resources?: DataServiceResources;
  /**
   * Extra labels on every object (e.g. the site's common labels); the selector labels win.
   * @default {}
   */
  readonly labels?: Readonly<Record<string, string>>;
  /**
   * The redis_exporter image, pinned (used with `metrics`).
   * @default 'docker.io/oliver006/redis_exporter:v1.88.0'
   */
  readonly exporterImage?: string;
  /**
   * Metrics for Prometheus: a redis_exporter container in the pod, a `<serviceName>-metrics`
   * Service and a ServiceMonitor. The site sets it when it has `monitoring`, and its alerts
   * then watch the server (up, memory against `maxmemory`, persistence).
   * @default - no exporter
   */
  readonly metrics?: RedisServerMetricsProps;
}

/** Props with defaults applied. */
export interface ResolvedRedisServer {
  readonly site: string;
  readonly password: SecretKeyRef;
  readonly serviceName: string;
  readonly image: string;
  readonly storageSize: Size;
  readonly storageClass: string | undefined;
  readonly resources: ResolvedResources;
  readonly labels: Readonly<Record<string, string>>;
  readonly exporterImage: string;
  readonly metrics: Required<RedisServerMetricsProps> | undefined;
}

/** Applies the defaults. */
export function resolveRedisServer(props: RedisServerProps): ResolvedRedisServer {
  return {
    site: props.site,
    password: props.password,
    serviceName: props.serviceName ?? `${props.site}-redis`,
    image: props.image ?? VALKEY_IMAGE,
    storageSize: props.storageSize ?? REDIS_SERVER_DEFAULTS.storageSize,
    storageClass: props.storageClass,
    resources: { ...REDIS_SERVER_DEFAULTS.resources, ...props.resources },
    labels: props.labels ?? {},
    exporterImage: props.exporterImage ?? REDIS_SERVER_DEFAULTS.exporterImage,
    metrics: props.metrics
      ? {
          monitoringNamespace: props.metrics.monitoringNamespace,
          prometheusLabels: props.metrics.prometheusLabels ?? {},
          interval: props.metrics.interval ?? DEFAULTS.scrapeInterval,
          scrapeTimeout: props.metrics.scrapeTimeout ?? DEFAULTS.scrapeTimeout,
        }
      : undefined,
  };
}

/** Labels of the Valkey pods; the StatefulSet selector, so they never change. */
export function redisSelectorLabels(site: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'valkey',
    'app.kubernetes.io/instance': site,
    'app.kubernetes.io/component': 'redis',
    'app.kubernetes.io/part-of': 'discourse',
  };
}

/**
 * Labels of the pods allowed to connect: every pod of the site, web and Jobs alike. Jobs
 * carry the site's common labels but no `component`, so the selector stops at name and instance.
 */
export function redisClientLabels(site: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'discourse', 'app.kubernetes.io/instance': site };
}

/**
 * The memory Valkey may hold: half the container's limit, whole MiB. The other half is the
 * room an AOF rewrite's fork can touch again (copy-on-write) plus client buffers, so the
 * kernel never OOM-kills the server. A killed server reloads the same data set at restart and
 * is killed again; at `maxmemory` it refuses writes instead (noeviction: Sidekiq's queues
 * and Discourse's locks must never be evicted silently), which Discourse logs and survives.
 */
export function redisMaxMemoryBytes(r: ResolvedRedisServer): number {
  const halfMiB = Math.floor(r.resources.memoryLimit.toMebibytes({ rounding: SizeRoundingBehavior.FLOOR }) / 2);
  return Math.max(halfMiB, 1) * 1024 * 1024;
}

/**
 * The server's arguments. Append-only file on (every write logged, fsync every second), so a
 * restart loses at most a second of Sidekiq's queue; the default RDB snapshots stay as well.
 */
export function redisServerArgs(r: ResolvedRedisServer): string[] {
  return [
    'valkey-server',
    '--port',
    String(REDIS_PORT),
    '--dir',
    '/data',
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--maxmemory',
    String(redisMaxMemoryBytes(r)),
    '--maxmemory-policy',
    'noeviction',
    '--requirepass',
    `$(${PASSWORD_ENV})`,
  ];
}

/** The pod template: restricted Pod Security, the image's own uid, nothing writable but /data and /tmp. */
export function redisPodTemplate(r: ResolvedRedisServer): k8s.PodTemplateSpec {
  const q = resourceQuantities(r.resources);
  const valkey: k8s.Container = {
    name: 'valkey',
    image: r.image,
    // args, not command: the image's entrypoint still runs (it sets umask 0077 and checks /data).
    args: redisServerArgs(r),
    env: [{ name: PASSWORD_ENV, valueFrom: { secretKeyRef: { name: r.password.secret, key: r.password.key } } }],
    ports: [{ name: 'redis', containerPort: REDIS_PORT, protocol: 'TCP' }],
    resources: {
      requests: Object.fromEntries(Object.entries(q.requests).map(([k, v]) => [k, k8s.Quantity.fromString(v)])),
      limits: Object.fromEntries(Object.entries(q.limits).map(([k, v]) => [k, k8s.Quantity.fromString(v)])),
    },
    securityContext: containerSecurityContext(true, VALKEY_UID),
    // Ready only once it answers PONG to an authenticated PING: while it replays the AOF
    // after a restart it answers -LOADING, and Discourse should not be sent there yet.
    readinessProbe: {
      exec: { command: ['sh', '-c', `valkey-cli -p ${REDIS_PORT} ping | grep -qx PONG`] },
      periodSeconds: 10,
      timeoutSeconds: 5,
      failureThreshold: 3,
    },
    // Alive while it accepts connections: a TCP check, so a long AOF replay (which
    // fails PING) is not mistaken for a hang and restarted from the start again.
    livenessProbe: { tcpSocket: { port: k8s.IntOrString.fromString('redis') }, periodSeconds: 10, timeoutSeconds: 5, failureThreshold: 6 },
    volumeMounts: [
      { name: 'data', mountPath: '/data' },
      { name: 'tmp', mountPath: '/tmp' },
    ],
  };
  return {
    metadata: { labels: redisSelectorLabels(r.site) },
    spec: {
      automountServiceAccountToken: false,
      // No Service env vars: Valkey reads none, and they would change with every Service of the namespace.
      enableServiceLinks: false,
      securityContext: {
        runAsNonRoot: true,
        runAsUser: VALKEY_UID,
        runAsGroup: VALKEY_UID,
        // The volume is made writable for the image's group; the entrypoint checks it can write /data.
        fsGroup: VALKEY_UID,
        fsGroupChangePolicy: 'OnRootMismatch',
        seccompProfile: { type: 'RuntimeDefault' },
      },
      containers: r.metrics ? [valkey, redisExporterContainer(r)] : [valkey],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } }],
    },
  };
}

/**
 * redis_exporter beside the server: it reaches Valkey on localhost with the same password
 * Secret, and answers Prometheus on 9121. When Valkey stops answering, the exporter still
 * does, with `redis_up 0`; when the pod is gone, the series are, and the alert counts that too.
 */
export function redisExporterContainer(r: ResolvedRedisServer): k8s.Container {
  return {
    name: 'metrics',
    image: r.exporterImage,
    env: [
      { name: 'REDIS_ADDR', value: `redis://localhost:${REDIS_PORT}` },
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: r.password.secret, key: r.password.key } } },
    ],
    ports: [{ name: 'metrics', containerPort: REDIS_EXPORTER_PORT, protocol: 'TCP' }],
    // A small Go binary: measured use is a few MiB; the limit keeps a misbehaving scrape from the server's memory.
    resources: {
      requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') },
      limits: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('64Mi') },
    },
    securityContext: containerSecurityContext(true, REDIS_EXPORTER_UID),
    livenessProbe: { httpGet: { path: '/health', port: k8s.IntOrString.fromString('metrics') }, periodSeconds: 30, timeoutSeconds: 5 },
  };
}

/** Image references pinned by a tag other than `latest` (a digest may follow). */
const PINNED_IMAGE = /^[a-z0-9]([a-z0-9._/:-]*[a-z0-9])?:(?!latest(@|$))[\w][\w.-]{0,127}(@sha256:[a-f0-9]{64})?$/;

/** Every problem with the props, naming `path` (e.g. `redis.server`) and then the camelCase prop. */
export function validateRedisServerProps(props: RedisServerProps, path: string): Problem[] {
  const r = resolveRedisServer(props);
  const p = (key: string) => `${path}.${key}`;
  const problems: Problem[] = [];
  // Service names are DNS-1035 labels; a StatefulSet's pods carry a controller-revision-hash
  // label `<name>-<hash>` that must stay within 63 characters, hence 52.
  if (!isDnsLabel(r.serviceName, 52) || !/^[a-z]/.test(r.serviceName))
    problems.push({
      path: p(props.serviceName === undefined ? 'site' : 'serviceName'),
      message: `${show(r.serviceName)} is not a valid Service and StatefulSet name`,
      fix: 'use at most 52 lowercase letters, digits and "-", starting with a letter',
    });
  if (!PINNED_IMAGE.test(r.image)) problems.push({ path: p('image'), message: `${show(r.image)} is not pinned by a tag`, fix: `use e.g. ${VALKEY_IMAGE}` });
  if (!PINNED_IMAGE.test(r.exporterImage))
    problems.push({
      path: p('exporterImage'),
      message: `${show(r.exporterImage)} is not pinned by a tag`,
      fix: `use e.g. ${REDIS_SERVER_DEFAULTS.exporterImage}`,
    });
  if (r.metrics && !isDnsLabel(r.metrics.monitoringNamespace))
    problems.push({
      path: p('metrics.monitoringNamespace'),
      message: `${show(r.metrics.monitoringNamespace)} is not a namespace name`,
      fix: 'use a DNS label, e.g. monitoring',
    });
  problems.push(...validateSecretRef(props.password, p('password')));
  problems.push(...validateStorageSize(r.storageSize, p('storageSize')), ...validateStorageClass(r.storageClass, p('storageClass')));
  problems.push(...validateResources(r.resources, p('resources')), ...validateLabels(r.labels, p('labels')));
  return problems;
}

/**
 * A Valkey server for one Discourse site: a one-replica StatefulSet with a persistent volume
 * (append-only file on), the password from a Secret, a headless Service for the StatefulSet,
 * a ClusterIP Service `<serviceName>` for Discourse, and a NetworkPolicy that admits only the
 * site's pods on 6379 and lets Valkey connect nowhere.
 *
 * Day 2: image, resources and probes live in the pod template, which a StatefulSet may
 * change; the storage size and class live in volumeClaimTemplates, which it may not.
 * @see https://valkey.io/topics/persistence/
 */
export class RedisServer extends Construct {
  /** The StatefulSet (`node.defaultChild`). */
  public readonly resource: k8s.KubeStatefulSet;
  /** The Service Discourse connects to. */
  public readonly service: k8s.KubeService;
  /** How Discourse reaches this server: pass it as the site's `redis`. */
  public readonly connection: RedisConnection;
  /** Props with defaults applied. */
  public readonly resolved: ResolvedRedisServer;

  constructor(scope: Construct, id: string, props: RedisServerProps) {
    super(scope, id);
    const r = resolveRedisServer(props);
    this.resolved = r;
    const selector = redisSelectorLabels(r.site);
    const labels = { ...r.labels, ...selector };
    const headless = `${r.serviceName}-headless`;
    const port = { name: 'redis', port: REDIS_PORT, targetPort: k8s.IntOrString.fromString('redis'), protocol: 'TCP' };
    this.resource = new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: { name: r.serviceName, labels },
      spec: {
        replicas: 1,
        // serviceName, selector and volumeClaimTemplates are immutable: built from the site
        // name and the storage props only, never from the image or resources.
        serviceName: headless,
        selector: { matchLabels: selector },
        template: redisPodTemplate(r),
        updateStrategy: { type: 'RollingUpdate' },
        // Keep the data when the StatefulSet is deleted (e.g. to change its storage) or scaled.
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: selector },
            spec: {
              accessModes: ['ReadWriteOnce'],
              resources: { requests: { storage: k8s.Quantity.fromString(sizeQuantity(r.storageSize)) } },
              ...(r.storageClass !== undefined ? { storageClassName: r.storageClass } : {}),
            },
          },
        ],
      },
    });
    new k8s.KubeService(this, 'Headless', {
      metadata: { name: headless, labels },
      spec: { clusterIp: 'None', selector, ports: [port] },
    });
    this.service = new k8s.KubeService(this, 'Service', {
      metadata: { name: r.serviceName, labels },
      spec: { type: 'ClusterIP', selector, ports: [port] },
    });
    new k8s.KubeNetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name: r.serviceName, labels },
      spec: {
        podSelector: { matchLabels: selector },
        // Egress listed with no rule: a single Valkey with no replicas talks to nobody.
        policyTypes: ['Ingress', 'Egress'],
        ingress: [
          { from: [{ podSelector: { matchLabels: redisClientLabels(r.site) } }], ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(REDIS_PORT) }] },
          // Prometheus, to the exporter only: it never reaches Valkey itself.
          ...(r.metrics
            ? [
                {
                  from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': r.metrics.monitoringNamespace } } }],
                  ports: [{ protocol: 'TCP', port: k8s.IntOrString.fromNumber(REDIS_EXPORTER_PORT) }],
                },
              ]
            : []),
        ],
        egress: [],
      },
    });
    if (r.metrics) {
      // A Service of its own: the two Services above carry the same labels, and a
      // ServiceMonitor selecting them would scrape the pod twice.
      const metricsLabels = { ...labels, 'app.kubernetes.io/component': 'redis-metrics' };
      new k8s.KubeService(this, 'MetricsService', {
        metadata: { name: redisMetricsJob(r.serviceName), labels: metricsLabels },
        spec: {
          clusterIp: 'None',
          selector,
          ports: [{ name: 'metrics', port: REDIS_EXPORTER_PORT, targetPort: k8s.IntOrString.fromString('metrics'), protocol: 'TCP' }],
        },
      });
      new ServiceMonitor(this, 'ServiceMonitor', {
        metadata: {
          name: redisMetricsJob(r.serviceName),
          labels: { ...r.labels, ...r.metrics.prometheusLabels },
          annotations: { ...SKIP_DRY_RUN_ON_MISSING_CRD },
        },
        spec: {
          selector: { matchLabels: { 'app.kubernetes.io/instance': r.site, 'app.kubernetes.io/component': 'redis-metrics' } },
          endpoints: [
            {
              port: 'metrics',
              path: '/metrics',
              scheme: ServiceMonitorSpecEndpointsScheme.HTTP,
              interval: r.metrics.interval,
              scrapeTimeout: r.metrics.scrapeTimeout,
            },
          ],
        },
      });
    }
    this.connection = redisConnectionOf(props);
  }
}
