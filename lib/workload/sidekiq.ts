import { Chart } from 'cdk8s';
import { ScaledObject, ScaledObjectSpec } from '../../imports/keda.sh';
import { SKIP_DRY_RUN_ON_MISSING_CRD } from '../core/annotations';
import type { AutoscalingProps, QueueLatencyScalingProps } from '../model/props';
import { Construct } from 'constructs';
import * as k8s from '../../imports/k8s';
import {
  LAYER_FILE,
  LOG_TRIM_BYTES,
  LayerLogTarget,
  SERVICE_IDENTITY,
  TAIL_LINGER_SECONDS,
  logTargets,
  restartStretchSeconds,
  siteLogTarget,
} from '../pebble/discourse-layer';
import { METRICS_PORT } from '../model/environment';
import { OneShotSite, waitForMigrationsContainer } from './one-shot';
import { pebbleStopBoundSeconds } from '../pebble/pebble-timing';
import { PebbleCheck, PebbleLayer, PebbleService, layerDocument, renderLayer, validateLayer, validateLayerDocument } from '../pebble/pebble';
import { thresholdToTolerate } from '../pebble/pebble-timing';
import { APP_DIR } from '../core/paths';
import { ResolvedDiscourse } from '../model/props';
import { contentHash, sizeQuantity } from '../core/units';
import { commonLabels, containerResources, discourseContainer, discoursePodSpec, withVersion } from './workload';

/**
 * Sidekiq as its own workload (`sidekiq.mode: separate`): a `<site>-sidekiq` Deployment
 * whose container starts Pebble, which runs Sidekiq and the discourse-prometheus
 * collector from the layer below. Pure mappings first, the construct last.
 */

/** Where the boot file is mounted; Sidekiq's `-r` requires it instead of booting the app directory. */
export const SIDEKIQ_BOOT_DIR = '/srv/sidekiq';
export const SIDEKIQ_BOOT_FILE = 'boot.rb';

/** Where the sidekiq service writes its pid, for the memory check. */
export const SIDEKIQ_PID_FILE = '/tmp/sidekiq.pid';

/** Sidekiq's own shutdown timeout (`-t`), Discourse's Demon::Sidekiq::SIDEKIQ_SHUTDOWN_TIMEOUT_SECONDS. */
export const SIDEKIQ_SHUTDOWN_SECONDS = 5;

/** How often `sidekiq-up` reads the heartbeat; Sidekiq beats every 10 s and its process hash expires after 60 s. */
export const SIDEKIQ_UP_PERIOD_SECONDS = 30;

/** How often `sidekiq-memory` reads Sidekiq's RSS, and how many readings above the cap restart it. */
export const MEMORY_PERIOD_SECONDS = 60;
export const MEMORY_THRESHOLD = 3;

/** Labels that select a site's Sidekiq pods (never the web pods: the component differs). */
export function sidekiqSelectorLabels(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': 'discourse', 'app.kubernetes.io/instance': name, 'app.kubernetes.io/component': 'sidekiq' };
}

/**
 * The file Sidekiq's `-r` requires: what Sidekiq::CLI#boot_application does for a Rails
 * directory (sidekiq/rails, then config/environment.rb), then the event Unicorn's
 * config/unicorn.conf.rb triggers when it forks an embedded Sidekiq. discourse-prometheus
 * starts its process reporter on `sidekiq_fork_started` (plugin.rb: discourse_rss
 * type="sidekiq", discourse_job_failures, ...) and pre-creates the job counters; without
 * it a standalone Sidekiq reports only job runs.
 */
export const SIDEKIQ_BOOT_RB = [
  '# Rendered by discourse-cdk8s: boots Discourse for a standalone Sidekiq (sidekiq -r).',
  'require "rails"',
  'require "sidekiq/rails"',
  `require "${APP_DIR}/config/environment"`,
  'DiscourseEvent.trigger(:sidekiq_fork_started)',
  '',
].join('\n');

/**
 * The Sidekiq command, with the options Discourse's lib/demon/sidekiq.rb gives an embedded
 * Sidekiq: `-c` from `DISCOURSE_SIDEKIQ_WORKERS` (GlobalSetting.sidekiq_workers, 5),
 * `-t 5`, and the four weighted queues. Discourse's config/sidekiq.yml has only a
 * `development:` section, so `-C config/sidekiq.yml` would leave production on Sidekiq's
 * single `default` queue. The shell writes its pid and execs: bundle exec keeps the pid.
 */
