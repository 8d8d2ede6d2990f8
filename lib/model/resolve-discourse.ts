import { Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { resolveBackups } from './backups';
import { SecretKeyRef, checkSecretRef, isDnsLabel, isDnsSubdomain, isHttpUrl, isLabelKey, isLabelValue } from '../core/checks';
import { ResolvedConfig, resolveConfig } from './config';
import { PostgresConnection } from './database';
import { DatabaseExtensions } from './database-extensions';
import { DEFAULTS } from '../core/defaults';
import { checkImagePlugins } from './image-recipe';
import { MANAGED_ENV_PATTERNS, MetricsMode, OidcProps, ProxyProps, SECRET_ENV_NAME, SamlProps, siteEnvironment } from './environment';
import { Operation, operationSubject, validateOperation } from './operations';
import { MOUNTED_PATHS } from '../core/paths';
import { Problem, opt, show } from '../core/problems';
import {
  AutoscalingProps,
  DiscourseImage,
  DiscourseProps,
  DiscourseResources,
  NetworkPolicyProps,
  PebbleSource,
  ResolvedDiscourse,
  ResolvedSidekiq,
  SidekiqProps,
  UploadsVolume,
} from './props';
import { RedisConnection, validateRedis } from './redis';
import { wholeMebibytes } from '../core/units';

/**
 * Discourse props → the resolved site: every rule and every default of the Discourse
 * construct, once, as pure functions of plain data, each for one concern. Problems are
 * returned, not thrown, so that a site file can report all of its problems at once.
 */

const IMAGE_REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const FINGERPRINT = /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Whether `pattern` compiles; JavaScript's syntax stands in for Ruby's, which agree on the address patterns this is for. */
function isRegex(pattern: string): boolean {
  try {
    new RegExp(pattern);
    return true;
  } catch {
    return false;
  }
}

/** Builds the image reference `repo:tag[@digest]`. */
export function imageReference(image: DiscourseImage): string {
  return `${image.repository}:${image.tag}${image.digest ? `@${image.digest}` : ''}`;
}

/** The site name and the image. */
function checkIdentity(name: unknown, image: DiscourseImage | undefined, problems: Problem[]): image is DiscourseImage {
  // Room for suffixes such as "-uploads" and "-migrate-<hash>" within the 63-character limit.
  if (typeof name !== 'string' || !isDnsLabel(name, 40)) {
    problems.push({
      path: 'name',
      message: `${show(name)} is not a valid site name`,
      fix: 'use at most 40 lowercase letters, digits and "-", starting and ending with a letter or digit',
    });
  }
  if (image === undefined || image === null) {
    problems.push({
      path: 'image',
      message: "is required: the charm's Discourse rock is published on Charmhub, not in a public registry, so there is no default",
      fix: `set ${opt('image.repository')} and ${opt('image.tag')} to where you pushed the rock (docs/image.md says how to get it), and pin ${opt('image.digest')}`,
    });
    return false;
  }
  if (!IMAGE_REPOSITORY.test(image.repository ?? ''))
    problems.push({
      path: 'image.repository',
      message: `${show(image.repository)} is not an image repository`,
      fix: 'write registry/path/name without tag, e.g. ghcr.io/acme/discourse',
    });
  if (!IMAGE_TAG.test(image.tag ?? '') || image.tag === 'latest')
    problems.push({ path: 'image.tag', message: `${show(image.tag)} is not a pinned tag`, fix: 'use an explicit version tag (not "latest")' });
  if (image.digest !== undefined && !DIGEST.test(image.digest))
    problems.push({ path: 'image.digest', message: `${show(image.digest)} is not a sha256 digest`, fix: 'write sha256: followed by 64 hex digits' });
  checkImagePlugins(image, problems);
  return true;
}

/** How the pod runs: replicas, metrics mode, Pebble's port and timings. */
function checkRuntime(
  r: { replicas: number; metrics: MetricsMode; trustedIps?: string; pebbleHealthPort: number; killDelay: Duration; startupTimeout: Duration },
  problems: Problem[],
): { killDelaySeconds: number; startupTimeoutSeconds: number } {
  if (!Number.isInteger(r.replicas) || r.replicas < 0 || r.replicas > 100)
    problems.push({ path: 'replicas', message: `${show(r.replicas)} is not a replica count`, fix: 'use a whole number from 0 to 100' });
  if (r.metrics !== 'exporter' && r.metrics !== 'plugin')
    problems.push({
      path: 'metrics',
      message: `${show(r.metrics)} is not one of exporter, plugin`,
      fix: 'use exporter (port 9394) or plugin (/metrics on 3000)',
    });
  if (r.trustedIps !== undefined) {
    const path = 'prometheusTrustedIpAllowlistRegex';
    if (r.metrics !== 'plugin')
      problems.push({
        path,
        message: `only applies with metrics: plugin (metrics is ${show(r.metrics)}: Prometheus scrapes the collector on 9394, which checks no IPs)`,
        fix: `remove it, or set ${opt('metrics')} to plugin`,
      });
    else if (r.trustedIps === '' || !isRegex(r.trustedIps))
      problems.push({ path, message: `${show(r.trustedIps)} is not a regular expression`, fix: 'write e.g. ^100\\.64\\.' });
  }
  const port = r.pebbleHealthPort;
  if (!Number.isInteger(port) || port < 1024 || port > 65535 || [3000, 9394].includes(port)) {
    problems.push({
      path: 'pebbleHealthPort',
      message: `${show(port)} cannot be Pebble's health port`,
      fix: 'use an unprivileged port other than 3000 and 9394, e.g. 38813',
    });
  }
  const killDelaySeconds = r.killDelay.toSeconds();
  if (!(killDelaySeconds >= 1 && killDelaySeconds <= 300))
    problems.push({ path: 'killDelay', message: `${killDelaySeconds}s is out of range`, fix: 'use 1 to 300 seconds' });
  const startupTimeoutSeconds = r.startupTimeout.toSeconds();
  if (!(startupTimeoutSeconds >= 30 && startupTimeoutSeconds <= 3600))
    problems.push({ path: 'startupTimeout', message: `${startupTimeoutSeconds}s is out of range`, fix: 'use 30 seconds to 1 hour' });
  return { killDelaySeconds, startupTimeoutSeconds };
}

/** What the charm gets from relations: database, Redis, SAML, OIDC, proxy. */
function checkRelations(
  r: { database?: PostgresConnection; redis?: RedisConnection; saml?: SamlProps; oidc?: OidcProps; proxy?: ProxyProps; secretKeyBase?: SecretKeyRef },
  problems: Problem[],
): void {
  if (!(r.database instanceof PostgresConnection))
    problems.push({ path: 'database', message: 'is required', fix: 'give a PostgreSQL connection (CloudNativePG, Crunchy PGO, a Secret, or values)' });
  else problems.push(...r.database.validate('database'));
  if (r.redis === undefined || r.redis === null)
    problems.push({ path: 'redis', message: 'is required', fix: 'give the Redis host (and port, password Secret)' });
  else problems.push(...validateRedis(r.redis, 'redis'));
  const { saml, oidc } = r;
  if (saml !== undefined) {
    if (!isHttpUrl(saml.targetUrl ?? '') || !saml.targetUrl.startsWith('https://'))
      problems.push({ path: 'saml.targetUrl', message: `${show(saml.targetUrl)} is not an https URL`, fix: "use the identity provider's SSO URL" });
    if (!FINGERPRINT.test(saml.certFingerprint ?? ''))
      problems.push({
        path: 'saml.certFingerprint',
        message: `${show(saml.certFingerprint)} is not a SHA-1 fingerprint`,
        fix: 'write 20 upper-case hex bytes separated by colons (openssl x509 -noout -fingerprint -sha1)',
      });
  }
  if (oidc !== undefined) {
    if (!isHttpUrl(oidc.issuerUrl ?? '') || !oidc.issuerUrl.startsWith('https://'))
      problems.push({
        path: 'oidc.issuerUrl',
        message: `${show(oidc.issuerUrl)} is not an https URL`,
        fix: "use the provider's issuer URL, e.g. https://login.example.com/realms/main",
      });
    if (typeof oidc.clientId !== 'string' || oidc.clientId.trim() === '')
      problems.push({ path: 'oidc.clientId', message: 'is empty', fix: 'use the client id registered with the provider' });
    checkSecretRef(oidc.clientSecret, 'oidc.clientSecret', problems);
  }
  for (const [key, value] of Object.entries(r.proxy ?? {})) {
    if (key !== 'noProxy' && value !== undefined && !isHttpUrl(value as string))
      problems.push({ path: `proxy.${key}`, message: `${show(value)} is not an http(s) URL`, fix: 'write e.g. http://proxy.internal:3128' });
  }
  if (r.secretKeyBase !== undefined) checkSecretRef(r.secretKeyBase, 'secretKeyBase', problems);
}

/** Logs, pulls, scheduling, Unicorn, writable paths. */
function checkPodSettings(
  r: {
    lokiUrl?: string;
    otlpLogsUrl?: string;
    imagePullSecrets: readonly string[];
    nodeSelector: Readonly<Record<string, string>>;
    priorityClassName?: string;
    unicornWorkers?: number;
    writablePaths: readonly string[];
  },
  problems: Problem[],
): void {
  if (r.lokiUrl !== undefined && !isHttpUrl(r.lokiUrl))
    problems.push({
      path: 'lokiUrl',
      message: `${show(r.lokiUrl)} is not an http(s) URL`,
      fix: 'write the push URL, e.g. http://loki.monitoring:3100/loki/api/v1/push',
    });
  if (r.otlpLogsUrl !== undefined && !isHttpUrl(r.otlpLogsUrl))
    problems.push({
      path: 'otlpLogsUrl',
      message: `${show(r.otlpLogsUrl)} is not an http(s) URL`,
      fix: 'write the collector’s OTLP/HTTP base URL, e.g. http://alloy.monitoring:4318 (Pebble appends /v1/logs)',
    });
  if (r.otlpLogsUrl !== undefined && r.lokiUrl !== undefined)
    problems.push({
      path: 'otlpLogsUrl',
      message: 'is set together with lokiUrl: the layer has one log target',
      fix: 'keep one of them (an OpenTelemetry collector can forward to Loki)',
    });
  for (const secret of r.imagePullSecrets) {
    if (!isDnsSubdomain(secret))
      problems.push({ path: 'imagePullSecrets', message: `${show(secret)} is not a Secret name`, fix: 'name a kubernetes.io/dockerconfigjson Secret' });
  }
  for (const [key, value] of Object.entries(r.nodeSelector)) {
    if (!isLabelKey(key) || typeof value !== 'string' || !isLabelValue(value))
      problems.push({ path: 'nodeSelector', message: `${show(`${key}: ${String(value)}`)} is not a valid node label`, fix: 'use Kubernetes label syntax' });
  }
  if (r.priorityClassName !== undefined && !isDnsSubdomain(r.priorityClassName))
    problems.push({ path: 'priorityClassName', message: `${show(r.priorityClassName)} is not a PriorityClass name`, fix: 'use a DNS name' });
  if (r.unicornWorkers !== undefined && !(Number.isInteger(r.unicornWorkers) && r.unicornWorkers >= 1 && r.unicornWorkers <= 64))
    problems.push({ path: 'unicornWorkers', message: `${show(r.unicornWorkers)} is not a worker count`, fix: 'use a whole number from 1 to 64' });
  const mounted = new Set<string>(MOUNTED_PATHS);
  for (const path of r.writablePaths) {
    if (typeof path !== 'string' || !/^\/[\w./-]*$/.test(path) || path.includes('..') || mounted.has(path.replace(/\/+$/, ''))) {
      problems.push({
        path: 'writablePaths',
        message: `${show(path)} is not an absolute path that is not already mounted`,
        fix: 'write absolute paths such as /srv/discourse/app/public/plugins',
      });
    }
    mounted.add(String(path));
  }
}

/** The extensions strategy and the operations (each once). */
function checkDataTasks(
  r: { databaseExtensions?: DatabaseExtensions; database?: PostgresConnection; operations: readonly Operation[] },
  problems: Problem[],
): void {
  if (r.databaseExtensions !== undefined) {
    if (!(r.databaseExtensions instanceof DatabaseExtensions))
      problems.push({
        path: 'databaseExtensions',
        message: 'is not a DatabaseExtensions',
        fix: 'use DatabaseExtensions.withSuperuserJob(...) or .withCloudNativePgDatabase(...)',
      });
    else problems.push(...r.databaseExtensions.validate(r.database instanceof PostgresConnection ? r.database : undefined, 'databaseExtensions'));
  }
  const subjects = new Set<string>();
  r.operations.forEach((op, i) => {
    problems.push(...validateOperation(op, `operations[${i}]`));
    // A restore replaces the forum's data: a one-off, never state that every sync applies again.
    if (op.action === 'restore')
      problems.push({
        path: `operations[${i}].action`,
        message: 'restore is not something to sync',
        fix: 'run it once: npm run op -- <site> restore --backup <file>',
      });
    const subject = `${op.action} ${operationSubject(op)}`;
    if (subjects.has(subject)) problems.push({ path: `operations[${i}]`, message: `repeats ${subject}`, fix: 'list each operation once' });
    subjects.add(subject);
  });
}

/** Requests and limits, with their defaults. */
function resolveResources(
  resources: DiscourseResources,
  uploadsSize: Size | undefined,
  problems: Problem[],
  prefix = '',
  defaults: Required<DiscourseResources> = DEFAULTS,
): Required<DiscourseResources> {
  const sizes: Array<[string, Size | undefined]> = [
    [`${prefix}resources.memoryRequest`, resources.memoryRequest],
    [`${prefix}resources.memoryLimit`, resources.memoryLimit],
    ['uploads.size', uploadsSize],
  ];
  for (const [path, size] of sizes) {
    if (size !== undefined && wholeMebibytes(size) === undefined)
      problems.push({ path, message: 'is not a whole number of Mi', fix: 'use Mi or Gi, e.g. 512Mi or 4Gi' });
  }
  const millicores = (cpu: Cpu) => (cpu.amount.endsWith('m') ? Number(cpu.amount.slice(0, -1)) : Number(cpu.amount) * 1000);
  const out = {
    cpuRequest: resources.cpuRequest ?? defaults.cpuRequest,
    cpuLimit: resources.cpuLimit ?? defaults.cpuLimit,
    memoryRequest: resources.memoryRequest ?? defaults.memoryRequest,
    memoryLimit: resources.memoryLimit ?? defaults.memoryLimit,
  };
  if (!(millicores(out.cpuRequest) > 0) || !(millicores(out.cpuLimit) > 0)) {
    problems.push({ path: `${prefix}resources.cpuRequest`, message: 'CPU amounts must be positive', fix: 'use e.g. 500m or 2' });
  } else if (millicores(out.cpuRequest) > millicores(out.cpuLimit)) {
    problems.push({
      path: `${prefix}resources.cpuRequest`,
      message: `${out.cpuRequest.amount} is larger than the CPU limit ${out.cpuLimit.amount}`,
      fix: 'raise the limit or lower the request',
    });
  }
  if ((wholeMebibytes(out.memoryRequest) ?? 0) > (wholeMebibytes(out.memoryLimit) ?? Infinity))
    problems.push({ path: `${prefix}resources.memoryRequest`, message: 'is larger than the memory limit', fix: 'raise the limit or lower the request' });
  return out;
}

/** An autoscaler's bounds with their defaults (web and separate Sidekiq differ only in the minimum). */
function autoscalingWithDefaults(a: AutoscalingProps, defaultMinReplicas: number): Required<AutoscalingProps> {
  return {
    minReplicas: a.minReplicas ?? defaultMinReplicas,
    maxReplicas: a.maxReplicas,
    cpuUtilization: a.cpuUtilization ?? DEFAULTS.autoscalingCpuUtilization,
  };
}

/** One problem per bad bound of an autoscaler, under `path` (`autoscaling`, `sidekiq.autoscaling`). */
function checkAutoscaling(scaling: Required<AutoscalingProps>, path: string, problems: Problem[]): void {
  if (!(Number.isInteger(scaling.minReplicas) && scaling.minReplicas >= 1))
    problems.push({ path: `${path}.minReplicas`, message: `${show(scaling.minReplicas)} is not a positive replica count`, fix: 'use 1 or more' });
  if (!(Number.isInteger(scaling.maxReplicas) && scaling.maxReplicas >= scaling.minReplicas && scaling.maxReplicas <= 100))
    problems.push({
      path: `${path}.maxReplicas`,
      message: `${show(scaling.maxReplicas)} is not between minReplicas (${scaling.minReplicas}) and 100`,
      fix: `raise it to at least ${opt(`${path}.minReplicas`)}`,
    });
  if (!(Number.isInteger(scaling.cpuUtilization) && scaling.cpuUtilization >= 10 && scaling.cpuUtilization <= 100))
    problems.push({ path: `${path}.cpuUtilization`, message: `${show(scaling.cpuUtilization)} is not a percentage from 10 to 100`, fix: 'use e.g. 70' });
}

/** Replicas or an autoscaler, and whether the uploads volume allows that many pods. */
function resolveScaling(
  r: { replicas: number; replicasGiven: boolean; autoscaling?: AutoscalingProps; uploads: UploadsVolume; s3Enabled: boolean },
  problems: Problem[],
): { scaling?: Required<AutoscalingProps>; maxPods: number; accessMode: 'ReadWriteOnce' | 'ReadWriteMany' } {
  const scaling = r.autoscaling ? autoscalingWithDefaults(r.autoscaling, DEFAULTS.autoscalingMinReplicas) : undefined;
  if (scaling) {
    checkAutoscaling(scaling, 'autoscaling', problems);
    if (r.replicasGiven)
      problems.push({
        path: 'replicas',
        message: `is set together with ${opt('autoscaling')}`,
        fix: `remove ${opt('replicas')}: the autoscaler owns the count`,
      });
  }
  const maxPods = scaling ? scaling.maxReplicas : r.replicas;
  const accessMode = r.uploads.accessMode ?? DEFAULTS.uploadsAccessMode;
  if (accessMode !== 'ReadWriteOnce' && accessMode !== 'ReadWriteMany')
    problems.push({ path: 'uploads.accessMode', message: `${show(accessMode)} is not ReadWriteOnce or ReadWriteMany`, fix: 'use one of them' });
  if (!r.s3Enabled && maxPods > 1 && accessMode === 'ReadWriteOnce') {
    problems.push({
      path: scaling ? 'autoscaling.maxReplicas' : 'replicas',
      message: `${maxPods} replicas would share a ReadWriteOnce uploads volume`,
      fix: `set ${opt('s3Enabled')} (uploads in S3) or ${opt('uploads.accessMode')}: ReadWriteMany, or use 1 replica`,
    });
  }
  return { scaling, maxPods, accessMode };
}

/**
 * Sidekiq's mode, pods and memory cap. Separate mode needs uploads every pod can mount
 * (Sidekiq jobs read and write them) and a cap below the container's memory limit.
 */
function resolveSidekiq(props: SidekiqProps, r: { s3Enabled: boolean; accessMode: string; sidekiqMaxMemory: number }, problems: Problem[]): ResolvedSidekiq {
  const mode = props.mode ?? DEFAULTS.sidekiqMode;
  if (mode !== 'embedded' && mode !== 'separate')
    problems.push({ path: 'sidekiq.mode', message: `${show(mode)} is not one of embedded, separate`, fix: 'use embedded (in the web pods) or separate' });
  const replicas = props.replicas ?? DEFAULTS.sidekiqReplicas;
  const autoscaling = props.autoscaling ? autoscalingWithDefaults(props.autoscaling, DEFAULTS.sidekiqAutoscalingMinReplicas) : undefined;
  const resources = resolveResources(props.resources ?? {}, undefined, problems, 'sidekiq.', DEFAULTS.sidekiqResources);
  const q = props.queueLatencyScaling;
  const queueLatencyScaling = q
    ? { prometheusUrl: q.prometheusUrl ?? DEFAULTS.kedaPrometheusUrl, thresholdSeconds: q.thresholdSeconds ?? DEFAULTS.sidekiqQueueLatencyThresholdSeconds }
    : undefined;
  if (queueLatencyScaling) {
    if (!autoscaling)
      problems.push({
        path: 'sidekiq.queueLatencyScaling',
        message: `needs ${opt('sidekiq.autoscaling')}: KEDA scales between its minReplicas and maxReplicas`,
        fix: `add ${opt('sidekiq.autoscaling.maxReplicas')}`,
      });
    if (!isHttpUrl(queueLatencyScaling.prometheusUrl))
      problems.push({
        path: 'sidekiq.queueLatencyScaling.prometheusUrl',
        message: `${show(queueLatencyScaling.prometheusUrl)} is not an http(s) URL`,
        fix: 'write e.g. http://prometheus-operated.monitoring.svc:9090',
      });
    const t = queueLatencyScaling.thresholdSeconds;
    if (!(Number.isInteger(t) && t >= 1 && t <= 3600))
      problems.push({
        path: 'sidekiq.queueLatencyScaling.thresholdSeconds',
        message: `${show(t)} is not a number of seconds from 1 to 3600`,
        fix: 'use e.g. 30',
      });
  }
  const maxMemoryMebibytes = props.maxMemory !== undefined ? (wholeMebibytes(props.maxMemory) ?? 0) : r.sidekiqMaxMemory;
  if (mode !== 'separate') {
    for (const key of ['replicas', 'autoscaling', 'resources', 'maxMemory', 'queueLatencyScaling'] as const) {
      if (props[key] !== undefined)
        problems.push({
          path: `sidekiq.${key}`,
          message: `only applies with ${opt('sidekiq.mode')}: separate`,
          fix: `remove it, or set ${opt('sidekiq.mode')}: separate`,
        });
    }
  } else {
    if (!Number.isInteger(replicas) || replicas < 0 || replicas > 100)
      problems.push({ path: 'sidekiq.replicas', message: `${show(replicas)} is not a replica count`, fix: 'use a whole number from 0 to 100' });
    if (autoscaling) {
      if (props.replicas !== undefined)
        problems.push({
          path: 'sidekiq.replicas',
          message: `is set together with ${opt('sidekiq.autoscaling')}`,
          fix: `remove ${opt('sidekiq.replicas')}: the autoscaler owns the count`,
        });
      checkAutoscaling(autoscaling, 'sidekiq.autoscaling', problems);
    }
    if (!r.s3Enabled && r.accessMode === 'ReadWriteOnce')
      problems.push({
        path: 'sidekiq.mode',
        message: 'separate Sidekiq pods would share the ReadWriteOnce uploads volume with the web pods',
        fix: `set ${opt('s3Enabled')} (uploads in S3) or ${opt('uploads.accessMode')}: ReadWriteMany, or keep ${opt('sidekiq.mode')}: embedded`,
      });
    const limit = wholeMebibytes(resources.memoryLimit);
    if (props.maxMemory !== undefined && maxMemoryMebibytes === 0)
      problems.push({ path: 'sidekiq.maxMemory', message: 'is not a whole number of Mi', fix: 'use Mi or Gi, e.g. 1000Mi' });
    else if (limit !== undefined && maxMemoryMebibytes >= limit)
      problems.push({
        path: props.maxMemory !== undefined ? 'sidekiq.maxMemory' : 'sidekiqMaxMemory',
        message: `${maxMemoryMebibytes} MiB is not below the Sidekiq memory limit (${limit} MiB): the OOM killer would act first and lose the running jobs`,
        fix: `lower it or raise ${opt('sidekiq.resources.memoryLimit')}`,
      });
  }
  const maxPods = mode !== 'separate' ? 0 : autoscaling ? autoscaling.maxReplicas : replicas;
  return { mode, replicas, autoscaling, maxPods, resources, maxMemoryMebibytes, ...(queueLatencyScaling ? { queueLatencyScaling } : {}) };
}

/** The NetworkPolicy settings, with their defaults. */
function resolveNetworkPolicy(networkPolicy: NetworkPolicyProps, problems: Problem[]): Required<NetworkPolicyProps> {
  const netpol = {
    enabled: networkPolicy.enabled ?? true,
    ingressNamespace: networkPolicy.ingressNamespace ?? DEFAULTS.ingressNamespace,
    monitoringNamespace: networkPolicy.monitoringNamespace ?? DEFAULTS.monitoringNamespace,
    restrictEgress: networkPolicy.restrictEgress ?? false,
    httpFrom: networkPolicy.httpFrom ?? [{ namespace: networkPolicy.ingressNamespace ?? DEFAULTS.ingressNamespace }],
  };
  for (const [i, peer] of netpol.httpFrom.entries()) {
    if (!isDnsLabel(peer.namespace))
      problems.push({ path: `networkPolicy.httpFrom[${i}].namespace`, message: `${show(peer.namespace)} is not a namespace name`, fix: 'use a DNS label' });
  }
  for (const key of ['ingressNamespace', 'monitoringNamespace'] as const) {
    if (!isDnsLabel(netpol[key]))
      problems.push({ path: `networkPolicy.${key}`, message: `${show(netpol[key])} is not a namespace name`, fix: 'use a DNS label' });
  }
  return netpol;
}

/** The user's extra env: names the mapping does not own, no credentials in plain text. */
function checkExtraEnv(extraEnv: Readonly<Record<string, string>>, extraSecretEnv: Readonly<Record<string, SecretKeyRef>>, problems: Problem[]): void {
  const checkName = (key: string, path: string) => {
    if (!ENV_NAME.test(key)) problems.push({ path, message: `${show(key)} is not an environment variable name`, fix: 'use letters, digits and _' });
    else if (MANAGED_ENV_PATTERNS.some((re) => re.test(key)))
      problems.push({ path, message: `${key} is set from the typed options`, fix: 'set the matching option (docs/reference.md) instead' });
  };
  for (const [key, value] of Object.entries(extraEnv)) {
    checkName(key, `extraEnv.${key}`);
    if (typeof value !== 'string') problems.push({ path: `extraEnv.${key}`, message: `${show(value)} is not a string`, fix: 'quote the value' });
    else if (SECRET_ENV_NAME.test(key))
      problems.push({
        path: `extraEnv.${key}`,
        message: 'looks like a credential; a plaintext value is not allowed here (value hidden)',
        fix: `create a Secret and move it to ${opt('extraSecretEnv')}: { ${key}: { secret: <name>, key: <key> } }`,
      });
  }
  for (const [key, ref] of Object.entries(extraSecretEnv)) {
    checkName(key, `extraSecretEnv.${key}`);
    if (key in extraEnv) problems.push({ path: `extraSecretEnv.${key}`, message: `is also in ${opt('extraEnv')}`, fix: 'keep one of them' });
    checkSecretRef(ref, `extraSecretEnv.${key}`, problems);
  }
}

/**
 * Applies defaults and every validation rule to Discourse props. Returns the problems
 * instead of throwing so that a site file can report all of its problems, and several
 * files theirs, at once.
 */
export function resolveDiscourse(props: DiscourseProps, defaultName: string): { resolved: ResolvedDiscourse; problems: Problem[] } {
  const problems: Problem[] = [];
  const {
    name = defaultName,
    image,
    replicas = DEFAULTS.replicas,
    autoscaling,
    resources = {},
    database,
    redis,
    saml,
    oidc,
    extraEnv = {},
    extraSecretEnv = {},
    proxy,
    metrics = DEFAULTS.metrics,
    prometheusTrustedIpAllowlistRegex,
    pebble = PebbleSource.fromImage(),
    pebbleHealthPort = DEFAULTS.pebbleHealthPort,
    killDelay = DEFAULTS.killDelay,
    startupTimeout = DEFAULTS.startupTimeout,
    uploads = {},
    secretKeyBase,
    lokiUrl,
    otlpLogsUrl,
    networkPolicy = {},
    migrations = true,
    imagePullSecrets = [],
    nodeSelector = {},
    priorityClassName,
    unicornWorkers,
    reloadOnSecretChange = true,
    readOnlyRootFilesystem = true,
    writablePaths = [],
    databaseExtensions,
    operations = [],
    sidekiq = {},
    backups,
    ...config
  } = props;

  const hasImage = checkIdentity(name, image, problems);
  const timings = checkRuntime({ replicas, metrics, trustedIps: prometheusTrustedIpAllowlistRegex, pebbleHealthPort, killDelay, startupTimeout }, problems);
  checkRelations({ database, redis, saml, oidc, proxy, secretKeyBase }, problems);
  checkPodSettings({ lokiUrl, otlpLogsUrl, imagePullSecrets, nodeSelector, priorityClassName, unicornWorkers, writablePaths }, problems);
  checkDataTasks({ databaseExtensions, database, operations }, problems);
  const resolvedConfig: ResolvedConfig = resolveConfig(
    config,
    { siteName: name, samlConfigured: saml !== undefined, oidcConfigured: oidc !== undefined, backupVolume: backups?.to === 'volume' },
    problems,
  );
  const resolvedResources = resolveResources(resources, uploads.size, problems);
  const { scaling, maxPods, accessMode } = resolveScaling(
    { replicas, replicasGiven: props.replicas !== undefined, autoscaling, uploads, s3Enabled: resolvedConfig.s3Enabled },
    problems,
  );
  const resolvedBackups = backups && resolveBackups(backups, { s3BackupBucket: resolvedConfig.s3BackupBucket, maxPods }, problems);
  const netpol = resolveNetworkPolicy(networkPolicy, problems);
  const resolvedSidekiq = resolveSidekiq(
    sidekiq,
    { s3Enabled: resolvedConfig.s3Enabled, accessMode, sidekiqMaxMemory: resolvedConfig.sidekiqMaxMemory },
    problems,
  );
  // Discourse makes its backups in a Sidekiq job: separate Sidekiq pods write the backups
  // volume too, which a ReadWriteOnce claim cannot give them next to the web pods.
  if (resolvedSidekiq.mode === 'separate' && resolvedBackups?.volume?.accessMode === 'ReadWriteOnce')
    problems.push({
      path: 'backups.volume.accessMode',
      message: `ReadWriteOnce cannot be shared by the web pods and the separate Sidekiq pods, which make the backups`,
      fix: `use ReadWriteMany, or ${opt('backups.to')}: s3, or ${opt('sidekiq.mode')}: embedded`,
    });
  checkExtraEnv(extraEnv, extraSecretEnv, problems);

  // The env is computed only from valid inputs; a site with problems is never built.
  const env =
    problems.length === 0
      ? siteEnvironment({
          config: resolvedConfig,
          saml,
          oidc,
          proxy,
          metrics,
          unicornWorkers,
          prometheusTrustedIpAllowlistRegex,
          database,
          redis,
          secretKeyBase,
          extraEnv,
          extraSecretEnv,
        })
      : { environment: {}, secretEnvironment: [] };
  const resolved: ResolvedDiscourse = {
    isResolved: true,
    name,
    image: hasImage ? imageReference(image) : '',
    version: hasImage ? image.tag : '',
    ...(hasImage && image.plugins?.length && image.base
      ? { imageRecipe: { base: image.base, plugins: image.plugins, target: `${image.repository}:${image.tag}` } }
      : {}),
    replicas,
    autoscaling: scaling,
    maxPods,
    config: resolvedConfig,
    metrics,
    pebble,
    pebbleHealthPort,
    ...timings,
    resources: resolvedResources,
    uploads: { enabled: !resolvedConfig.s3Enabled, size: uploads.size ?? DEFAULTS.uploadsSize, storageClassName: uploads.storageClassName, accessMode },
    networkPolicy: netpol,
    lokiUrl,
    otlpLogsUrl,
    migrations,
    imagePullSecrets,
    nodeSelector,
    priorityClassName,
    reloadOnSecretChange,
    readOnlyRootFilesystem,
    writablePaths,
    databaseExtensions,
    operations,
    sidekiq: resolvedSidekiq,
    ...(resolvedBackups ? { backups: resolvedBackups } : {}),
    database,
    redis,
    environment: env.environment,
    secretEnvironment: env.secretEnvironment,
  };
  return { resolved, problems };
}
