/**
 * The metric names that alert rules and dashboards may query, so a typo or a
 * metric from another exporter fails a test instead of silently matching
 * nothing in Prometheus.
 *
 * Source: discourse/discourse-prometheus at 14d2328911c3 (the commit the
 * charm's rock pins), `lib/collector.rb`, `lib/internal_metric/{process,global}.rb`,
 * `lib/reporter/process.rb`, plus the self-metrics of the prometheus_exporter
 * 2.2.0 `WebServer` the plugin's collector runs. The collector sets the prefix
 * `discourse_`. Metrics added after the pin (`discourse_landlock_abi_version`,
 * `discourse_image_processing_duration_seconds`) are deliberately absent:
 * the charm's image does not emit them. Custom metrics of other plugins are
 * not listed either.
 *
 * Exposition quirks that matter for queries (prometheus_exporter 2.2.0):
 * - counters keep the plain name, no `_total` is appended
 *   (`discourse_http_requests`); only `process_cpu_seconds_total` carries it
 *   in its own name;
 * - summaries expose `<name>{quantile="0.99|0.9|0.5|0.1|0.01"}` plus
 *   `<name>_sum` and `<name>_count`, per pod (quantiles cannot be aggregated
 *   across pods);
 * - histograms expose `<name>_bucket{le=...}`, `<name>_sum`, `<name>_count`.
 */

/** A Prometheus metric type, as in the `# TYPE` line. */
export type MetricType = 'counter' | 'gauge' | 'summary' | 'histogram';

/** What a metric is and which labels its series carry (before target labels). */
export interface MetricInfo {
  readonly type: MetricType;
  /** Labels the exporter sets; target labels (see {@link TARGET_LABELS}) come on top. */
  readonly labels: readonly string[];
  /** The exporter's HELP text. */
  readonly help: string;
}

/**
 * Labels prometheus-operator's ServiceMonitor adds to every series scraped
 * from a Service endpoint (`job` is the Service name unless `jobLabel` says
 * otherwise).
 */
export const TARGET_LABELS: readonly string[] = ['job', 'namespace', 'service', 'endpoint', 'pod', 'container', 'instance'];

/** Labels of the web-request timing metrics (collector.rb `process_web`). */
const WEB_TIMING = ['success', 'content_type', 'logged_in', 'controller', 'action'] as const;
/** Labels of `http_requests` and `http_forced_anon_count`; `background_type` only on some background requests. */
const WEB_REQUEST = ['db', 'api', 'verb', 'type', 'status', 'background_type'] as const;
/** Labels every per-process metric carries (collector.rb `report_metric`). */
const PROCESS = ['type', 'pid'] as const;
/** Labels of the job metrics (collector.rb `process_job`). */
const JOB = ['job_name', 'success'] as const;

function m(type: MetricType, labels: readonly string[], help: string): MetricInfo {
  return { type, labels, help };
}

