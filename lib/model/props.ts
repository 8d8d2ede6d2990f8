import { Duration, Size } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { BackupProps, ResolvedBackups } from './backups';
import { SecretKeyRef, SecretEnv } from '../core/checks';
import { DiscourseConfig, ResolvedConfig } from './config';
import { PostgresConnection } from './database';
import { DatabaseExtensions } from './database-extensions';
import { DiscoursePlugin, ImageRecipe } from './image-recipe';
import { MetricsMode, OidcProps, ProxyProps, SamlProps } from './environment';
import { Operation } from './operations';
import { RedisConnection } from './redis';

/**
 * The Discourse construct's props (every charm option plus how the pod runs) and the
 * resolved form the constructs build from; resolve-discourse.ts turns one into the other.
 */

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
  /**
   * Plugins baked into this image at pinned commits, never installed at run time: synth
   * writes the recipe (`dist/images/<site>/`) that builds this image from `base`; the
   * digest is then required.
   * @default - the rock's own plugins only
   * @see https://meta.discourse.org/t/install-plugins-on-a-self-hosted-site/19157
   */
  readonly plugins?: readonly DiscoursePlugin[];
  /**
   * The rock the plugins are baked onto, `repository:tag@sha256:…` (required with `plugins`).
   * @default - none: only used with plugins
   */
  readonly base?: string;
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

/** Pods that may send HTTP to the forum: a namespace, optionally narrowed by pod labels. */
export interface HttpPeer {
  readonly namespace: string;
  /** @default - every pod of the namespace */
  readonly podLabels?: Readonly<Record<string, string>>;
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
  /**
   * Where HTTP may come from: namespaces, each with the labels of the proxy pods in it
   * (a Gateway's data plane), or without labels for every pod of the namespace.
   * @default - every pod of `ingressNamespace`
   */
  readonly httpFrom?: readonly HttpPeer[];
  /** @default 'monitoring' */
  readonly monitoringNamespace?: string;
  /**
   * Also restrict egress to DNS and the ports the site needs: PostgreSQL, Redis, SMTP,
   * HTTP(S) (S3, identity providers, link previews), Loki and the proxy.
   * @default false
   */
  readonly restrictEgress?: boolean;
}

/** How Sidekiq runs: in the web pods as the charm runs it, or as its own Deployment. */
export type SidekiqMode = 'embedded' | 'separate';

/** Sidekiq's own Deployment (`<site>-sidekiq`), for `mode: 'separate'`. */
export interface SidekiqProps {
  /**
   * `embedded`: the Unicorn master of every web pod forks one Sidekiq (`UNICORN_SIDEKIQS=1`),
   * as the charm runs it. `separate`: web pods run none (`UNICORN_SIDEKIQS=0`) and a
   * `<site>-sidekiq` Deployment runs Sidekiq under Pebble, scaled on its own; needs S3 or a
   * ReadWriteMany uploads volume (jobs read and write uploads).
   * @default 'embedded'
   */
  readonly mode?: SidekiqMode;
  /**
   * Sidekiq pods (separate mode).
   * @default 1
   */
  readonly replicas?: number;
  /**
   * Scale the Sidekiq pods with a HorizontalPodAutoscaler on CPU (separate mode).
   * @default - a fixed `replicas`
   */
  readonly autoscaling?: AutoscalingProps;
  /**
   * Requests and limits of the Sidekiq container (separate mode).
   * @default - 250m/1 CPU, 1Gi/2Gi memory
   */
  readonly resources?: DiscourseResources;
  /**
   * RSS above which Pebble restarts Sidekiq gracefully (separate mode): the role of the
   * charm's `sidekiq_max_memory`, which the Unicorn master applies in embedded mode. Below
   * the memory limit, so that the restart is a TERM (jobs pushed back), not an OOM kill.
   * @default - the charm option sidekiq_max_memory (1000 MB)
   */
  readonly maxMemory?: Size;
  /**
   * Scale on queue latency too, with a KEDA ScaledObject in place of the
   * HorizontalPodAutoscaler (separate mode, with `autoscaling`): KEDA owns the HPA and
   * adds pods when the oldest job of any queue has waited longer than the threshold, or
   * CPU passes `autoscaling.cpuUtilization`.
   * @default - CPU only, with a HorizontalPodAutoscaler (no KEDA needed)
   */
  readonly queueLatencyScaling?: QueueLatencyScalingProps;
}

