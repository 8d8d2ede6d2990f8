import { isDnsLabel, isDnsSubdomain } from '../core/checks';
import { redisMetricsJob } from '../model/redis';

/**
 * Prometheus alert rules for one Discourse site, as plain data (the shape of
 * a PrometheusRule's `spec.groups[].rules[]`), plus a PromQL checker built on
 * Prometheus' own Lezer grammar so that tests can prove every expression
 * parses and queries only metrics and labels that really exist.
 *
 * The charm ships a single rule (`DiscourseTargetMissing`: `up == 0`, for 0m,
 * unscoped). The rules here scope every selector to the site's job and
 * namespace, because an unscoped `up == 0` fires for every target in the
 * Prometheus, not just this forum.
 */

/** One alerting rule. */
export interface AlertRule {
  alert: string;
  expr: string;
  /** Prometheus duration the condition must hold before the alert fires. */
  for: string;
  /**
   * `site` and `namespace` are static, on every rule, so that Alertmanager
   * routes and silences per site whatever exporter the series came from.
   */
  labels: { severity: 'critical' | 'warning'; site: string; namespace: string };
  /** Go templates (`{{ $labels.pod }}`) are expanded by Prometheus. `runbook` is left unset: the description carries the steps. */
  annotations: { summary: string; description: string; runbook?: string };
}

/** Where the ingress controller's request metrics for the site are, and how they name its namespace. */
export interface IngressMetricsOptions {
  /** Name of the site's Ingress (the controller's `ingress` label). */
  readonly name: string;
  /**
   * Label carrying the Ingress' namespace: `exported_namespace` when the
   * controller's ServiceMonitor keeps its own `namespace` target label (the
   * ingress-nginx chart's default, honorLabels off), `namespace` with honorLabels on.
   */
  readonly namespaceLabel: 'exported_namespace' | 'namespace';
}

/**
 * The site's HTTPRoute on an Envoy Gateway Gateway, whose Envoy proxies Prometheus scrapes
 * (their `/stats/prometheus` on port 19001): Envoy Gateway names the upstream cluster of a
 * route's rule `httproute/<namespace>/<route>/rule/<index>`, Envoy's `envoy_cluster_name`.
 */
export interface GatewayRouteMetricsOptions {
  /** Name of the HTTPRoute (in the site's namespace); its rule 0 serves the forum. */
  readonly name: string;
}

/** Envoy's cluster name of the forum rule of an Envoy Gateway HTTPRoute. */
export function envoyGatewayClusterName(namespace: string, route: string): string {
  return `httproute/${namespace}/${route}/rule/0`;
}

/** Identifies the site the rules are for. */
export interface AlertOptions {
  /**
   * Where Sidekiq runs: the Sidekiq alerts point at the web pods or at `<instance>-sidekiq`.
   * @default 'embedded'
   */
  readonly sidekiqMode?: 'embedded' | 'separate';
  /** Prometheus `job` label of the Discourse pods' target (the Service name for a ServiceMonitor). */
  readonly job: string;
  /** Kubernetes namespace of the site. */
  readonly namespace: string;
  /** Name of the site and its Deployment (its pods are `<instance>-<hash>-<suffix>`); also the static `site` label. */
  readonly instance: string;
  /**
   * Scrape interval of the Discourse target, in seconds: rate windows are
   * max(5m, 4 × interval) so that they always hold several samples.
   * @default 30
   */
  readonly scrapeIntervalSeconds?: number;
  /**
   * The pod's startup budget in seconds (the startup probe's): a pod whose
   * container is younger and has never been ready is still starting.
   * @default 600
   */
  readonly startupSeconds?: number;
  /**
   * The downtime a planned rollout may take, in seconds, when the Deployment uses the
   * Recreate strategy (one pod holding a ReadWriteOnce volume: the old pod stops before
   * the new one boots). The ingress alerts then wait that long, plus one rate window
   * (the ratio keeps counting the rollout's 5xx that long) and 2m, after a pod of the
   * site is created before they count; an outage longer than that, or without a new pod,
   * still pages.
   * @default - no downtime expected: a RollingUpdate keeps a pod serving
   */
  readonly rolloutDowntimeSeconds?: number;
  /**
   * Name of the CloudNativePG Cluster (in the site's namespace) when the
   * database is one: PostgreSQL availability then comes from its exporter.
   * @default - PostgreSQL availability from the plugin's check only
   */
  readonly cnpgCluster?: string;
  /**
   * How old the newest base backup of `cnpgCluster` may get, in seconds: its schedule's
   * longest gap. Adds DiscourseDatabaseBackupTooOld (an hour later than that, for the
   * backup's own run) and DiscourseDatabaseBackupFailed.
   * @default - no backup alerts (the cluster may not back up at all)
   */
  readonly cnpgBackupMaxAgeSeconds?: number;
  /**
   * Service name of the Valkey server the site runs (`redis.create`), scraped through its
   * exporter (job `<name>-metrics`): adds DiscourseRedisServerDown, DiscourseRedisMemoryFull
   * and DiscourseRedisPersistenceFailing.
   * @default - no alerts on a Redis server (an external one has its own monitoring)
   */
  readonly redisServer?: string;
  /**
   * The site's Ingress, when ingress-nginx serves it and its metrics are
   * scraped: availability and 5xx as clients see them, independent of the app.
   * @default - no ingress alerts
   */
  readonly ingress?: IngressMetricsOptions;
  /**
   * The site's HTTPRoute, when Envoy Gateway serves it and its proxies are scraped:
   * DiscourseUnavailable and DiscourseGatewayErrors from Envoy's upstream counters.
   * @default - no gateway alerts (other implementations: none assumed)
   */
  readonly gatewayRoute?: GatewayRouteMetricsOptions;
}