export const SIDEKIQ_COMMAND =
  `bash -c 'echo $$ > ${SIDEKIQ_PID_FILE}; cd ${APP_DIR} && exec bin/bundle exec sidekiq -r ${SIDEKIQ_BOOT_DIR}/${SIDEKIQ_BOOT_FILE} ` +
  `-c "\${DISCOURSE_SIDEKIQ_WORKERS:-5}" -t ${SIDEKIQ_SHUTDOWN_SECONDS} -q critical,8 -q default,4 -q low,2 -q ultra_low,1'`;

/**
 * The discourse-prometheus collector, started as its CollectorDemon starts it in the
 * Unicorn master of a web pod (lib/collector_demon.rb): bin/collector with the port and
 * bind address, PROMETHEUS_EXPORTER_VERSION naming the gem version the plugin pins (read
 * from its plugin.rb, so a new rock needs no change here). The plugin's client in
 * Sidekiq sends to `localhost:<prometheus_collector_port>` (plugin.rb), so the collector
 * must run in the same pod; Prometheus scrapes it on 9394.
 */
export const COLLECTOR_COMMAND =
  `bash -c 'cd ${APP_DIR} && export PROMETHEUS_EXPORTER_VERSION="$(sed -n -e "/^gem \\"prometheus_exporter\\"/s/[^0-9.]//gp" plugins/discourse-prometheus/plugin.rb)" ` +
  `RUBY_GLOBAL_METHOD_CACHE_SIZE=2048 RUBY_GC_HEAP_INIT_SLOTS=10000 && exec bin/bundle exec ruby plugins/discourse-prometheus/bin/collector ${METRICS_PORT} 0.0.0.0'`;

/**
 * Passes while this pod's Sidekiq beats in Redis. Sidekiq's heartbeat thread writes the
 * process hash `<hostname>:<pid>:<nonce>` (field `beat`, expiring after 60 s) and adds it
 * to the `processes` set, under Discourse's `sidekiq` namespace (Discourse.sidekiq_redis_config;
 * the bare names are tried too); the hostname is the pod name. This is the test Discourse's
 * own Demon::Sidekiq.heartbeat_check applies to an embedded Sidekiq. redis-cli is in the
 * rock (rockcraft.yaml: redis-tools); the password comes from the container's env, which
 * exec checks inherit from Pebble.
 */
export const HEARTBEAT_SCRIPT =
  `bash -c 'now=$(date +%s); if [ -n "\${DISCOURSE_REDIS_PASSWORD:-}" ]; then export REDISCLI_AUTH="$DISCOURSE_REDIS_PASSWORD"; fi; ` +
  `r() { redis-cli --no-auth-warning -h "$DISCOURSE_REDIS_HOST" -p "$DISCOURSE_REDIS_PORT" "$@"; }; ` +
  `for ns in sidekiq: ""; do for id in $(r SMEMBERS "\${ns}processes" | grep "^$HOSTNAME:"); do ` +
  `beat=$(r HGET "$ns$id" beat); beat=\${beat%%.*}; if [ -n "$beat" ] && [ $((now - beat)) -le 60 ]; then exit 0; fi; done; done; ` +
  `echo "no Sidekiq heartbeat from $HOSTNAME in Redis"; exit 1'`;

/** Fails while Sidekiq's RSS is above `maxMebibytes`; passes before Sidekiq has started. */
export function memoryScript(maxMebibytes: number): string {
  return (
    `bash -c 'pid=$(cat ${SIDEKIQ_PID_FILE} 2>/dev/null) || exit 0; rss=$(sed -n -e "s/^VmRSS:[^0-9]*\\([0-9]*\\).*/\\1/p" /proc/$pid/status 2>/dev/null); ` +
    `if [ -n "$rss" ] && [ "$rss" -gt ${maxMebibytes * 1024} ]; then echo "Sidekiq RSS $((rss / 1024)) MiB is above ${maxMebibytes} MiB"; exit 1; fi'`
  );
}

/** What the Sidekiq layer is made of. */
export interface SidekiqLayerOptions {
  /** Non-secret environment of the site (the web layer's). */
  readonly environment: Readonly<Record<string, string>>;
  /** SIGTERM → SIGKILL grace Pebble gives Sidekiq, in seconds (at least `-t` + 5). */
  readonly killDelaySeconds: number;
  /** How long one Rails boot may take; the heartbeat check sits out two and a backoff. */
  readonly bootSeconds: number;
  /** RSS cap, MiB. */
  readonly maxMemoryMebibytes: number;
  /** Where every service's output goes besides stdout (the web layer's target, role `sidekiq`). @default - stdout only */
  readonly logTarget?: LayerLogTarget;
}

