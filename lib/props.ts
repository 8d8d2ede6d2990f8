import { Duration, Size } from 'cdk8s';
import { DEFAULTS } from './defaults';
import { wholeMebibytes } from './units';
import { Cpu } from 'cdk8s-plus-28';
import { DiscourseConfig, ResolvedConfig, resolveConfig } from './config';
import { SecretKeyRef, checkSecretRef, isDnsLabel, isHttpUrl, isDnsSubdomain, isLabelKey, isLabelValue, SecretEnv } from './checks';
import { PostgresConnection } from './database';
import { MANAGED_ENV_PATTERNS, MetricsMode, OidcProps, ProxyProps, SECRET_ENV_NAME, SamlProps, siteEnvironment } from './environment';
import { DatabaseExtensions } from './database-extensions';
import { Operation, validateOperation } from './operations';
import { MOUNTED_PATHS } from './paths';
import { Problem, opt, show } from './problems';
import { RedisConnection, validateRedis } from './redis';

/** The Discourse OCI image. */
export interface DiscourseImage {
  /** Registry and repository. */
  readonly repository: string;
  /** Tag; also the `app.kubernetes.io/version` label. */
  readonly tag: string;
  /**
   * Digest (`sha256:...`) that pins the exact image.
   * @default - tag only
   */
  readonly digest?: string;
}

/** Where the Pebble binary comes from. */
export class PebbleSource {
  /**
   * Pebble ships in the image (rocks have it at `/bin/pebble`).
   * @param path where the binary is in the image
   */
  public static fromImage(path = '/bin/pebble'): PebbleSource {
    return new PebbleSource(path);
  }

  /**
   * An init container copies Pebble from `image` into a shared volume mounted at
   * `/charm/bin`, as Juju does; for images without Pebble. The image needs `cp`.
   * @param image image containing Pebble
   * @param path where the binary is in that image
   */
  public static fromInitContainer(image: string, path = '/bin/pebble'): PebbleSource {
    return new PebbleSource(INJECTED_PEBBLE, { image, path });
  }

  private constructor(
    /** Path of the binary the Discourse container runs. */
    public readonly binary: string,
    /** The init container that provides it, if any. */
    public readonly init?: { readonly image: string; readonly path: string },
  ) {}
}

/** Where an init container puts Pebble: the same path Juju uses. */
export const INJECTED_PEBBLE = '/charm/bin/pebble';

/** Requests and limits of the Discourse container. */
export interface DiscourseResources {
  /** @default Cpu.millis(500) */
  readonly cpuRequest?: Cpu;
  /** @default Cpu.units(2) */
  readonly cpuLimit?: Cpu;
  /** @default Size.gibibytes(2) */
  readonly memoryRequest?: Size;
  /** @default Size.gibibytes(4) */
  readonly memoryLimit?: Size;
}

/** The volume that keeps uploads and local backups when S3 is off. */
export interface UploadsVolume {
  /** @default Size.gibibytes(20) */
  readonly size?: Size;
  /** @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
  /**
   * `ReadWriteMany` lets several replicas share uploads; `ReadWriteOnce` forces one replica and the Recreate strategy.
   * @default 'ReadWriteOnce'
   */
  readonly accessMode?: 'ReadWriteOnce' | 'ReadWriteMany';
}

/** HorizontalPodAutoscaler bounds. */
export interface AutoscalingProps {
  /** @default 2 */
  readonly minReplicas?: number;
  /** Upper bound. */
  readonly maxReplicas: number;
  /**
   * Target average CPU utilisation, percent of the request.
   * @default 70
   */
  readonly cpuUtilization?: number;
}

/** Which namespaces may reach the pod. */
export interface NetworkPolicyProps {
  /**
   * Emit a NetworkPolicy that only admits the ingress controller (HTTP) and Prometheus (metrics).
   * @default true
   */
  readonly enabled?: boolean;
  /** @default 'ingress-nginx' */
  readonly ingressNamespace?: string;
  /** @default 'monitoring' */
  readonly monitoringNamespace?: string;
  /**
   * Also restrict egress to DNS and the ports the site needs: PostgreSQL, Redis, SMTP,
   * HTTP(S) (S3, identity providers, link previews), Loki and the proxy.
   * @default false
   */
  readonly restrictEgress?: boolean;
}