/** The container Discourse runs in (see lib/workload/workload.ts); kube-state-metrics and cAdvisor series are filtered on it. */
export const CONTAINER = 'discourse';

/** A PromQL string literal; JSON's escapes (`\\`, `\"`, `\uXXXX`) are all valid Go escapes. */
export function q(value: string): string {
  return JSON.stringify(value);
}

function escapeRegex(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * RE2 pattern matching the names of the Deployment's pods and no others:
 * `<instance>-<pod-template-hash>-<suffix>`. Tighter than `<instance>-.*`,
 * which would also match the pods of a site called `<instance>-staging` in
 * the same namespace. (Kubernetes truncates the names of pods of very long
 * Deployment names, about 47 characters and more; those would not match.)
 */
export function sitePodRegex(instance: string, sidekiqMode: 'embedded' | 'separate' = 'embedded'): string {
  const web = `${escapeRegex(instance)}-[a-z0-9]+-[a-z0-9]+`;
  // Separate Sidekiq pods (`<instance>-sidekiq-<hash>-<suffix>`) are scraped under the same job.
  return sidekiqMode === 'separate' ? `${web}|${escapeRegex(instance)}-sidekiq-[a-z0-9]+-[a-z0-9]+` : web;
}

/** RE2 pattern matching the instance pods of a CloudNativePG cluster: `<cluster>-<serial>`. */
export function cnpgPodRegex(cluster: string): string {
  return `${escapeRegex(cluster)}-[0-9]+`;
}

/** The shortest rate window, and how many scrapes a window must span at least. */
const MIN_WINDOW_SECONDS = 300;
const SCRAPES_PER_WINDOW = 4;

/**
 * The range of the rules' rate() and increase() windows for a scrape
 * interval: max(5m, 4 × interval), in whole seconds. rate() needs two
 * samples in its window; at a fixed 5m an interval of 2m30s or more leaves
 * one or none, the rates are empty and the rules built on them never fire.
 */
export function rateWindowSeconds(scrapeIntervalSeconds: number): number {
  return Math.max(MIN_WINDOW_SECONDS, Math.ceil(SCRAPES_PER_WINDOW * scrapeIntervalSeconds));
}

/** Seconds as a Prometheus duration: `5m`, `1h`, `90s`. */
export function promDuration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}

function validateOptions(opts: AlertOptions): void {
  const problems: string[] = [];
  if (opts.job === '') problems.push('job must not be empty');
  if (!isDnsLabel(opts.namespace)) problems.push(`namespace ${q(opts.namespace)} is not a DNS label`);
  if (!isDnsSubdomain(opts.instance)) problems.push(`instance ${q(opts.instance)} is not a Deployment name`);
  for (const key of ['scrapeIntervalSeconds', 'startupSeconds', 'rolloutDowntimeSeconds'] as const) {
    const v = opts[key];
    if (v !== undefined && !(Number.isFinite(v) && v > 0)) problems.push(`${key} ${v} is not a positive number of seconds`);
  }
  if (opts.cnpgCluster !== undefined && !isDnsLabel(opts.cnpgCluster)) problems.push(`cnpgCluster ${q(opts.cnpgCluster)} is not a Cluster name`);
  const maxAge = opts.cnpgBackupMaxAgeSeconds;
  if (maxAge !== undefined && (opts.cnpgCluster === undefined || !(Number.isFinite(maxAge) && maxAge > 0)))
    problems.push(`cnpgBackupMaxAgeSeconds ${maxAge} needs cnpgCluster and a positive number of seconds`);
  if (opts.redisServer !== undefined && !isDnsLabel(opts.redisServer)) problems.push(`redisServer ${q(opts.redisServer)} is not a Service name`);
  if (opts.ingress && !isDnsSubdomain(opts.ingress.name)) problems.push(`ingress name ${q(opts.ingress.name)} is not an Ingress name`);
  if (opts.ingress && !['exported_namespace', 'namespace'].includes(opts.ingress.namespaceLabel))
    problems.push(`ingress namespaceLabel ${q(opts.ingress.namespaceLabel)} is not one of exported_namespace, namespace`);
  if (problems.length > 0) throw new Error(`invalid alert options: ${problems.join('; ')}`);
}

/** A planned Recreate rollout, during which the ingress alerts wait: the condition and how it reads. */
interface PlannedRollout {
  readonly expr: string;
  readonly downtime: string;
  readonly quiet: string;
}

/** A rule before the static labels every rule carries. */
type RuleBody = Omit<AlertRule, 'labels'> & { severity: AlertRule['labels']['severity'] };