/** Every metric the plugin emits at the pinned commit, keyed by full name. */
export const DISCOURSE_METRICS: Readonly<Record<string, MetricInfo>> = Object.freeze({
  // Web requests (collector.rb ensure_web_metrics).
  discourse_page_views: m('counter', ['db', 'type', 'device'], 'Page views reported by admin dashboard'),
  /** `status` is the HTTP code, or "-1" for hijacked (message-bus) requests whose 418 placeholder never became a real status. */
  discourse_http_requests: m('counter', WEB_REQUEST, 'Total HTTP requests from web app'),
  discourse_http_forced_anon_count: m('counter', WEB_REQUEST, 'Total count of logged in requests forced into anonymous mode'),
  discourse_http_requests_duration_seconds: m('histogram', WEB_TIMING, 'Time spent in HTTP reqs in seconds'),
  discourse_http_requests_application_duration_seconds: m('histogram', WEB_TIMING, 'Time spent in application code within HTTP reqs in seconds'),
  discourse_http_requests_redis_duration_seconds: m('histogram', WEB_TIMING, 'Time spent in Redis within HTTP reqs redis seconds'),
  discourse_http_requests_sql_duration_seconds: m('histogram', WEB_TIMING, 'Time spent in SQL within HTTP reqs in seconds'),
  discourse_http_requests_net_duration_seconds: m('histogram', WEB_TIMING, 'Time spent in external network requests within HTTP reqs in seconds'),
  discourse_http_requests_queue_duration_seconds: m('histogram', [], 'Time spent queueing requests between NGINX and Ruby in seconds'),
  discourse_http_requests_gc_duration_seconds: m('histogram', WEB_TIMING, 'Time spent in garbage collection within HTTP reqs in seconds'),
  discourse_http_duration_seconds: m('summary', WEB_TIMING, 'Time spent in HTTP reqs in seconds'),
  discourse_http_application_duration_seconds: m('summary', WEB_TIMING, 'Time spent in application code within HTTP reqs in seconds'),
  discourse_http_redis_duration_seconds: m('summary', WEB_TIMING, 'Time spent in Redis within HTTP reqs redis seconds'),
  discourse_http_sql_duration_seconds: m('summary', WEB_TIMING, 'Time spent in SQL within HTTP reqs in seconds'),
  discourse_http_net_duration_seconds: m('summary', WEB_TIMING, 'Time spent in external network requests within HTTP reqs in seconds'),
  discourse_http_queue_duration_seconds: m('summary', [], 'Time spent queueing requests between NGINX and Ruby in seconds'),
  discourse_http_gc_duration_seconds: m('summary', WEB_TIMING, 'Time spent in garbage collection within HTTP reqs in seconds'),
  discourse_http_gc_major_count: m('gauge', WEB_TIMING, 'Number of major GC runs per request'),
  discourse_http_gc_minor_count: m('gauge', WEB_TIMING, 'Number of minor GC runs per request'),
  discourse_http_sql_calls_per_request: m('gauge', WEB_TIMING, 'How many SQL statements ran per request'),
  discourse_http_anon_cache_store: m('counter', WEB_TIMING, 'How many a payload is stored in redis for anonymous cache'),
  discourse_http_anon_cache_hit: m('counter', WEB_TIMING, 'How many a payload from redis is used for anonymous cache'),

  // Per process (internal_metric/process.rb GAUGES and COUNTERS), reported every 30 s by each web and Sidekiq process.
  discourse_heap_free_slots: m('gauge', PROCESS, 'Free ruby heap slots'),
  discourse_heap_live_slots: m('gauge', PROCESS, 'Used ruby heap slots'),
  discourse_v8_heap_size: m('gauge', PROCESS, 'Total JavaScript V8 heap size (bytes)'),
  discourse_v8_used_heap_size: m('gauge', PROCESS, 'Total used JavaScript V8 heap size (bytes)'),
  discourse_v8_physical_size: m('gauge', PROCESS, 'Physical size consumed by V8 heaps'),
  discourse_v8_heap_count: m('gauge', PROCESS, 'Number of V8 contexts running'),
  discourse_rss: m('gauge', PROCESS, 'Total RSS used by process'),
  discourse_thread_count: m('gauge', PROCESS, 'Total number of active threads per process'),
  discourse_deferred_jobs_queued: m('gauge', PROCESS, 'Number of jobs queued in the deferred job queue'),
  discourse_active_record_connections_count: m('gauge', [...PROCESS, 'status'], "Total number of connections in ActiveRecord's connection pools"),
  discourse_active_record_failover_count: m('gauge', PROCESS, 'Count of ActiveRecord databases in a failover state'),
  discourse_redis_failover_count: m('gauge', PROCESS, 'Count of Redis servers in a failover state'),
  discourse_gc_major_by: m('counter', [...PROCESS, 'reason'], 'Reason the last major GC was triggered'),
  discourse_major_gc_count: m('counter', PROCESS, 'Major GC operations by process'),
  discourse_minor_gc_count: m('counter', PROCESS, 'Minor GC operations by process'),
  discourse_total_allocated_objects: m('counter', PROCESS, 'Total number of allocated objects by process'),
  /**
   * The plugin labels each series with `job` (the job class) and `family`
   * (scheduled/regular). `job` collides with the target label, so Prometheus
   * (honor_labels false, the ServiceMonitor default) stores it as
   * `exported_job`; that is the name queries must use.
   */
  discourse_job_failures: m('counter', [...PROCESS, 'exported_job', 'family'], 'Number of scheduled and regular jobs that failed in a process'),
  discourse_process_cpu_seconds_total: m('counter', PROCESS, 'Total CPU time used by the process'),

  // Jobs (collector.rb ensure_job_metrics): counters of seconds and runs, not histograms.
  discourse_scheduled_job_duration_seconds: m('counter', JOB, 'Total time spent in scheduled jobs'),
  discourse_scheduled_job_count: m('counter', JOB, 'Total number of scheduled jobs executed'),
  discourse_sidekiq_job_duration_seconds: m('counter', JOB, 'Total time spent in sidekiq jobs'),
  discourse_sidekiq_job_count: m('counter', JOB, 'Total number of sidekiq jobs executed'),

  // Global (internal_metric/global.rb), gauges collected every 5 s by one reporter demon per pod.
  discourse_postgres_readonly_mode: m('gauge', [], 'Indicates whether site is in readonly mode due to PostgreSQL failover'),
  discourse_redis_master_available: m('gauge', ['type'], 'DEPRECATED: see redis_primary_available'),
  discourse_redis_primary_available: m('gauge', ['type'], 'Whether or not we have an active connection to the primary Redis'),
  discourse_redis_slave_available: m('gauge', ['type'], 'DEPRECATED: see redis_replica_available'),
  discourse_redis_replica_available: m('gauge', ['type'], 'Whether or not we have an active connection to the replica Redis'),
  discourse_postgres_master_available: m('gauge', [], 'DEPRECATED: See postgres_primary_available'),
  discourse_postgres_primary_available: m('gauge', [], 'Whether or not we have an active connection to the primary PostgreSQL'),
  discourse_postgres_replica_available: m('gauge', [], 'Whether or not we have an active connection to the replica PostgreSQL'),
  discourse_active_app_reqs: m('gauge', [], 'Number of active web requests in progress'),
  discourse_queued_app_reqs: m('gauge', [], 'Number of queued web requests'),
  discourse_sidekiq_jobs_enqueued: m('gauge', ['queue'], 'Number of jobs queued in the Sidekiq worker processes'),
  discourse_sidekiq_processes: m('gauge', [], 'Number of Sidekiq job processes'),
  discourse_sidekiq_paused: m('gauge', ['db'], 'Whether or not Sidekiq is paused'),
  discourse_sidekiq_workers: m('gauge', [], 'Total number of active sidekiq workers'),
  discourse_sidekiq_queue_latency_seconds: m('gauge', ['queue'], 'Latency in seconds for each Sidekiq queue'),
  discourse_sidekiq_jobs_stuck: m('gauge', ['job_name'], 'Number of sidekiq jobs which have been running for more than 120 minutes'),
  discourse_scheduled_jobs_stuck: m('gauge', ['job_name'], 'Number of scheduled jobs which have been running for more than their expected duration'),
  discourse_missing_s3_uploads: m('gauge', ['db'], 'Number of missing uploads in S3'),
  discourse_version_info: m(
    'gauge',
    ['revision', 'version'],
    'Labelled with `revision` (current core commit hash), and `version` (Discourse::VERSION::STRING)',
  ),
  discourse_readonly_sites: m('gauge', ['key'], 'Count of sites currently in readonly mode, grouped by the relevant key from Discourse::READONLY_KEYS'),
  discourse_postgres_highest_sequence: m('gauge', ['db'], 'The highest last_value from the pg_sequences table'),
  discourse_tmp_dir_available_bytes: m('gauge', [], 'Available space in /tmp directory (bytes)'),

  // The collector's own metrics (prometheus_exporter WebServer; the prefix applies to them too).
  discourse_collector_working: m('gauge', [], 'Is the master process collector able to collect metrics'),
  discourse_collector_rss: m('gauge', [], 'total memory used by collector process'),
  discourse_collector_metrics_total: m('counter', [], 'Total metrics processed by exporter web.'),
  discourse_collector_sessions_total: m('counter', [], 'Total send_metric sessions processed by exporter web.'),
  discourse_collector_bad_metrics_total: m('counter', [], 'Total mis-handled metrics by collector.'),
});