/** Props of a Discourse site: every charm option plus how the pod runs. */
export interface DiscourseProps extends DiscourseConfig {
  /**
   * Base name of every resource and the `app.kubernetes.io/instance` label.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * The Discourse image.
   * @default DEFAULT_IMAGE: the charm's rock (see README)
   */
  readonly image?: DiscourseImage;
  /**
   * Number of pods. Above 1 needs S3 or a ReadWriteMany uploads volume.
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Scale on CPU with a HorizontalPodAutoscaler instead of a fixed count; the Deployment
   * then has no `replicas`, so Argo CD and Flux do not fight the autoscaler.
   * @default - a fixed `replicas`
   */
  readonly autoscaling?: AutoscalingProps;
  /**
   * CPU and memory requests and limits of the Discourse container (Jobs use the same).
   * @default - 500m/2 CPU, 2Gi/4Gi memory (see DiscourseResources)
   */
  readonly resources?: DiscourseResources;
  /** PostgreSQL connection. */
  readonly database: PostgresConnection;
  /** Redis connection. */
  readonly redis: RedisConnection;
  /**
   * SAML identity provider (the charm's saml relation).
   * @default - no SAML
   */
  readonly saml?: SamlProps;
  /**
   * More Discourse settings as plain env (e.g. `DISCOURSE_MAXMIND_ACCOUNT_ID`), for what
   * the charm has no option for. Variables the typed options set are refused, and so
   * are names that look like credentials: put those in `extraSecretEnv`.
   * @default {}
   * @see https://github.com/discourse/discourse/blob/main/config/discourse_defaults.conf
   */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /**
   * More env from Secrets (e.g. `DISCOURSE_MAXMIND_LICENSE_KEY`).
   * @default {}
   */
  readonly extraSecretEnv?: Readonly<Record<string, SecretKeyRef>>;
  /**
   * OpenID Connect login (the charm's oauth relation); needs `forceHttps`.
   * @default - no OIDC
   */
  readonly oidc?: OidcProps;
  /**
   * HTTP proxy for outgoing requests.
   * @default - no proxy
   */
  readonly proxy?: ProxyProps;
  /**
   * `exporter`: the discourse-prometheus collector on port 9394 (`metrics`);
   * `plugin`: `/metrics` on the Unicorn port 3000, as later charm revisions.
   * @default 'exporter'
   */
  readonly metrics?: MetricsMode;
  /**
   * Client IPs, besides private (RFC 1918) and loopback ones, that may read
   * `/metrics` in plugin mode: a Ruby regex matched against the address,
   * e.g. `^100\.(6[4-9]|[7-9][0-9]|1[01][0-9]|12[0-7])\.` for a pod network in
   * 100.64.0.0/10. Sets the plugin's `prometheus_trusted_ip_allowlist_regex`
   * global setting (`DISCOURSE_PROMETHEUS_TRUSTED_IP_ALLOWLIST_REGEX`); a
   * site file writes it as `monitoring.trusted_ip_allowlist_regex`.
   * @see https://github.com/discourse/discourse-prometheus (lib/middleware/metrics.rb)
   * @default - only private and loopback clients (and admins)
   */
  readonly prometheusTrustedIpAllowlistRegex?: string;
  /**
   * Where Pebble comes from: v1.1.1 or later, v1.6.0 or later with `lokiUrl` (see the
   * README's Pebble versions).
   * @default PebbleSource.fromImage('/bin/pebble')
   */
  readonly pebble?: PebbleSource;
  /**
   * Port of Pebble's HTTP API (health endpoint).
   * @default 38813 (Juju's first workload container)
   */
  readonly pebbleHealthPort?: number;
  /**
   * Time Pebble gives Unicorn between SIGTERM and SIGKILL; the log tailer gets 2 s more and
   * the pod's grace period 10 s more.
   * @default Duration.seconds(20) (the charm's kill-delay)
   */
  readonly killDelay?: Duration;
  /**
   * How long one Unicorn boot may take: the startup probe restarts a pod that has not
   * answered on port 3000 by then, and Pebble's `discourse-up` check sits out two boots
   * and a backoff before it restarts Unicorn.
   * @default Duration.minutes(10)
   */
  readonly startupTimeout?: Duration;
  /**
   * The PersistentVolumeClaim for uploads and local backups; only when S3 is off.
   * @default - 20Gi ReadWriteOnce on the default StorageClass (see UploadsVolume)
   */
  readonly uploads?: UploadsVolume;
  /**
   * `SECRET_KEY_BASE` from a Secret, so sessions survive a Redis flush.
   * @default - Discourse generates one and keeps it in Redis
   */
  readonly secretKeyBase?: SecretKeyRef;
  /**
   * Loki push URL (`.../loki/api/v1/push`) for a Pebble log target (with a `site` label:
   * needs Pebble v1.6.0 or later).
   * @default - logs go to stdout only
   */
  readonly lokiUrl?: string;
  /**
   * The site's NetworkPolicy.
   * @default - on: ingress from ingress-nginx and monitoring only (see NetworkPolicyProps)
   */
  readonly networkPolicy?: NetworkPolicyProps;
  /**
   * Secrets for pulling the image from a private registry (where you pushed the rock).
   * @default []
   */
  readonly imagePullSecrets?: readonly string[];
  /**
   * Node labels the pods must match.
   * @default {}
   */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /**
   * PriorityClass of the pods.
   * @default - the cluster default
   */
  readonly priorityClassName?: string;
  /**
   * Unicorn worker processes (`UNICORN_WORKERS`); size memory with it (~300 MB each).
   * @default - Discourse's default, 3
   */
  readonly unicornWorkers?: number;
  /**
   * Annotate the Deployment for Stakater Reloader with every Secret it reads, so a
   * rotated password rolls the pods (the charm's master_changed restart).
   * @default true
   */
  readonly reloadOnSecretChange?: boolean;
  /**
   * Mount the root filesystem read-only (Pod Security "restricted" allows either;
   * read-only is the hardening). Discourse writes to `/tmp`, `app/tmp`, `app/log` and
   * the uploads, which get volumes; turn this off only for images that write elsewhere.
   * @default true
   */
  readonly readOnlyRootFilesystem?: boolean;
  /**
   * More paths that get a writable emptyDir (e.g. for plugins that write at boot).
   * @default []
   */
  readonly writablePaths?: readonly string[];
  /**
   * Run `rake db:migrate` in a Job before the rollout (Argo CD PreSync hook; a
   * content-hashed Job for Flux and kubectl) and hold web pods in an init
   * container until no migration is pending.
   * @default true
   */
  readonly migrations?: boolean;
  /**
   * Create the extensions Discourse needs (hstore, pg_trgm), as the charm does
   * when the database joins: a superuser Job, or a CloudNativePG Database object.
   * @default - none: the extensions must already exist
   */
  readonly databaseExtensions?: DatabaseExtensions;
  /**
   * The charm's actions to render as Jobs.
   * @default []
   */
  readonly operations?: readonly Operation[];
}

