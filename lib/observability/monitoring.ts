import { Construct } from 'constructs';
import { GrafanaDashboard } from '../../imports/grafana.integreatly.org';
import * as k8s from '../../imports/k8s';
import { PrometheusRule, PrometheusRuleSpecGroupsRulesExpr, ServiceMonitor, ServiceMonitorSpecEndpointsScheme } from '../../imports/monitoring.coreos.com';
import { discourseAlertRules, promDuration, rateWindowSeconds } from './alerts';
import { SKIP_DRY_RUN_ON_MISSING_CRD } from '../core/annotations';
import { cnpgScheduleMaxGapSeconds, cnpgScheduleProblem } from '../data/cnpg-cluster';
import { isDnsLabel, isDnsSubdomain, isLabelKey, isLabelValue } from '../core/checks';
import { GrafanaDashboard as GrafanaDashboardModel, appDashboard, serviceHealthDashboard } from './dashboards';
import { DEFAULTS } from '../core/defaults';
import type { ResolvedDiscourse } from '../model/props';
import { parseGoDuration } from '../core/units';
import { holdsReadWriteOnce } from '../workload/workload';
import { Problem, ValidationError, show } from '../core/problems';

/** Options of the site's Prometheus and Grafana objects. */
export interface DiscourseMonitoringProps {
  /**
   * Labels the Prometheus `serviceMonitorSelector` / `ruleSelector` wants.
   * @default { release: 'kube-prometheus-stack' }
   */
  readonly prometheusLabels?: Readonly<Record<string, string>>;
  /**
   * Scrape interval (Prometheus duration). The alerts' and dashboards' rate
   * windows are max(5m, 4 × interval), so that they always span several scrapes.
   * @default '30s'
   */
  readonly interval?: string;
  /**
   * Scrape timeout; must not exceed the interval.
   * @default '10s'
   */
  readonly scrapeTimeout?: string;
  /**
   * Emit the PrometheusRule.
   * @default true
   */
  readonly alerts?: boolean;
  /**
   * Name of the site's Ingress when ingress-nginx serves it and Prometheus
   * scrapes the controller: adds DiscourseUnavailable and DiscourseIngressErrors
   * (5xx as clients see them, also when Discourse cannot report) and an
   * ingress panel. `SiteChart` sets it for a site with an ingress-nginx Ingress.
   * @default - no ingress alerts
   */
  readonly ingressName?: string;
  /**
   * The label of `nginx_ingress_controller_requests` that holds the Ingress'
   * namespace: `exported_namespace` when the controller's ServiceMonitor does
   * not honor labels (the ingress-nginx chart's default), `namespace` when it does.
   * @default 'exported_namespace'
   */
  readonly ingressNamespaceLabel?: 'exported_namespace' | 'namespace';
  /**
   * Name of the site's HTTPRoute when Envoy Gateway serves it and Prometheus scrapes its
   * Envoy proxies: adds DiscourseUnavailable and DiscourseGatewayErrors from Envoy's
   * upstream counters, and a gateway panel. `SiteChart` sets it for `gateway.implementation: envoy-gateway`.
   * @default - no gateway alerts
   */
  readonly envoyGatewayRouteName?: string;
  /**
   * The ScheduledBackup schedule of the site's CloudNativePG cluster, when it backs up:
   * adds DiscourseDatabaseBackupTooOld (the newest base backup is older than the
   * schedule's longest gap plus an hour) and DiscourseDatabaseBackupFailed. `SiteChart`
   * sets it for a cluster the site creates with `backup`.
   * @default - no database backup alerts
   */
  readonly databaseBackupSchedule?: string;
  /**
   * Service name of a Valkey server the site runs with metrics (a RedisServer with
   * `metrics`): the rules then alert on it (DiscourseRedisServerDown,
   * DiscourseRedisMemoryFull, DiscourseRedisPersistenceFailing). `SiteChart` sets it for
   * `redis.create`.
   * @default - no alerts on a Redis server
   */
  readonly redisServer?: string;
  /**
   * How the two Grafana dashboards reach Grafana: `sidecar`, ConfigMaps the Grafana
   * dashboard sidecar loads (kube-prometheus-stack); `grafana-operator`, one
   * `GrafanaDashboard` (grafana.integreatly.org/v1beta1) each for the Grafana Operator
   * (v5; the CRD of Grafana Operator v5.18.0 tested), with the same JSON; `false`, none. `true` is `sidecar`.
   * @default 'sidecar'
   * @see https://grafana.github.io/grafana-operator/docs/dashboards/
   */
  readonly dashboards?: DashboardCarrier | boolean;
  /**
   * Labels the Grafana dashboard sidecar looks for (`sidecar` only).
   * @default { grafana_dashboard: '1' }
   */
  readonly dashboardLabels?: Readonly<Record<string, string>>;
  /**
   * Namespace for the dashboard objects (the sidecar may watch only its own; a Grafana
   * Operator instance elsewhere needs `grafanaAllowCrossNamespaceImport`).
   * @default - the site's namespace
   */
  readonly dashboardNamespace?: string;
  /**
   * `grafana-operator`: the labels of the `Grafana` resources to import the dashboards into
   * (the GrafanaDashboard's `spec.instanceSelector.matchLabels`); required then. The
   * operator's CRD refuses to change it in place.
   * @default - none; required with `dashboards: 'grafana-operator'`
   */
  readonly grafanaInstanceSelector?: Readonly<Record<string, string>>;
  /**
   * `grafana-operator`: title of the Grafana folder the dashboards go into.
   * @default - the operator's: a folder named after the GrafanaDashboard's namespace
   */
  readonly grafanaFolder?: string;
  /**
   * `grafana-operator`: let the operator import the dashboards into matching Grafana
   * instances in other namespaces (`spec.allowCrossNamespaceImport`). Turning it off
   * again needs the GrafanaDashboards deleted first (the CRD refuses it in place).
   * @default false
   */
  readonly grafanaAllowCrossNamespaceImport?: boolean;
}

