import { AlertOptions, AlertRule, discourseAlertRules, promDuration, rateWindowSeconds, sitePodRegex } from '../lib/observability/alerts';
import { checkQuery, metricsReferenced, promqlSelectors, promqlSyntaxErrors } from './promql';
import { ALLOWED_EXTERNAL_METRICS, DISCOURSE_METRICS, EXTERNAL_METRICS, lookupSeries, seriesNames } from '../lib/observability/metric-names';

const SITE = { job: 'forum', namespace: 'community', instance: 'forum' };
/**
 * A site with every optional signal: a CloudNativePG database, a Valkey server it runs,
 * ingress-nginx metrics and Envoy Gateway's (both, as in the one sync of a move with keep_ingress).
 */
const FULL: AlertOptions = {
  ...SITE,
  cnpgCluster: 'forum-db',
  redisServer: 'forum-redis',
  ingress: { name: 'forum', namespaceLabel: 'exported_namespace' },
  gatewayRoute: { name: 'forum' },
};
/** FULL with one pod on a ReadWriteOnce volume: the Recreate strategy and its planned downtime. */
const RECREATE: AlertOptions = { ...FULL, rolloutDowntimeSeconds: 180 };
const rules = discourseAlertRules(SITE);
const fullRules = discourseAlertRules(FULL);
const recreateRules = discourseAlertRules(RECREATE);
const byName = (name: string): AlertRule => {
  const rule = rules.find((r) => r.alert === name);
  if (!rule) throw new Error(`no rule ${name}`);
  return rule;
};
/** Prometheus' model.ParseDuration units. */
const PROMETHEUS_DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;
const eachRule = [
  ...rules.map((r) => [r.alert, r] as const),
  ...fullRules.map((r) => [`${r.alert} (CloudNativePG, Valkey, ingress-nginx, Envoy Gateway)${r.expr.includes('envoy_') ? ' from Envoy' : ''}`, r] as const),
  ...recreateRules.filter((r) => !fullRules.some((f) => f.expr === r.expr)).map((r) => [`${r.alert} (Recreate)`, r] as const),
];

/** Every series the catalogue says the plugin exposes, plus the allowed external metrics. */
const KNOWN_SERIES = new Set([...Object.keys(DISCOURSE_METRICS).flatMap(seriesNames), ...ALLOWED_EXTERNAL_METRICS.flatMap(seriesNames)]);