/**
 * The alert rules for one site. Every selector is scoped to the site
 * (`job` and `namespace` for the Discourse target; `namespace`, `pod` and
 * `container` for kube-state-metrics; the Ingress for ingress-nginx; the
 * Cluster for CloudNativePG), and every rule carries the static labels
 * `site` and `namespace` so Alertmanager can route and silence per site.
 */
export function discourseAlertRules(opts: AlertOptions): AlertRule[] {
  validateOptions(opts);
  const { job, namespace, instance } = opts;
  const windowSeconds = rateWindowSeconds(opts.scrapeIntervalSeconds ?? 30);
  const window = promDuration(windowSeconds);
  const startup = Math.ceil(opts.startupSeconds ?? 600);
  const site = `job=${q(job)},namespace=${q(namespace)}`;
  const sel = (metric: string, extra?: string): string => `${metric}{${site}${extra ? `,${extra}` : ''}}`;
  const podScope = `namespace=${q(namespace)},pod=~${q(sitePodRegex(instance, opts.sidekiqMode))}`;
  // In separate mode the Sidekiq pods' container is `sidekiq`: starting, ready and restarts count for both.
  const containers = opts.sidekiqMode === 'separate' ? `container=~${q(`${CONTAINER}|sidekiq`)}` : `container=${q(CONTAINER)}`;
  const pod = (metric: string): string => `${metric}{${podScope},${containers}}`;
  const by = 'job, namespace';
  const kubectl = `kubectl -n ${namespace}`;
  const pebble = `${kubectl} exec deploy/${instance} -c ${CONTAINER} -- /bin/pebble`;
  const logs = `${kubectl} logs deploy/${instance} -c ${CONTAINER}`;
  const separate = opts.sidekiqMode === 'separate';
  const sidekiqPebble = separate ? `${kubectl} exec deploy/${instance}-sidekiq -c sidekiq -- /bin/pebble` : pebble;
  const sidekiqLogs = separate ? `${kubectl} logs deploy/${instance}-sidekiq -c sidekiq` : logs;
  const sidekiqWhere = separate
    ? `Sidekiq runs in the ${instance}-sidekiq pods under Pebble, which restarts it when its Redis heartbeat stops (check sidekiq-up)`
    : 'Sidekiq runs inside each pod (UNICORN_SIDEKIQS=1)';
  const where = `(job ${job}, namespace ${namespace})`;
  const startupText = promDuration(startup);
  const restartWindow = promDuration(startup + windowSeconds);
  const plannedRollout =
    opts.rolloutDowntimeSeconds === undefined ? undefined : recreateRollout(podScope, Math.ceil(opts.rolloutDowntimeSeconds), windowSeconds);

  const rules: RuleBody[] = [
    {
      alert: 'DiscourseTargetMissing',
      // A pod is scraped from the moment it has an IP, while its init
      // container waits for the migration Job and through the startup probe's
      // budget. Such a pod is "starting" (an init container runs, or its
      // container is younger than the budget and has not been ready since it
      // started); its failed scrapes are expected. A pod that has been ready
      // and stops answering is not starting, whatever its age; nor is a
      // restarted container: its predecessor died, and in a crash loop every
      // new container is young and unready, so counting it as starting would
      // silence the alert for as long as the loop lasts. The restart happened
      // when the container started, within the startup budget, so a window of
      // the budget plus a rate window sees it.
      expr:
        `${sel('up')} == 0 unless on (namespace, pod) (` +
        `max by (namespace, pod) (kube_pod_init_container_status_running{${podScope}}) == 1` +
        ` or on (namespace, pod) (time() - max by (namespace, pod) (${pod('kube_pod_container_state_started')}) < ${startup}` +
        ` unless on (namespace, pod) max by (namespace, pod) (max_over_time(${pod('kube_pod_container_status_ready')}[${startupText}])) == 1` +
        ` unless on (namespace, pod) sum by (namespace, pod) (increase(${pod('kube_pod_container_status_restarts_total')}[${restartWindow}])) > 0))`,
      for: '5m',
      severity: 'critical',
      annotations: {
        summary: 'Discourse pod {{ $labels.pod }} does not answer metrics scrapes',
        description:
          `Prometheus has failed to scrape pod {{ $labels.pod }} ${where} for 5 minutes although it is not starting: Unicorn (which starts the metrics collector) is down or not answering. ` +
          `Pods still starting are left out (an init container running, e.g. waiting for the migration Job, or a first container younger than the ${startupText} startup budget that has not been ready yet; from kube-state-metrics). ` +
          'A restarted container is not starting, so a crash-looping pod keeps this alert firing until it serves. ' +
          'The charm alerts at once (for: 0m); 5m lets Pebble restart Unicorn in place without paging. ' +
          `Check: ${kubectl} get pods -l app.kubernetes.io/instance=${instance}; \`${pebble} checks\` and \`${pebble} changes\` ` +
          `(/charm/bin/pebble when an init container injects Pebble); \`${logs}\`.`,
      },
    },
    {
      alert: 'DiscourseTargetAbsent',
      expr: `absent(${sel('up')})`,
      for: '10m',
      severity: 'critical',
      annotations: {
        summary: `Prometheus has no Discourse target for job ${job} in namespace ${namespace}`,
        description:
          `No target with job="${job}" exists in namespace ${namespace}, so every other Discourse alert is blind. ` +
          'Either no pod exists (Deployment scaled to 0, pods not created) or the ServiceMonitor selects nothing (Service labels, port name, or the Prometheus serviceMonitorSelector). ' +
          '10m gives a fresh install time to be discovered. ' +
          `Check: ${kubectl} get deploy,pods,endpoints,servicemonitor -l app.kubernetes.io/instance=${instance}; the Prometheus targets page (/targets).`,
      },
    },
    {
      alert: 'DiscourseHighErrorRate',
      // status "-1" marks hijacked message-bus requests: counted when the
      // handler hands the socket over, before any real status exists. They
      // are neither successes nor errors, and idle browser tabs produce many
      // of them, so they are left out of the denominator.
      expr:
        `(sum by (${by}) (rate(${sel('discourse_http_requests', 'status=~"5.."')}[${window}]))` +
        ` / sum by (${by}) (rate(${sel('discourse_http_requests', 'status!="-1"')}[${window}]))) > 0.05`,
      for: '10m',
      severity: 'warning',
      annotations: {
        summary: 'Discourse {{ $labels.namespace }}/{{ $labels.job }} answers {{ $value | humanizePercentage }} of requests with 5xx',
        description:
          'More than 5% of HTTP requests have got a 5xx answer for 10 minutes, as Discourse counts them. Hijacked message-bus requests (status "-1", outcome unknown) are not counted. ' +
          `Check: the admin Logs page (/logs) or \`${logs}\`; whether PostgreSQL and Redis are reachable; what changed last (image, config).`,
      },
    },
    {
      alert: 'DiscourseSlowRequests',
      expr: `histogram_quantile(0.99, sum by (${by}, le) (rate(${sel('discourse_http_requests_duration_seconds_bucket')}[${window}]))) > 2`,
      for: '15m',
      severity: 'warning',
      annotations: {
        summary: 'Discourse {{ $labels.namespace }}/{{ $labels.job }}: p99 request time is {{ $value | humanizeDuration }}',
        description:
          'The 99th percentile of HTTP request time (all requests, discourse_http_requests_duration_seconds) has been above 2 s for 15 minutes. ' +
          'Check on the app dashboard whether the time goes to SQL or Redis, whether requests queue (discourse_queued_app_reqs: all Unicorn workers busy), ' +
          'and whether the pod is CPU-throttled or PostgreSQL is overloaded.',
      },
    },
    {
      alert: 'DiscourseSidekiqQueueLatency',
      // max, not sum: every pod reports the same Redis-wide queue.
      expr: `max by (${by}, queue) (${sel('discourse_sidekiq_queue_latency_seconds')}) > 300`,
      for: '10m',
      severity: 'warning',
      annotations: {
        summary: 'Discourse Sidekiq queue {{ $labels.queue }} is {{ $value | humanizeDuration }} behind',
        description:
          'The oldest job in Sidekiq queue {{ $labels.queue }} has waited more than 5 minutes, for 10 minutes: emails, notifications and post processing run late. ' +
          `${sidekiqWhere}. Check that it is alive (DiscourseSidekiqNoProcesses), stuck jobs, ` +
          'and whether one job class floods the queue: /sidekiq as an admin.',
      },
    },
    {
      alert: 'DiscourseSidekiqJobsStuck',
      expr: `sum by (${by}, job_name) (${sel('discourse_sidekiq_jobs_stuck')}) > 0`,
      for: '15m',
      severity: 'warning',
      annotations: {
        summary: '{{ $value }} Discourse Sidekiq job(s) {{ $labels.job_name }} stuck for over 2 hours',
        description:
          'Jobs of class {{ $labels.job_name }} have been running for more than 120 minutes; each holds one of the few Sidekiq threads. ' +
          `Check /sidekiq/busy as an admin and the logs for that job. Restarting ${separate ? 'Sidekiq' : 'Unicorn'} (\`${sidekiqPebble} restart ${separate ? 'sidekiq' : 'discourse'}\`) stops them, but Sidekiq puts them back on the queue, so a job that always hangs will hang again.`,
      },
    },
    {
      alert: 'DiscourseSidekiqNoProcesses',
      // Site-wide: with several pods, one pod without Sidekiq only loses
      // capacity (jobs live in Redis and other pods run them), which
      // DiscourseSidekiqQueueLatency catches. No Sidekiq anywhere stops every
      // email, including sign-up confirmations and password resets: critical.
      expr: `sum by (${by}) (${sel('discourse_sidekiq_processes')}) == 0`,
      for: '10m',
      severity: 'critical',
      annotations: {
        summary: `No Sidekiq process runs for Discourse ${namespace}/${job}`,
        description:
          'No pod of the site has had a Sidekiq process registered in Redis for 10 minutes: background jobs, scheduled jobs and all email (sign-up, password reset) have stopped. ' +
          (separate
            ? `Sidekiq runs in the ${instance}-sidekiq Deployment, where Pebble restarts it, so staying at 0 means it keeps dying, cannot reach Redis, or the Deployment has no pods. `
            : 'Sidekiq is a child of the Unicorn master (UNICORN_SIDEKIQS=1), which restarts it, so staying at 0 means it keeps dying or cannot reach Redis. ') +
          `Check \`${sidekiqLogs}\` for Sidekiq errors, \`${sidekiqPebble} services\`, and Redis.`,
      },
    },
    {
      alert: 'DiscourseJobFailures',
      expr: `sum by (${by}) (rate(${sel('discourse_job_failures')}[${window}])) > 0.1`,
      for: '15m',
      severity: 'warning',
      annotations: {
        // printf, not humanize: humanize writes 0.2 as "200m".
        summary: 'Discourse background jobs fail at {{ $value | printf "%.2f" }} per second',
        description:
          'Background jobs have failed at more than 0.1 per second (6 a minute) for 15 minutes; the exported_job label of discourse_job_failures names the job class. ' +
          'Check the admin Logs page (/logs) and /sidekiq/retries, e.g. for an unreachable SMTP server.',
      },
    },
    opts.cnpgCluster === undefined
      ? {
          alert: 'DiscoursePostgresUnavailable',
          expr: `${sel('discourse_postgres_primary_available')} == 0`,
          for: '2m',
          severity: 'critical',
          annotations: {
            summary: 'Discourse pod {{ $labels.pod }} cannot open a connection to PostgreSQL',
            description:
              `Pod {{ $labels.pod }} ${where} has failed to open a fresh connection to the primary PostgreSQL for 2 minutes (the plugin tests one every 5 s) while its other queries still work, e.g. max_connections reached or one pod's network. ` +
              "This alert cannot see a full outage: the plugin's report then aborts before it is sent and the gauge keeps its last value, 1. " +
              'A full outage shows as DiscourseHighErrorRate and, with ingress-nginx metrics, DiscourseIngressErrors/DiscourseUnavailable; with a CloudNativePG database this rule uses its exporter instead. ' +
              'Check the database server, the DISCOURSE_DB_* settings and credentials, and network reachability from the pod.',
          },
        }
      : cnpgRule(namespace, opts.cnpgCluster),
    {
      alert: 'DiscourseRedisUnavailable',
      expr: `${sel('discourse_redis_primary_available')} == 0`,
      for: '2m',
      severity: 'critical',
      annotations: {
        summary: 'Discourse pod {{ $labels.pod }} cannot reach Redis ({{ $labels.type }})',
        description:
          `Pod {{ $labels.pod }} ${where} has failed to PING the primary Redis ({{ $labels.type }}: main or message-bus) for 2 minutes; sessions, caching, message bus and Sidekiq depend on it. ` +
          "This alert cannot see an outage of the main Redis: the plugin's report then fails before it is sent (its Sidekiq statistics need Redis) and the gauge keeps its last value, 1. " +
          'It does see a message-bus Redis down while the main one works, and a pod that cannot reach Redis. ' +
          (opts.redisServer !== undefined
            ? `A main-Redis outage shows as DiscourseRedisServerDown, from the exporter beside Valkey ${opts.redisServer}. `
            : 'No Redis exporter is assumed for a Redis the site does not run; a main-Redis outage shows as DiscourseHighErrorRate and, with ingress-nginx metrics, DiscourseIngressErrors/DiscourseUnavailable. ') +
          'Check the Redis server, the DISCOURSE_REDIS_* settings and network reachability from the pod.',
      },
    },
    {
      alert: 'DiscoursePodRestarting',
      // sum by pod: drops kube-state-metrics' own job and instance labels, which would route the alert as kube-state-metrics'.
      expr: `sum by (namespace, pod) (increase(${pod('kube_pod_container_status_restarts_total')}[${promDuration(Math.max(3600, rateWindowSeconds(opts.scrapeIntervalSeconds ?? 30)))}])) > 3`,
      for: '0m',
      severity: 'warning',
      annotations: {
        summary: 'Discourse pod {{ $labels.pod }} restarted {{ $value | printf "%.0f" }} times in an hour',
        description:
          'The discourse container has restarted more than 3 times in the last hour. Pebble restarts Unicorn inside the container, so these are container restarts: ' +
          "Pebble exited, the kubelet's liveness probe on Pebble failed, or the container was OOM-killed. " +
          `Check: ${kubectl} describe pod {{ $labels.pod }} (Last State, e.g. OOMKilled); ${kubectl} logs {{ $labels.pod }} -c ${CONTAINER} --previous.`,
      },
    },
    ...(opts.cnpgCluster !== undefined && opts.cnpgBackupMaxAgeSeconds !== undefined
      ? cnpgBackupRules(namespace, opts.cnpgCluster, opts.cnpgBackupMaxAgeSeconds)
      : []),
    ...(opts.redisServer !== undefined ? redisServerRules(namespace, opts.redisServer) : []),
    ...(opts.ingress ? ingressRules(opts.ingress, namespace, window, plannedRollout) : []),
    ...(opts.gatewayRoute ? envoyGatewayRules(opts.gatewayRoute, namespace, window, plannedRollout) : []),
  ];
  return rules.map(({ severity, ...rule }) => ({
    alert: rule.alert,
    expr: rule.expr,
    for: rule.for,
    labels: { severity, site: instance, namespace },
    annotations: rule.annotations,
  }));
}

