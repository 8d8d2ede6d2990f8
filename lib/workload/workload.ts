import { DEFAULTS } from '../core/defaults';
import { containerSecurityContext, podSecurityContext } from '../core/security-context';
import * as k8s from '../../imports/k8s';
import { LAYER_FILE, READY_CADENCE } from '../pebble/discourse-layer';
import { HTTP_PORT, METRICS_PORT } from '../model/environment';
import { SecretEnv } from '../core/checks';
import { PEBBLE_DIR, SCRATCH_MOUNTS, UPLOAD_MOUNTS } from '../core/paths';
import { PEBBLE_TIMINGS, thresholdToTolerate } from '../pebble/pebble-timing';
import { INJECTED_PEBBLE, ResolvedDiscourse } from '../model/props';
import { sizeQuantity } from '../core/units';

/**
 * Pure mappings from resolved props to pod-level Kubernetes structures. The
 * Discourse construct wraps them in ApiObjects; tests call them directly.
 */

export const CONTAINER_NAME = 'discourse';

/** Labels that select a site's web pods; stable across releases because selectors are immutable. */
export function selectorLabels(name: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'discourse',
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/component': 'web',
  };
}

/** Labels every object of a site carries. */
export function commonLabels(name: string): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'discourse',
    'app.kubernetes.io/instance': name,
    'app.kubernetes.io/managed-by': 'discourse-cdk8s',
  };
}

/**
 * The version label, only on what runs the image (the Deployments, the Jobs and their
 * pods): on every object it made an image bump touch every file of the site.
 */
export function withVersion(labels: Record<string, string>, version: string): Record<string, string> {
  // In the order the labels always had: Job names hash the spec as written, key order included.
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) {
    out[k] = v;
    if (k === 'app.kubernetes.io/instance') out['app.kubernetes.io/version'] = version;
  }
  return out;
}

/** Container env entries for Secret-backed values. */
export function secretEnvVars(secrets: readonly SecretEnv[]): k8s.EnvVar[] {
  return secrets.map((s) => ({ name: s.name, valueFrom: { secretKeyRef: { name: s.from.secret, key: s.from.key } } }));
}

/** Port of an http(s) URL, explicit or by scheme. */
function urlPort(url: string): number {
  const u = new URL(url);
  return u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
}

/**
 * TCP ports the web pods may connect to when egress is restricted: HTTP(S) for S3,
 * identity providers and link previews (onebox), plus the database, Redis, SMTP, Loki
 * and proxy ports in use. Ports held in Secrets are unknown here; 5432 is assumed.
 */
export function egressPorts(r: ResolvedDiscourse): number[] {
  const db = r.database.sources.port;
  const ports = [80, 443, 'value' in db ? Number(db.value) : DEFAULTS.postgresPort, r.redis.port ?? DEFAULTS.redisPort];
  if (r.config.smtpAddress !== '') ports.push(r.config.smtpPort);
  if (r.lokiUrl) ports.push(urlPort(r.lokiUrl));
  if (r.otlpLogsUrl) ports.push(urlPort(r.otlpLogsUrl));
  for (const proxy of [r.environment.HTTP_PROXY, r.environment.HTTPS_PROXY]) if (proxy) ports.push(urlPort(proxy));
  return [...new Set(ports)].sort((a, b) => a - b);
}

/** The scratch emptyDirs of a site: the fixed ones plus `writablePaths` (`writable-0`, ...), as [volume name, mount path]. */
export function scratchMounts(r: Pick<ResolvedDiscourse, 'writablePaths'>, withPebble = true): [string, string][] {
  const fixed = Object.entries(SCRATCH_MOUNTS).filter(([name]) => withPebble || name !== 'pebble-dir');
  return [...fixed, ...r.writablePaths.map((path, i): [string, string] => [`writable-${i}`, path])];
}

function healthProbe(path: string, port: number | string, periodSeconds: number, failureThreshold: number): k8s.Probe {
  return {
    httpGet: { path, port: typeof port === 'number' ? k8s.IntOrString.fromNumber(port) : k8s.IntOrString.fromString(port) },
    periodSeconds,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold,
  };
}

/** How often the kubelet asks Unicorn during boot. */
const STARTUP_PERIOD_SECONDS = 10;

/**
 * Probes. Liveness asks Pebble: no check has level `alive`, so it fails only when Pebble
 * itself is gone (Pebble restarts a dead or frozen Unicorn through `discourse-up`).
 * Readiness and startup ask Unicorn's `/srv/status` directly: a probe on Pebble's
 * `level=ready` would add the check's own period to the kubelet's.
 */