/**
 * Which selector must scope an external metric to one site: `target` metrics
 * are scraped from the Discourse pods themselves (`job` + `namespace`);
 * `pod` metrics come from another exporter about the pods (`namespace` +
 * `pod` + `container`); `pod-init` ones are about any init container of the
 * site's pods (`namespace` + `pod`), `pod-object` ones about the pods
 * themselves, without a container (`namespace` + `pod`); `ingress` ones are the ingress
 * controller's, about the site's Ingress (`ingress` + the namespace label); `gateway-route`
 * ones are Envoy's on Envoy Gateway's proxies, about the site's HTTPRoute (`envoy_cluster_name`);
 * `cnpg-cluster` and `cnpg-pod` ones come from the CloudNativePG instances of
 * the site's database (`namespace` + `cluster`, or `namespace` + the
 * instance pod pattern); `redis-server` ones come from the exporter beside the
 * Valkey server the site runs (`namespace` + its job).
 */
export type MetricScope = 'target' | 'pod' | 'pod-init' | 'pod-object' | 'ingress' | 'gateway-route' | 'cnpg-cluster' | 'cnpg-pod' | 'redis-server';

/** A non-Discourse metric we allow ourselves to reference. */
export interface ExternalMetricInfo extends MetricInfo {
  readonly source: 'prometheus' | 'kube-state-metrics' | 'cadvisor' | 'ingress-nginx' | 'envoy-gateway' | 'cloudnative-pg' | 'redis_exporter';
  readonly scope: MetricScope;
}