/**
 * How long after the last sample of a CloudNativePG cluster's exporter its absence still
 * pages: series that were there and are gone mean the instances (or their scrapes) died.
 */
const CNPG_GONE_LOOKBACK = '1d';

/**
 * PostgreSQL availability from CloudNativePG's exporter, which runs in the
 * database pods and so keeps answering when Discourse cannot: fires when no
 * instance of the Cluster is a primary (not in recovery) with PostgreSQL up.
 * No series at all counts as down (`or on () vector(0)`) only when the
 * cluster was scraped within the last day: every instance gone, or its
 * scrapes failing (Prometheus marks a failed target's series stale at once).
 * A cluster nobody scrapes (no PodMonitor: optional) is no outage, so no data
 * gives no alert.
 */
function cnpgRule(namespace: string, cluster: string): RuleBody {
  const up = `cnpg_collector_up{namespace=${q(namespace)},cluster=${q(cluster)}}`;
  const recovery = `cnpg_pg_replication_in_recovery{namespace=${q(namespace)},pod=~${q(cnpgPodRegex(cluster))}}`;
  return {
    alert: 'DiscoursePostgresUnavailable',
    expr: `(sum(${up} == 1 and on (namespace, pod) ${recovery} == 0) or on () vector(0)) < 1 and on () count(present_over_time(${up}[${CNPG_GONE_LOOKBACK}]))`,
    for: '2m',
    severity: 'critical',
    annotations: {
      summary: `The PostgreSQL primary of CloudNativePG cluster ${cluster} (namespace ${namespace}) is down`,
      description:
        `For 2 minutes no instance of CloudNativePG cluster ${cluster} has reported PostgreSQL up as a primary (cnpg_collector_up, cnpg_pg_replication_in_recovery): Discourse cannot write, requests fail. ` +
        'CloudNativePG fails over on its own; staying down means no healthy replica to promote, storage or the instance pods. ' +
        `It also fires when the cluster's cnpg_* series were there within the last ${CNPG_GONE_LOOKBACK} and are gone: every instance gone, or their scrapes failing (the Prometheus targets page shows why; a PodMonitor removed on purpose looks the same). ` +
        `A cluster never scraped (no PodMonitor: Cluster spec.monitoring.enablePodMonitor, or a PodMonitor selecting cnpg.io/cluster=${cluster}) gives no data and no alert. ` +
        `Check: kubectl -n ${namespace} get cluster ${cluster}; kubectl cnpg status ${cluster} -n ${namespace}; kubectl -n ${namespace} get pods -l cnpg.io/cluster=${cluster}; the Prometheus targets page.`,
    },
  };
}