export function probes(r: ResolvedDiscourse): Pick<k8s.Container, 'livenessProbe' | 'readinessProbe' | 'startupProbe'> {
  return {
    livenessProbe: healthProbe('/v1/health?level=alive', 'pebble', 5, 3),
    // Takes the pod out of the Service within period + timeout (6 s) of Unicorn failing,
    // with the same numbers as the layer's discourse-ready check.
    readinessProbe: {
      ...healthProbe('/srv/status', 'http', READY_CADENCE.periodSeconds, READY_CADENCE.threshold),
      timeoutSeconds: READY_CADENCE.timeoutSeconds,
    },
    // Holds off the other probes until Unicorn first answers, and restarts the container
    // if that takes longer than the boot budget (the first probe runs at container start).
    startupProbe: healthProbe('/srv/status', 'http', STARTUP_PERIOD_SECONDS, thresholdToTolerate(r.startupTimeoutSeconds, STARTUP_PERIOD_SECONDS)),
  };
}

/** Requests and limits from the site's settings. */
export function containerResources(r: ResolvedDiscourse): k8s.ResourceRequirements {
  const res = r.resources;
  return {
    requests: { cpu: k8s.Quantity.fromString(res.cpuRequest.amount), memory: k8s.Quantity.fromString(sizeQuantity(res.memoryRequest)) },
    limits: { cpu: k8s.Quantity.fromString(res.cpuLimit.amount), memory: k8s.Quantity.fromString(sizeQuantity(res.memoryLimit)) },
  };
}