/** The carriers of the dashboards: Grafana's sidecar (ConfigMaps) or the Grafana Operator (GrafanaDashboard objects). */
export type DashboardCarrier = 'sidecar' | 'grafana-operator';

/** The values `dashboards` takes, for messages and the site-file reader. */
export const DASHBOARD_CARRIERS: readonly DashboardCarrier[] = ['sidecar', 'grafana-operator'];

const MAX_INTERVAL_MS = 240_000;

/** Monitoring options with defaults applied: what the construct builds from. */
export interface ResolvedMonitoring {
  /** Marks a value that went through {@link resolveMonitoring}. */
  readonly isResolved: true;
  readonly prometheusLabels: Readonly<Record<string, string>>;
  readonly interval: string;
  readonly intervalSeconds: number;
  readonly scrapeTimeout: string;
  readonly alerts: boolean;
  readonly ingressName?: string;
  readonly ingressNamespaceLabel: 'exported_namespace' | 'namespace';
  readonly envoyGatewayRouteName?: string;
  /** The longest gap of `databaseBackupSchedule`. */
  readonly databaseBackupMaxAgeSeconds?: number;
  readonly redisServer?: string;
  /** Where the dashboards go; false: nowhere. */
  readonly dashboards: DashboardCarrier | false;
  readonly dashboardLabels: Readonly<Record<string, string>>;
  readonly dashboardNamespace?: string;
  /** With `grafana-operator`: the instance selector, folder and cross-namespace import. */
  readonly grafanaOperator?: {
    readonly instanceSelector: Readonly<Record<string, string>>;
    readonly folder?: string;
    readonly allowCrossNamespaceImport: boolean;
  };
}