/** The image the charm runs; built from discourse-k8s-operator's `discourse_rock/`. */
export const DEFAULT_IMAGE: DiscourseImage = { repository: 'discourse', tag: '1.0' };

/** Props with defaults applied and everything derived that the constructs need. */
export interface ResolvedDiscourse {
  /** Marks a value that went through {@link resolveDiscourse}: constructs trust it as it is. */
  readonly isResolved: true;
  readonly name: string;
  readonly image: string;
  readonly version: string;
  readonly replicas: number;
  readonly autoscaling?: Required<AutoscalingProps>;
  /** The most pods that can run at once: `replicas`, or the autoscaler's maximum. */
  readonly maxPods: number;
  readonly config: ResolvedConfig;
  readonly metrics: MetricsMode;
  readonly pebble: PebbleSource;
  readonly pebbleHealthPort: number;
  readonly killDelaySeconds: number;
  readonly startupTimeoutSeconds: number;
  readonly resources: Required<DiscourseResources>;
  readonly uploads: {
    readonly enabled: boolean;
    readonly size: Size;
    readonly storageClassName?: string;
    readonly accessMode: 'ReadWriteOnce' | 'ReadWriteMany';
  };
  readonly networkPolicy: Required<NetworkPolicyProps>;
  readonly lokiUrl?: string;
  readonly migrations: boolean;
  readonly imagePullSecrets: readonly string[];
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly priorityClassName?: string;
  readonly reloadOnSecretChange: boolean;
  readonly readOnlyRootFilesystem: boolean;
  readonly writablePaths: readonly string[];
  readonly databaseExtensions?: DatabaseExtensions;
  readonly operations: readonly Operation[];
  readonly database: PostgresConnection;
  readonly redis: RedisConnection;
  /** Non-secret env of the Discourse service (the Pebble layer's `environment`). */
  readonly environment: Record<string, string>;
  /** Env from Secrets (the container's `env`, inherited by Pebble services). */
  readonly secretEnvironment: SecretEnv[];
}