/** The Discourse container: Pebble as entrypoint, the layer mounted, secrets by reference. */
export function discourseContainer(r: ResolvedDiscourse): k8s.Container {
  const ports: k8s.ContainerPort[] = [{ name: 'http', containerPort: HTTP_PORT, protocol: 'TCP' }];
  if (r.metrics === 'exporter') ports.push({ name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' });
  ports.push({ name: 'pebble', containerPort: r.pebbleHealthPort, protocol: 'TCP' });
  const mounts: k8s.VolumeMount[] = [
    ...scratchMounts(r).map(([name, mountPath]) => ({ name, mountPath })),
    { name: 'pebble-layers', mountPath: `${PEBBLE_DIR}/layers`, readOnly: true },
  ];
  if (r.pebble.init) mounts.push({ name: 'pebble-bin', mountPath: INJECTED_PEBBLE, subPath: 'pebble', readOnly: true });
  mounts.push(...dataMounts(r));
  return {
    name: CONTAINER_NAME,
    image: r.image,
    imagePullPolicy: 'IfNotPresent',
    command: [r.pebble.binary],
    // No --hold: nothing else would start the services. --verbose sends service output to kubectl logs.
    args: ['run', '--create-dirs', '--http', `:${r.pebbleHealthPort}`, '--verbose'],
    env: [{ name: 'PEBBLE', value: PEBBLE_DIR }, ...secretEnvVars(r.secretEnvironment)],
    ports,
    ...probes(r),
    resources: containerResources(r),
    securityContext: containerSecurityContext(r.readOnlyRootFilesystem),
    volumeMounts: mounts.sort((a, b) => (a.mountPath < b.mountPath ? -1 : 1)),
  };
}

/** The init container that copies Pebble into the shared volume, when Pebble is not in the image. */
export function pebbleInitContainer(r: ResolvedDiscourse): k8s.Container | undefined {
  if (!r.pebble.init) return undefined;
  return {
    name: 'pebble-init',
    image: r.pebble.init.image,
    imagePullPolicy: 'IfNotPresent',
    command: ['cp', r.pebble.init.path, '/pebble-bin/pebble'],
    resources: {
      requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('16Mi') },
      limits: { cpu: k8s.Quantity.fromString('100m'), memory: k8s.Quantity.fromString('64Mi') },
    },
    securityContext: containerSecurityContext(),
    volumeMounts: [{ name: 'pebble-bin', mountPath: '/pebble-bin' }],
  };
}

/** Where and how pods of the site (web and Jobs) are scheduled and pulled. */
export function schedulingFields(r: ResolvedDiscourse): Pick<k8s.PodSpec, 'imagePullSecrets' | 'nodeSelector' | 'priorityClassName'> {
  return {
    ...(r.imagePullSecrets.length > 0 ? { imagePullSecrets: r.imagePullSecrets.map((name) => ({ name })) } : {}),
    ...(Object.keys(r.nodeSelector).length > 0 ? { nodeSelector: { ...r.nodeSelector } } : {}),
    ...(r.priorityClassName ? { priorityClassName: r.priorityClassName } : {}),
  };
}

/** The claims of a site's data: uploads (S3 off) and backups (on a volume of their own). */
export function claimNames(site: string): { readonly uploads: string; readonly backups: string } {
  return { uploads: `${site}-uploads`, backups: `${site}-backups` };
}

/**
 * Where the site's data is mounted: uploads, and backups unless they have a volume of
 * their own, on the uploads claim (sub-paths); backups on theirs. The web pods and the
 * Jobs that read or write that data (a restore) mount the same.
 */
export function dataMounts(r: ResolvedDiscourse): k8s.VolumeMount[] {
  const ownVolume = r.backups?.volume !== undefined;
  const mounts: k8s.VolumeMount[] = [];
  for (const [subPath, mountPath] of Object.entries(UPLOAD_MOUNTS)) {
    if (subPath === 'backups' && ownVolume) mounts.push({ name: 'backups', mountPath });
    else if (r.uploads.enabled) mounts.push({ name: 'uploads', mountPath, subPath });
  }
  return mounts;
}

/** The volumes of {@link dataMounts}. */
export function dataVolumes(r: ResolvedDiscourse): k8s.Volume[] {
  const claims = claimNames(r.name);
  return [
    ...(r.uploads.enabled ? [{ name: 'uploads', persistentVolumeClaim: { claimName: claims.uploads } }] : []),
    ...(r.backups?.volume ? [{ name: 'backups', persistentVolumeClaim: { claimName: claims.backups } }] : []),
  ];
}

/** Whether a data volume is ReadWriteOnce: every pod that mounts it must run on the node it is attached to. */
export function holdsReadWriteOnce(r: Pick<ResolvedDiscourse, 'uploads' | 'backups'>): boolean {
  return (r.uploads.enabled && r.uploads.accessMode === 'ReadWriteOnce') || r.backups?.volume?.accessMode === 'ReadWriteOnce';
}

/** The pod spec; `layerConfigMap` names the layer's ConfigMap the construct creates. */
export function discoursePodSpec(
  r: ResolvedDiscourse,
  names: { readonly layerConfigMap: string; readonly serviceAccount: string },
  extraInitContainers: readonly k8s.Container[] = [],
): k8s.PodSpec {
  const volumes: k8s.Volume[] = [
    // The log volume is bounded by the discourse-log-trim service; the limit is a backstop.
    ...scratchMounts(r).map(([name]) => (name === 'app-log' ? { name, emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } } : { name, emptyDir: {} })),
    { name: 'pebble-layers', configMap: { name: names.layerConfigMap, items: [{ key: LAYER_FILE, path: LAYER_FILE }] } },
  ];
  if (r.pebble.init) volumes.push({ name: 'pebble-bin', emptyDir: {} });
  volumes.push(...dataVolumes(r));
  const init = pebbleInitContainer(r);
  return {
    serviceAccountName: names.serviceAccount,
    automountServiceAccountToken: false,
    // Service links would inject DISCOURSE_PORT=tcp://... for a Service named "discourse",
    // which Discourse reads as its own setting.
    enableServiceLinks: false,
    // Longer than Pebble's whole stop (pebbleStopBoundSeconds): the longest kill-delay (the
    // tailer's, kill-delay + 2 s, and never under Pebble's 5 s default), 5 s after SIGKILL
    // and 1.1 s more, so the kubelet never SIGKILLs Pebble while Unicorn quits gracefully.
    terminationGracePeriodSeconds: Math.max(r.killDelaySeconds, PEBBLE_TIMINGS.killDelay) + 10,
    securityContext: podSecurityContext(),
    ...schedulingFields(r),
    // Replicas on different nodes when the scheduler can manage it, so one node loss is not an outage.
    ...(r.maxPods > 1
      ? {
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selectorLabels(r.name) } },
          ],
        }
      : {}),
    ...(init || extraInitContainers.length > 0 ? { initContainers: [...(init ? [init] : []), ...extraInitContainers] } : {}),
    containers: [discourseContainer(r)],
    volumes: volumes.sort((a, b) => (a.name < b.name ? -1 : 1)),
  };
}