describe('the metric catalogue', () => {
  test('holds only discourse_-prefixed names, without the metrics added after the pinned commit', () => {
    // GIVEN
    const names = Object.keys(DISCOURSE_METRICS);
    // THEN
    expect(names.filter((n) => !n.startsWith('discourse_'))).toEqual([]);
    expect(names).not.toContain('discourse_landlock_abi_version');
    expect(names).not.toContain('discourse_image_processing_duration_seconds');
    expect(names).toEqual(
      expect.arrayContaining(['discourse_http_requests', 'discourse_sidekiq_queue_latency_seconds', 'discourse_postgres_primary_available']),
    );
  });

  test('counters keep their plain name: prometheus_exporter appends no _total', () => {
    expect(DISCOURSE_METRICS.discourse_http_requests.type).toBe('counter');
    expect(lookupSeries('discourse_http_requests_total')).toBeUndefined();
    expect(lookupSeries('discourse_process_cpu_seconds_total')?.info.type).toBe('counter');
  });

  test('seriesNames expands summaries and histograms', () => {
    expect(seriesNames('discourse_http_requests')).toEqual(['discourse_http_requests']);
    expect(seriesNames('discourse_http_duration_seconds')).toEqual([
      'discourse_http_duration_seconds',
      'discourse_http_duration_seconds_sum',
      'discourse_http_duration_seconds_count',
    ]);
    expect(seriesNames('discourse_http_requests_duration_seconds')).toEqual([
      'discourse_http_requests_duration_seconds_bucket',
      'discourse_http_requests_duration_seconds_sum',
      'discourse_http_requests_duration_seconds_count',
    ]);
  });

  test('no series name belongs to two metrics', () => {
    // GIVEN
    const all = [...Object.keys(DISCOURSE_METRICS), ...ALLOWED_EXTERNAL_METRICS].flatMap(seriesNames);
    // THEN
    expect(all.length).toBe(new Set(all).size);
  });

  test('quantile is a label of summary values only, le of buckets only', () => {
    expect(lookupSeries('discourse_http_duration_seconds')?.labels).toContain('quantile');
    expect(lookupSeries('discourse_http_duration_seconds_sum')?.labels).not.toContain('quantile');
    expect(lookupSeries('discourse_http_requests_duration_seconds_bucket')?.labels).toContain('le');
    expect(lookupSeries('discourse_http_requests_duration_seconds_count')?.labels).not.toContain('le');
  });

  test("discourse_job_failures' own job label is queried as exported_job", () => {
    expect(DISCOURSE_METRICS.discourse_job_failures.labels).toEqual(['type', 'pid', 'exported_job', 'family']);
  });

  test('the non-Discourse metrics we allow ourselves are exactly up, kube-state-metrics pod state, cAdvisor, ingress-nginx requests, CloudNativePG availability and backups, and the Valkey exporter', () => {
    expect(Object.entries(EXTERNAL_METRICS).map(([name, info]) => `${info.source} ${name} ${info.scope}`)).toEqual([
      'prometheus up target',
      'kube-state-metrics kube_pod_container_status_restarts_total pod',
      'kube-state-metrics kube_pod_container_status_ready pod',
      'kube-state-metrics kube_pod_container_state_started pod',
      'kube-state-metrics kube_pod_created pod-object',
      'kube-state-metrics kube_pod_init_container_status_running pod-init',
      'ingress-nginx nginx_ingress_controller_requests ingress',
      'envoy-gateway envoy_cluster_upstream_rq_xx gateway-route',
      'cloudnative-pg cnpg_collector_up cnpg-cluster',
      'cloudnative-pg cnpg_pg_replication_in_recovery cnpg-pod',
      'cloudnative-pg cnpg_collector_last_available_backup_timestamp cnpg-pod',
      'cloudnative-pg cnpg_collector_last_failed_backup_timestamp cnpg-pod',
      'redis_exporter redis_up redis-server',
      'redis_exporter redis_memory_used_bytes redis-server',
      'redis_exporter redis_memory_max_bytes redis-server',
      'redis_exporter redis_aof_last_write_status redis-server',
      'redis_exporter redis_rdb_last_bgsave_status redis-server',
      'cadvisor container_memory_working_set_bytes pod',
      'cadvisor container_cpu_usage_seconds_total pod',
    ]);
    expect(ALLOWED_EXTERNAL_METRICS).toEqual(Object.keys(EXTERNAL_METRICS));
  });

  test("ingress-nginx requests carry both namespace and exported_namespace (which one holds the Ingress' depends on honorLabels)", () => {
    expect(EXTERNAL_METRICS.nginx_ingress_controller_requests.labels).toEqual(expect.arrayContaining(['namespace', 'exported_namespace', 'ingress', 'status']));
  });

  test('fails if asked for the series of an unknown metric', () => {
    expect(() => seriesNames('discourse_http_requests_total')).toThrow(/unknown metric/);
  });
});