/**
 * The CloudNativePG cluster's backups, from its exporter: the primary reports the Cluster
 * status' last successful and last failed backup as Unix times (0: none yet; replicas
 * report 0, so only the primary's series count). These gauges are set for the in-tree barmanObjectStore this
 * project configures; CloudNativePG marks them deprecated because the Barman Cloud plugin
 * does not fill them. Discourse's own backups have no metric (the discourse-prometheus
 * plugin exports none), so they have no alert.
 */
function cnpgBackupRules(namespace: string, cluster: string, maxAgeSeconds: number): RuleBody[] {
  const scope = `{namespace=${q(namespace)},pod=~${q(cnpgPodRegex(cluster))}}`;
  // The primary's word only: replicas report 0, and an instance demoted by a failover its last value.
  const primary = `and on (namespace, pod) cnpg_pg_replication_in_recovery${scope} == 0`;
  const last = `max(cnpg_collector_last_available_backup_timestamp${scope} ${primary})`;
  const failed = `max(cnpg_collector_last_failed_backup_timestamp${scope} ${primary})`;
  const limit = Math.ceil(maxAgeSeconds) + 3600;
  const check = `Check: kubectl -n ${namespace} get backups -l cnpg.io/cluster=${cluster}; kubectl -n ${namespace} describe scheduledbackup ${cluster}-backup; kubectl cnpg status ${cluster} -n ${namespace} (Continuous Backup status); the object store's credentials and reachability.`;
  return [
    {
      alert: 'DiscourseDatabaseBackupTooOld',
      expr: `time() - ${last} > ${limit}`,
      for: '15m',
      severity: 'warning',
      annotations: {
        summary: `The newest base backup of CloudNativePG cluster ${cluster} (namespace ${namespace}) is {{ $value | humanizeDuration }} old`,
        description:
          `The newest successful base backup of cluster ${cluster} (cnpg_collector_last_available_backup_timestamp) is older than its schedule allows (${promDuration(Math.ceil(maxAgeSeconds))} between runs, plus 1h for the backup to finish), or there is none yet: a point-in-time recovery would have to replay more WAL than planned, or has no base to start from. ` +
          check,
      },
    },
    {
      alert: 'DiscourseDatabaseBackupFailed',
      expr: `${failed} > ${last}`,
      for: '5m',
      severity: 'warning',
      annotations: {
        summary: `The last base backup of CloudNativePG cluster ${cluster} (namespace ${namespace}) failed`,
        description: `The last failed backup of cluster ${cluster} (cnpg_collector_last_failed_backup_timestamp) is newer than its last successful one. ${check}`,
      },
    },
  ];
}

