import { Testing } from 'cdk8s';
import { Discourse } from '../lib/discourse';
import { DiscourseMonitoring, resolveMonitoring } from '../lib/observability/monitoring';
import { Manifest } from '../lib/core/manifest';
import { MINIMAL, S3, find } from './fixtures';
import { PostgresConnection } from '../lib/model/database';
import { expectValidManifests } from './schema';

function synthMonitoring(options: ConstructorParameters<typeof DiscourseMonitoring>[3] = {}, props = {}): Manifest[] {
  const chart = Testing.chart();
  const forum = new Discourse(chart, 'forum', { ...MINIMAL, ...props });
  new DiscourseMonitoring(chart, 'monitoring', forum, options);
  return Testing.synth(chart) as Manifest[];
}

describe('DiscourseMonitoring', () => {
  const manifests = synthMonitoring();

  test('every object validates (ServiceMonitor and PrometheusRule against the prometheus-operator schemas)', () => {
    expectValidManifests(manifests);
  });

  test('the ServiceMonitor selects the site Service and scrapes a port that Service has', () => {
    const sm = find(manifests, 'ServiceMonitor', 'forum');
    const service = find(manifests, 'Service', 'forum');
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels)) expect(service.metadata.labels[k]).toBe(v);
    expect(sm.spec.endpoints).toEqual([{ port: 'metrics', path: '/metrics', scheme: 'http', interval: '30s', scrapeTimeout: '10s' }]);
    const port = service.spec.ports.find((p: { name: string }) => p.name === sm.spec.endpoints[0].port);
    expect(port.port).toBe(9394);
    expect(sm.metadata.labels.release).toBe('kube-prometheus-stack');
  });

  test('the rules get the rate window from the interval, the CloudNativePG cluster from the database and the Ingress from the options', () => {
    // WHEN
    const m = synthMonitoring({ interval: '2m30s', ingressName: 'forum' }, { database: PostgresConnection.fromCloudNativePg('forum-db') });
    // THEN
    const rules: { alert: string; expr: string; labels: Record<string, string> }[] = find(m, 'PrometheusRule', 'forum').spec.groups[0].rules;
    expect(rules.find((r) => r.alert === 'DiscourseHighErrorRate')?.expr).toContain('[10m]');
    expect(rules.find((r) => r.alert === 'DiscoursePostgresUnavailable')?.expr).toContain('cluster="forum-db"');
    expect(rules.find((r) => r.alert === 'DiscourseUnavailable')?.expr).toContain('exported_namespace="default",ingress="forum"');
    expect(rules.filter((r) => r.labels.site !== 'forum').map((r) => r.alert)).toEqual([]);
  });

  test('one pod on a ReadWriteOnce uploads volume (Recreate) gets ingress alerts that wait out a planned rollout; S3 (RollingUpdate) does not', () => {
    // WHEN
    const ingressRules = (props: object): { alert: string; expr: string }[] =>
      find(synthMonitoring({ ingressName: 'forum' }, props), 'PrometheusRule', 'forum').spec.groups[0].rules.filter(
        (r: { alert: string }) => r.alert === 'DiscourseUnavailable' || r.alert === 'DiscourseIngressErrors',
      );
    const recreate = ingressRules({});
    const rolling = ingressRules({ ...S3, replicas: 2 });
    // THEN: 3m of downtime, the 5m window and 2m
    expect(recreate.map((r) => r.expr.replace(/^.* unless on \(\) /, ''))).toEqual([
      'time() - max(kube_pod_created{namespace="default",pod=~"forum-[a-z0-9]+-[a-z0-9]+"}) < 600',
      'time() - max(kube_pod_created{namespace="default",pod=~"forum-[a-z0-9]+-[a-z0-9]+"}) < 600',
    ]);
    expect(rolling.filter((r) => r.expr.includes('kube_pod_created'))).toEqual([]);
  });

  test('plugin mode scrapes /metrics on the http port', () => {
    const sm = find(synthMonitoring({}, { metrics: 'plugin' }), 'ServiceMonitor', 'forum');
    expect(sm.spec.endpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
  });

  test('the PrometheusRule carries the charm alert, scoped to this site', () => {
    const rule = find(manifests, 'PrometheusRule', 'forum');
    const rules = rule.spec.groups[0].rules;
    const missing = rules.find((r: { alert: string }) => r.alert === 'DiscourseTargetMissing');
    expect(missing.expr).toContain('up{');
    expect(missing.expr).toContain('job="forum"');
    expect(missing.labels.severity).toBe('critical');
    expect(rules.length).toBeGreaterThanOrEqual(8);
    expect(rule.metadata.labels.release).toBe('kube-prometheus-stack');
  });

  test('two dashboards as sidecar-labelled ConfigMaps holding valid JSON', () => {
    for (const [name, key] of [
      ['forum-dashboard-app', 'discourse-app.json'],
      ['forum-dashboard-health', 'discourse-service-health.json'],
    ]) {
      const cm = find(manifests, 'ConfigMap', name);
      expect(cm.metadata.labels.grafana_dashboard).toBe('1');
      const board = JSON.parse(cm.data[key]);
      expect(board.panels.length).toBeGreaterThan(3);
      expect(board.uid.length).toBeLessThanOrEqual(40);
    }
  });

  test('labels, intervals and dashboard namespace are options; alerts and dashboards can be off', () => {
    const m = synthMonitoring({
      prometheusLabels: { prometheus: 'main' },
      interval: '1m',
      scrapeTimeout: '20s',
      dashboardLabels: { dash: 'yes' },
      dashboardNamespace: 'grafana',
    });
    expect(find(m, 'ServiceMonitor', 'forum').metadata.labels.prometheus).toBe('main');
    expect(find(m, 'ServiceMonitor', 'forum').spec.endpoints[0]).toMatchObject({ interval: '1m', scrapeTimeout: '20s' });
    expect(find(m, 'ConfigMap', 'forum-dashboard-app').metadata).toMatchObject({ namespace: 'grafana', labels: { dash: 'yes' } });
    const off = synthMonitoring({ alerts: false, dashboards: false });
    expect(off.filter((x) => x.kind === 'PrometheusRule' || x.metadata.name.includes('dashboard'))).toEqual([]);
  });

  test.each([
    ['a timeout longer than the interval', { interval: '10s', scrapeTimeout: '30s' }, /monitoring\.scrapeTimeout: 30s is longer than the interval 10s/],
    ['a bad interval', { interval: 'often' }, /monitoring\.interval: "often" is not a duration/],
    ['a bad label', { prometheusLabels: { 'bad key!': 'x' } }, /monitoring\.prometheusLabels: .* is not a valid label/],
    ["an interval beyond Prometheus' 5m lookback", { interval: '5m' }, /monitoring\.interval: 5m is longer than 4m/],
    [
      'an ingress namespace label ingress-nginx does not have',
      { ingressNamespaceLabel: 'ns' as 'namespace' },
      /monitoring\.ingressNamespaceLabel: "ns" is not one of/,
    ],
  ])('fails if %s', (_n, options, expected) => {
    expect(
      resolveMonitoring(options)
        .problems.map((p) => `${p.path}: ${p.message}`)
        .join('\n'),
    ).toMatch(expected);
    expect(() => synthMonitoring(options)).toThrow(expected);
  });
  test.each([
    [
      'grafana-operator without an instance selector',
      { dashboards: 'grafana-operator' as const },
      /monitoring\.grafanaInstanceSelector: is missing: with dashboards: grafana-operator/,
    ],
    [
      'grafana-operator with an empty instance selector',
      { dashboards: 'grafana-operator' as const, grafanaInstanceSelector: {} },
      /monitoring\.grafanaInstanceSelector: is empty/,
    ],
    [
      'an instance selector for the sidecar',
      { grafanaInstanceSelector: { dashboards: 'grafana' } },
      /monitoring\.grafanaInstanceSelector: is set, but dashboards is sidecar/,
    ],
    ['a folder without dashboards', { dashboards: false, grafanaFolder: 'Forums' }, /monitoring\.grafanaFolder: is set, but dashboards is false/],
    [
      'sidecar labels for the operator',
      { dashboards: 'grafana-operator' as const, grafanaInstanceSelector: { dashboards: 'grafana' }, dashboardLabels: { grafana_dashboard: '1' } },
      /monitoring\.dashboardLabels: is set, but dashboards is grafana-operator/,
    ],
    [
      'bad sidecar labels for the operator (reported once)',
      { dashboards: 'grafana-operator' as const, grafanaInstanceSelector: { dashboards: 'grafana' }, dashboardLabels: { 'bad key!': 'x' } },
      /monitoring\.dashboardLabels: is set, but dashboards is grafana-operator/,
    ],
    [
      'a carrier that does not exist',
      { dashboards: 'configmap' as 'sidecar' },
      /monitoring\.dashboards: "configmap" is not one of sidecar, grafana-operator, true, false/,
    ],
  ])('fails if %s, with one problem', (_n, options, expected) => {
    const problems = resolveMonitoring(options).problems.map((p) => `${p.path}: ${p.message} Fix: ${p.fix}`);
    expect(problems).toEqual([expect.stringMatching(expected)]);
    expect(() => synthMonitoring(options)).toThrow(expected);
  });
});