/** What the monitoring needs of its site: the Discourse construct has all of it. */
export interface MonitoringTarget {
  readonly resolved: Pick<ResolvedDiscourse, 'name' | 'metrics' | 'database' | 'startupTimeoutSeconds' | 'sidekiq' | 'uploads' | 'backups'>;
  readonly names: { readonly service: string };
  readonly labels: Readonly<Record<string, string>>;
  readonly namespace: string;
}

/** Validates monitoring options and applies their defaults; problems name `path` (`monitoring.interval`). */
export function resolveMonitoring(o: DiscourseMonitoringProps, path = 'monitoring'): { resolved: ResolvedMonitoring; problems: Problem[] } {
  const problems = validateMonitoring(o, path);
  const interval = o.interval ?? DEFAULTS.scrapeInterval;
  const dashboards = dashboardCarrier(o.dashboards);
  return {
    resolved: {
      isResolved: true,
      prometheusLabels: o.prometheusLabels ?? DEFAULTS.prometheusLabels,
      interval,
      intervalSeconds: (parseGoDuration(interval) ?? 30_000) / 1000,
      scrapeTimeout: o.scrapeTimeout ?? DEFAULTS.scrapeTimeout,
      alerts: o.alerts ?? true,
      ingressName: o.ingressName,
      ingressNamespaceLabel: o.ingressNamespaceLabel ?? DEFAULTS.ingressNamespaceLabel,
      ...(o.envoyGatewayRouteName !== undefined ? { envoyGatewayRouteName: o.envoyGatewayRouteName } : {}),
      ...(o.databaseBackupSchedule !== undefined ? { databaseBackupMaxAgeSeconds: cnpgScheduleMaxGapSeconds(o.databaseBackupSchedule) } : {}),
      ...(o.redisServer !== undefined ? { redisServer: o.redisServer } : {}),
      dashboards,
      dashboardLabels: o.dashboardLabels ?? DEFAULTS.dashboardLabels,
      dashboardNamespace: o.dashboardNamespace,
      ...(dashboards === 'grafana-operator'
        ? {
            grafanaOperator: {
              instanceSelector: o.grafanaInstanceSelector ?? {},
              ...(o.grafanaFolder !== undefined ? { folder: o.grafanaFolder } : {}),
              allowCrossNamespaceImport: o.grafanaAllowCrossNamespaceImport ?? false,
            },
          }
        : {}),
    },
    problems,
  };
}

/** `dashboards` as a carrier: true is the sidecar (what `dashboards: true` always meant), unset too. */
export function dashboardCarrier(value: DashboardCarrier | boolean | undefined): DashboardCarrier | false {
  if (value === undefined || value === true) return DEFAULTS.dashboardCarrier;
  return value;
}

function validateDashboards(o: DiscourseMonitoringProps, path: string): Problem[] {
  const problems: Problem[] = [];
  if (o.dashboards !== undefined && typeof o.dashboards !== 'boolean' && !DASHBOARD_CARRIERS.includes(o.dashboards)) {
    problems.push({
      path: `${path}.dashboards`,
      message: `${show(o.dashboards)} is not one of ${DASHBOARD_CARRIERS.join(', ')}, true, false`,
      fix: 'use sidecar (ConfigMaps for the Grafana sidecar), grafana-operator (GrafanaDashboard objects) or false',
    });
    return problems;
  }
  const carrier = dashboardCarrier(o.dashboards);
  const operatorOnly = [
    ['grafanaInstanceSelector', o.grafanaInstanceSelector],
    ['grafanaFolder', o.grafanaFolder],
    ['grafanaAllowCrossNamespaceImport', o.grafanaAllowCrossNamespaceImport],
  ] as const;
  if (carrier !== 'grafana-operator') {
    for (const [key, value] of operatorOnly)
      if (value !== undefined)
        problems.push({
          path: `${path}.${key}`,
          message: `is set, but dashboards is ${String(carrier)}: only GrafanaDashboard objects read it`,
          fix: `set dashboards: grafana-operator, or leave ${key} out`,
        });
    return problems;
  }
  if (o.dashboardLabels !== undefined)
    problems.push({
      path: `${path}.dashboardLabels`,
      message: 'is set, but dashboards is grafana-operator: the labels are for the Grafana sidecar, the operator reads grafanaInstanceSelector',
      fix: 'leave dashboardLabels out (or use dashboards: sidecar)',
    });
  const selector = o.grafanaInstanceSelector;
  if (selector === undefined || Object.keys(selector).length === 0)
    problems.push({
      path: `${path}.grafanaInstanceSelector`,
      message: `is ${selector === undefined ? 'missing' : 'empty'}: with dashboards: grafana-operator every GrafanaDashboard needs the labels of the Grafana instances to import into`,
      fix: 'set it to labels of your Grafana resource, e.g. { dashboards: grafana } (kubectl get grafanas -A --show-labels)',
    });
  for (const [k, v] of Object.entries(selector ?? {}))
    if (!isLabelKey(k) || !isLabelValue(v))
      problems.push({ path: `${path}.grafanaInstanceSelector`, message: `${show(`${k}: ${v}`)} is not a valid label`, fix: 'use Kubernetes label syntax' });
  if (o.grafanaFolder !== undefined && o.grafanaFolder.trim() === '')
    problems.push({ path: `${path}.grafanaFolder`, message: 'is empty', fix: "name the folder, or leave it out for the operator's (the namespace)" });
  return problems;
}

