import { CONTAINER, GatewayRouteMetricsOptions, IngressMetricsOptions, cnpgPodRegex, envoyGatewayClusterName, sitePodRegex } from './alerts';
import { lookupSeries } from './metric-names';
import { redisMetricsJob } from '../model/redis';

/**
 * Grafana dashboards for one Discourse site, as plain JSON-able objects (for
 * a ConfigMap the Grafana sidecar loads). They replace the charm's two
 * dashboards ("Discourse Stats" and "Discourse Service Health"), which query
 * without any job or namespace filter and so mix every Discourse a
 * Prometheus scrapes; here every query is scoped to one site.
 *
 * Latency comes from the plugin's histograms, not its summaries: summary
 * quantiles are computed per pod and cannot be combined across pods, while
 * histogram buckets can. Queries use a fixed window (the alerts' max(5m,
 * 4 × scrape interval)) rather than Grafana's `$__rate_interval`, so every
 * expression is plain PromQL that the tests parse and check.
 * Output is deterministic (no timestamps, ids numbered in order) so that
 * re-rendering does not churn GitOps diffs.
 *
 * Panels about pods sit in one row per role, "Web pods" and, with Sidekiq in pods of its
 * own, "Sidekiq pods", each scoped to that role's pods and container. Rows rather than a
 * `role` template variable: both kinds of pod are in view at once without a click, and
 * every query stays literal PromQL (no `$role` Grafana substitutes), so the same checks
 * that scope each query to the site also prove it is scoped to its row's role.
 */

/** Reference to the dashboard's data source, chosen by the `datasource` variable. */
export interface GrafanaDatasourceRef {
  type: 'prometheus';
  uid: string;
}

/** One PromQL query of a panel. */
export interface GrafanaTarget {
  expr: string;
  legendFormat: string;
  refId: string;
}