const IMAGE_REPOSITORY = /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const IMAGE_TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
const FINGERPRINT = /^([0-9A-F]{2}:){19}[0-9A-F]{2}$/;

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

/**
 * Applies defaults and every validation rule to Discourse props. Returns the
 * problems instead of throwing so that a site file can report all of its
 * problems, and several files theirs, at once.
 */
export function resolveDiscourse(props: DiscourseProps, defaultName: string): { resolved: ResolvedDiscourse; problems: Problem[] } {
  const problems: Problem[] = [];
  const {
    name: siteName = defaultName,
    image = DEFAULT_IMAGE,
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
    ...config
  } = props;

  // Room for suffixes such as "-uploads" and "-migrate-<hash>" within the 63-character limit.
  if (typeof siteName !== 'string' || !isDnsLabel(siteName, 40)) {
    problems.push({
      path: 'name',
      message: `${show(siteName)} is not a valid site name`,
      fix: 'use at most 40 lowercase letters, digits and "-", starting and ending with a letter or digit',
    });
  }
  if (!IMAGE_REPOSITORY.test(image.repository ?? ''))
    problems.push({
      path: `image.repository`,
      message: `${show(image.repository)} is not an image repository`,
      fix: 'write registry/path/name without tag, e.g. ghcr.io/acme/discourse',
    });
  if (!IMAGE_TAG.test(image.tag ?? '') || image.tag === 'latest')
    problems.push({ path: `image.tag`, message: `${show(image.tag)} is not a pinned tag`, fix: 'use an explicit version tag (not "latest")' });
  if (image.digest !== undefined && !DIGEST.test(image.digest))
    problems.push({ path: `image.digest`, message: `${show(image.digest)} is not a sha256 digest`, fix: 'write sha256: followed by 64 hex digits' });
  if (!Number.isInteger(replicas) || replicas < 0 || replicas > 100)
    problems.push({ path: 'replicas', message: `${show(replicas)} is not a replica count`, fix: 'use a whole number from 0 to 100' });
  if (metrics !== 'exporter' && metrics !== 'plugin')
    problems.push({
      path: 'metrics',
      message: `${show(metrics)} is not one of exporter, plugin`,
      fix: 'use exporter (port 9394) or plugin (/metrics on 3000)',
    });
  if (prometheusTrustedIpAllowlistRegex !== undefined) {
    // The site file keeps this with the other monitoring settings.
    const path = 'prometheusTrustedIpAllowlistRegex';
    if (metrics !== 'plugin')
      problems.push({
        path,
        message: `only applies with metrics: plugin (metrics is ${show(metrics)}: Prometheus scrapes the collector on 9394, which checks no IPs)`,
        fix: 'remove it, or set metrics to plugin',
      });
    else if (prometheusTrustedIpAllowlistRegex === '' || !isRegex(prometheusTrustedIpAllowlistRegex))
      problems.push({ path, message: `${show(prometheusTrustedIpAllowlistRegex)} is not a regular expression`, fix: 'write e.g. ^100\\.64\\.' });
  }
  if (!Number.isInteger(pebbleHealthPort) || pebbleHealthPort < 1024 || pebbleHealthPort > 65535 || [3000, 9394].includes(pebbleHealthPort)) {
    problems.push({
      path: 'pebbleHealthPort',
      message: `${show(pebbleHealthPort)} cannot be Pebble's health port`,
      fix: 'use an unprivileged port other than 3000 and 9394, e.g. 38813',
    });
  }
  const killDelaySeconds = killDelay.toSeconds();
  if (!(killDelaySeconds >= 1 && killDelaySeconds <= 300))
    problems.push({ path: 'killDelay', message: `${killDelaySeconds}s is out of range`, fix: 'use 1 to 300 seconds' });
  const startupTimeoutSeconds = startupTimeout.toSeconds();
  if (!(startupTimeoutSeconds >= 30 && startupTimeoutSeconds <= 3600))
    problems.push({ path: 'startupTimeout', message: `${startupTimeoutSeconds}s is out of range`, fix: 'use 30 seconds to 1 hour' });

  if (!(database instanceof PostgresConnection))
    problems.push({ path: 'database', message: 'is required', fix: 'give a PostgreSQL connection (CloudNativePG, Crunchy PGO, a Secret, or values)' });
  else problems.push(...database.validate('database'));
  if (redis === undefined || redis === null) problems.push({ path: 'redis', message: 'is required', fix: 'give the Redis host (and port, password Secret)' });
  else problems.push(...validateRedis(redis, 'redis'));
  if (saml !== undefined) {
    if (!isHttpUrl(saml.targetUrl ?? '') || !saml.targetUrl.startsWith('https://'))
      problems.push({ path: `saml.targetUrl`, message: `${show(saml.targetUrl)} is not an https URL`, fix: "use the identity provider's SSO URL" });
    if (!FINGERPRINT.test(saml.certFingerprint ?? ''))
      problems.push({
        path: `saml.certFingerprint`,
        message: `${show(saml.certFingerprint)} is not a SHA-1 fingerprint`,
        fix: 'write 20 upper-case hex bytes separated by colons (openssl x509 -noout -fingerprint -sha1)',
      });
  }
  if (oidc !== undefined) {
    if (!isHttpUrl(oidc.issuerUrl ?? '') || !oidc.issuerUrl.startsWith('https://'))
      problems.push({
        path: `oidc.issuerUrl`,
        message: `${show(oidc.issuerUrl)} is not an https URL`,
        fix: "use the provider's issuer URL, e.g. https://login.example.com/realms/main",
      });
    if (typeof oidc.clientId !== 'string' || oidc.clientId.trim() === '')
      problems.push({ path: `oidc.clientId`, message: 'is empty', fix: 'use the client id registered with the provider' });
    checkSecretRef(oidc.clientSecret, `oidc.clientSecret`, problems);
  }
  for (const [key, value] of Object.entries(proxy ?? {})) {
    if (key !== 'noProxy' && value !== undefined && !isHttpUrl(value as string))
      problems.push({ path: `proxy.${key}`, message: `${show(value)} is not an http(s) URL`, fix: 'write e.g. http://proxy.internal:3128' });
  }
  if (lokiUrl !== undefined && !isHttpUrl(lokiUrl))
    problems.push({
      path: 'lokiUrl',
      message: `${show(lokiUrl)} is not an http(s) URL`,
      fix: 'write the push URL, e.g. http://loki.monitoring:3100/loki/api/v1/push',
    });
  if (secretKeyBase !== undefined) checkSecretRef(secretKeyBase, 'secretKeyBase', problems);

  for (const secret of imagePullSecrets) {
    if (!isDnsSubdomain(secret))
      problems.push({ path: 'imagePullSecrets', message: `${show(secret)} is not a Secret name`, fix: 'name a kubernetes.io/dockerconfigjson Secret' });
  }
  for (const [key, value] of Object.entries(nodeSelector)) {
    if (!isLabelKey(key) || typeof value !== 'string' || !isLabelValue(value)) {
      problems.push({ path: 'nodeSelector', message: `${show(`${key}: ${String(value)}`)} is not a valid node label`, fix: 'use Kubernetes label syntax' });
    }
  }
  if (priorityClassName !== undefined && !isDnsSubdomain(priorityClassName)) {
    problems.push({ path: 'priorityClassName', message: `${show(priorityClassName)} is not a PriorityClass name`, fix: 'use a DNS name' });
  }
  if (unicornWorkers !== undefined && !(Number.isInteger(unicornWorkers) && unicornWorkers >= 1 && unicornWorkers <= 64)) {
    problems.push({ path: 'unicornWorkers', message: `${show(unicornWorkers)} is not a worker count`, fix: 'use a whole number from 1 to 64' });
  }
  const mounted = new Set<string>(MOUNTED_PATHS);
  for (const path of writablePaths) {
    if (typeof path !== 'string' || !/^\/[\w./-]*$/.test(path) || path.includes('..') || mounted.has(path.replace(/\/+$/, ''))) {
      problems.push({
        path: 'writablePaths',
        message: `${show(path)} is not an absolute path that is not already mounted`,
        fix: 'write absolute paths such as /srv/discourse/app/public/plugins',
      });
    }
    mounted.add(String(path));
  }
  if (databaseExtensions !== undefined) {
    if (!(databaseExtensions instanceof DatabaseExtensions))
      problems.push({
        path: 'databaseExtensions',
        message: 'is not a DatabaseExtensions',
        fix: 'use DatabaseExtensions.withSuperuserJob(...) or .withCloudNativePgDatabase(...)',
      });
    else problems.push(...databaseExtensions.validate(database instanceof PostgresConnection ? database : undefined, 'databaseExtensions'));
  }
  const subjects = new Set<string>();
  operations.forEach((op, i) => {
    problems.push(...validateOperation(op, `operations[${i}]`));
    const subject = `${op.action} ${'email' in op ? op.email : op.username}`;
    if (subjects.has(subject)) problems.push({ path: `operations[${i}]`, message: `repeats ${subject}`, fix: 'list each operation once' });
    subjects.add(subject);
  });
  const resolvedConfig = resolveConfig(config, { siteName, samlConfigured: saml !== undefined, oidcConfigured: oidc !== undefined }, problems);
  const sizes: Array<[string, Size | undefined]> = [
    [`resources.memoryRequest`, resources.memoryRequest],
    [`resources.memoryLimit`, resources.memoryLimit],
    [`uploads.size`, uploads.size],
  ];
  for (const [path, size] of sizes) {
    if (size !== undefined && wholeMebibytes(size) === undefined)
      problems.push({ path, message: 'is not a whole number of Mi', fix: 'use Mi or Gi, e.g. 512Mi or 4Gi' });
  }
  const millicores = (cpu: Cpu) => (cpu.amount.endsWith('m') ? Number(cpu.amount.slice(0, -1)) : Number(cpu.amount) * 1000);
  const cpuRequest = resources.cpuRequest ?? DEFAULTS.cpuRequest;
  const cpuLimit = resources.cpuLimit ?? DEFAULTS.cpuLimit;
  if (!(millicores(cpuRequest) > 0) || !(millicores(cpuLimit) > 0)) {
    problems.push({ path: `resources.cpuRequest`, message: 'CPU amounts must be positive', fix: 'use e.g. 500m or 2' });
  } else if (millicores(cpuRequest) > millicores(cpuLimit)) {
    problems.push({
      path: `resources.cpuRequest`,
      message: `${cpuRequest.amount} is larger than the CPU limit ${cpuLimit.amount}`,
      fix: 'raise the limit or lower the request',
    });
  }
  const memoryRequest = resources.memoryRequest ?? DEFAULTS.memoryRequest;
  const memoryLimit = resources.memoryLimit ?? DEFAULTS.memoryLimit;
  if ((wholeMebibytes(memoryRequest) ?? 0) > (wholeMebibytes(memoryLimit) ?? Infinity)) {
    problems.push({ path: `resources.memoryRequest`, message: 'is larger than the memory limit', fix: 'raise the limit or lower the request' });
  }
  const scaling = autoscaling
    ? {
        minReplicas: autoscaling.minReplicas ?? DEFAULTS.autoscalingMinReplicas,
        maxReplicas: autoscaling.maxReplicas,
        cpuUtilization: autoscaling.cpuUtilization ?? DEFAULTS.autoscalingCpuUtilization,
      }
    : undefined;
  if (scaling) {
    const a = (k: string) => `autoscaling.${k}`;
    if (!(Number.isInteger(scaling.minReplicas) && scaling.minReplicas >= 1))
      problems.push({ path: a('minReplicas'), message: `${show(scaling.minReplicas)} is not a positive replica count`, fix: 'use 1 or more' });
    if (!(Number.isInteger(scaling.maxReplicas) && scaling.maxReplicas >= scaling.minReplicas && scaling.maxReplicas <= 100)) {
      problems.push({
        path: a('maxReplicas'),
        message: `${show(scaling.maxReplicas)} is not between minReplicas (${scaling.minReplicas}) and 100`,
        fix: 'raise it to at least minReplicas',
      });
    }
    if (!(Number.isInteger(scaling.cpuUtilization) && scaling.cpuUtilization >= 10 && scaling.cpuUtilization <= 100)) {
      problems.push({ path: a('cpuUtilization'), message: `${show(scaling.cpuUtilization)} is not a percentage from 10 to 100`, fix: 'use e.g. 70' });
    }
    if (props.replicas !== undefined) {
      problems.push({
        path: 'replicas',
        message: `is set together with ${opt('autoscaling')}`,
        fix: `remove ${opt('replicas')}: the autoscaler owns the count`,
      });
    }
  }
  const maxPods = scaling ? scaling.maxReplicas : replicas;
  const accessMode = uploads.accessMode ?? DEFAULTS.uploadsAccessMode;
  if (accessMode !== 'ReadWriteOnce' && accessMode !== 'ReadWriteMany')
    problems.push({ path: `uploads.accessMode`, message: `${show(accessMode)} is not ReadWriteOnce or ReadWriteMany`, fix: 'use one of them' });
  if (!resolvedConfig.s3Enabled && maxPods > 1 && accessMode === 'ReadWriteOnce') {
    problems.push({
      path: scaling ? 'autoscaling.maxReplicas' : 'replicas',
      message: `${maxPods} replicas would share a ReadWriteOnce uploads volume`,
      fix: `set ${opt('s3Enabled')} (uploads in S3) or ${opt('uploads.accessMode')}: ReadWriteMany, or use 1 replica`,
    });
  }
  const netpol = {
    enabled: networkPolicy.enabled ?? true,
    ingressNamespace: networkPolicy.ingressNamespace ?? DEFAULTS.ingressNamespace,
    monitoringNamespace: networkPolicy.monitoringNamespace ?? DEFAULTS.monitoringNamespace,
    restrictEgress: networkPolicy.restrictEgress ?? false,
  };
  for (const key of ['ingressNamespace', 'monitoringNamespace'] as const) {
    if (!isDnsLabel(netpol[key]))
      problems.push({ path: `networkPolicy.${key}`, message: `${show(netpol[key])} is not a namespace name`, fix: 'use a DNS label' });
  }

  const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;
  const checkExtraName = (key: string, path: string) => {
    if (!envName.test(key)) problems.push({ path, message: `${show(key)} is not an environment variable name`, fix: 'use letters, digits and _' });
    else if (MANAGED_ENV_PATTERNS.some((re) => re.test(key)))
      problems.push({ path, message: `${key} is set from the typed options`, fix: 'set the matching option (see the README options table) instead' });
  };
  for (const [key, value] of Object.entries(extraEnv)) {
    checkExtraName(key, `extraEnv.${key}`);
    if (typeof value !== 'string') problems.push({ path: `extraEnv.${key}`, message: `${show(value)} is not a string`, fix: 'quote the value' });
    else if (SECRET_ENV_NAME.test(key))
      problems.push({
        path: `extraEnv.${key}`,
        message: 'looks like a credential; a plaintext value is not allowed here (value hidden)',
        fix: `create a Secret and move it to ${opt('extraSecretEnv')}: { ${key}: { secret: <name>, key: <key> } }`,
      });
  }
  for (const [key, ref] of Object.entries(extraSecretEnv)) {
    checkExtraName(key, `extraSecretEnv.${key}`);
    if (key in extraEnv) problems.push({ path: `extraSecretEnv.${key}`, message: `is also in ${opt('extraEnv')}`, fix: 'keep one of them' });
    checkSecretRef(ref, `extraSecretEnv.${key}`, problems);
  }
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
    name: siteName,
    image: imageReference(image),
    version: image.tag,
    replicas,
    autoscaling: scaling,
    maxPods,
    config: resolvedConfig,
    metrics,
    pebble,
    pebbleHealthPort,
    killDelaySeconds,
    startupTimeoutSeconds,
    resources: {
      cpuRequest: resources.cpuRequest ?? DEFAULTS.cpuRequest,
      cpuLimit: resources.cpuLimit ?? DEFAULTS.cpuLimit,
      memoryRequest: resources.memoryRequest ?? DEFAULTS.memoryRequest,
      memoryLimit: resources.memoryLimit ?? DEFAULTS.memoryLimit,
    },
    uploads: { enabled: !resolvedConfig.s3Enabled, size: uploads.size ?? DEFAULTS.uploadsSize, storageClassName: uploads.storageClassName, accessMode },
    networkPolicy: netpol,
    lokiUrl,
    migrations,
    imagePullSecrets,
    nodeSelector,
    priorityClassName,
    reloadOnSecretChange,
    readOnlyRootFilesystem,
    writablePaths,
    databaseExtensions,
    operations,
    database,
    redis,
    environment: env.environment,
    secretEnvironment: env.secretEnvironment,
  };
  return { resolved, problems };
}