function validateMonitoring(o: DiscourseMonitoringProps, path: string): Problem[] {
  const problems: Problem[] = validateDashboards(o, path);
  const interval = parseGoDuration(o.interval ?? DEFAULTS.scrapeInterval);
  const timeout = parseGoDuration(o.scrapeTimeout ?? DEFAULTS.scrapeTimeout);
  if (interval === undefined || interval === 0)
    problems.push({ path: `${path}.interval`, message: `${show(o.interval)} is not a duration`, fix: 'write e.g. 30s or 1m' });
  if (timeout === undefined || timeout === 0)
    problems.push({ path: `${path}.scrapeTimeout`, message: `${show(o.scrapeTimeout)} is not a duration`, fix: 'write e.g. 10s' });
  // Prometheus forgets a series 5m after its last sample (lookback delta): with longer
  // intervals gauges drop out between scrapes, and every `for:` restarts.
  if (interval !== undefined && interval > MAX_INTERVAL_MS)
    problems.push({
      path: `${path}.interval`,
      message: `${o.interval} is longer than 4m: Prometheus' 5m lookback would lose the series between scrapes and the alerts could not fire`,
      fix: 'scrape at most every 4m',
    });
  if (interval !== undefined && timeout !== undefined && timeout > interval) {
    problems.push({
      path: `${path}.scrapeTimeout`,
      message: `${o.scrapeTimeout ?? DEFAULTS.scrapeTimeout} is longer than the interval ${o.interval ?? DEFAULTS.scrapeInterval}`,
      fix: 'make the timeout at most the interval',
    });
  }
  if (o.ingressName !== undefined && !isDnsSubdomain(o.ingressName))
    problems.push({ path: `${path}.ingressName`, message: `${show(o.ingressName)} is not an Ingress name`, fix: 'use the Ingress metadata.name' });
  if (o.envoyGatewayRouteName !== undefined && !isDnsSubdomain(o.envoyGatewayRouteName))
    problems.push({
      path: `${path}.envoyGatewayRouteName`,
      message: `${show(o.envoyGatewayRouteName)} is not an HTTPRoute name`,
      fix: 'use the HTTPRoute metadata.name',
    });
  if (o.ingressNamespaceLabel !== undefined && !['exported_namespace', 'namespace'].includes(o.ingressNamespaceLabel))
    problems.push({
      path: `${path}.ingressNamespaceLabel`,
      message: `${show(o.ingressNamespaceLabel)} is not one of exported_namespace, namespace`,
      fix: 'use namespace if the ingress-nginx ServiceMonitor sets honorLabels: true, else exported_namespace',
    });
  if (o.databaseBackupSchedule !== undefined) {
    const why = cnpgScheduleProblem(o.databaseBackupSchedule);
    if (why !== undefined)
      problems.push({ path: `${path}.databaseBackupSchedule`, message: `${show(o.databaseBackupSchedule)} ${why}`, fix: 'write six fields, seconds first' });
  }
  if (o.dashboardNamespace !== undefined && !isDnsLabel(o.dashboardNamespace))
    problems.push({ path: `${path}.dashboardNamespace`, message: `${show(o.dashboardNamespace)} is not a namespace name`, fix: 'use a DNS label' });
  for (const [key, labels] of [
    ['prometheusLabels', o.prometheusLabels],
    // With grafana-operator, dashboardLabels is already one problem (not read at all).
    ['dashboardLabels', dashboardCarrier(o.dashboards) === 'grafana-operator' ? undefined : o.dashboardLabels],
  ] as const) {
    for (const [k, v] of Object.entries(labels ?? {})) {
      if (!isLabelKey(k) || !isLabelValue(v)) {
        problems.push({ path: `${path}.${key}`, message: `${show(`${k}: ${v}`)} is not a valid label`, fix: 'use Kubernetes label syntax' });
      }
    }
  }
  return problems;
}