/** Panel position on Grafana's 24-column grid. */
export interface GrafanaGridPos {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** A threshold step; the first step's value is null (it applies from -Infinity). */
export interface GrafanaThresholdStep {
  color: string;
  value: number | null;
}

/** Maps raw values to text, e.g. 0/1 to DOWN/UP. */
export interface GrafanaValueMapping {
  type: 'value';
  options: Record<string, { text: string; color: string }>;
}

/** Field defaults the panels set. */
export interface GrafanaFieldDefaults {
  unit: string;
  min?: number;
  mappings?: GrafanaValueMapping[];
  thresholds?: { mode: 'absolute'; steps: GrafanaThresholdStep[] };
}

interface GrafanaPanelBase {
  id: number;
  title: string;
  description: string;
  gridPos: GrafanaGridPos;
  datasource: GrafanaDatasourceRef;
  targets: GrafanaTarget[];
  fieldConfig: { defaults: GrafanaFieldDefaults };
}

/** A time series graph. */
export interface GrafanaTimeseriesPanel extends GrafanaPanelBase {
  type: 'timeseries';
  options: {
    legend: { displayMode: 'list'; placement: 'bottom'; showLegend: true };
    tooltip: { mode: 'multi'; sort: 'desc' };
  };
}

/** A single big number. */
export interface GrafanaStatPanel extends GrafanaPanelBase {
  type: 'stat';
  options: {
    reduceOptions: { calcs: ['lastNotNull']; fields: ''; values: false };
    colorMode: 'value' | 'background';
    graphMode: 'none';
    textMode: 'auto';
    justifyMode: 'auto';
    orientation: 'auto';
  };
}

/** A dashboard panel that shows data. */
export type GrafanaPanel = GrafanaTimeseriesPanel | GrafanaStatPanel;

/** A row: the panels after it, up to the next row, belong to it (an expanded row holds none itself). */
export interface GrafanaRowPanel {
  type: 'row';
  id: number;
  title: string;
  collapsed: false;
  gridPos: GrafanaGridPos;
  panels: [];
}

/** Which pods a row shows: the web pods (Unicorn, with Sidekiq inside when embedded) or the separate Sidekiq pods. */
export type PodRole = 'web' | 'sidekiq';

/** The main container of each role's pods. */
export const ROLE_CONTAINER: Readonly<Record<PodRole, string>> = { web: CONTAINER, sidekiq: 'sidekiq' };

/** The title of each role's row; embedded Sidekiq runs inside the web pods. */
export function roleRowTitle(role: PodRole, sidekiqMode: 'embedded' | 'separate' = 'embedded'): string {
  if (role === 'sidekiq') return 'Sidekiq pods';
  return sidekiqMode === 'separate' ? 'Web pods (Unicorn)' : 'Web pods (Unicorn, with Sidekiq inside)';
}

/** The roles a site's pods have. */
export function podRoles(sidekiqMode: 'embedded' | 'separate' = 'embedded'): PodRole[] {
  return sidekiqMode === 'separate' ? ['web', 'sidekiq'] : ['web'];
}

/** RE2 pattern of one role's pods: the Deployment's `<instance>-<hash>-<suffix>`, or the Sidekiq Deployment's. */
export function rolePodRegex(instance: string, role: PodRole): string {
  return sitePodRegex(role === 'web' ? instance : `${instance}-sidekiq`);
}

/** The `datasource` template variable: lets the viewer pick any Prometheus data source. */
export interface GrafanaDatasourceVariable {
  name: 'datasource';
  label: string;
  type: 'datasource';
  query: 'prometheus';
  current: Record<string, never>;
  hide: 0;
  refresh: 1;
  regex: '';
  options: [];
}

/** The subset of Grafana's dashboard model (schema version 39) these dashboards use. */
export interface GrafanaDashboard {
  schemaVersion: 39;
  uid: string;
  title: string;
  tags: string[];
  editable: boolean;
  /** 1: shared crosshair across panels. */
  graphTooltip: 1;
  time: { from: string; to: string };
  refresh: string;
  templating: { list: GrafanaDatasourceVariable[] };
  panels: (GrafanaPanel | GrafanaRowPanel)[];
}

/** Which site a dashboard shows, and how Grafana names it. */
export interface DashboardOptions {
  /** Grafana uid: at most 40 characters of letters, digits, `-` and `_`. */
  readonly uid: string;
  readonly title: string;
  /** Prometheus `job` label of the Discourse pods' target (the Service name). */
  readonly job: string;
  /** Kubernetes namespace of the site. */
  readonly namespace: string;
  /**
   * Deployment name, for kube-state-metrics and cAdvisor series (which carry
   * the pod name, not the Discourse job).
   * @default - `job`: the Service and the Deployment share the site's name
   */
  readonly instance?: string;
  /**
   * Where Sidekiq runs: in separate mode the `<instance>-sidekiq` pods (container `sidekiq`)
   * are shown with the web pods in the pod panels.
   * @default 'embedded'
   */
  readonly sidekiqMode?: 'embedded' | 'separate';
  /**
   * Range of rate() windows (Prometheus duration), at least 4 scrape intervals.
   * @default '5m'
   */
  readonly rateWindow?: string;
  /**
   * CloudNativePG Cluster of the site's database: the PostgreSQL panels then
   * show its exporter's view, which stays true in an outage.
   * @default - the plugin's check, labelled as its last report
   */
  readonly cnpgCluster?: string;
  /**
   * Service name of the Valkey server the site runs, scraped through its exporter: the Redis
   * stat then reads the exporter, which stays true in an outage, and a panel shows memory
   * against `maxmemory`.
   * @default - the plugin's check, labelled as its last report
   */
  readonly redisServer?: string;
  /**
   * The site's ingress-nginx Ingress: adds a panel of 5xx as clients see them.
   * @default - no ingress panel
   */
  readonly ingress?: IngressMetricsOptions;
  /**
   * The site's HTTPRoute on Envoy Gateway: adds a panel of 5xx as Envoy counts them.
   * @default - no gateway panel
   */
  readonly gatewayRoute?: GatewayRouteMetricsOptions;
}

const DATASOURCE: GrafanaDatasourceRef = { type: 'prometheus', uid: '${datasource}' };
const GRID_COLUMNS = 24;
const UID_PATTERN = /^[A-Za-z0-9_-]{1,40}$/;
/** Fresh objects per panel, so that editing one panel's config cannot change another's. */
function upDown(): GrafanaValueMapping {
  return { type: 'value', options: { 0: { text: 'DOWN', color: 'red' }, 1: { text: 'UP', color: 'green' } } };
}

function thresholds(below: string, from1: string): NonNullable<GrafanaFieldDefaults['thresholds']> {
  return {
    mode: 'absolute',
    steps: [
      { color: below, value: null },
      { color: from1, value: 1 },
    ],
  };
}

function validate(opts: DashboardOptions): void {
  const problems: string[] = [];
  if (!UID_PATTERN.test(opts.uid)) problems.push(`uid ${JSON.stringify(opts.uid)} must be 1-40 letters, digits, - or _`);
  if (opts.title.trim() === '') problems.push('title must not be empty');
  if (opts.job === '') problems.push('job must not be empty');
  if (opts.namespace === '') problems.push('namespace must not be empty');
  if (opts.instance === '') problems.push('instance must not be empty');
  if (opts.rateWindow !== undefined && !/^([0-9]+(ms|s|m|h|d|w|y))+$/.test(opts.rateWindow))
    problems.push(`rateWindow ${JSON.stringify(opts.rateWindow)} is not a Prometheus duration`);
  if (problems.length > 0) throw new Error(`invalid dashboard options: ${problems.join('; ')}`);
}

/** Builds scoped selectors and lays panels out left to right, top to bottom, numbering them 1, 2, ... */
class Builder {
  public readonly panels: (GrafanaPanel | GrafanaRowPanel)[] = [];
  private x = 0;
  private y = 0;
  private rowHeight = 0;
  private readonly site: string;
  private readonly pod: string;
  private readonly opts: DashboardOptions;
  /** The rate() window, e.g. `5m`. */
  public readonly w: string;
  /** The role of the row being filled; its selectors are scoped to that role's pods. */
  private role: PodRole | undefined;

