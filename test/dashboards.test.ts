import { sitePodRegex } from '../lib/observability/alerts';
import { QueryScope, checkQuery, metricsReferenced, promqlSelectors, promqlSyntaxErrors } from './promql';
import {
  DashboardOptions,
  GrafanaDashboard,
  GrafanaGridPos,
  GrafanaPanel,
  PodRole,
  appDashboard,
  dashboardQueries,
  dataPanels,
  podRoles,
  roleRowTitle,
  serviceHealthDashboard,
} from '../lib/observability/dashboards';
import { ALLOWED_EXTERNAL_METRICS, DISCOURSE_METRICS, lookupSeries, seriesNames } from '../lib/observability/metric-names';

const SITE = { job: 'forum', namespace: 'community' };
const APP = { ...SITE, uid: 'discourse-forum-app', title: 'Discourse forum' };
const HEALTH = { ...SITE, uid: 'discourse-forum-health', title: 'Discourse forum service health' };
/** The Service and the Deployment share the site's name, so the pod pattern defaults to the job. */
const SCOPE = { ...SITE, instance: SITE.job };
const KNOWN_SERIES = new Set([...Object.keys(DISCOURSE_METRICS), ...ALLOWED_EXTERNAL_METRICS].flatMap(seriesNames));

const boards: [string, GrafanaDashboard][] = [
  ['app', appDashboard(APP)],
  ['service health', serviceHealthDashboard(HEALTH)],
];

/**
 * Whether a panel shows pods, read from its queries alone: a legend per pod, the scrape
 * targets (`up`), or a kube-state-metrics/cAdvisor series (about pods, not the site).
 */
function showsPods(panel: GrafanaPanel): boolean {
  return panel.targets.some(
    (t) =>
      t.legendFormat.includes('{{pod}}') ||
      promqlSelectors(t.expr).some((sel) => sel.metric === 'up' || ['pod', 'pod-object', 'pod-init'].includes(lookupSeries(sel.metric ?? '')?.scope ?? '')),
  );
}

/** Each data panel with the role of the row it sits in (none before the first row). */
function panelsByRole(board: GrafanaDashboard, mode: 'embedded' | 'separate'): { panel: GrafanaPanel; role?: PodRole; row?: string }[] {
  const out: { panel: GrafanaPanel; role?: PodRole; row?: string }[] = [];
  let row: string | undefined;
  for (const p of board.panels) {
    if (p.type === 'row') row = p.title;
    else out.push({ panel: p, row, role: (['web', 'sidekiq'] as const).find((r) => row !== undefined && roleRowTitle(r, mode) === row) });
  }
  return out;
}

/**
 * Everything that breaks the role split of a dashboard: a panel that shows pods outside a
 * role's row, a row of a role the site does not have, or a query in a role's row not
 * scoped to that role's pods and container (the scope check, narrowed to the role).
 */
function roleSplitProblems(board: GrafanaDashboard, scope: QueryScope): string[] {
  const mode = scope.sidekiqMode ?? 'embedded';
  const problems: string[] = [];
  const rows = board.panels.filter((p) => p.type === 'row').map((p) => p.title);
  const expected = podRoles(mode).map((r) => roleRowTitle(r, mode));
  if (JSON.stringify(rows) !== JSON.stringify(expected)) problems.push(`rows ${JSON.stringify(rows)}, expected ${JSON.stringify(expected)}`);
  for (const { panel, role, row } of panelsByRole(board, mode)) {
    if (showsPods(panel) && role === undefined) problems.push(`"${panel.title}" shows pods outside a role's row (row: ${row ?? 'none'})`);
    if (role !== undefined && !showsPods(panel)) problems.push(`"${panel.title}" sits in the ${role} row but shows no pods`);
    if (role === undefined) continue;
    for (const t of panel.targets) for (const p of checkQuery(t.expr, { ...scope, role })) problems.push(`"${panel.title}" (${role}): ${p}`);
  }
  return problems;
}