/** Labels a ServiceMonitor-scraped exporter (kube-state-metrics, the kubelet) adds about itself. */
const EXPORTER_TARGET_LABELS = ['job', 'instance', 'service', 'endpoint'] as const;
/** Labels a ServiceMonitor-scraped exporter in a site's own pod (redis_exporter) gets from its target. */
const REDIS_EXPORTER_LABELS = ['job', 'instance', 'namespace', 'service', 'endpoint', 'pod', 'container'] as const;
/** Labels a PodMonitor-scraped exporter (CloudNativePG instances) gets from its target. */
const POD_TARGET_LABELS = ['job', 'instance', 'namespace', 'pod', 'container', 'endpoint'] as const;

/**
 * Non-Discourse metrics that alerts and dashboards may use. Labels are the
 * ones we are sure of (kube-state-metrics v2, the kubelet's cAdvisor
 * endpoint as kube-prometheus-stack scrapes it), not every label they have.
 */
export const EXTERNAL_METRICS: Readonly<Record<string, ExternalMetricInfo>> = Object.freeze({
  up: {
    type: 'gauge',
    labels: [],
    help: '1 if the last scrape of the target succeeded, else 0 (synthetic, per target)',
    source: 'prometheus',
    scope: 'target',
  },
  kube_pod_container_status_restarts_total: {
    type: 'counter',
    labels: ['namespace', 'pod', 'container', 'uid', ...EXPORTER_TARGET_LABELS],
    help: 'The number of container restarts per container.',
    source: 'kube-state-metrics',
    scope: 'pod',
  },
  // kube-state-metrics internal/store/pod.go (all STABLE): a pod is starting
  // while an init container runs, or while its container is younger than the
  // startup budget and has not been ready yet.
  kube_pod_container_status_ready: {
    type: 'gauge',
    labels: ['namespace', 'pod', 'container', 'uid', ...EXPORTER_TARGET_LABELS],
    help: 'Describes whether the containers readiness check succeeded.',
    source: 'kube-state-metrics',
    scope: 'pod',
  },
  kube_pod_container_state_started: {
    type: 'gauge',
    labels: ['namespace', 'pod', 'container', 'uid', ...EXPORTER_TARGET_LABELS],
    help: 'Start time in unix timestamp for a pod container.',
    source: 'kube-state-metrics',
    scope: 'pod',
  },
  // The pod's creation (STABLE): a new pod of a Recreate Deployment marks a rollout.
  kube_pod_created: {
    type: 'gauge',
    labels: ['namespace', 'pod', 'uid', ...EXPORTER_TARGET_LABELS],
    help: 'Unix creation timestamp',
    source: 'kube-state-metrics',
    scope: 'pod-object',
  },
  kube_pod_init_container_status_running: {
    type: 'gauge',
    labels: ['namespace', 'pod', 'container', 'uid', ...EXPORTER_TARGET_LABELS],
    help: 'Describes whether the init container is currently in running state.',
    source: 'kube-state-metrics',
    scope: 'pod-init',
  },
  // ingress-nginx internal/ingress/metric/collectors/socket.go: requestTags
  // plus the controller's constant labels. Its own `namespace` label (the
  // Ingress') becomes `exported_namespace` when the controller's
  // ServiceMonitor does not honor labels (the chart's default).
  nginx_ingress_controller_requests: {
    type: 'counter',
    labels: [
      'status',
      'method',
      'path',
      'namespace',
      'exported_namespace',
      'ingress',
      'service',
      'canary',
      'controller_namespace',
      'controller_class',
      'controller_pod',
      'pod',
      ...EXPORTER_TARGET_LABELS,
    ],
    help: 'The total number of client requests',
    source: 'ingress-nginx',
    scope: 'ingress',
  },
  // Envoy's cluster stats as Envoy Gateway's proxies serve them on /stats/prometheus
  // (upstream_rq_<class>xx, the class as the envoy_response_code_class tag; the cluster
  // as envoy_cluster_name, which Envoy Gateway sets to httproute/<ns>/<route>/rule/<i>:
  // internal/gatewayapi/helpers.go irRouteDestinationName, and its own Grafana
  // dashboards query these two labels), plus the labels of a pod-scraping target.
  envoy_cluster_upstream_rq_xx: {
    type: 'counter',
    labels: ['envoy_cluster_name', 'envoy_response_code_class', 'namespace', 'pod', 'container', 'job', 'instance', 'endpoint', 'service'],
    help: 'Aggregate HTTP response codes of the upstream cluster, by class (1 to 5)',
    source: 'envoy-gateway',
    scope: 'gateway-route',
  },
  // CloudNativePG instance manager (pkg/management/postgres/webserver/metricserver/pg_collector.go)
  // and its default monitoring queries (config/manager/default-monitoring.yaml, pg_replication).
  cnpg_collector_up: {
    type: 'gauge',
    labels: ['cluster', ...POD_TARGET_LABELS],
    help: '1 if PostgreSQL is up, 0 otherwise.',
    source: 'cloudnative-pg',
    scope: 'cnpg-cluster',
  },
  cnpg_pg_replication_in_recovery: {
    type: 'gauge',
    labels: [...POD_TARGET_LABELS],
    help: 'Whether the instance is in recovery',
    source: 'cloudnative-pg',
    scope: 'cnpg-pod',
  },
  // Set on the primary from the Cluster status (lastSuccessfulBackup, lastFailedBackup) as
  // Unix times, 0 when there is none; replicas report 0. Filled for the in-tree
  // barmanObjectStore (marked deprecated upstream: the Barman Cloud plugin leaves them empty).
  cnpg_collector_last_available_backup_timestamp: {
    type: 'gauge',
    labels: [...POD_TARGET_LABELS],
    help: 'The last available backup as a unix timestamp (Deprecated)',
    source: 'cloudnative-pg',
    scope: 'cnpg-pod',
  },
  cnpg_collector_last_failed_backup_timestamp: {
    type: 'gauge',
    labels: [...POD_TARGET_LABELS],
    help: 'The last failed backup as a unix timestamp (Deprecated)',
    source: 'cloudnative-pg',
    scope: 'cnpg-pod',
  },
  // redis_exporter (exporter/exporter.go: INFO fields renamed with the `redis_` namespace;
  // `ok`/`err` statuses as 1/0), scraped through a ServiceMonitor from the Valkey pod.
  redis_up: {
    type: 'gauge',
    labels: [...REDIS_EXPORTER_LABELS],
    help: 'Information about the Redis instance',
    source: 'redis_exporter',
    scope: 'redis-server',
  },
  redis_memory_used_bytes: { type: 'gauge', labels: [...REDIS_EXPORTER_LABELS], help: 'used_memory metric', source: 'redis_exporter', scope: 'redis-server' },
  redis_memory_max_bytes: { type: 'gauge', labels: [...REDIS_EXPORTER_LABELS], help: 'maxmemory metric', source: 'redis_exporter', scope: 'redis-server' },
  redis_aof_last_write_status: {
    type: 'gauge',
    labels: [...REDIS_EXPORTER_LABELS],
    help: 'aof_last_write_status metric',
    source: 'redis_exporter',
    scope: 'redis-server',
  },
  redis_rdb_last_bgsave_status: {
    type: 'gauge',
    labels: [...REDIS_EXPORTER_LABELS],
    help: 'rdb_last_bgsave_status metric',
    source: 'redis_exporter',
    scope: 'redis-server',
  },
  container_memory_working_set_bytes: {
    type: 'gauge',
    labels: ['namespace', 'pod', 'container', 'id', 'image', 'name', 'node', 'metrics_path', ...EXPORTER_TARGET_LABELS],
    help: 'Current working set in bytes.',
    source: 'cadvisor',
    scope: 'pod',
  },
  container_cpu_usage_seconds_total: {
    type: 'counter',
    labels: ['namespace', 'pod', 'container', 'id', 'image', 'name', 'node', 'metrics_path', ...EXPORTER_TARGET_LABELS],
    help: 'Cumulative cpu time consumed in seconds.',
    source: 'cadvisor',
    scope: 'pod',
  },
});