  constructor(opts: DashboardOptions) {
    const q = JSON.stringify;
    this.opts = opts;
    this.w = opts.rateWindow ?? '5m';
    this.site = `job=${q(opts.job)},namespace=${q(opts.namespace)}`;
    const containers = opts.sidekiqMode === 'separate' ? 'container=~"discourse|sidekiq"' : 'container="discourse"';
    this.pod = `namespace=${q(opts.namespace)},pod=~${q(sitePodRegex(opts.instance ?? opts.job, opts.sidekiqMode))},${containers}`;
  }

  /**
   * `series{job=...,namespace=...[,extra]}`, or the pod-scoped form for kube-state-metrics/cAdvisor series;
   * inside a role's row, narrowed to that role's pods and container. Throws for an unknown series.
   */
  public sel(series: string, extra?: string): string {
    const info = lookupSeries(series);
    if (!info) throw new Error(`unknown series ${series}`);
    if (info.scope !== 'target' && info.scope !== 'pod') throw new Error(`series ${series} is not about the site's pods`);
    const q = JSON.stringify;
    const role = this.role;
    let scope = info.scope === 'target' ? this.site : this.pod;
    if (role !== undefined) {
      const container = `container=${q(ROLE_CONTAINER[role])}`;
      const pods = `namespace=${q(this.opts.namespace)},pod=~${q(rolePodRegex(this.opts.instance ?? this.opts.job, role))}`;
      scope = info.scope === 'target' ? `${this.site},${container}` : `${pods},${container}`;
    }
    return `${series}{${scope}${extra ? `,${extra}` : ''}}`;
  }

  /** Starts a full-width row for one role's pods: the panels that follow show only those. */
  public row(role: PodRole): void {
    if (this.x > 0) {
      this.y += this.rowHeight;
      this.x = 0;
      this.rowHeight = 0;
    }
    this.role = role;
    const title = roleRowTitle(role, this.opts.sidekiqMode);
    this.panels.push({ type: 'row', id: this.panels.length + 1, title, collapsed: false, gridPos: { x: 0, y: this.y, w: GRID_COLUMNS, h: 1 }, panels: [] });
    this.y += 1;
  }

  /** A panel title with the role of the current row, so that titles stay unique with two rows. */
  public titled(title: string): string {
    return this.role === undefined ? title : `${title} (${this.role === 'web' ? 'web' : 'Sidekiq'})`;
  }

  public timeseries(title: string, description: string, unit: string, queries: [string, string][], w = 12, h = 8): void {
    this.add({
      type: 'timeseries',
      title: this.titled(title),
      description,
      unit,
      queries,
      w,
      h,
      options: { legend: { displayMode: 'list', placement: 'bottom', showLegend: true }, tooltip: { mode: 'multi', sort: 'desc' } },
    });
  }