function overlaps(a: GrafanaGridPos, b: GrafanaGridPos): boolean {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

describe.each(boards)('the %s dashboard', (_, board) => {
  const queries = dashboardQueries(board);

  test('survives JSON.stringify and JSON.parse unchanged', () => {
    // WHEN
    const copy: unknown = JSON.parse(JSON.stringify(board));
    // THEN
    expect(copy).toStrictEqual(board);
  });

  test('is the same on every render (no timestamps or random ids)', () => {
    // GIVEN
    const again = board.tags.includes('service-health') ? serviceHealthDashboard(HEALTH) : appDashboard(APP);
    // THEN
    expect(JSON.stringify(again)).toBe(JSON.stringify(board));
  });

  test('has schema version 39, a uid of at most 40 characters and a Prometheus datasource variable', () => {
    expect(board.schemaVersion).toBe(39);
    expect(board.uid.length).toBeLessThanOrEqual(40);
    expect(board.templating.list).toEqual([expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' })]);
    expect(board.tags).toContain('discourse');
  });

  test('every query parses as PromQL', () => {
    expect(queries.length).toBeGreaterThan(0);
    expect(queries.flatMap((q) => promqlSyntaxErrors(q).map((e) => `${q}: ${e}`))).toEqual([]);
  });

  test('every query references only metrics the plugin emits or the allowed external ones', () => {
    const unknown = queries.flatMap((q) => metricsReferenced(q)).filter((m) => !KNOWN_SERIES.has(m));
    expect(unknown).toEqual([]);
  });

  test('every query passes the alert checks: labels exist, scoped to the site, counters through rate', () => {
    expect(queries.flatMap((q) => checkQuery(q, SCOPE).map((p) => `${q}: ${p}`))).toEqual([]);
  });

  test('panel ids are unique and numbered from 1 in order', () => {
    expect(board.panels.map((p) => p.id)).toEqual(board.panels.map((_p, i) => i + 1));
  });

  test('panels fit the 24-column grid and do not overlap', () => {
    // GIVEN
    const positions = board.panels.map((p) => p.gridPos);
    // THEN
    for (const [i, a] of positions.entries()) {
      expect(a.x + a.w).toBeLessThanOrEqual(24);
      for (const b of positions.slice(i + 1)) expect(overlaps(a, b)).toBe(false);
    }
  });

  test('every panel reads from the datasource variable, with refIds A, B, ... and a legend', () => {
    for (const panel of dataPanels(board)) {
      expect(panel.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      expect(['timeseries', 'stat']).toContain(panel.type);
      expect(panel.targets.map((t) => t.refId)).toEqual(panel.targets.map((_t, i) => String.fromCharCode(65 + i)));
      expect(panel.targets.filter((t) => !(t.legendFormat !== ''))).toEqual([]);
      expect(panel.fieldConfig.defaults.unit).not.toBe('');
    }
  });

  test('titles are unique', () => {
    const titles = board.panels.map((p) => p.title);
    expect(new Set(titles).size).toBe(titles.length);
  });
});

describe('appDashboard', () => {
  const board = appDashboard(APP);
  const metrics = new Set(dashboardQueries(board).flatMap(metricsReferenced));

  test('shows traffic, latency, SQL/Redis time, page views, Unicorn and Sidekiq load and memory', () => {
    expect(board.panels.map((p) => p.title)).toEqual([
      'Requests by status class',
      'Request latency',
      'SQL time per request',
      'Redis time per request',
      'Page views by type',
      'Active and queued app requests',
      'Sidekiq jobs enqueued',
      'Sidekiq queue latency',
      'Sidekiq job duration (top 10)',
      'Scheduled job duration (top 10)',
      'Web pods (Unicorn, with Sidekiq inside)',
      'RSS by process type (web)',
      'Ruby heap live slots (web)',
    ]);
    for (const m of ['discourse_http_requests', 'discourse_page_views', 'discourse_sidekiq_jobs_enqueued', 'discourse_rss', 'discourse_heap_live_slots'])
      expect(metrics).toContain(m);
  });

  test('latency comes from histograms, never from per-pod summary quantiles', () => {
    expect([...metrics].filter((m) => DISCOURSE_METRICS[m]?.type === 'summary')).toEqual([]);
    expect(metrics).toContain('discourse_http_requests_duration_seconds_bucket');
    expect(metrics).toContain('discourse_http_requests_sql_duration_seconds_bucket');
    expect(metrics).toContain('discourse_http_requests_redis_duration_seconds_bucket');
  });

  test('the job duration panels keep the 10 slowest job classes', () => {
    const panel = dataPanels(board).find((p) => p.title === 'Sidekiq job duration (top 10)');
    expect(panel?.targets[0].expr).toMatch(/^topk\(10, /);
    expect(panel?.targets[0].legendFormat).toBe('{{job_name}}');
  });
});

describe('serviceHealthDashboard', () => {
  const board = serviceHealthDashboard(HEALTH);
  const metrics = new Set(dashboardQueries(board).flatMap(metricsReferenced));

  test("has the charm's four golden signals", () => {
    const titles = board.panels.map((p) => p.title);
    expect(['Latency', 'Errors', 'Traffic', 'Saturation'].filter((signal) => !titles.some((t) => t.startsWith(`${signal}:`)))).toEqual([]);
  });

  test('adds scrape health, pod restarts and PostgreSQL/Redis reachability', () => {
    for (const m of ['up', 'kube_pod_container_status_restarts_total', 'discourse_postgres_primary_available', 'discourse_redis_primary_available'])
      expect(metrics).toContain(m);
    expect(board.panels.filter((p) => p.type === 'stat').map((p) => p.title)).toEqual([
      'PostgreSQL (plugin, last report)',
      'Redis (plugin, last report)',
      'Metrics targets up (web)',
      'Pod restarts (1h) (web)',
    ]);
  });

  test("the plugin's reachability panels say that they keep their last value in an outage", () => {
    const plugin = dataPanels(board).filter((p) => p.targets.some((t) => /discourse_(postgres|redis)_primary_available/.test(t.expr)));
    expect(plugin.map((p) => p.title).filter((t) => !t.includes('(plugin, last report)'))).toEqual([]);
    expect(plugin.map((p) => p.description).filter((d) => !/keep(s)? showing UP|stay at their last value/.test(d))).toEqual([]);
  });

  test('with a CloudNativePG database the PostgreSQL stat reads its exporter, scoped to the cluster', () => {
    // WHEN
    const cnpg = serviceHealthDashboard({ ...HEALTH, cnpgCluster: 'forum-db' });
    // THEN
    const stat = dataPanels(cnpg).find((p) => p.title === 'PostgreSQL primary (CloudNativePG)');
    expect(stat?.targets.map((t) => t.expr)).toEqual([
      'max(cnpg_collector_up{namespace="community",cluster="forum-db"} == 1 and on (namespace, pod) cnpg_pg_replication_in_recovery{namespace="community",pod=~"forum-db-[0-9]+"} == 0) or on () vector(0)',
    ]);
    expect(dashboardQueries(cnpg).flatMap((q) => checkQuery(q, { ...SCOPE, cnpgCluster: 'forum-db' }))).toEqual([]);
  });

  test('with a Valkey server the site runs, the Redis stat reads its exporter and a panel shows memory against maxmemory', () => {
    // WHEN
    const valkey = serviceHealthDashboard({ ...HEALTH, redisServer: 'forum-redis' });
    // THEN
    const stat = dataPanels(valkey).find((p) => p.title === 'Redis (Valkey exporter)');
    expect(stat?.targets.map((t) => t.expr)).toEqual(['max(redis_up{namespace="community",job="forum-redis-metrics"}) or on () vector(0)']);
    expect(
      dataPanels(valkey)
        .find((p) => p.title === 'Valkey memory')
        ?.targets.map((t) => t.legendFormat),
    ).toEqual(['used', 'maxmemory']);
    expect(dataPanels(valkey).find((p) => p.title === 'Redis (plugin, last report)')).toBeUndefined();
    expect(dashboardQueries(valkey).flatMap((q) => checkQuery(q, { ...SCOPE, redisServer: 'forum-redis' }))).toEqual([]);
    expect(dataPanels(board).find((p) => p.title === 'Valkey memory')).toBeUndefined();
  });

  test('with ingress-nginx metrics a panel shows 5xx as clients see them', () => {
    // WHEN
    const nginx = serviceHealthDashboard({ ...HEALTH, ingress: { name: 'forum', namespaceLabel: 'exported_namespace' } });
    // THEN
    const panel = dataPanels(nginx).find((p) => p.title === 'Ingress: 5xx ratio');
    expect(panel?.targets[0].expr).toContain('nginx_ingress_controller_requests{exported_namespace="community",ingress="forum",status=~"5.."}');
    expect(dataPanels(board).find((p) => p.title === 'Ingress: 5xx ratio')).toBeUndefined();
    expect(dashboardQueries(nginx).flatMap((q) => checkQuery(q, { ...SCOPE, ingress: { name: 'forum', namespaceLabel: 'exported_namespace' } }))).toEqual([]);
  });

  test('rate windows follow the option', () => {
    const wide = dashboardQueries(serviceHealthDashboard({ ...HEALTH, rateWindow: '40m' }));
    const windows = new Set(wide.flatMap((q) => [...q.matchAll(/\[([0-9]+[smhdwy])\]/g)].map((m) => m[1])));
    expect([...windows].sort()).toEqual(['1h', '40m']);
  });

  test('reachability stats show DOWN for 0 and UP for 1', () => {
    const panel = dataPanels(board).find((p) => p.title === 'PostgreSQL (plugin, last report)');
    expect(panel?.fieldConfig.defaults.mappings).toEqual([
      { type: 'value', options: { 0: { text: 'DOWN', color: 'red' }, 1: { text: 'UP', color: 'green' } } },
    ]);
  });

  test('kube-state-metrics and cAdvisor queries select the pods by the Deployment name', () => {
    // WHEN
    const other = serviceHealthDashboard({ ...HEALTH, instance: 'forum-web' });
    // THEN
    const restarts = dashboardQueries(other).filter((q) => q.includes('kube_pod_container_status_restarts_total'));
    expect(restarts.length).toBeGreaterThan(0);
    for (const q of restarts) expect(q).toContain(`pod=~"${sitePodRegex('forum-web')}"`);
    expect(dashboardQueries(other).flatMap((q) => checkQuery(q, { ...SITE, instance: 'forum-web' }))).toEqual([]);
  });
});

describe('dashboard options', () => {
  test('another site gets its own scoping and nothing of the first', () => {
    // WHEN
    const queries = dashboardQueries(appDashboard({ uid: 'talk', title: 'Talk', job: 'talk-svc', namespace: 'talk' }));
    // THEN
    expect(queries.flatMap((q) => checkQuery(q, { job: 'talk-svc', namespace: 'talk', instance: 'talk-svc' }))).toEqual([]);
    expect(queries.filter((q) => q.includes('community'))).toEqual([]);
  });

  test('a uid of exactly 40 characters is accepted', () => {
    expect(appDashboard({ ...APP, uid: 'a'.repeat(40) }).uid).toHaveLength(40);
  });

  test('fails if the uid is longer than 40 characters', () => {
    expect(() => appDashboard({ ...APP, uid: 'a'.repeat(41) })).toThrow(/uid "a{41}" must be 1-40/);
  });

  test('fails if the uid has characters Grafana rejects', () => {
    expect(() => serviceHealthDashboard({ ...HEALTH, uid: 'discourse/forum' })).toThrow(/must be 1-40 letters, digits, - or _/);
  });

  test('fails if the title is empty', () => {
    expect(() => appDashboard({ ...APP, title: ' ' })).toThrow(/title must not be empty/);
  });

  test('fails if the job is empty', () => {
    expect(() => serviceHealthDashboard({ ...HEALTH, job: '' })).toThrow(/job must not be empty/);
  });
});

describe('dashboards with Sidekiq in pods of its own', () => {
  const separate = serviceHealthDashboard({ ...HEALTH, sidekiqMode: 'separate' });
  const queries = dashboardQueries(separate);

  test('the pod panels are in two rows, web and Sidekiq, each scoped to its pods and container, and to the site', () => {
    const memory = dataPanels(separate).filter((p) => p.targets.some((t) => t.expr.includes('container_memory_working_set_bytes')));
    expect(memory.map((p) => [p.title, p.targets[0].expr])).toEqual([
      [
        'Saturation: memory (web)',
        'sum by (pod) (container_memory_working_set_bytes{namespace="community",pod=~"forum-[a-z0-9]+-[a-z0-9]+",container="discourse"})',
      ],
      [
        'Saturation: memory (Sidekiq)',
        'sum by (pod) (container_memory_working_set_bytes{namespace="community",pod=~"forum-sidekiq-[a-z0-9]+-[a-z0-9]+",container="sidekiq"})',
      ],
    ]);
    expect(queries.flatMap((q) => checkQuery(q, { ...SCOPE, sidekiqMode: 'separate' }))).toEqual([]);
  });

  test('the pattern matches web and Sidekiq pod names, and not another site’s', () => {
    const re = new RegExp(`^(?:${sitePodRegex('forum', 'separate')})$`);
    expect(['forum-6d4f8b7c9-aaaaa', 'forum-sidekiq-5b6c7d8e9-sssss', 'forum-staging-6d4f8b7c9-aaaaa'].filter((p) => re.test(p))).toEqual([
      'forum-6d4f8b7c9-aaaaa',
      'forum-sidekiq-5b6c7d8e9-sssss',
    ]);
  });
});

describe('every panel that shows pods tells web from Sidekiq pods', () => {
  const cases: [string, 'embedded' | 'separate', (o: DashboardOptions) => GrafanaDashboard][] = [
    ['app, Sidekiq embedded', 'embedded', appDashboard],
    ['app, Sidekiq separate', 'separate', appDashboard],
    ['service health, Sidekiq embedded', 'embedded', serviceHealthDashboard],
    ['service health, Sidekiq separate', 'separate', serviceHealthDashboard],
  ];
  const full = { cnpgCluster: 'forum-db', redisServer: 'forum-redis', ingress: { name: 'forum', namespaceLabel: 'exported_namespace' as const } };

  test.each(cases)('%s: pod panels sit in a row per role, every query there scoped to its role', (_n, mode, build) => {
    // WHEN
    const board = build({ ...HEALTH, ...full, sidekiqMode: mode });
    // THEN
    const scope: QueryScope = { ...SCOPE, ...full, sidekiqMode: mode };
    expect(roleSplitProblems(board, scope)).toEqual([]);
    const roles = panelsByRole(board, mode).filter((p) => p.role !== undefined);
    expect([...new Set(roles.map((p) => p.role))]).toEqual(podRoles(mode));
    // The scope check still covers every panel, in the rows too.
    expect(dashboardQueries(board).flatMap((q) => checkQuery(q, scope).map((p) => `${q}: ${p}`))).toEqual([]);
  });

  test('the Sidekiq row has the same pod panels as the web row, less the Unicorn request gauges', () => {
    const board = serviceHealthDashboard({ ...HEALTH, sidekiqMode: 'separate' });
    const titles = (role: PodRole) =>
      panelsByRole(board, 'separate')
        .filter((p) => p.role === role)
        .map((p) => p.panel.title.replace(/ \((web|Sidekiq)\)$/, ''));
    expect(titles('web').filter((t) => !titles('sidekiq').includes(t))).toEqual(['Traffic: requests in progress', 'Saturation: queued requests']);
    expect(titles('sidekiq').filter((t) => !titles('web').includes(t))).toEqual([]);
  });

  test.each([
    [
      'a Sidekiq panel that takes both containers again',
      (q: string) => q.replace('container="sidekiq"', 'container=~"discourse|sidekiq"'),
      /\(sidekiq\): .* needs container="sidekiq"/,
    ],
    [
      'a web panel that takes every pod of the site',
      (q: string) => q.replace('pod=~"forum-[a-z0-9]+-[a-z0-9]+"', 'pod=~"forum-.*"'),
      /\(web\): .* needs pod=~/,
    ],
  ])('fails if %s', (_n, edit, expected) => {
    // GIVEN the separate-mode dashboard with one pod query edited
    const board = structuredClone(serviceHealthDashboard({ ...HEALTH, sidekiqMode: 'separate' }));
    const panels = dataPanels(board).filter((p) => p.targets.some((t) => edit(t.expr) !== t.expr));
    expect(panels.length).toBeGreaterThan(0);
    panels[panels.length - 1].targets = panels[panels.length - 1].targets.map((t) => ({ ...t, expr: edit(t.expr) }));
    // THEN
    expect(roleSplitProblems(board, { ...SCOPE, sidekiqMode: 'separate' }).join('\n')).toMatch(expected);
  });

  test('fails if a pod panel leaves its row (the rows removed)', () => {
    const board = structuredClone(appDashboard({ ...APP, sidekiqMode: 'separate' }));
    board.panels = board.panels.filter((p) => p.type !== 'row');
    expect(roleSplitProblems(board, { ...SCOPE, sidekiqMode: 'separate' })).toEqual(
      expect.arrayContaining([expect.stringMatching(/^rows \[\]/), expect.stringMatching(/"RSS by process type \(web\)" shows pods outside a role's row/)]),
    );
  });
});