/**
 * The Valkey server the site runs, from redis_exporter beside it (job `<server>-metrics`).
 * The plugin cannot see a main-Redis outage (see DiscourseRedisUnavailable); the exporter can,
 * because it keeps answering with `redis_up 0`. Memory is measured against `maxmemory` (half
 * the container limit, noeviction), where Valkey starts refusing writes; persistence errors
 * refuse writes too (Valkey's stop-writes-on-bgsave-error, and a failed AOF write).
 */
function redisServerRules(namespace: string, server: string): RuleBody[] {
  const scope = `{namespace=${q(namespace)},job=${q(redisMetricsJob(server))}}`;
  const exec = `kubectl -n ${namespace} exec ${server}-0 -c valkey --`;
  return [
    {
      alert: 'DiscourseRedisServerDown',
      expr: `(max(redis_up${scope}) or on () vector(0)) < 1`,
      for: '2m',
      severity: 'critical',
      annotations: {
        summary: `Valkey server ${server} (namespace ${namespace}) is down`,
        description:
          `For 2 minutes the exporter beside Valkey ${server} has not reached it (redis_up 0), or there is no such series at all (the pod is gone, or Prometheus does not scrape the ${redisMetricsJob(server)} ServiceMonitor). ` +
          'Discourse cannot serve requests or run Sidekiq without it: expect DiscourseHighErrorRate as well. ' +
          `Check: kubectl -n ${namespace} get pod ${server}-0; kubectl -n ${namespace} logs ${server}-0 -c valkey (a long AOF replay after a restart shows as LOADING); kubectl -n ${namespace} describe pod ${server}-0 (OOMKilled, volume); the Prometheus targets page.`,
      },
    },
    {
      alert: 'DiscourseRedisMemoryFull',
      expr: `redis_memory_used_bytes${scope} / (redis_memory_max_bytes${scope} > 0) > 0.9`,
      for: '10m',
      severity: 'warning',
      annotations: {
        summary: `Valkey server ${server} (namespace ${namespace}) uses {{ $value | humanizePercentage }} of its maxmemory`,
        description:
          `Valkey ${server} has used over 90% of maxmemory for 10 minutes. At 100% it refuses writes (noeviction: nothing Sidekiq queued is ever evicted), so jobs cannot be queued and requests that write to Redis fail. ` +
          `Check: ${exec} sh -c 'valkey-cli info memory'; the Sidekiq queues and retry/dead sets (/sidekiq) for a backlog; ${exec} sh -c 'valkey-cli --bigkeys'. ` +
          'Then raise redis.create.resources.memory_limit (maxmemory is half of it; the change restarts the pod).',
      },
    },
    {
      alert: 'DiscourseRedisPersistenceFailing',
      expr: `redis_aof_last_write_status${scope} == 0 or redis_rdb_last_bgsave_status${scope} == 0`,
      for: '5m',
      severity: 'critical',
      annotations: {
        summary: `Valkey server ${server} (namespace ${namespace}) cannot write its append-only file or snapshot`,
        description:
          `Valkey ${server}'s last append-only file write or snapshot failed (redis_aof_last_write_status, redis_rdb_last_bgsave_status): it refuses writes until one succeeds, and a restart now would lose data. ` +
          `Usually the data volume is full. Check: ${exec} df -h /data; kubectl -n ${namespace} logs ${server}-0 -c valkey. ` +
          `Grow the claim data-${server}-0 by hand if its StorageClass allows expansion (the StatefulSet's claim template cannot change).`,
      },
    },
  ];
}