  public stat(
    title: string,
    description: string,
    unit: string,
    queries: [string, string][],
    extra: Omit<GrafanaFieldDefaults, 'unit'> = {},
    w = 6,
    h = 4,
  ): void {
    this.add({
      type: 'stat',
      title: this.titled(title),
      description,
      unit,
      queries,
      w,
      h,
      extra,
      options: {
        reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false },
        colorMode: extra.thresholds ? 'background' : 'value',
        graphMode: 'none',
        textMode: 'auto',
        justifyMode: 'auto',
        orientation: 'auto',
      },
    });
  }

  private add(
    p: {
      title: string;
      description: string;
      unit: string;
      queries: [string, string][];
      w: number;
      h: number;
      extra?: Omit<GrafanaFieldDefaults, 'unit'>;
    } & (Pick<GrafanaTimeseriesPanel, 'type' | 'options'> | Pick<GrafanaStatPanel, 'type' | 'options'>),
  ): void {
    if (this.x + p.w > GRID_COLUMNS) {
      this.x = 0;
      this.y += this.rowHeight;
      this.rowHeight = 0;
    }
    const base = {
      id: this.panels.length + 1,
      title: p.title,
      description: p.description,
      gridPos: { x: this.x, y: this.y, w: p.w, h: p.h },
      datasource: { ...DATASOURCE },
      targets: p.queries.map(([expr, legendFormat], i) => ({ expr, legendFormat, refId: String.fromCharCode(65 + i) })),
      fieldConfig: { defaults: { unit: p.unit, ...p.extra } },
    };
    this.panels.push(p.type === 'stat' ? { ...base, type: p.type, options: p.options } : { ...base, type: p.type, options: p.options });
    this.x += p.w;
    this.rowHeight = Math.max(this.rowHeight, p.h);
  }
}