/**
 * The Sidekiq pod's layer: `sidekiq`, the `prometheus-collector`, the log tailer and
 * trimmer; `sidekiq-up` (heartbeat, level ready, restarts Sidekiq) and `sidekiq-memory`
 * (RSS cap, restarts Sidekiq: TERM, `-t 5`, unfinished jobs go back to Redis).
 */
export function sidekiqLayer(options: SidekiqLayerOptions): PebbleLayer {
  // The collector port is the exporter mode's in both metrics modes: Prometheus scrapes this pod on 9394.
  const environment = {
    ...options.environment,
    DISCOURSE_PROMETHEUS_COLLECTOR_PORT: String(METRICS_PORT),
    DISCOURSE_PROMETHEUS_WEBSERVER_BIND: '0.0.0.0',
    ...SERVICE_IDENTITY,
  };
  const log = `${APP_DIR}/log/production.log`;
  const services: Record<string, PebbleService> = {
    sidekiq: {
      override: 'replace',
      summary: 'Discourse Sidekiq',
      command: SIDEKIQ_COMMAND,
      startup: 'enabled',
      after: ['prometheus-collector'],
      killDelay: `${Math.max(options.killDelaySeconds, SIDEKIQ_SHUTDOWN_SECONDS + 5)}s`,
      environment,
      onCheckFailure: { 'sidekiq-up': 'restart', 'sidekiq-memory': 'restart' },
    },
    'prometheus-collector': {
      override: 'replace',
      summary: 'discourse-prometheus collector for this pod',
      command: COLLECTOR_COMMAND,
      startup: 'enabled',
      environment: SERVICE_IDENTITY,
    },
    // As in the web layer: Rails logs to a file in production; Sidekiq itself logs to stdout.
    'sidekiq-logs': {
      override: 'replace',
      summary: 'Copies the Rails log file to stdout',
      command: `sh -c 'trap "" TERM; exec tail -n 0 -q -F ${log}'`,
      startup: 'enabled',
      after: ['sidekiq'],
      killDelay: `${options.killDelaySeconds + TAIL_LINGER_SECONDS}s`,
      environment: SERVICE_IDENTITY,
    },
    'sidekiq-log-trim': {
      override: 'replace',
      summary: 'Truncates the Rails log file above 100 MiB',
      command: `sh -c 'while sleep 60; do if [ -f ${log} ] && [ "$(stat -c %s ${log})" -gt ${LOG_TRIM_BYTES} ]; then : > ${log}; fi; done'`,
      startup: 'enabled',
      environment: SERVICE_IDENTITY,
    },
  };
  const redisEnv = Object.fromEntries(Object.entries(options.environment).filter(([k]) => k === 'DISCOURSE_REDIS_HOST' || k === 'DISCOURSE_REDIS_PORT'));
  const checks: Record<string, PebbleCheck> = {
    'sidekiq-up': {
      override: 'replace',
      level: 'ready',
      period: `${SIDEKIQ_UP_PERIOD_SECONDS}s`,
      timeout: '10s',
      threshold: thresholdToTolerate(restartStretchSeconds(options.bootSeconds), SIDEKIQ_UP_PERIOD_SECONDS),
      exec: { command: HEARTBEAT_SCRIPT, environment: redisEnv },
    },
    'sidekiq-memory': {
      override: 'replace',
      period: `${MEMORY_PERIOD_SECONDS}s`,
      timeout: '5s',
      threshold: MEMORY_THRESHOLD,
      exec: { command: memoryScript(options.maxMemoryMebibytes) },
    },
  };
  return {
    summary: 'Discourse Sidekiq layer',
    description: 'Discourse Sidekiq (separate from Unicorn) supervised by Pebble; rendered by discourse-cdk8s',
    services,
    checks,
    ...logTargets(options.logTarget),
  };
}

/**
 * Holds readiness (and liveness) until this pod's Sidekiq has beaten in Redis: Pebble
 * counts `sidekiq-up` as up until it has failed `threshold` times, so without this a new pod
 * would be ready, and a rollout would stop an old one, before its Sidekiq works a job.
 * The same heartbeat test, run by the kubelet with the Redis address the layer has (the
 * container's own env holds only the Secret references).
 */
export function sidekiqStartupProbe(r: ResolvedDiscourse): k8s.Probe {
  const env = ['DISCOURSE_REDIS_HOST', 'DISCOURSE_REDIS_PORT'].map((k) => `${k}=${r.environment[k] ?? ''}`).join(' ');
  return {
    exec: { command: ['sh', '-c', `${env} ${HEARTBEAT_SCRIPT}`] },
    periodSeconds: 10,
    timeoutSeconds: 10,
    successThreshold: 1,
    failureThreshold: Math.ceil(r.startupTimeoutSeconds / 10) + 1,
  };
}