/** Scaling Sidekiq on the plugin's `discourse_sidekiq_queue_latency_seconds` through KEDA. */
export interface QueueLatencyScalingProps {
  /**
   * Prometheus that scrapes the site.
   * @default 'http://prometheus-operated.monitoring.svc:9090' (kube-prometheus-stack)
   */
  readonly prometheusUrl?: string;
  /**
   * Seconds a queue's oldest job may wait before KEDA adds a pod.
   * @default 30
   */
  readonly thresholdSeconds?: number;
}

/** Props of a Discourse site: every charm option plus how the pod runs. */
export interface DiscourseProps extends DiscourseConfig {
  /**
   * Base name of every resource and the `app.kubernetes.io/instance` label.
   * @default - the construct id
   */
  readonly name?: string;
  /**
   * The Discourse image: the charm's rock, from Charmhub or built with rockcraft and
   * pushed to your registry (docs/image.md). No default: no public registry has it.
   */
  readonly image: DiscourseImage;
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
   * docs/pebble.md).
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
   * OpenTelemetry collector base URL (OTLP/HTTP; Pebble posts JSON to `<url>/v1/logs`) for a
   * Pebble log target of type `opentelemetry`, with resource attributes `site` and
   * `namespace` (and Pebble's `service.name`): needs Pebble v1.25.0 or later. Not with `lokiUrl`.
   * @default - logs go to stdout only
   */
  readonly otlpLogsUrl?: string;
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
   * Run `rake db:migrate` in a Job before the rollout (an Argo CD sync wave; a
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
  /**
   * Sidekiq in the web pods (as the charm) or as its own Deployment.
   * @default - embedded
   */
  readonly sidekiq?: SidekiqProps;
  /**
   * Discourse's automatic backups, set by a site-setting Job (schedule, how many, where).
   * @default - the site settings are left as they are (Discourse's default: weekly, 5 kept, local or the S3 backup bucket)
   */
  readonly backups?: BackupProps;
}

/** Sidekiq with defaults applied. */
export interface ResolvedSidekiq {
  readonly mode: SidekiqMode;
  readonly replicas: number;
  readonly autoscaling?: Required<AutoscalingProps>;
  /** The most Sidekiq pods that can run at once. */
  readonly maxPods: number;
  readonly resources: Required<DiscourseResources>;
  /** RSS limit of the Sidekiq process, MiB. */
  readonly maxMemoryMebibytes: number;
  /** KEDA scaling on queue latency, when asked for. */
  readonly queueLatencyScaling?: Required<QueueLatencyScalingProps>;
}

/** Props with defaults applied and everything derived that the constructs need. */
export interface ResolvedDiscourse {
  /** Marks a value that went through {@link resolveDiscourse}: constructs trust it as it is. */
  readonly isResolved: true;
  readonly name: string;
  readonly image: string;
  readonly version: string;
  /** How to build the image, when it bakes plugins. */
  readonly imageRecipe?: ImageRecipe;
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
  readonly otlpLogsUrl?: string;
  readonly migrations: boolean;
  readonly imagePullSecrets: readonly string[];
  readonly nodeSelector: Readonly<Record<string, string>>;
  readonly priorityClassName?: string;
  readonly reloadOnSecretChange: boolean;
  readonly readOnlyRootFilesystem: boolean;
  readonly writablePaths: readonly string[];
  readonly databaseExtensions?: DatabaseExtensions;
  readonly operations: readonly Operation[];
  readonly sidekiq: ResolvedSidekiq;
  readonly backups?: ResolvedBackups;
  readonly database: PostgresConnection;
  readonly redis: RedisConnection;
  /** Non-secret env of the Discourse service (the Pebble layer's `environment`). */
  readonly environment: Record<string, string>;
  /** Env from Secrets (the container's `env`, inherited by Pebble services). */
  readonly secretEnvironment: SecretEnv[];
}