function dashboard(opts: DashboardOptions, tags: string[], panels: (GrafanaPanel | GrafanaRowPanel)[]): GrafanaDashboard {
  return {
    schemaVersion: 39,
    uid: opts.uid,
    title: opts.title,
    tags,
    editable: true,
    graphTooltip: 1,
    time: { from: 'now-6h', to: 'now' },
    refresh: '1m',
    templating: {
      list: [{ name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus', current: {}, hide: 0, refresh: 1, regex: '', options: [] }],
    },
    panels,
  };
}

/** `histogram_quantile(q, ...)` over a histogram's buckets, summed over pods. */
function quantile(b: Builder, q: number, histogram: string, extra?: string): string {
  return `histogram_quantile(${q}, sum by (le) (rate(${b.sel(`${histogram}_bucket`, extra)}[${b.w}])))`;
}

/** Mean per observation: rate of `_sum` over rate of `_count`. */
function mean(b: Builder, histogram: string): string {
  return `sum(rate(${b.sel(`${histogram}_sum`)}[${b.w}])) / sum(rate(${b.sel(`${histogram}_count`)}[${b.w}]))`;
}

/** Mean run time per job class, the 10 slowest; classes that did not run in the window are left out. */
function slowestJobs(b: Builder, family: 'sidekiq' | 'scheduled'): string {
  const duration = b.sel(`discourse_${family}_job_duration_seconds`);
  const count = b.sel(`discourse_${family}_job_count`);
  return `topk(10, sum by (job_name) (rate(${duration}[${b.w}])) / (sum by (job_name) (rate(${count}[${b.w}])) > 0))`;
}

/**
 * The application dashboard: what the charm's "Discourse Stats" shows
 * (traffic, latency, SQL/Redis time, page views, Unicorn and Sidekiq load,
 * memory), scoped to one site.
 */
export function appDashboard(opts: DashboardOptions): GrafanaDashboard {
  validate(opts);
  const b = new Builder(opts);
  const requests = (status: string): string => `sum(rate(${b.sel('discourse_http_requests', status)}[${b.w}]))`;
  b.timeseries(
    'Requests by status class',
    'HTTP requests per second. "hijacked" are message-bus long polls handed off before they have a status (status "-1").',
    'reqps',
    [
      [requests('status=~"2.."'), '2xx'],
      [requests('status=~"3.."'), '3xx'],
      [requests('status=~"4.."'), '4xx'],
      [requests('status=~"5.."'), '5xx'],
      [requests('status="-1"'), 'hijacked'],
    ],
  );
  b.timeseries('Request latency', 'Time per HTTP request, from the discourse_http_requests_duration_seconds histogram, all pods together.', 's', [
    [quantile(b, 0.5, 'discourse_http_requests_duration_seconds'), 'p50'],
    [quantile(b, 0.99, 'discourse_http_requests_duration_seconds'), 'p99'],
  ]);
  b.timeseries('SQL time per request', 'Time a request spends in PostgreSQL queries.', 's', [
    [quantile(b, 0.99, 'discourse_http_requests_sql_duration_seconds'), 'p99'],
    [mean(b, 'discourse_http_requests_sql_duration_seconds'), 'mean'],
  ]);
  b.timeseries('Redis time per request', 'Time a request spends in Redis calls.', 's', [
    [quantile(b, 0.99, 'discourse_http_requests_redis_duration_seconds'), 'p99'],
    [mean(b, 'discourse_http_requests_redis_duration_seconds'), 'mean'],
  ]);
  b.timeseries('Page views by type', 'Page views per second as the admin dashboard counts them: anon, logged_in or crawler.', 'short', [
    [`sum by (type) (rate(${b.sel('discourse_page_views')}[${b.w}]))`, '{{type}}'],
  ]);
  b.timeseries(
    'Active and queued app requests',
    "Requests Unicorn is serving and requests waiting in its listen queue (each pod's peak over ~30 s). Queued requests mean every worker is busy.",
    'short',
    [
      [`sum(${b.sel('discourse_active_app_reqs')})`, 'active'],
      [`sum(${b.sel('discourse_queued_app_reqs')})`, 'queued'],
    ],
  );
  b.timeseries('Sidekiq jobs enqueued', 'Jobs waiting per Sidekiq queue. max, not sum: every pod reports the same queues (they live in Redis).', 'short', [
    [`max by (queue) (${b.sel('discourse_sidekiq_jobs_enqueued')})`, '{{queue}}'],
  ]);
  b.timeseries('Sidekiq queue latency', 'How long the oldest job of each queue has waited.', 's', [
    [`max by (queue) (${b.sel('discourse_sidekiq_queue_latency_seconds')})`, '{{queue}}'],
  ]);
  b.timeseries('Sidekiq job duration (top 10)', `Mean run time of the 10 slowest Sidekiq job classes that ran in the last ${b.w}.`, 's', [
    [slowestJobs(b, 'sidekiq'), '{{job_name}}'],
  ]);
  b.timeseries('Scheduled job duration (top 10)', `Mean run time of the 10 slowest scheduled job classes that ran in the last ${b.w}.`, 's', [
    [slowestJobs(b, 'scheduled'), '{{job_name}}'],
  ]);
  for (const role of podRoles(opts.sidekiqMode)) {
    b.row(role);
    b.timeseries('RSS by process type', 'Resident memory of the web (Unicorn workers) and sidekiq processes of each pod.', 'bytes', [
      [`sum by (pod, type) (${b.sel('discourse_rss')})`, '{{pod}} {{type}}'],
    ]);
    b.timeseries('Ruby heap live slots', 'Live objects on the Ruby heap; steady growth hints at a leak.', 'short', [
      [`sum by (pod, type) (${b.sel('discourse_heap_live_slots')})`, '{{pod}} {{type}}'],
    ]);
  }
  return dashboard(opts, ['discourse'], b.panels);
}

/**
 * The service health dashboard: the charm's four golden signals (latency,
 * errors, traffic, saturation), plus scrape health, pod restarts and
 * PostgreSQL/Redis reachability, scoped to one site.
 */
export function serviceHealthDashboard(opts: DashboardOptions): GrafanaDashboard {
  validate(opts);
  const b = new Builder(opts);
  const pg = opts.cnpgCluster === undefined ? undefined : cnpgPrimaryUp(opts.namespace, opts.cnpgCluster);
  b.stat(
    pg ? 'PostgreSQL primary (CloudNativePG)' : 'PostgreSQL (plugin, last report)',
    pg
      ? `Whether an instance of CloudNativePG cluster ${opts.cnpgCluster} runs PostgreSQL as primary (its exporter: cnpg_collector_up, cnpg_pg_replication_in_recovery). No data: no PodMonitor scrapes the cluster.`
      : "The plugin's last report of whether every pod can connect to the primary PostgreSQL. In a full outage the report aborts before it is sent, so this keeps showing UP: trust the error panels then.",
    'none',
    [[pg ?? `min(${b.sel('discourse_postgres_primary_available')})`, 'PostgreSQL']],
    { mappings: [upDown()], thresholds: thresholds('red', 'green') },
  );
  const valkey =
    opts.redisServer === undefined ? undefined : `{namespace=${JSON.stringify(opts.namespace)},job=${JSON.stringify(redisMetricsJob(opts.redisServer))}}`;
  b.stat(
    valkey ? 'Redis (Valkey exporter)' : 'Redis (plugin, last report)',
    valkey
      ? `Whether the exporter beside Valkey ${opts.redisServer} reaches it (redis_up); DOWN also when there are no series (the pod is gone, or nothing scrapes it).`
      : "The plugin's last report of whether every pod can PING the primary Redis. When the main Redis is down the report aborts before it is sent, so this keeps showing UP: trust the error panels then.",
    'none',
    [[valkey ? `max(redis_up${valkey}) or on () vector(0)` : `min(${b.sel('discourse_redis_primary_available')})`, 'Redis']],
    { mappings: [upDown()], thresholds: thresholds('red', 'green') },
  );
  b.timeseries('Latency: p99', 'The charm watches list#latest (the home page); all requests are shown too.', 's', [
    [quantile(b, 0.99, 'discourse_http_requests_duration_seconds'), 'all requests'],
    [quantile(b, 0.99, 'discourse_http_requests_duration_seconds', 'controller="list",action="latest"'), 'list#latest'],
  ]);
  b.timeseries('Errors: 4xx and 5xx', 'Error answers per second, by status.', 'reqps', [
    [`sum by (status) (rate(${b.sel('discourse_http_requests', 'status=~"[45].."')}[${b.w}]))`, '{{status}}'],
  ]);
  b.timeseries(
    'Errors: 5xx ratio',
    'Share of requests answered 5xx, hijacked message-bus requests left out; DiscourseHighErrorRate fires above 5%.',
    'percentunit',
    [
      [
        `sum(rate(${b.sel('discourse_http_requests', 'status=~"5.."')}[${b.w}])) / sum(rate(${b.sel('discourse_http_requests', 'status!="-1"')}[${b.w}]))`,
        '5xx',
      ],
    ],
  );
  b.timeseries('Traffic: requests', 'HTTP requests per second, regular and background (hijacked message-bus polls left out).', 'reqps', [
    [`sum by (type) (rate(${b.sel('discourse_http_requests', 'status!="-1"')}[${b.w}]))`, '{{type}}'],
  ]);
  b.timeseries(
    'PostgreSQL and Redis reachable (plugin, last report)',
    "1 while every pod can reach the primary (the plugin's checks, every 5 s). A full outage of PostgreSQL or the main Redis aborts the report, and the lines stay at their last value, 1.",
    'none',
    [
      [`min(${b.sel('discourse_postgres_primary_available')})`, 'PostgreSQL'],
      [`min by (type) (${b.sel('discourse_redis_primary_available')})`, 'Redis {{type}}'],
      ...(pg ? [[pg, 'PostgreSQL primary (CloudNativePG)'] as [string, string]] : []),
    ],
  );
  if (valkey) {
    b.timeseries(
      'Valkey memory',
      'Memory Valkey holds, and its maxmemory (half the container limit): at maxmemory it refuses writes (noeviction); DiscourseRedisMemoryFull fires above 90%.',
      'bytes',
      [
        [`max(redis_memory_used_bytes${valkey})`, 'used'],
        [`max(redis_memory_max_bytes${valkey})`, 'maxmemory'],
      ],
    );
  }
  if (opts.ingress) {
    const ingress = opts.ingress;
    const sel = (extra: string): string =>
      `nginx_ingress_controller_requests{${ingress.namespaceLabel}=${JSON.stringify(opts.namespace)},ingress=${JSON.stringify(ingress.name)}${extra}}`;
    b.timeseries(
      'Ingress: 5xx ratio',
      'Share of requests answered 5xx as ingress-nginx counts them: also when Discourse, PostgreSQL or Redis is down and the plugin cannot report. DiscourseIngressErrors fires above 5%, DiscourseUnavailable above 50%.',
      'percentunit',
      [[`sum(rate(${sel(',status=~"5.."')}[${b.w}])) / sum(rate(${sel('')}[${b.w}]))`, '5xx']],
    );
  }
  if (opts.gatewayRoute) {
    const sel = (extra: string): string =>
      `envoy_cluster_upstream_rq_xx{envoy_cluster_name=${JSON.stringify(envoyGatewayClusterName(opts.namespace, opts.gatewayRoute!.name))}${extra}}`;
    b.timeseries(
      'Gateway: 5xx ratio',
      "Share of the route's requests answered 5xx as Envoy Gateway's proxies count them (also Envoy's own 503 when no pod is ready): DiscourseGatewayErrors fires above 5%, DiscourseUnavailable above 50%.",
      'percentunit',
      [[`sum(rate(${sel(',envoy_response_code_class="5"')}[${b.w}])) / sum(rate(${sel('')}[${b.w}]))`, '5xx']],
    );
  }
  for (const role of podRoles(opts.sidekiqMode)) {
    b.row(role);
    const restarts = b.sel('kube_pod_container_status_restarts_total');
    const container = ROLE_CONTAINER[role];
    b.stat('Metrics targets up', 'Pods Prometheus scraped successfully, of all pods it tries.', 'short', [
      [`sum(${b.sel('up')})`, 'up'],
      [`count(${b.sel('up')})`, 'targets'],
    ]);
    b.stat(
      'Pod restarts (1h)',
      `Restarts of the ${container} container in the last hour (kube-state-metrics). Pebble restarts ${role === 'web' ? 'Unicorn' : 'Sidekiq'} in place; these are whole-container restarts.`,
      'short',
      [[`sum(increase(${restarts}[1h]))`, 'restarts']],
      { thresholds: thresholds('green', 'red') },
    );
    // Unicorn's request gauges: the web pods only.
    if (role === 'web') {
      b.timeseries('Traffic: requests in progress', "Requests Unicorn is serving, per pod (the charm's traffic panel).", 'short', [
        [`sum by (pod) (${b.sel('discourse_active_app_reqs')})`, '{{pod}}'],
      ]);
      b.timeseries(
        'Saturation: queued requests',
        'Requests waiting for a free Unicorn worker, per pod; above 0 for long means too few workers or too little CPU.',
        'short',
        [[`sum by (pod) (${b.sel('discourse_queued_app_reqs')})`, '{{pod}}']],
      );
    }
    b.timeseries('Saturation: CPU', `CPU cores used by the ${container} container (cAdvisor).`, 'short', [
      [`sum by (pod) (rate(${b.sel('container_cpu_usage_seconds_total')}[${b.w}]))`, '{{pod}}'],
    ]);
    b.timeseries('Saturation: memory', `Working set of the ${container} container (cAdvisor): what the kernel counts against the memory limit.`, 'bytes', [
      [`sum by (pod) (${b.sel('container_memory_working_set_bytes')})`, '{{pod}}'],
    ]);
    b.timeseries('Saturation: threads', "Ruby threads per pod and process type (the charm's saturation panel).", 'short', [
      [`sum by (pod, type) (${b.sel('discourse_thread_count')})`, '{{pod}} {{type}}'],
    ]);
    b.timeseries('Saturation: V8 heap used', "JavaScript (mini_racer) heap in use, per pod and process type (the charm's saturation panel).", 'bytes', [
      [`sum by (pod, type) (${b.sel('discourse_v8_used_heap_size')})`, '{{pod}} {{type}}'],
    ]);
    b.timeseries('Pod restarts', `Restarts of the ${container} container per pod over the last hour.`, 'short', [
      [`sum by (pod) (increase(${restarts}[1h]))`, '{{pod}}'],
    ]);
  }
  return dashboard(opts, ['discourse', 'service-health'], b.panels);
}

/** 1 while an instance of the CloudNativePG cluster runs PostgreSQL as primary, else 0 (also with no series). */
function cnpgPrimaryUp(namespace: string, cluster: string): string {
  const q = JSON.stringify;
  const up = `cnpg_collector_up{namespace=${q(namespace)},cluster=${q(cluster)}}`;
  const recovery = `cnpg_pg_replication_in_recovery{namespace=${q(namespace)},pod=~${q(cnpgPodRegex(cluster))}}`;
  return `max(${up} == 1 and on (namespace, pod) ${recovery} == 0) or on () vector(0)`;
}

/** The panels of a dashboard that show data (not its rows). */
export function dataPanels(d: GrafanaDashboard): GrafanaPanel[] {
  return d.panels.filter((p): p is GrafanaPanel => p.type !== 'row');
}

/** Every PromQL expression of a dashboard, in panel order. */
export function dashboardQueries(d: GrafanaDashboard): string[] {
  return dataPanels(d).flatMap((p) => p.targets.map((t) => t.expr));
}