/**
 * A Recreate rollout, as kube-state-metrics shows it: a pod of the site created within
 * the planned downtime, one rate window (the 5xx ratio keeps counting the downtime that
 * long after the new pod serves) and 2m for the old pod's stop and the scrapes.
 * A crash loop or an outage with the same pod creates none.
 */
function recreateRollout(podScope: string, downtimeSeconds: number, windowSeconds: number): PlannedRollout {
  const quiet = downtimeSeconds + windowSeconds + 120;
  return { expr: `time() - max(kube_pod_created{${podScope}}) < ${quiet}`, downtime: promDuration(downtimeSeconds), quiet: promDuration(quiet) };
}

/**
 * Availability and errors as clients see them, from ingress-nginx's request
 * counter: it keeps counting when Discourse, PostgreSQL or Redis is down
 * (502/503/504 from nginx, 500 from Discourse), which the plugin's own
 * metrics cannot show.
 */
function ingressRules(ingress: IngressMetricsOptions, namespace: string, window: string, rollout?: PlannedRollout): RuleBody[] {
  const sel = (extra?: string): string =>
    `nginx_ingress_controller_requests{${ingress.namespaceLabel}=${q(namespace)},ingress=${q(ingress.name)}${extra ? `,${extra}` : ''}}`;
  const ratio = `sum by (ingress) (rate(${sel('status=~"5.."')}[${window}])) / sum by (ingress) (rate(${sel()}[${window}]))`;
  // Dropped (and their `for` reset) while a planned Recreate rollout may still show.
  const unlessRollout = rollout ? ` unless on () ${rollout.expr}` : '';
  const rolloutText = rollout
    ? `Not within ${rollout.quiet} of a pod of the site being created: with the Recreate strategy a rollout stops the old pod before the new one serves, a planned downtime of up to ${rollout.downtime}, which the ratio keeps counting for one rate window more. `
    : '';
  const check =
    `Check: DiscourseTargetMissing and the pods (kubectl -n ${namespace} get pods -l app.kubernetes.io/instance=${ingress.name}); ` +
    'PostgreSQL and Redis (a full outage of either makes every request fail, and the plugin cannot report it); the ingress controller logs for upstream errors.';
  return [
    {
      alert: 'DiscourseUnavailable',
      expr: `(${ratio}) > 0.5${unlessRollout}`,
      for: '5m',
      severity: 'critical',
      annotations: {
        summary: `Discourse ${namespace}/${ingress.name} answers {{ $value | humanizePercentage }} of requests with 5xx at the ingress`,
        description:
          `More than half of the requests to Ingress ${ingress.name} have got a 5xx answer for 5 minutes (nginx_ingress_controller_requests): the site is down for its users. ` +
          '502/503/504 come from nginx (no ready pod, or none answering), 500 from Discourse (often PostgreSQL or Redis down). ' +
          rolloutText +
          check,
      },
    },
    {
      alert: 'DiscourseIngressErrors',
      expr: `(${ratio}) > 0.05${unlessRollout}`,
      for: '10m',
      severity: 'warning',
      annotations: {
        summary: `Discourse ${namespace}/${ingress.name} answers {{ $value | humanizePercentage }} of requests with 5xx at the ingress`,
        description:
          `More than 5% of the requests to Ingress ${ingress.name} have got a 5xx answer for 10 minutes, as the ingress controller counts them (so also when Discourse cannot report). ` +
          rolloutText +
          check,
      },
    },
  ];
}