/** The Sidekiq container: the web container's image, env, mounts and security, its own ports, probes and resources. */
export function sidekiqContainer(r: ResolvedDiscourse): k8s.Container {
  const web = discourseContainer(r);
  const pebble = (path: string, periodSeconds: number): k8s.Probe => ({
    httpGet: { path, port: k8s.IntOrString.fromString('pebble') },
    periodSeconds,
    timeoutSeconds: 1,
    successThreshold: 1,
    failureThreshold: 3,
  });
  return {
    ...web,
    name: 'sidekiq',
    ports: [
      { name: 'metrics', containerPort: METRICS_PORT, protocol: 'TCP' },
      { name: 'pebble', containerPort: r.pebbleHealthPort, protocol: 'TCP' },
    ],
    // No HTTP in Sidekiq: liveness asks for Pebble itself, readiness for sidekiq-up (level ready).
    livenessProbe: pebble('/v1/health?level=alive', 5),
    readinessProbe: pebble('/v1/health?level=ready', 10),
    startupProbe: sidekiqStartupProbe(r),
    resources: containerResources({ ...r, resources: r.sidekiq.resources }),
    volumeMounts: [...(web.volumeMounts ?? []), { name: 'sidekiq-boot', mountPath: SIDEKIQ_BOOT_DIR, readOnly: true }].sort((a, b) =>
      a.mountPath < b.mountPath ? -1 : 1,
    ),
  };
}

/** What the Sidekiq construct needs of its site. */
export interface SidekiqSite extends OneShotSite {
  readonly names: { readonly serviceAccount: string; readonly uploadsClaim: string };
  /** The namespace the site's objects land in (its logs say it). */
  readonly namespace: string;
}

/**
 * KEDA's scaling of the Sidekiq Deployment: the oldest job of the slowest queue
 * (`discourse_sidekiq_queue_latency_seconds`, which the web pods' global reporter reads
 * from Redis, so it is there in both modes) against the threshold, and CPU as the HPA would.
 * The site's job label is its name in both modes (the ServiceMonitor's jobLabel).
 */
export function sidekiqScaledObjectSpec(
  deployment: string,
  site: string,
  namespace: string,
  autoscaling: Required<AutoscalingProps>,
  q: Required<QueueLatencyScalingProps>,
): ScaledObjectSpec {
  return {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: deployment },
    minReplicaCount: autoscaling.minReplicas,
    maxReplicaCount: autoscaling.maxReplicas,
    triggers: [
      {
        type: 'prometheus',
        name: 'queue-latency',
        metadata: {
          serverAddress: q.prometheusUrl,
          query: `max(discourse_sidekiq_queue_latency_seconds{namespace=${JSON.stringify(namespace)},job=${JSON.stringify(site)}})`,
          threshold: String(q.thresholdSeconds),
        },
      },
      { type: 'cpu', name: 'cpu', metricType: 'Utilization', metadata: { value: String(autoscaling.cpuUtilization) } },
    ],
  };
}

/**
 * `<site>-sidekiq`: Deployment, layer ConfigMap (layer and boot file), an autoscaler or a
 * PodDisruptionBudget when it can run several pods. No Service: Sidekiq takes no traffic;
 * Prometheus finds its collector through the ServiceMonitor's `sidekiq-metrics` Service.
 */
export class DiscourseSidekiq extends Construct {
  public readonly name: string;
  public readonly layerYaml: string;
  public readonly selectorLabels: Record<string, string>;
  public readonly deployment: k8s.KubeDeployment;