/** The non-Discourse metric names we allow ourselves to reference. */
export const ALLOWED_EXTERNAL_METRICS: readonly string[] = Object.keys(EXTERNAL_METRICS);

/**
 * The series names a metric is exposed as: the base name for counters and
 * gauges; base (with `quantile`), `_sum` and `_count` for summaries;
 * `_bucket`, `_sum` and `_count` for histograms (whose base name is never a
 * series). Throws for an unknown metric, so callers cannot build queries on
 * a name the plugin does not emit.
 */
export function seriesNames(metric: string): string[] {
  const info = metricInfo(metric);
  if (!info) throw new Error(`unknown metric ${metric}`);
  switch (info.type) {
    case 'counter':
    case 'gauge':
      return [metric];
    case 'summary':
      return [metric, `${metric}_sum`, `${metric}_count`];
    case 'histogram':
      return [`${metric}_bucket`, `${metric}_sum`, `${metric}_count`];
  }
}

/** Which part of a metric a series is. */
export type SeriesPart = 'value' | 'quantile' | 'bucket' | 'sum' | 'count';

/** A series name resolved to the metric it belongs to. */
export interface SeriesInfo {
  readonly series: string;
  readonly metric: string;
  readonly info: MetricInfo;
  readonly part: SeriesPart;
  /** How the series must be scoped to one site. */
  readonly scope: MetricScope;
  /** Every label the series may carry: the exporter's, `quantile`/`le`, and target labels. */
  readonly labels: readonly string[];
  /** True when its value only goes up (counters, `_sum`, `_count`, `_bucket`): query it through rate() or increase(). */
  readonly monotonic: boolean;
}