/**
 * Availability and errors as clients see them, from Envoy's per-cluster upstream
 * counter on Envoy Gateway's proxies: it counts the 503s Envoy answers itself when no pod
 * is ready (no healthy upstream) and the 504s of timeouts, as well as Discourse's own 500s.
 */
function envoyGatewayRules(route: GatewayRouteMetricsOptions, namespace: string, window: string, rollout?: PlannedRollout): RuleBody[] {
  const cluster = envoyGatewayClusterName(namespace, route.name);
  const sel = (extra?: string): string => `envoy_cluster_upstream_rq_xx{envoy_cluster_name=${q(cluster)}${extra ? `,${extra}` : ''}}`;
  // Summed over every proxy pod of the Gateway; no traffic at all (a quiet night) is 0/0, no alert.
  const ratio = `sum(rate(${sel('envoy_response_code_class="5"')}[${window}])) / sum(rate(${sel()}[${window}]))`;
  const unlessRollout = rollout ? ` unless on () ${rollout.expr}` : '';
  const rolloutText = rollout
    ? `Not within ${rollout.quiet} of a pod of the site being created: with the Recreate strategy a rollout stops the old pod before the new one serves, a planned downtime of up to ${rollout.downtime}. `
    : '';
  const check =
    `Check: DiscourseTargetMissing and the pods (kubectl -n ${namespace} get pods -l app.kubernetes.io/instance=${route.name}); ` +
    `PostgreSQL and Redis; the route (kubectl -n ${namespace} get httproute ${route.name} -o yaml: status.parents) and the Envoy proxy logs.`;
  return [
    {
      alert: 'DiscourseUnavailable',
      expr: `(${ratio}) > 0.5${unlessRollout}`,
      for: '5m',
      severity: 'critical',
      annotations: {
        summary: `Discourse ${namespace}/${route.name} answers {{ $value | humanizePercentage }} of requests with 5xx at the Gateway`,
        description:
          `More than half of the requests of HTTPRoute ${route.name} have got a 5xx answer for 5 minutes (envoy_cluster_upstream_rq_xx of ${cluster}): the site is down for its users. ` +
          '503 without a pod that is ready (no healthy upstream), 504 on timeouts, 500 from Discourse (often PostgreSQL or Redis down). ' +
          rolloutText +
          check,
      },
    },
    {
      alert: 'DiscourseGatewayErrors',
      expr: `(${ratio}) > 0.05${unlessRollout}`,
      for: '10m',
      severity: 'warning',
      annotations: {
        summary: `Discourse ${namespace}/${route.name} answers {{ $value | humanizePercentage }} of requests with 5xx at the Gateway`,
        description:
          `More than 5% of the requests of HTTPRoute ${route.name} have got a 5xx answer for 10 minutes, as Envoy counts them (so also when Discourse cannot report). ` +
          rolloutText +
          check,
      },
    },
  ];
}