describe('the two dashboard carriers', () => {
  const operator = { dashboards: 'grafana-operator' as const, grafanaInstanceSelector: { dashboards: 'grafana' } };
  const boards = (m: Manifest[]) => m.filter((x) => x.kind === 'GrafanaDashboard' || (x.kind === 'ConfigMap' && x.metadata.name.includes('-dashboard-')));

  test('grafana-operator: one schema-valid GrafanaDashboard per dashboard, with the instance selector, and no dashboard ConfigMaps', () => {
    // WHEN
    const m = synthMonitoring(operator);
    // THEN
    expectValidManifests(m);
    expect(boards(m).map((x) => `${x.apiVersion} ${x.kind}/${x.metadata.name}`)).toEqual([
      'grafana.integreatly.org/v1beta1 GrafanaDashboard/forum-dashboard-app',
      'grafana.integreatly.org/v1beta1 GrafanaDashboard/forum-dashboard-health',
    ]);
    const app = find(m, 'GrafanaDashboard', 'forum-dashboard-app');
    expect(Object.keys(app.spec).sort()).toEqual(['instanceSelector', 'json']);
    expect(app.spec.instanceSelector).toEqual({ matchLabels: { dashboards: 'grafana' } });
    // Not the sidecar's label: the operator would ignore it, a sidecar watching the namespace would not.
    expect(app.metadata.labels.grafana_dashboard).toBeUndefined();
    expect(app.metadata.annotations['argocd.argoproj.io/sync-options']).toContain('SkipDryRunOnMissingResource=true');
  });

  test('grafana-operator: folder, namespace and allowCrossNamespaceImport only when asked', () => {
    const m = synthMonitoring({ ...operator, grafanaFolder: 'Forums', grafanaAllowCrossNamespaceImport: true, dashboardNamespace: 'grafana' });
    const app = find(m, 'GrafanaDashboard', 'forum-dashboard-app');
    expect(app.metadata.namespace).toBe('grafana');
    expect(app.spec).toMatchObject({ folder: 'Forums', allowCrossNamespaceImport: true });
    expect(find(synthMonitoring({ ...operator, grafanaAllowCrossNamespaceImport: false }), 'GrafanaDashboard', 'forum-dashboard-app').spec).not.toHaveProperty(
      'allowCrossNamespaceImport',
    );
  });

  test.each([
    ['embedded', {}],
    ['separate', { ...S3, sidekiq: { mode: 'separate' as const } }],
  ])('one source, two carriers: the ConfigMap and the GrafanaDashboard hold the same JSON, byte for byte (Sidekiq %s)', (_mode, props) => {
    const sidecar = synthMonitoring({}, props);
    const viaOperator = synthMonitoring(operator, props);
    for (const [name, key] of [
      ['forum-dashboard-app', 'discourse-app.json'],
      ['forum-dashboard-health', 'discourse-service-health.json'],
    ]) {
      const text = find(sidecar, 'ConfigMap', name).data[key] as string;
      expect(JSON.parse(text).panels.length).toBeGreaterThan(3);
      expect({ name, json: find(viaOperator, 'GrafanaDashboard', name).spec.json }).toEqual({ name, json: text });
    }
  });

  test('true is the sidecar; false is no dashboards at all', () => {
    expect(boards(synthMonitoring({ dashboards: true })).map((x) => x.kind)).toEqual(['ConfigMap', 'ConfigMap']);
    expect(boards(synthMonitoring({ dashboards: 'sidecar' })).map((x) => x.kind)).toEqual(['ConfigMap', 'ConfigMap']);
    expect(boards(synthMonitoring({ dashboards: false }))).toEqual([]);
  });
});