describe('discourseAlertRules', () => {
  test.each(eachRule)('%s parses as PromQL', (_, rule) => {
    expect(promqlSyntaxErrors(rule.expr)).toEqual([]);
  });

  test.each(eachRule)('%s references only metrics the plugin emits or the allowed external ones', (_, rule) => {
    // WHEN
    const metrics = metricsReferenced(rule.expr);
    // THEN
    expect(metrics.length).toBeGreaterThan(0);
    expect(metrics.filter((m) => !KNOWN_SERIES.has(m))).toEqual([]);
  });

  test.each(eachRule)('%s uses only labels that exist on the discourse_* metrics it matches', (_, rule) => {
    // WHEN
    const unknown = promqlSelectors(rule.expr)
      .filter((s) => s.metric?.startsWith('discourse_'))
      .flatMap((s) => s.matchers.filter((m) => !lookupSeries(s.metric ?? '')?.labels.includes(m.label)).map((m) => `${s.metric}/${m.label}`));
    // THEN
    expect(unknown).toEqual([]);
  });

  test.each(eachRule)('%s is scoped to the site', (_, rule) => {
    for (const selector of promqlSelectors(rule.expr)) {
      // GIVEN
      const has = (label: string, op: string, value: string): boolean => selector.matchers.some((m) => m.label === label && m.op === op && m.value === value);
      const scope = lookupSeries(selector.metric ?? '')?.scope;
      const missing = {
        target: has('job', '=', SITE.job) && has('namespace', '=', SITE.namespace),
        pod: has('namespace', '=', SITE.namespace) && has('pod', '=~', sitePodRegex(SITE.instance)) && has('container', '=', 'discourse'),
        'pod-init': has('namespace', '=', SITE.namespace) && has('pod', '=~', sitePodRegex(SITE.instance)),
        'pod-object': has('namespace', '=', SITE.namespace) && has('pod', '=~', sitePodRegex(SITE.instance)),
        ingress: has('exported_namespace', '=', SITE.namespace) && has('ingress', '=', 'forum'),
        'gateway-route': has('envoy_cluster_name', '=', `httproute/${SITE.namespace}/forum/rule/0`),
        'cnpg-cluster': has('namespace', '=', SITE.namespace) && has('cluster', '=', 'forum-db'),
        'cnpg-pod': has('namespace', '=', SITE.namespace) && has('pod', '=~', 'forum-db-[0-9]+'),
        'redis-server': has('namespace', '=', SITE.namespace) && has('job', '=', 'forum-redis-metrics'),
      };
      // THEN
      expect(scope === undefined ? `${selector.metric}: unknown` : missing[scope] ? 'scoped' : `${selector.metric}: not scoped`).toBe('scoped');
    }
  });

  test.each(eachRule)('%s passes every query check (range functions, counters through rate, summaries by quantile, buckets by le)', (_, rule) => {
    expect(checkQuery(rule.expr, FULL)).toEqual([]);
  });

  test.each(eachRule)('%s, with Sidekiq separate, is scoped to the web and the Sidekiq pods and passes every query check', (_, original) => {
    const rule = discourseAlertRules({ ...FULL, sidekiqMode: 'separate' }).find((r) => r.alert === original.alert)!;
    expect(checkQuery(rule.expr, { ...FULL, sidekiqMode: 'separate' })).toEqual([]);
  });

  test.each(eachRule)('%s carries the static site and namespace labels, so Alertmanager routes and silences it per site', (_, rule) => {
    expect(rule.labels).toEqual({ severity: rule.labels.severity, site: 'forum', namespace: 'community' });
  });

  test.each(eachRule)('%s has a severity, a Prometheus duration, a summary and a runbook-style description', (_, rule) => {
    expect(['critical', 'warning']).toContain(rule.labels.severity);
    expect(rule.for).toMatch(PROMETHEUS_DURATION);
    expect(rule.annotations.summary.length).toBeGreaterThan(10);
    expect(rule.annotations.description.length).toBeGreaterThan(80);
    expect(Object.keys(rule.annotations)).toEqual(['summary', 'description']);
  });

  test.each(eachRule)('%s only templates labels its expression keeps', (_, rule) => {
    // GIVEN: the labels of the result, read from `by (...)` of the outer aggregation or from the lone selector.
    const text = `${rule.annotations.summary} ${rule.annotations.description}`;
    const used = [...text.matchAll(/\$labels\.([a-z_]+)/g)].map((m) => m[1]);
    const grouping = /by \(([^)]*)\)/.exec(rule.expr);
    const [selector] = promqlSelectors(rule.expr);
    const kept = ['site', 'namespace', 'severity'].concat(
      rule.expr.startsWith('absent(')
        ? selector.matchers.filter((m) => m.op === '=').map((m) => m.label)
        : grouping
          ? grouping[1]
              .split(',')
              .map((l) => l.trim())
              .filter((l) => l !== 'le')
          : (lookupSeries(selector.metric ?? '')?.labels ?? []),
    );
    // THEN
    expect(used.filter((l) => !kept.includes(l))).toEqual([]);
  });

  test('alert names are unique and all start with Discourse', () => {
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => !/^Discourse[A-Z][A-Za-z]+$/.test(n))).toEqual([]);
    expect(names).toEqual([
      'DiscourseTargetMissing',
      'DiscourseTargetAbsent',
      'DiscourseHighErrorRate',
      'DiscourseSlowRequests',
      'DiscourseSidekiqQueueLatency',
      'DiscourseSidekiqJobsStuck',
      'DiscourseSidekiqNoProcesses',
      'DiscourseJobFailures',
      'DiscoursePostgresUnavailable',
      'DiscourseRedisUnavailable',
      'DiscoursePodRestarting',
    ]);
  });

  test("keeps the charm's target-missing rule, scoped, with 5m instead of 0m and without starting pods, plus an absent() variant", () => {
    expect(byName('DiscourseTargetMissing')).toMatchObject({ for: '5m', labels: { severity: 'critical' } });
    expect(byName('DiscourseTargetMissing').expr).toMatch(/^up\{job="forum",namespace="community"\} == 0 unless on \(namespace, pod\) \(/);
    expect(metricsReferenced(byName('DiscourseTargetMissing').expr)).toEqual([
      'up',
      'kube_pod_init_container_status_running',
      'kube_pod_container_state_started',
      'kube_pod_container_status_ready',
      'kube_pod_container_status_restarts_total',
    ]);
    expect(byName('DiscourseTargetAbsent').expr).toBe('absent(up{job="forum",namespace="community"})');
  });

  test('the error ratio counts 5xx over all requests but the hijacked ones (status "-1")', () => {
    // WHEN
    const [errors, all] = promqlSelectors(byName('DiscourseHighErrorRate').expr);
    // THEN
    expect(errors.matchers).toContainEqual({ label: 'status', op: '=~', value: '5..' });
    expect(all.matchers).toContainEqual({ label: 'status', op: '!=', value: '-1' });
    expect(byName('DiscourseHighErrorRate').expr).toMatch(/> 0\.05$/);
  });

  test('thresholds and windows are the ones agreed', () => {
    expect(byName('DiscourseSlowRequests').expr).toMatch(/^histogram_quantile\(0\.99, sum by \(job, namespace, le\) .*\) > 2$/);
    expect(byName('DiscourseSidekiqQueueLatency').expr).toMatch(/> 300$/);
    expect(byName('DiscourseJobFailures').expr).toMatch(/> 0\.1$/);
    expect(byName('DiscoursePodRestarting').expr).toMatch(/\[1h\]\)\) > 3$/);
    expect(fullRules.find((r) => r.alert === 'DiscourseRedisMemoryFull')?.expr).toMatch(/> 0\.9$/);
    expect(fullRules.map((r) => `${r.alert} ${r.for} ${r.labels.severity}`)).toEqual([
      'DiscourseTargetMissing 5m critical',
      'DiscourseTargetAbsent 10m critical',
      'DiscourseHighErrorRate 10m warning',
      'DiscourseSlowRequests 15m warning',
      'DiscourseSidekiqQueueLatency 10m warning',
      'DiscourseSidekiqJobsStuck 15m warning',
      'DiscourseSidekiqNoProcesses 10m critical',
      'DiscourseJobFailures 15m warning',
      'DiscoursePostgresUnavailable 2m critical',
      'DiscourseRedisUnavailable 2m critical',
      'DiscoursePodRestarting 0m warning',
      'DiscourseRedisServerDown 2m critical',
      'DiscourseRedisMemoryFull 10m warning',
      'DiscourseRedisPersistenceFailing 5m critical',
      'DiscourseUnavailable 5m critical',
      'DiscourseIngressErrors 10m warning',
      'DiscourseUnavailable 5m critical',
      'DiscourseGatewayErrors 10m warning',
    ]);
  });

  test('aggregations of the Discourse target keep job and namespace', () => {
    const aggregated = rules.filter((r) => /\b(sum|max|min|avg) by \(job/.test(r.expr));
    expect(aggregated.map((r) => r.alert)).toEqual([
      'DiscourseHighErrorRate',
      'DiscourseSlowRequests',
      'DiscourseSidekiqQueueLatency',
      'DiscourseSidekiqJobsStuck',
      'DiscourseSidekiqNoProcesses',
      'DiscourseJobFailures',
    ]);
    for (const rule of aggregated) expect(rule.expr).toMatch(/by \(job, namespace[,)]/);
  });

  test("DiscoursePodRestarting drops kube-state-metrics' own job label", () => {
    expect(byName('DiscoursePodRestarting').expr).toMatch(/^sum by \(namespace, pod\) \(increase\(/);
  });

  test('DiscourseJobFailures prints a plain rate with its unit, not an SI prefix ("200m/s")', () => {
    expect(byName('DiscourseJobFailures').annotations.summary).toBe('Discourse background jobs fail at {{ $value | printf "%.2f" }} per second');
  });

  test('without CloudNativePG, PostgreSQL availability is the plugin check, and says it cannot see a full outage', () => {
    expect(byName('DiscoursePostgresUnavailable').expr).toBe('discourse_postgres_primary_available{job="forum",namespace="community"} == 0');
    expect(byName('DiscoursePostgresUnavailable').annotations.description).toMatch(/cannot see a full outage/);
    expect(byName('DiscourseRedisUnavailable').annotations.description).toMatch(/cannot see an outage of the main Redis/);
  });

  test('with CloudNativePG, PostgreSQL availability comes from its exporter: a primary with PostgreSQL up, or nothing where there was something within a day', () => {
    const rule = fullRules.find((r) => r.alert === 'DiscoursePostgresUnavailable');
    expect(rule?.expr).toBe(
      '(sum(cnpg_collector_up{namespace="community",cluster="forum-db"} == 1 and on (namespace, pod) cnpg_pg_replication_in_recovery{namespace="community",pod=~"forum-db-[0-9]+"} == 0) or on () vector(0)) < 1' +
        ' and on () count(present_over_time(cnpg_collector_up{namespace="community",cluster="forum-db"}[1d]))',
    );
  });

  test('with the Recreate strategy, the ingress alerts wait for the planned downtime, one rate window and 2m after a pod is created', () => {
    // GIVEN: 3m of downtime, 5m windows at the default interval, 16m at 4m
    const at4m = discourseAlertRules({ ...RECREATE, scrapeIntervalSeconds: 240 });
    // THEN
    for (const name of ['DiscourseUnavailable', 'DiscourseIngressErrors']) {
      expect(recreateRules.find((r) => r.alert === name)?.expr).toMatch(
        / unless on \(\) time\(\) - max\(kube_pod_created\{namespace="community",pod=~"forum-\[a-z0-9\]\+-\[a-z0-9\]\+"\}\) < 600$/,
      );
      expect(at4m.find((r) => r.alert === name)?.expr).toMatch(/< 1260$/);
      expect(fullRules.find((r) => r.alert === name)?.expr).not.toContain('kube_pod_created');
    }
    expect(recreateRules.find((r) => r.alert === 'DiscourseUnavailable')?.annotations.description).toContain(
      'Not within 10m of a pod of the site being created',
    );
  });

  test('the ingress rules read the namespace label chosen', () => {
    const honored = discourseAlertRules({ ...FULL, ingress: { name: 'forum', namespaceLabel: 'namespace' } });
    const rule = honored.find((r) => r.alert === 'DiscourseUnavailable');
    expect(promqlSelectors(rule?.expr ?? '')[0].matchers).toContainEqual({ label: 'namespace', op: '=', value: 'community' });
    expect(rule?.expr).not.toContain('exported_namespace');
  });

  test.each([
    [15, 300, '5m'],
    [30, 300, '5m'],
    [75, 300, '5m'],
    [90, 360, '6m'],
    [150, 600, '10m'],
    [600, 2400, '40m'],
    [0.5, 300, '5m'],
    [100.2, 401, '401s'],
    [900, 3600, '1h'],
  ])('a scrape interval of %ss gives rate windows of %ss (%s)', (interval, seconds, duration) => {
    expect(rateWindowSeconds(interval)).toBe(seconds);
    expect(promDuration(rateWindowSeconds(interval))).toBe(duration);
  });

  test('every rate window of the rules follows the scrape interval', () => {
    // GIVEN
    const windows = (opts: AlertOptions): string[] => [
      ...new Set(discourseAlertRules(opts).flatMap((r) => [...r.expr.matchAll(/\b(?:rate|increase)\([^()]*?\[([0-9]+[smhdwy])\]\)/g)].map((m) => m[1]))),
    ];
    // THEN
    // 1h: the restarts alert; 15m (startup budget + window): the restarts that make a container no longer "starting".
    expect(windows(FULL).sort()).toEqual(['15m', '1h', '5m']);
    expect(windows({ ...FULL, scrapeIntervalSeconds: 600 }).sort()).toEqual(['1h', '40m', '50m']);
    expect(windows({ ...FULL, scrapeIntervalSeconds: 1200 }).sort()).toEqual(['80m', '90m']);
  });

  test("runbook steps name the site's namespace and Deployment", () => {
    // GIVEN
    const other = discourseAlertRules({ job: 'web-svc', namespace: 'talk', instance: 'talk-web' });
    // THEN
    expect(byName('DiscourseTargetMissing').annotations.description).toContain('kubectl -n community exec deploy/forum -c discourse -- /bin/pebble checks');
    expect(other.find((r) => r.alert === 'DiscourseTargetMissing')?.annotations.description).toContain('kubectl -n talk logs deploy/talk-web -c discourse');
  });

  test('another site gets its own scoping and nothing of the first', () => {
    // WHEN
    const other = discourseAlertRules({ job: 'web-svc', namespace: 'talk', instance: 'talk-web' });
    // THEN
    for (const rule of other) {
      expect(checkQuery(rule.expr, { job: 'web-svc', namespace: 'talk', instance: 'talk-web' })).toEqual([]);
      expect(rule.expr).not.toContain('community');
    }
  });

  test('the pod pattern matches Deployment pods of the site and not of a site sharing its prefix', () => {
    // GIVEN
    const pattern = new RegExp(`^(?:${sitePodRegex('forum')})$`);
    // THEN
    expect(pattern.test('forum-7d9f8c6b5-x2kqz')).toBe(true);
    expect(pattern.test('forum-staging-7d9f8c6b5-x2kqz')).toBe(false);
    expect(pattern.test('forum-pebble')).toBe(false);
    expect(sitePodRegex('a.b')).toBe('a\\.b-[a-z0-9]+-[a-z0-9]+');
  });

  test('label values with quotes are escaped, not injected', () => {
    // WHEN
    const [rule] = discourseAlertRules({ job: 'a"b', namespace: 'n', instance: 'i' });
    // THEN
    expect(promqlSyntaxErrors(rule.expr)).toEqual([]);
    expect(promqlSelectors(rule.expr)[0].matchers).toContainEqual({ label: 'job', op: '=', value: 'a"b' });
  });

  test('fails if job is empty', () => {
    expect(() => discourseAlertRules({ ...SITE, job: '' })).toThrow(/job must not be empty/);
  });

  test('fails if namespace is not a DNS label', () => {
    expect(() => discourseAlertRules({ ...SITE, namespace: 'Community' })).toThrow(/namespace "Community" is not a DNS label/);
  });

  test('fails if instance is not a Deployment name', () => {
    expect(() => discourseAlertRules({ ...SITE, instance: 'forum web' })).toThrow(/instance "forum web"/);
  });

  test.each([
    ['the scrape interval is not positive', { scrapeIntervalSeconds: 0 }, /scrapeIntervalSeconds 0 is not a positive number of seconds/],
    ['the startup budget is not a number', { startupSeconds: Number.NaN }, /startupSeconds NaN is not a positive number/],
    ['the planned rollout downtime is negative', { rolloutDowntimeSeconds: -1 }, /rolloutDowntimeSeconds -1 is not a positive number of seconds/],
    ['the CloudNativePG cluster name is invalid', { cnpgCluster: 'Forum_DB' }, /cnpgCluster "Forum_DB" is not a Cluster name/],
    ['the Ingress name is invalid', { ingress: { name: 'a b', namespaceLabel: 'namespace' as const } }, /ingress name "a b" is not an Ingress name/],
  ])('fails if %s', (_n, extra, expected) => {
    expect(() => discourseAlertRules({ ...SITE, ...extra })).toThrow(expected);
  });
});

describe('checkQuery', () => {
  const site = 'job="forum",namespace="community"';
  const pod = `namespace="community",pod=~"${sitePodRegex('forum')}",container="discourse"`;

  test('accepts scoped queries of each kind', () => {
    for (const expr of [
      `sum(rate(discourse_http_requests{${site},status=~"5.."}[5m]))`,
      `histogram_quantile(0.9, sum without (pod) (rate(discourse_http_requests_sql_duration_seconds_bucket{${site}}[5m])))`,
      `max(discourse_http_duration_seconds{${site},quantile="0.99",controller="list",action="latest"})`,
      `sum by (status_class) (label_replace(rate(discourse_http_requests{${site}}[5m]), "status_class", "$1", "status", "(.).."))`,
      `sum(increase(kube_pod_container_status_restarts_total{${pod}}[1h] offset 1h))`,
    ]) {
      expect(checkQuery(expr, SITE)).toEqual([]);
    }
  });

  test.each([
    ['the expression has a syntax error', `rate(up{${site}}[5m]`, /syntax error at offset/],
    ['a function name is misspelt', `rte(discourse_http_requests{${site}}[5m])`, /syntax error/],
    ['a regex escape is not doubled inside the string literal', `up{${site},pod=~"forum\\.x"}`, /invalid string literal/],
    ['a metric does not exist', `sum(rate(discourse_http_requests_total{${site}}[5m]))`, /discourse_http_requests_total is not a series of a known metric/],
    ['a metric exists only after the pinned commit', `discourse_landlock_abi_version{${site}}`, /not a series of a known metric/],
    ['a selector has no metric name', `{${site}}`, /has no metric name/],
    [
      'a matcher uses a label the metric lacks',
      `sum(rate(discourse_http_requests{${site},controller="list"}[5m]))`,
      /discourse_http_requests has no label controller/,
    ],
    ['the plugin job label is matched as job', `sum(rate(discourse_job_failures{${site},family="regular",job="Jobs::Foo"}[5m]))`, /needs job="forum"/],
    ['a selector is not scoped to the job', `up{namespace="community"}`, /up is not scoped to the site: needs job="forum"/],
    ['a selector is scoped to another namespace', `up{job="forum",namespace="other"}`, /needs namespace="community"/],
    [
      'a pod metric lacks the pod pattern',
      `sum(increase(kube_pod_container_status_restarts_total{namespace="community",container="discourse"}[1h]))`,
      /needs pod=~/,
    ],
    [
      'a pod metric is not filtered to the discourse container',
      `sum(container_memory_working_set_bytes{namespace="community",pod=~"${sitePodRegex('forum')}"})`,
      /needs container="discourse"/,
    ],
    ['a counter is read without rate()', `sum(discourse_http_requests{${site}})`, /only ever goes up/],
    ['rate() is taken of a gauge', `rate(discourse_rss{${site}}[5m])`, /rate\(\) over discourse_rss, which is not a counter/],
    ['a summary is queried without a quantile', `avg(discourse_http_duration_seconds{${site}})`, /is a summary: select one quantile/],
    [
      'an aggregation drops le before histogram_quantile',
      `histogram_quantile(0.99, sum(rate(discourse_http_requests_duration_seconds_bucket{${site}}[5m])))`,
      /drops le/,
    ],
    [
      'a bucket series is used outside histogram_quantile',
      `sum(rate(discourse_http_requests_duration_seconds_bucket{${site}}[5m]))`,
      /outside histogram_quantile/,
    ],
    [
      'histogram_quantile gets no buckets',
      `histogram_quantile(0.99, sum by (le) (rate(discourse_http_requests_duration_seconds_count{${site}}[5m])))`,
      /over no _bucket series/,
    ],
    ['a grouping label does not exist', `max by (queue_name) (discourse_sidekiq_jobs_enqueued{${site}})`, /by \(queue_name\)/],
    ['a range selector stands alone', `up{${site}}[5m]`, /not the argument of a range function/],
    ['a range function gets an instant vector', `rate(discourse_http_requests{${site}})`, /rate\(\) needs a range vector/],
    ['a regex does not compile', `up{${site},pod=~"("}`, /bad regex for pod/],
  ])('fails if %s', (_, expr, problem) => {
    // WHEN
    const problems = checkQuery(expr, SITE);
    // THEN
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(problem)]));
  });
});

describe('metricsReferenced', () => {
  test('reads names from the syntax tree, never from strings, labels or functions', () => {
    // GIVEN
    const expr =
      'label_replace(up{job="discourse_rss"}, "discourse_page_views", "$1", "rate", "(.*)") / on (job) sum by (job) (rate(discourse_http_requests[5m])) or up';
    // THEN
    expect(metricsReferenced(expr)).toEqual(['up', 'discourse_http_requests']);
  });

  test('finds names given as __name__ or as a quoted name', () => {
    expect(metricsReferenced('{__name__="discourse_rss", type="web"} + {"discourse_heap_live_slots"}')).toEqual(['discourse_rss', 'discourse_heap_live_slots']);
  });

  test('fails if the expression does not parse', () => {
    expect(() => metricsReferenced('sum(up')).toThrow(/cannot parse/);
  });
});