function metricInfo(metric: string): MetricInfo | undefined {
  if (Object.prototype.hasOwnProperty.call(DISCOURSE_METRICS, metric)) return DISCOURSE_METRICS[metric];
  if (Object.prototype.hasOwnProperty.call(EXTERNAL_METRICS, metric)) return EXTERNAL_METRICS[metric];
  return undefined;
}

function buildSeriesIndex(): ReadonlyMap<string, SeriesInfo> {
  const index = new Map<string, SeriesInfo>();
  const add = (metric: string, info: MetricInfo, scope: MetricScope, targetLabels: readonly string[]): void => {
    for (const series of seriesNames(metric)) {
      const part: SeriesPart =
        series === metric
          ? info.type === 'summary'
            ? 'quantile'
            : 'value'
          : series.endsWith('_bucket')
            ? 'bucket'
            : series.endsWith('_sum')
              ? 'sum'
              : 'count';
      const extra = part === 'quantile' ? ['quantile'] : part === 'bucket' ? ['le'] : [];
      const labels = [...new Set([...info.labels, ...extra, ...targetLabels])];
      index.set(series, { series, metric, info, part, scope, labels, monotonic: part !== 'quantile' && (part !== 'value' || info.type === 'counter') });
    }
  };
  for (const [metric, info] of Object.entries(DISCOURSE_METRICS)) add(metric, info, 'target', TARGET_LABELS);
  for (const [metric, info] of Object.entries(EXTERNAL_METRICS)) add(metric, info, info.scope, info.scope === 'target' ? TARGET_LABELS : []);
  return index;
}

const SERIES_INDEX = buildSeriesIndex();

/** Resolves a series name (as written in PromQL) to its metric, or undefined if we do not know it. */
export function lookupSeries(series: string): SeriesInfo | undefined {
  return SERIES_INDEX.get(series);
}