  constructor(scope: Construct, id: string, site: SidekiqSite) {
    super(scope, id);
    const r = site.resolved;
    const s = r.sidekiq;
    this.name = `${r.name}-sidekiq`;
    this.selectorLabels = sidekiqSelectorLabels(r.name);
    const labels = { ...commonLabels(r.name), 'app.kubernetes.io/component': 'sidekiq' };
    const metadata = (name: string) => ({ name, labels });
    const layerConfigMap = `${this.name}-pebble`;
    const layer = sidekiqLayer({
      environment: r.environment,
      killDelaySeconds: r.killDelaySeconds,
      bootSeconds: r.startupTimeoutSeconds,
      maxMemoryMebibytes: s.maxMemoryMebibytes,
      logTarget: siteLogTarget(r, { name: r.name, namespace: site.namespace, role: 'sidekiq' }),
    });
    // Checked as Pebble would at boot, like the web layer: a layer Pebble refuses is a pod that never starts.
    const layerErrors = [...validateLayer(layer, LAYER_FILE), ...validateLayerDocument(layerDocument(layer))];
    if (layerErrors.length > 0) throw new Error(`the Sidekiq Pebble layer of ${r.name} is invalid:\n${layerErrors.join('\n')}`);
    this.layerYaml = renderLayer(layer);
    new k8s.KubeConfigMap(this, 'PebbleLayer', {
      metadata: metadata(layerConfigMap),
      data: { [LAYER_FILE]: this.layerYaml, [SIDEKIQ_BOOT_FILE]: SIDEKIQ_BOOT_RB },
    });

    const web = discoursePodSpec(r, { layerConfigMap, serviceAccount: site.names.serviceAccount }, r.migrations ? [waitForMigrationsContainer(site)] : []);
    // The web pods' spread names the web selector; Sidekiq gets its own below.
    const podSpec = Object.fromEntries(Object.entries(web).filter(([key]) => key !== 'topologySpreadConstraints')) as k8s.PodSpec;
    const volumes = [
      ...(web.volumes ?? []),
      { name: 'sidekiq-boot', configMap: { name: layerConfigMap, items: [{ key: SIDEKIQ_BOOT_FILE, path: SIDEKIQ_BOOT_FILE }] } },
    ];
    this.deployment = new k8s.KubeDeployment(this, 'Resource', {
      metadata: { name: this.name, labels: withVersion(labels, r.version) },
      spec: {
        ...(s.autoscaling ? {} : { replicas: s.replicas }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: this.selectorLabels },
        // A new pod boots before the old one stops: jobs keep running through a rollout.
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } },
        template: {
          metadata: {
            labels: { ...withVersion(labels, r.version), ...this.selectorLabels },
            annotations: { 'discourse-cdk8s.io/config-hash': configHash(this.layerYaml, r) },
          },
          spec: {
            ...podSpec,
            // Pebble may take its layer's whole stop bound (Sidekiq's kill-delay is at least its own
            // shutdown time, which can exceed the site's kill-delay): the kubelet waits longer.
            terminationGracePeriodSeconds: Math.max(podSpec.terminationGracePeriodSeconds ?? 0, Math.ceil(pebbleStopBoundSeconds(layer)) + 1),
            ...(s.maxPods > 1
              ? {
                  topologySpreadConstraints: [
                    {
                      maxSkew: 1,
                      topologyKey: 'kubernetes.io/hostname',
                      whenUnsatisfiable: 'ScheduleAnyway',
                      labelSelector: { matchLabels: this.selectorLabels },
                    },
                  ],
                }
              : {}),
            containers: [sidekiqContainer(r)],
            volumes: volumes.sort((a, b) => (a.name < b.name ? -1 : 1)),
          },
        },
      },
    });
    if (s.autoscaling && s.queueLatencyScaling) {
      // KEDA creates and owns the HPA: an HPA of ours would fight it.
      new ScaledObject(this, 'Autoscaler', {
        metadata: { ...metadata(this.name), annotations: { ...SKIP_DRY_RUN_ON_MISSING_CRD } },
        spec: sidekiqScaledObjectSpec(this.name, r.name, Chart.of(this).namespace ?? 'default', s.autoscaling, s.queueLatencyScaling),
      });
    } else if (s.autoscaling) {
      new k8s.KubeHorizontalPodAutoscalerV2(this, 'Autoscaler', {
        metadata: metadata(this.name),
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.name },
          minReplicas: s.autoscaling.minReplicas,
          maxReplicas: s.autoscaling.maxReplicas,
          metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: s.autoscaling.cpuUtilization } } }],
        },
      });
    }
    if (s.maxPods > 1) {
      new k8s.KubePodDisruptionBudget(this, 'DisruptionBudget', {
        metadata: metadata(this.name),
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: this.selectorLabels } },
      });
    }
    // Discovery for the ServiceMonitor only: headless, no traffic.
    new k8s.KubeService(this, 'MetricsService', {
      metadata: metadata(`${this.name}-metrics`),
      spec: {
        clusterIp: 'None',
        selector: this.selectorLabels,
        ports: [{ name: 'metrics', port: METRICS_PORT, targetPort: k8s.IntOrString.fromString('metrics'), protocol: 'TCP' }],
      },
    });
  }
}

/** The layer, the Secret references, the image and the memory cap: a change rolls the Sidekiq pods. */
function configHash(layerYaml: string, r: ResolvedDiscourse): string {
  return contentHash(layerYaml, SIDEKIQ_BOOT_RB, JSON.stringify(r.secretEnvironment), r.image, sizeQuantity(r.sidekiq.resources.memoryLimit));
}
