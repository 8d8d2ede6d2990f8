import { AlertRule, discourseAlertRules, sitePodRegex } from '../lib/alerts';
import { checkQuery, metricsReferenced, promqlSelectors, promqlSyntaxErrors } from './promql';
import { ALLOWED_EXTERNAL_METRICS, DISCOURSE_METRICS, EXTERNAL_METRICS, lookupSeries, seriesNames } from '../lib/metric-names';

const SITE = { job: 'forum', namespace: 'community', instance: 'forum' };
const rules = discourseAlertRules(SITE);
const byName = (name: string): AlertRule => {
  const rule = rules.find((r) => r.alert === name);
  if (!rule) throw new Error(`no rule ${name}`);
  return rule;
};
/** Prometheus' model.ParseDuration units. */
const PROMETHEUS_DURATION = /^([0-9]+(ms|s|m|h|d|w|y))+$/;
const eachRule = rules.map((r) => [r.alert, r] as const);

/** Every series the catalogue says the plugin exposes, plus the allowed external metrics. */
const KNOWN_SERIES = new Set([...Object.keys(DISCOURSE_METRICS).flatMap(seriesNames), ...ALLOWED_EXTERNAL_METRICS.flatMap(seriesNames)]);

describe('the metric catalogue', () => {
  test('holds only discourse_-prefixed names, without the metrics added after the pinned commit', () => {
    // GIVEN
    const names = Object.keys(DISCOURSE_METRICS);
    // THEN
    expect(names.every((n) => n.startsWith('discourse_'))).toBe(true);
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

  test('the non-Discourse metrics we allow ourselves are exactly up, kube-state-metrics restarts and cAdvisor CPU/memory', () => {
    expect([...ALLOWED_EXTERNAL_METRICS].sort()).toEqual([
      'container_cpu_usage_seconds_total',
      'container_memory_working_set_bytes',
      'kube_pod_container_status_restarts_total',
      'up',
    ]);
    expect(EXTERNAL_METRICS.up.scope).toBe('target');
    expect(EXTERNAL_METRICS.kube_pod_container_status_restarts_total.scope).toBe('pod');
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

  test.each(eachRule)('%s is scoped to the job and namespace given', (_, rule) => {
    for (const selector of promqlSelectors(rule.expr)) {
      // GIVEN
      const has = (label: string, op: string, value: string): boolean => selector.matchers.some((m) => m.label === label && m.op === op && m.value === value);
      const series = lookupSeries(selector.metric ?? '');
      // THEN
      expect(has('namespace', '=', SITE.namespace)).toBe(true);
      if (series?.scope === 'target') expect(has('job', '=', SITE.job)).toBe(true);
      else expect(has('pod', '=~', sitePodRegex(SITE.instance)) && has('container', '=', 'discourse')).toBe(true);
    }
  });

  test.each(eachRule)('%s passes every query check (range functions, counters through rate, summaries by quantile, buckets by le)', (_, rule) => {
    expect(checkQuery(rule.expr, SITE)).toEqual([]);
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
    const kept = rule.expr.startsWith('absent(')
      ? selector.matchers.filter((m) => m.op === '=').map((m) => m.label)
      : grouping
        ? grouping[1]
            .split(',')
            .map((l) => l.trim())
            .filter((l) => l !== 'le')
        : (lookupSeries(selector.metric ?? '')?.labels ?? []);
    // THEN
    expect(used.filter((l) => !kept.includes(l))).toEqual([]);
  });

  test('alert names are unique and all start with Discourse', () => {
    const names = rules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    expect(names.every((n) => /^Discourse[A-Z][A-Za-z]+$/.test(n))).toBe(true);
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

  test("keeps the charm's target-missing rule, scoped and with 5m instead of 0m, plus an absent() variant", () => {
    expect(byName('DiscourseTargetMissing')).toMatchObject({ expr: 'up{job="forum",namespace="community"} == 0', for: '5m', labels: { severity: 'critical' } });
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
    expect(byName('DiscoursePodRestarting').expr).toMatch(/\[1h\]\) > 3$/);
    expect(rules.map((r) => `${r.alert} ${r.for} ${r.labels.severity}`)).toEqual([
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
    ]);
  });

  test('aggregated rules keep job and namespace so Alertmanager can route per site', () => {
    const aggregated = rules.filter((r) => /\b(sum|max|min|avg) by/.test(r.expr));
    expect(aggregated.length).toBeGreaterThan(0);
    for (const rule of aggregated) expect(rule.expr).toMatch(/by \(job, namespace[,)]/);
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