/**
 * Prometheus Operator and Grafana objects for a site: a ServiceMonitor on the
 * Service's `metrics` port (or `http` + `/metrics` in plugin mode), a
 * PrometheusRule with the charm's target-missing alert and the alerts an
 * operator needs, and two dashboards: sidecar-labelled ConfigMaps, or GrafanaDashboard
 * objects for the Grafana Operator.
 */
export class DiscourseMonitoring extends Construct {
  /** The ServiceMonitor (also `node.defaultChild`). */
  public readonly serviceMonitor: ServiceMonitor;
  /** Prometheus `job` label of the scraped target (the Service name). */
  public readonly job: string;

  /**
   * @param site the Discourse construct (or its name, metrics mode, database, Service, labels, namespace)
   * @param props validated here; or a value {@link resolveMonitoring} returned without problems
   */
  constructor(scope: Construct, id: string, site: MonitoringTarget, props: DiscourseMonitoringProps | ResolvedMonitoring = {}) {
    super(scope, id);
    const options = isResolved(props) ? props : resolveOrThrow(props, `DiscourseMonitoring ${this.node.path}`);
    const discourse = site;
    const r = site.resolved;
    const namespace = site.namespace;
    const promLabels = { ...site.labels, ...options.prometheusLabels };
    const annotations = { ...SKIP_DRY_RUN_ON_MISSING_CRD };
    // ServiceMonitor targets get job=<Service name> unless jobLabel says otherwise.
    this.job = site.names.service;
    const exporter = r.metrics === 'exporter';
    const separate = r.sidekiq.mode === 'separate';
    this.serviceMonitor = new ServiceMonitor(this, 'Resource', {
      metadata: { name: r.name, labels: promLabels, annotations },
      spec: {
        selector: { matchLabels: { 'app.kubernetes.io/name': 'discourse', 'app.kubernetes.io/instance': r.name } },
        // Separate Sidekiq: its pods' collector (the <site>-sidekiq-metrics Service, port
        // metrics in both modes) is scraped too, under the same job, so every alert and
        // panel sees it (web Service name = instance label = the site name).
        ...(separate ? { jobLabel: 'app.kubernetes.io/instance' } : {}),
        endpoints: [...new Set([exporter ? 'metrics' : 'http', ...(separate ? ['metrics'] : [])])].map((port) => ({
          port,
          path: '/metrics',
          scheme: ServiceMonitorSpecEndpointsScheme.HTTP,
          interval: options.interval,
          scrapeTimeout: options.scrapeTimeout,
        })),
      },
    });
    const intervalSeconds = options.intervalSeconds;
    const cnpgCluster = r.database.preset === 'cloudnativepg' ? r.database.cluster : undefined;
    const ingress = options.ingressName ? { name: options.ingressName, namespaceLabel: options.ingressNamespaceLabel } : undefined;
    const gatewayRoute = options.envoyGatewayRouteName ? { name: options.envoyGatewayRouteName } : undefined;
    if (options.alerts) {
      const rules = discourseAlertRules({
        job: this.job,
        namespace,
        instance: r.name,
        scrapeIntervalSeconds: intervalSeconds,
        startupSeconds: r.startupTimeoutSeconds,
        rolloutDowntimeSeconds: holdsReadWriteOnce(r) ? DEFAULTS.recreateRolloutDowntime.toSeconds() : undefined,
        sidekiqMode: r.sidekiq.mode,
        cnpgCluster,
        cnpgBackupMaxAgeSeconds: cnpgCluster !== undefined ? options.databaseBackupMaxAgeSeconds : undefined,
        redisServer: options.redisServer,
        ingress,
        gatewayRoute,
      });
      new PrometheusRule(this, 'Alerts', {
        metadata: { name: r.name, labels: promLabels, annotations },
        spec: {
          groups: [
            {
              name: `discourse-${r.name}`,
              rules: rules.map((rule) => ({ ...rule, expr: PrometheusRuleSpecGroupsRulesExpr.fromString(rule.expr) })),
            },
          ],
        },
      });
    }
    if (options.dashboards !== false) {
      const common = {
        job: this.job,
        namespace,
        rateWindow: promDuration(rateWindowSeconds(intervalSeconds)),
        cnpgCluster,
        redisServer: options.redisServer,
        ingress,
        gatewayRoute,
        sidekiqMode: r.sidekiq.mode,
      };
      const boards = [
        {
          id: 'AppDashboard',
          name: `${r.name}-dashboard-app`,
          file: 'discourse-app.json',
          board: appDashboard({ ...common, uid: `discourse-${r.name}-app`.slice(0, 40), title: `Discourse ${r.name}` }),
        },
        {
          id: 'HealthDashboard',
          name: `${r.name}-dashboard-health`,
          file: 'discourse-service-health.json',
          board: serviceHealthDashboard({ ...common, uid: `discourse-${r.name}-health`.slice(0, 40), title: `Discourse ${r.name} service health` }),
        },
      ];
      const where = options.dashboardNamespace ? { namespace: options.dashboardNamespace } : {};
      const operator = options.grafanaOperator;
      for (const { id: cid, name, file, board } of boards) {
        // One source, two carriers: both get the same text.
        const json = dashboardJson(board);
        if (options.dashboards === 'grafana-operator' && operator) {
          new GrafanaDashboard(this, cid, {
            metadata: { name, labels: { ...discourse.labels }, annotations, ...where },
            spec: {
              instanceSelector: { matchLabels: { ...operator.instanceSelector } },
              ...(operator.folder !== undefined ? { folder: operator.folder } : {}),
              // Only when asked: the CRD refuses to turn it off again in place.
              ...(operator.allowCrossNamespaceImport ? { allowCrossNamespaceImport: true } : {}),
              json,
            },
          });
        } else {
          new k8s.KubeConfigMap(this, cid, {
            metadata: { name, labels: { ...discourse.labels, ...options.dashboardLabels }, ...where },
            data: { [file]: json },
          });
        }
      }
    }
  }
}

/** The text both carriers hold: a dashboard as indented JSON with a final newline. */
export function dashboardJson(board: GrafanaDashboardModel): string {
  return `${JSON.stringify(board, null, 2)}\n`;
}

function isResolved(props: DiscourseMonitoringProps | ResolvedMonitoring): props is ResolvedMonitoring {
  return (props as Partial<ResolvedMonitoring>).isResolved === true;
}

function resolveOrThrow(props: DiscourseMonitoringProps, source: string): ResolvedMonitoring {
  const { resolved, problems } = resolveMonitoring(props);
  if (problems.length > 0) throw new ValidationError(source, problems);
  return resolved;
}
