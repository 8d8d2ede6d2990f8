import { spawnSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { stringify } from 'yaml';
import { AlertOptions, AlertRule, discourseAlertRules } from '../lib/observability/alerts';
import { IN_CI, haveTool, toolPath } from './cluster/tools';

/**
 * Alert behaviour under Prometheus' own rule engine: rules generated from
 * the code, `promtool check rules`, then `promtool test rules` with synthetic
 * series for a healthy site, a rollout and each alert's condition, at a
 * small, the default and a large scrape interval. Skipped (with a warning)
 * only when promtool is missing outside CI.
 */

// Prometheus 3.x's own promtool, built from its Go module (`npm run cluster -- tools`); $PROMTOOL overrides.
const PROMTOOL = process.env.PROMTOOL ?? (haveTool('promtool') ? toolPath('promtool') : 'promtool');
const VERSION = spawnSync(PROMTOOL, ['--version'], { encoding: 'utf8' });
const HAVE_PROMTOOL = VERSION.status === 0;
if (!HAVE_PROMTOOL && !IN_CI) {
  console.warn(`test/promtool.test.ts: SKIPPED: ${PROMTOOL} not found (run npm run cluster -- tools). CI fails instead of skipping.`);
}
const describeWithPromtool = HAVE_PROMTOOL || IN_CI ? describe : describe.skip;

const NS = 'community';
const JOB = 'forum';
const SITE: AlertOptions = { job: JOB, namespace: NS, instance: 'forum', startupSeconds: 600 };
const FULL: AlertOptions = {
  ...SITE,
  cnpgCluster: 'forum-db',
  cnpgBackupMaxAgeSeconds: 86_400,
  redisServer: 'forum-redis',
  ingress: { name: 'forum', namespaceLabel: 'exported_namespace' },
};
const POD_A = 'forum-6d4f8b7c9-aaaaa';
const POD_B = 'forum-6d4f8b7c9-bbbbb';
const POD_NEW = 'forum-7c8d9e6f5-nnnnn';
const MIN = 60;
const HOUR = 60 * MIN;
/** Length of every synthetic history. */
const HISTORY = 90 * MIN;

/** A series' value at `t` seconds, undefined for no sample, or a staleness marker (what Prometheus writes when a target's scrape fails or the target is gone). */
type Value = (t: number) => number | undefined | 'stale';
type Series = Record<string, Value>;

const labels = (l: Record<string, string>): string =>
  `{${Object.entries(l)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;
const target = (metric: string, pod: string, extra: Record<string, string> = {}): string => `${metric}${labels({ job: JOB, namespace: NS, pod, ...extra })}`;
const ksm = (metric: string, pod: string, container = 'discourse'): string => `${metric}${labels({ namespace: NS, pod, container })}`;
/** A kube-state-metrics series about the pod itself (no container label). */
const kube = (metric: string, pod: string): string => `${metric}${labels({ namespace: NS, pod })}`;
const nginx = (status: string): string => `nginx_ingress_controller_requests${labels({ exported_namespace: NS, ingress: 'forum', status })}`;
const cnpg = (metric: string, pod: string): string =>
  `${metric}${labels(metric === 'cnpg_collector_up' ? { namespace: NS, pod, cluster: 'forum-db' } : { namespace: NS, pod })}`;
/** A series of the exporter beside the site's Valkey server (its ServiceMonitor's job). */
const VALKEY_POD = 'forum-redis-0';
const VALKEY_JOB = 'forum-redis-metrics';
const valkey = (metric: string): string => `${metric}${labels({ job: VALKEY_JOB, namespace: NS, pod: VALKEY_POD })}`;
const MIB = 1024 * 1024;
const constant =
  (v: number): Value =>
  () =>
    v;
/** `v` from `from` seconds on, no sample before. */
const after =
  (from: number, v: Value): Value =>
  (t) =>
    t < from ? undefined : v(t);
/** `v` before `until` seconds, then gone: stale, as Prometheus marks the series of a target that failed or left. */
const before =
  (until: number, v: Value): Value =>
  (t) =>
    t < until ? v(t) : 'stale';
/** A counter whose rate steps: `[from seconds, per second]` pairs in order, the first from 0. */
const steps =
  (...rates: readonly [number, number][]): Value =>
  (t) =>
    rates.reduce((total, [from, perSecond], i) => {
      const to = i + 1 < rates.length ? rates[i + 1][0] : Infinity;
      return total + (t > from ? perSecond * (Math.min(t, to) - from) : 0);
    }, 0);
/** A counter growing at `perSecond` from `from` seconds on. */
const counter =
  (perSecond: number, from = 0): Value =>
  (t) =>
    t < from ? undefined : perSecond * (t - from);

/** Series of one serving Discourse pod, with kube-state-metrics' view of it, existing from `from` seconds. */
function servingPod(pod: string): Series {
  return {
    [target('up', pod)]: constant(1),
    [ksm('kube_pod_container_status_ready', pod)]: constant(1),
    [ksm('kube_pod_container_state_started', pod)]: constant(-86_400),
    [kube('kube_pod_created', pod)]: constant(-86_400),
    [ksm('kube_pod_init_container_status_running', pod, 'wait-for-migrations')]: constant(0),
    [ksm('kube_pod_container_status_restarts_total', pod)]: constant(0),
    [target('discourse_http_requests', pod, { status: '200' })]: counter(50),
    [target('discourse_http_requests', pod, { status: '500' })]: counter(0.01),
    [target('discourse_http_requests', pod, { status: '-1' })]: counter(200),
    [target('discourse_http_requests_duration_seconds_bucket', pod, { le: '0.5' })]: counter(49.9),
    [target('discourse_http_requests_duration_seconds_bucket', pod, { le: '2.5' })]: counter(50),
    [target('discourse_http_requests_duration_seconds_bucket', pod, { le: '+Inf' })]: counter(50),
    [target('discourse_sidekiq_queue_latency_seconds', pod, { queue: 'default' })]: constant(1),
    [target('discourse_sidekiq_jobs_stuck', pod, { job_name: 'Jobs::ProcessPost' })]: constant(0),
    [target('discourse_sidekiq_processes', pod)]: constant(1),
    [target('discourse_job_failures', pod, { exported_job: 'Jobs::ProcessPost', family: 'sidekiq' })]: counter(0.005),
    [target('discourse_postgres_primary_available', pod)]: constant(1),
    [target('discourse_redis_primary_available', pod, { type: 'main' })]: constant(1),
    [target('discourse_redis_primary_available', pod, { type: 'message-bus' })]: constant(1),
  };
}

/** Two serving pods, a CloudNativePG primary and replica, and ingress-nginx counting mostly 200s. */
function healthy(): Series {
  return {
    ...servingPod(POD_A),
    ...servingPod(POD_B),
    [cnpg('cnpg_collector_up', 'forum-db-1')]: constant(1),
    [cnpg('cnpg_collector_up', 'forum-db-2')]: constant(1),
    [cnpg('cnpg_pg_replication_in_recovery', 'forum-db-1')]: constant(0),
    [cnpg('cnpg_pg_replication_in_recovery', 'forum-db-2')]: constant(1),
    // The primary reports the last base backup (2h before the history starts) and an older failure; replicas report 0.
    [cnpg('cnpg_collector_last_available_backup_timestamp', 'forum-db-1')]: constant(-2 * HOUR),
    [cnpg('cnpg_collector_last_failed_backup_timestamp', 'forum-db-1')]: constant(-72 * HOUR),
    [cnpg('cnpg_collector_last_available_backup_timestamp', 'forum-db-2')]: constant(0),
    [cnpg('cnpg_collector_last_failed_backup_timestamp', 'forum-db-2')]: constant(0),
    [nginx('200')]: counter(100),
    [nginx('503')]: counter(0.01),
    // Valkey at a fifth of its maxmemory (512Mi: half the default 1Gi limit), persisting fine.
    [valkey('redis_up')]: constant(1),
    [valkey('redis_memory_used_bytes')]: constant(100 * MIB),
    [valkey('redis_memory_max_bytes')]: constant(512 * MIB),
    [valkey('redis_aof_last_write_status')]: constant(1),
    [valkey('redis_rdb_last_bgsave_status')]: constant(1),
  };
}

/**
 * A rollout: a new pod appears at 20m and is scraped at once; its init
 * container waits for the migration Job until 22m; its container then
 * boots, is ready and answers from 32m (within the 10m startup budget).
 */
function rollout(): Series {
  const appear = 20 * MIN;
  const started = 22 * MIN;
  const ready = 32 * MIN;
  const serving: Series = Object.fromEntries(
    Object.entries(servingPod(POD_NEW))
      .filter(([s]) => s.includes('job="forum"') && !s.startsWith('up{'))
      .map(([s, v]) => [s, after(ready, (t) => v(t - ready))]),
  );
  return {
    ...healthy(),
    ...serving,
    [target('up', POD_NEW)]: after(appear, (t) => (t < ready ? 0 : 1)),
    [kube('kube_pod_created', POD_NEW)]: after(appear, constant(appear)),
    [ksm('kube_pod_init_container_status_running', POD_NEW, 'wait-for-migrations')]: after(appear, (t) => (t < started ? 1 : 0)),
    [ksm('kube_pod_container_state_started', POD_NEW)]: after(started, constant(started)),
    [ksm('kube_pod_container_status_ready', POD_NEW)]: after(appear, (t) => (t < ready ? 0 : 1)),
    [ksm('kube_pod_container_status_restarts_total', POD_NEW)]: after(appear, constant(0)),
  };
}

/** One alert's condition: what changes from a healthy site, when to look, and the labels the alert must carry. */
interface Firing {
  readonly alert: string;
  readonly why: string;
  readonly series: (s: Series) => Series;
  readonly at: number;
  readonly labels: Record<string, string>;
  readonly annotations?: (rule: AlertRule) => Record<string, string>;
}

const FIRING: readonly Firing[] = [
  {
    alert: 'DiscourseTargetMissing',
    why: 'a started pod stops answering at 30m',
    series: (s) => ({
      ...s,
      [target('up', POD_A)]: (t) => (t < 30 * MIN ? 1 : 0),
      [ksm('kube_pod_container_status_ready', POD_A)]: (t) => (t < 31 * MIN ? 1 : 0),
    }),
    at: 42 * MIN,
    labels: { job: JOB, pod: POD_A },
  },
  {
    alert: 'DiscourseTargetAbsent',
    why: 'no Discourse target exists',
    series: (s) => Object.fromEntries(Object.entries(s).filter(([k]) => !k.startsWith('up{'))),
    at: 15 * MIN,
    labels: { job: JOB },
  },
  {
    alert: 'DiscourseHighErrorRate',
    why: 'Discourse answers 1 request in 6 with 500',
    series: (s) => ({ ...s, [target('discourse_http_requests', POD_A, { status: '500' })]: counter(20) }),
    at: 40 * MIN,
    labels: { job: JOB },
  },
  {
    alert: 'DiscourseSlowRequests',
    why: 'most requests take over 2.5 s',
    series: (s) => ({ ...s, [target('discourse_http_requests_duration_seconds_bucket', POD_A, { le: '0.5' })]: counter(10) }),
    at: 40 * MIN,
    labels: { job: JOB },
  },
  {
    alert: 'DiscourseSidekiqQueueLatency',
    why: 'the default queue is 10 minutes behind',
    series: (s) => ({ ...s, [target('discourse_sidekiq_queue_latency_seconds', POD_A, { queue: 'default' })]: constant(600) }),
    at: 20 * MIN,
    labels: { job: JOB, queue: 'default' },
  },
  {
    alert: 'DiscourseSidekiqJobsStuck',
    why: 'a job is stuck',
    series: (s) => ({ ...s, [target('discourse_sidekiq_jobs_stuck', POD_A, { job_name: 'Jobs::ProcessPost' })]: constant(1) }),
    at: 20 * MIN,
    labels: { job: JOB, job_name: 'Jobs::ProcessPost' },
  },
  {
    alert: 'DiscourseSidekiqNoProcesses',
    why: 'no pod runs Sidekiq',
    series: (s) => ({ ...s, [target('discourse_sidekiq_processes', POD_A)]: constant(0), [target('discourse_sidekiq_processes', POD_B)]: constant(0) }),
    at: 20 * MIN,
    labels: { job: JOB },
  },
  {
    alert: 'DiscourseJobFailures',
    why: 'jobs fail at 0.2 per second',
    series: (s) => ({
      ...s,
      [target('discourse_job_failures', POD_A, { exported_job: 'Jobs::ProcessPost', family: 'sidekiq' })]: counter(0.1),
      [target('discourse_job_failures', POD_B, { exported_job: 'Jobs::ProcessPost', family: 'sidekiq' })]: counter(0.1),
    }),
    at: 40 * MIN,
    labels: { job: JOB },
    annotations: (rule) => ({ summary: 'Discourse background jobs fail at 0.20 per second', description: rule.annotations.description }),
  },
  {
    alert: 'DiscourseRedisUnavailable',
    why: 'a pod cannot reach the message-bus Redis',
    series: (s) => ({ ...s, [target('discourse_redis_primary_available', POD_A, { type: 'message-bus' })]: constant(0) }),
    at: 10 * MIN,
    labels: { job: JOB, pod: POD_A, type: 'message-bus' },
  },
  {
    alert: 'DiscoursePodRestarting',
    why: 'the container restarts every 10 minutes',
    series: (s) => ({ ...s, [ksm('kube_pod_container_status_restarts_total', POD_A)]: (t) => Math.min(4, Math.floor(t / (10 * MIN))) }),
    at: 45 * MIN,
    labels: { pod: POD_A },
  },
];

/** Firing cases that need the CloudNativePG and ingress-nginx signals. */
const FIRING_FULL: readonly Firing[] = [
  {
    alert: 'DiscoursePostgresUnavailable',
    why: "the CloudNativePG primary's PostgreSQL is down at 10m, while the plugin's gauge keeps its last value, 1",
    series: (s) => {
      const out = { ...s, [cnpg('cnpg_collector_up', 'forum-db-1')]: (t: number) => (t < 10 * MIN ? 1 : 0) };
      out[cnpg('cnpg_pg_replication_in_recovery', 'forum-db-1')] = (t) => (t < 10 * MIN ? 0 : undefined);
      return out;
    },
    at: 20 * MIN,
    labels: {},
  },
  {
    alert: 'DiscoursePostgresUnavailable',
    why: 'every CloudNativePG instance is gone from 10m (their series were there before)',
    series: (s) => Object.fromEntries(Object.entries(s).map(([k, v]) => [k, k.startsWith('cnpg_') ? before(10 * MIN, v) : v])),
    at: 20 * MIN,
    labels: {},
  },
  {
    alert: 'DiscourseDatabaseBackupTooOld',
    why: 'the newest base backup is 30h old on a daily schedule',
    series: (s) => ({ ...s, [cnpg('cnpg_collector_last_available_backup_timestamp', 'forum-db-1')]: constant(-30 * HOUR) }),
    at: 20 * MIN,
    labels: {},
  },
  {
    alert: 'DiscourseDatabaseBackupFailed',
    why: 'a backup fails at 10m, after the last successful one',
    series: (s) => ({ ...s, [cnpg('cnpg_collector_last_failed_backup_timestamp', 'forum-db-1')]: (t: number) => (t < 10 * MIN ? -72 * HOUR : 10 * MIN) }),
    at: 20 * MIN,
    labels: {},
  },
  {
    alert: 'DiscourseRedisServerDown',
    why: 'the exporter cannot reach Valkey from 10m (redis_up 0), while the plugin gauge would keep its last value',
    series: (s) => ({ ...s, [valkey('redis_up')]: (t: number) => (t < 10 * MIN ? 1 : 0) }),
    at: 20 * MIN,
    labels: {},
  },
  {
    alert: 'DiscourseRedisServerDown',
    why: 'the Valkey pod and its exporter are gone (no redis_* series at all)',
    series: (s) => Object.fromEntries(Object.entries(s).filter(([k]) => !k.startsWith('redis_'))),
    at: 20 * MIN,
    labels: {},
  },
  {
    alert: 'DiscourseRedisMemoryFull',
    why: 'Valkey holds 95% of its maxmemory from 5m',
    series: (s) => ({ ...s, [valkey('redis_memory_used_bytes')]: (t: number) => (t < 5 * MIN ? 100 * MIB : 0.95 * 512 * MIB) }),
    at: 20 * MIN,
    labels: { job: VALKEY_JOB, pod: VALKEY_POD },
  },
  {
    alert: 'DiscourseRedisPersistenceFailing',
    why: 'an append-only file write fails at 10m (a full volume)',
    series: (s) => ({ ...s, [valkey('redis_aof_last_write_status')]: (t: number) => (t < 10 * MIN ? 1 : 0) }),
    at: 20 * MIN,
    labels: { job: VALKEY_JOB, pod: VALKEY_POD },
  },
  {
    alert: 'DiscourseRedisPersistenceFailing',
    why: 'a snapshot fails at 10m',
    series: (s) => ({ ...s, [valkey('redis_rdb_last_bgsave_status')]: (t: number) => (t < 10 * MIN ? 1 : 0) }),
    at: 20 * MIN,
    labels: { job: VALKEY_JOB, pod: VALKEY_POD },
  },
  {
    alert: 'DiscourseUnavailable',
    why: 'nginx answers 9 requests in 10 with 503',
    series: (s) => ({ ...s, [nginx('200')]: counter(10), [nginx('503')]: counter(90) }),
    at: 40 * MIN,
    labels: { ingress: 'forum' },
  },
  {
    alert: 'DiscourseIngressErrors',
    why: 'nginx answers 1 request in 10 with 503',
    series: (s) => ({ ...s, [nginx('503')]: counter(10) }),
    at: 40 * MIN,
    labels: { ingress: 'forum' },
  },
];

/** Firing cases of a site without CloudNativePG. */
const FIRING_PLAIN: readonly Firing[] = [
  {
    alert: 'DiscoursePostgresUnavailable',
    why: 'a pod cannot open a PostgreSQL connection',
    series: (s) => ({ ...s, [target('discourse_postgres_primary_available', POD_A)]: constant(0) }),
    at: 10 * MIN,
    labels: { job: JOB, pod: POD_A },
  },
];

/** A healthy site whose CloudNativePG cluster nobody scrapes: no cnpg_* series at all (its PodMonitor is optional). */
function unscrapedCnpg(): Series {
  return Object.fromEntries(Object.entries(healthy()).filter(([k]) => !k.startsWith('cnpg_')));
}

/** When POD_A's serving container dies. */
const CRASH = 20 * MIN;

/**
 * POD_A served, and crash-loops from 20m to the end: each new container runs `run`
 * seconds without getting ready (30s: it dies while booting; 10m: the startup probe's
 * budget, after which the kubelet kills it), then waits out the kubelet's back-off
 * (10s, doubling, at most 5m). kube-state-metrics reports a start time only while a
 * container runs (not while it waits) and counts a restart at each start; the pod keeps
 * its IP, so it stays a target that fails its scrapes.
 */
function crashLoop(run: number): Series {
  const starts: number[] = [];
  for (let t = CRASH, backoff = 10; t < HISTORY; backoff = Math.min(2 * backoff, 5 * MIN)) {
    t += backoff;
    starts.push(t);
    t += run;
  }
  const running = (t: number): number | undefined => starts.find((start) => t >= start && t < start + run);
  const base = healthy();
  return {
    ...Object.fromEntries(Object.entries(base).map(([k, v]) => [k, k.includes(`pod="${POD_A}"`) && k.includes('job="forum"') ? before(CRASH, v) : v])),
    [target('up', POD_A)]: (t) => (t < CRASH ? 1 : 0),
    [ksm('kube_pod_container_status_ready', POD_A)]: (t) => (t < CRASH ? 1 : 0),
    [ksm('kube_pod_container_state_started', POD_A)]: (t) => (t < CRASH ? -86_400 : running(t)),
    [ksm('kube_pod_container_status_restarts_total', POD_A)]: (t) => starts.filter((start) => start <= t).length,
  };
}

/** When a Recreate rollout stops the old pod, creates the new one, starts its container, and the new pod serves. */
const RECREATE = { stop: 20 * MIN, created: 20.5 * MIN, started: 21.5 * MIN, serving: 23 * MIN } as const;
/** How many 503s a second nginx answers while no pod serves: at once, where a long poll was held, and retried. */
const DOWN_503_PER_SECOND = 500;

/**
 * One pod on a ReadWriteOnce volume (Recreate): POD_A serves until 20m, stops (20s of
 * failed scrapes) and is gone; POD_NEW is created at 20m30s, waits for migrations for a
 * minute, boots and serves from `serving` (23m: docs/day-2.md's three minutes of planned
 * downtime), or never. Meanwhile nginx answers every request with 503, faster than it
 * answered 200s.
 */
function recreateRollout(serving: number = RECREATE.serving): Series {
  const single = Object.fromEntries(Object.entries(healthy()).filter(([k]) => !k.includes(`pod="${POD_B}"`)));
  const fresh: Series = Object.fromEntries(
    Object.entries(servingPod(POD_NEW))
      .filter(([k]) => k.includes('job="forum"') && !k.startsWith('up{'))
      .map(([k, v]) => [k, after(serving, (t) => v(t - serving))]),
  );
  return {
    ...Object.fromEntries(Object.entries(single).map(([k, v]) => [k, k.includes(`pod="${POD_A}"`) ? before(RECREATE.stop + 30, v) : v])),
    [target('up', POD_A)]: before(RECREATE.stop + 30, (t) => (t < RECREATE.stop ? 1 : 0)),
    [ksm('kube_pod_container_status_ready', POD_A)]: before(RECREATE.stop + 30, (t) => (t < RECREATE.stop ? 1 : 0)),
    ...fresh,
    [target('up', POD_NEW)]: after(RECREATE.created, (t) => (t < serving ? 0 : 1)),
    [kube('kube_pod_created', POD_NEW)]: after(RECREATE.created, constant(RECREATE.created)),
    [ksm('kube_pod_init_container_status_running', POD_NEW, 'wait-for-migrations')]: after(RECREATE.created, (t) => (t < RECREATE.started ? 1 : 0)),
    [ksm('kube_pod_container_state_started', POD_NEW)]: after(RECREATE.started, constant(RECREATE.started)),
    [ksm('kube_pod_container_status_ready', POD_NEW)]: after(RECREATE.created, (t) => (t < serving ? 0 : 1)),
    [ksm('kube_pod_container_status_restarts_total', POD_NEW)]: after(RECREATE.created, constant(0)),
    [nginx('200')]: steps([0, 100], [RECREATE.stop, 0], [serving, 100]),
    [nginx('503')]: steps([0, 0.01], [RECREATE.stop, DOWN_503_PER_SECOND], [serving, 0.01]),
  };
}

/** A promtool test group asserting that `alert` fires, with `labels`, at each of `at`. */
function firingThroughout(name: string, series: Series, interval: number, rule: AlertRule, labels: Record<string, string>, at: number[]) {
  return {
    name,
    interval: duration(interval),
    input_series: inputSeries(series, interval),
    alert_rule_test: at.map((t) => ({ eval_time: duration(t), alertname: rule.alert, exp_alerts: [{ exp_labels: { ...rule.labels, ...labels } }] })),
  };
}

/** Every minute from `from` to `to` minutes. */
const minutes = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => (from + i) * MIN);

function inputSeries(series: Series, interval: number): { series: string; values: string }[] {
  const times = Array.from({ length: Math.floor(HISTORY / interval) + 1 }, (_, i) => i * interval);
  return Object.entries(series)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, f]) => ({
      series: name,
      values: times
        .map((t) => f(t))
        .map((v) => (v === undefined ? '_' : v === 'stale' ? 'stale' : String(Number(v.toFixed(6)))))
        .join(' '),
    }));
}

const duration = (seconds: number): string => `${seconds}s`;

/** A promtool test group asserting that no alert fires at any of `at`. */
function silent(name: string, series: Series, interval: number, rules: AlertRule[], at: number[]) {
  return {
    name,
    interval: duration(interval),
    input_series: inputSeries(series, interval),
    alert_rule_test: at.flatMap((t) => rules.map((r) => ({ eval_time: duration(t), alertname: r.alert, exp_alerts: [] }))),
  };
}

function firing(c: Firing, interval: number, rules: AlertRule[]) {
  const rule = rules.find((r) => r.alert === c.alert);
  if (!rule) throw new Error(`no rule ${c.alert}`);
  return {
    name: `${c.alert} fires when ${c.why}`,
    interval: duration(interval),
    input_series: inputSeries(c.series(healthy()), interval),
    alert_rule_test: [
      {
        eval_time: duration(c.at),
        alertname: c.alert,
        exp_alerts: [{ exp_labels: { ...rule.labels, ...c.labels }, ...(c.annotations ? { exp_annotations: c.annotations(rule) } : {}) }],
      },
    ],
  };
}

/** The PrometheusRule's group as a rules file; `annotations: false` leaves them out, as promtool compares annotations exactly. */
function rulesFile(rules: AlertRule[], annotations: boolean, keep: (r: AlertRule) => boolean = () => true): string {
  return stringify({
    groups: [{ name: 'discourse-forum', rules: rules.map((r) => (annotations || keep(r) ? r : { ...r, annotations: undefined })) }],
  });
}

interface Run {
  status: number | null;
  output: string;
}

function promtool(dir: string, args: string[]): Run {
  const r = spawnSync(PROMTOOL, args, { cwd: dir, encoding: 'utf8' });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/** Writes the rules and a test file with `groups`, and runs promtool test rules. */
function runScenarios(dir: string, name: string, rules: AlertRule[], groups: object[]): Run {
  const keepAnnotations = (r: AlertRule): boolean => r.alert === 'DiscourseJobFailures';
  writeFileSync(join(dir, `${name}.rules.yaml`), rulesFile(rules, false, keepAnnotations));
  writeFileSync(join(dir, `${name}.test.yaml`), stringify({ rule_files: [`${name}.rules.yaml`], evaluation_interval: '1m', tests: groups }));
  return promtool(dir, ['test', 'rules', `${name}.test.yaml`]);
}

const INTERVALS: readonly [string, number][] = [
  ['15s', 15],
  ['30s (default)', 30],
  ['4m (the largest allowed)', 240],
];
const OK: Run = { status: 0, output: '' };
const passed = (r: Run): Run => (r.status === 0 ? OK : r);

describeWithPromtool('alert rules under promtool', () => {
  let dir = '';
  beforeAll(() => {
    if (!HAVE_PROMTOOL) throw new Error(`${PROMTOOL} is not there, and CI is set: npm test builds it first (npm run cluster -- tools)`);
    dir = mkdtempSync(join(tmpdir(), 'discourse-promtool-'));
  });
  test('the rule engine is Prometheus 3.x', () => {
    expect(VERSION.stdout).toMatch(/^promtool, version 3\.\d+\.\d+/);
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test.each([
    ['a site with CloudNativePG and ingress-nginx', FULL],
    ['a site with neither', SITE],
  ])('promtool check rules accepts the rules of %s, annotations included', (_n, opts) => {
    writeFileSync(join(dir, 'check.rules.yaml'), rulesFile(discourseAlertRules(opts), true));
    expect(passed(promtool(dir, ['check', 'rules', 'check.rules.yaml']))).toEqual(OK);
  });

  describe.each(INTERVALS)('scraped every %s', (_n, interval) => {
    const full = discourseAlertRules({ ...FULL, scrapeIntervalSeconds: interval });
    const plain = discourseAlertRules({ ...SITE, scrapeIntervalSeconds: interval });

    test('no alert fires on a healthy site', () => {
      const groups = [silent('healthy', healthy(), interval, full, [30 * MIN, 60 * MIN])];
      expect(passed(runScenarios(dir, `healthy-${interval}`, full, groups))).toEqual(OK);
    });

    test('no alert fires during a rollout (a new pod waits for migrations and boots while the old ones serve)', () => {
      const minutes = [21, 24, 26, 28, 30, 32, 34, 40].map((m) => m * MIN);
      const groups = [silent('rollout', rollout(), interval, full, minutes)];
      expect(passed(runScenarios(dir, `rollout-${interval}`, full, groups))).toEqual(OK);
    });

    test('every alert fires on its condition, with the labels it routes by', () => {
      const groups = [...FIRING, ...FIRING_FULL].map((c) => firing(c, interval, full));
      expect(passed(runScenarios(dir, `firing-${interval}`, full, groups))).toEqual(OK);
    });

    test('a cluster without any base backup (the gauge is 0) is too old once its schedule has passed', () => {
      // Synthetic time starts at 0, so a schedule shorter than the history stands in for a day.
      const hourly = discourseAlertRules({ ...FULL, cnpgBackupMaxAgeSeconds: 60, scrapeIntervalSeconds: interval });
      const none: Firing = {
        alert: 'DiscourseDatabaseBackupTooOld',
        why: 'no base backup exists',
        series: (s) => ({ ...s, [cnpg('cnpg_collector_last_available_backup_timestamp', 'forum-db-1')]: constant(0) }),
        at: 80 * MIN,
        labels: {},
      };
      const fresh = { ...healthy(), [cnpg('cnpg_collector_last_available_backup_timestamp', 'forum-db-1')]: (t: number) => t - 5 * MIN };
      const groups = [firing(none, interval, hourly), silent('a backup every few minutes', fresh, interval, hourly, [80 * MIN])];
      expect(passed(runScenarios(dir, `no-backup-${interval}`, hourly, groups))).toEqual(OK);
    });

    test('Valkey restarting (a minute without its pod, then half a minute before Valkey answers) and filling to 85% page nobody', () => {
      const restart: Series = {
        ...healthy(),
        // The pod is replaced at 30m: no sample for a minute; then the new exporter answers
        // half a minute before Valkey listens (redis_up 0), as in a slow start.
        [valkey('redis_up')]: (t) => (t < 30 * MIN ? 1 : t < 31 * MIN ? undefined : t < 31.5 * MIN ? 0 : 1),
        [valkey('redis_memory_used_bytes')]: (t) => (t >= 30 * MIN && t < 31 * MIN ? undefined : 0.85 * 512 * MIB),
      };
      const groups = [silent('valkey restart', restart, interval, full, [31 * MIN, 32 * MIN, 34 * MIN, 40 * MIN, 60 * MIN])];
      expect(passed(runScenarios(dir, `valkey-restart-${interval}`, full, groups))).toEqual(OK);
    });

    test('without CloudNativePG, the plugin check fires for a pod that cannot connect', () => {
      const groups = FIRING_PLAIN.map((c) => firing(c, interval, plain));
      expect(passed(runScenarios(dir, `plain-${interval}`, plain, groups))).toEqual(OK);
    });

    describe('CloudNativePG: no data is no outage, data gone is', () => {
      const postgres = full.find((r) => r.alert === 'DiscoursePostgresUnavailable')!;

      test('a healthy site whose cluster nobody scrapes pages nobody', () => {
        const groups = [silent('cnpg not scraped', unscrapedCnpg(), interval, full, [15 * MIN, 30 * MIN, 60 * MIN, 85 * MIN])];
        expect(passed(runScenarios(dir, `cnpg-unscraped-${interval}`, full, groups))).toEqual(OK);
      });

      test('a scraped cluster whose series are gone from 10m pages, and keeps paging', () => {
        const gone = Object.fromEntries(Object.entries(healthy()).map(([k, v]) => [k, k.startsWith('cnpg_') ? before(10 * MIN, v) : v]));
        const groups = [firingThroughout('cnpg gone', gone, interval, postgres, {}, [...minutes(15, 20), 50 * MIN, 85 * MIN])];
        expect(passed(runScenarios(dir, `cnpg-gone-${interval}`, full, groups))).toEqual(OK);
      });

      test('a scraped, healthy cluster pages nobody', () => {
        const groups = [silent('cnpg healthy', healthy(), interval, [postgres], [15 * MIN, 50 * MIN, 85 * MIN])];
        expect(passed(runScenarios(dir, `cnpg-healthy-${interval}`, full, groups))).toEqual(OK);
      });
    });

    test.each([
      ['dies 30s into each boot', 30],
      ['is killed by the startup probe after its 10m budget', 10 * MIN],
    ])('a pod that served and then crash-loops for 70 minutes (each container %s) keeps DiscourseTargetMissing firing', (_n, run) => {
      const rule = full.find((r) => r.alert === 'DiscourseTargetMissing')!;
      const groups = [firingThroughout('crash loop', crashLoop(run), interval, rule, { job: JOB, pod: POD_A }, minutes(27, 88))];
      expect(passed(runScenarios(dir, `crash-loop-${run}-${interval}`, full, groups))).toEqual(OK);
    });

    describe('one pod with the Recreate strategy', () => {
      const recreate = discourseAlertRules({ ...FULL, rolloutDowntimeSeconds: 180, scrapeIntervalSeconds: interval });
      const unavailable = recreate.find((r) => r.alert === 'DiscourseUnavailable')!;

      test("a planned rollout with docs/day-2.md's three minutes of downtime pages nobody", () => {
        const groups = [silent('recreate rollout', recreateRollout(), interval, recreate, minutes(20, 70))];
        expect(passed(runScenarios(dir, `recreate-${interval}`, recreate, groups))).toEqual(OK);
      });

      test('a rollout whose new pod never serves pages DiscourseUnavailable', () => {
        const groups = [firingThroughout('recreate stuck', recreateRollout(Infinity), interval, unavailable, { ingress: 'forum' }, [60 * MIN, 85 * MIN])];
        expect(passed(runScenarios(dir, `recreate-stuck-${interval}`, recreate, groups))).toEqual(OK);
      });

      test('an outage without a rollout pages DiscourseUnavailable as soon as without Recreate', () => {
        const single = Object.fromEntries(Object.entries(healthy()).filter(([k]) => !k.includes(`pod="${POD_B}"`)));
        const outage: Series = {
          ...single,
          [nginx('200')]: steps([0, 100], [RECREATE.stop, 0]),
          [nginx('503')]: steps([0, 0.01], [RECREATE.stop, DOWN_503_PER_SECOND]),
        };
        const groups = [firingThroughout('outage', outage, interval, unavailable, { ingress: 'forum' }, [40 * MIN, 60 * MIN])];
        expect(passed(runScenarios(dir, `recreate-outage-${interval}`, recreate, groups))).toEqual(OK);
      });
    });
  });

  test('every alert of the full rule set has a firing case', () => {
    const covered = new Set([...FIRING, ...FIRING_FULL].map((c) => c.alert));
    expect(
      discourseAlertRules(FULL)
        .filter((r) => !covered.has(r.alert))
        .map((r) => r.alert),
    ).toEqual([]);
  });

  test('annotations template only labels the firing alert carries', () => {
    const all = discourseAlertRules(FULL);
    const unknown = [...FIRING, ...FIRING_FULL].flatMap((c) => {
      const rule = all.find((r) => r.alert === c.alert);
      const text = `${rule?.annotations.summary} ${rule?.annotations.description}`;
      const carried = { ...rule?.labels, ...c.labels };
      return [...text.matchAll(/\$labels\.([a-z_]+)/g)]
        .map((m) => m[1])
        .filter((l) => !(l in carried))
        .map((l) => `${c.alert} (${c.why}): ${l}`);
    });
    expect(unknown).toEqual([]);
  });

  describe('with Sidekiq in pods of its own (separate mode)', () => {
    const SIDEKIQ_POD = 'forum-sidekiq-5b6c7d8e9-sssss';
    const NEW_SIDEKIQ = 'forum-sidekiq-6c7d8e9f0-ttttt';
    const separate = discourseAlertRules({ ...FULL, sidekiqMode: 'separate' });
    /** A serving Sidekiq pod: its collector is scraped under the site's job; its container is `sidekiq`. */
    const sidekiqPod = (pod: string): Series => ({
      [target('up', pod)]: constant(1),
      [ksm('kube_pod_container_status_ready', pod, 'sidekiq')]: constant(1),
      [ksm('kube_pod_container_state_started', pod, 'sidekiq')]: constant(-86_400),
      [ksm('kube_pod_init_container_status_running', pod, 'wait-for-migrations')]: constant(0),
      [ksm('kube_pod_container_status_restarts_total', pod, 'sidekiq')]: constant(0),
    });
    const withSidekiq = (): Series => ({ ...healthy(), ...sidekiqPod(SIDEKIQ_POD) });

    test('a new Sidekiq pod waiting for migrations and booting pages nobody', () => {
      const appear = 20 * MIN;
      const started = 22 * MIN;
      const ready = 32 * MIN;
      const series: Series = {
        ...withSidekiq(),
        [target('up', NEW_SIDEKIQ)]: after(appear, (t) => (t < ready ? 0 : 1)),
        [ksm('kube_pod_init_container_status_running', NEW_SIDEKIQ, 'wait-for-migrations')]: after(appear, (t) => (t < started ? 1 : 0)),
        [ksm('kube_pod_container_state_started', NEW_SIDEKIQ, 'sidekiq')]: after(started, constant(started)),
        [ksm('kube_pod_container_status_ready', NEW_SIDEKIQ, 'sidekiq')]: after(appear, (t) => (t < ready ? 0 : 1)),
      };
      const minutes = [24, 26, 28, 30, 32, 34, 40].map((m) => m * MIN);
      expect(passed(runScenarios(dir, 'sidekiq-rollout', separate, [silent('sidekiq rollout', series, 30, separate, minutes)]))).toEqual(OK);
      // The web pods' rules alone would page here: the Sidekiq pods' names and container are not theirs.
      const web = discourseAlertRules(FULL);
      expect(passed(runScenarios(dir, 'sidekiq-rollout-web-rules', web, [silent('sidekiq rollout', series, 30, web, minutes)]))).not.toEqual(OK);
    });

    test('a started Sidekiq pod that stops answering fires DiscourseTargetMissing', () => {
      const rule = separate.find((r) => r.alert === 'DiscourseTargetMissing')!;
      const series: Series = {
        ...withSidekiq(),
        [target('up', SIDEKIQ_POD)]: (t) => (t < 30 * MIN ? 1 : 0),
        [ksm('kube_pod_container_status_ready', SIDEKIQ_POD, 'sidekiq')]: (t) => (t < 31 * MIN ? 1 : 0),
      };
      const group = {
        name: 'sidekiq pod down',
        interval: duration(30),
        input_series: inputSeries(series, 30),
        alert_rule_test: [
          { eval_time: duration(42 * MIN), alertname: rule.alert, exp_alerts: [{ exp_labels: { ...rule.labels, job: JOB, pod: SIDEKIQ_POD } }] },
        ],
      };
      expect(passed(runScenarios(dir, 'sidekiq-down', separate, [group]))).toEqual(OK);
    });
  });

  describe('the scenarios catch the faults they are for', () => {
    test("a bare `up == 0` (the charm's rule) fires during the rollout", () => {
      const naive = discourseAlertRules(FULL).map((r) =>
        r.alert === 'DiscourseTargetMissing' ? { ...r, expr: 'up{job="forum",namespace="community"} == 0' } : r,
      );
      const run = runScenarios(dir, 'naive-rollout', naive, [silent('rollout', rollout(), 30, naive, [26 * MIN, 30 * MIN])]);
      expect(run.status).not.toBe(0);
      expect(run.output).toMatch(/DiscourseTargetMissing/);
    });

    test('counting no cnpg_* series as an outage (without "were there within a day") pages a healthy site nobody scrapes', () => {
      const strict = discourseAlertRules(FULL).map((r) => ({ ...r, expr: r.expr.replace(/ and on \(\) count\(present_over_time\(.*\)\)$/, '') }));
      expect(strict.find((r) => r.alert === 'DiscoursePostgresUnavailable')?.expr).toMatch(/vector\(0\)\) < 1$/);
      const run = runScenarios(dir, 'naive-cnpg', strict, [silent('cnpg not scraped', unscrapedCnpg(), 30, strict, [30 * MIN])]);
      expect(run.output).toMatch(/DiscoursePostgresUnavailable/);
    });

    test('counting a restarted container as starting silences a crash loop', () => {
      const lenient = discourseAlertRules(FULL).map((r) => ({
        ...r,
        expr: r.expr.replace(/ unless on \(namespace, pod\) sum by \(namespace, pod\) \(increase\(.*\) > 0\)\)$/, '))'),
      }));
      const rule = lenient.find((r) => r.alert === 'DiscourseTargetMissing')!;
      expect(rule.expr).not.toContain('restarts_total');
      const run = runScenarios(dir, 'naive-crash-loop', lenient, [
        firingThroughout('crash loop', crashLoop(10 * MIN), 30, rule, { job: JOB, pod: POD_A }, minutes(27, 88)),
      ]);
      expect(run.status).not.toBe(0);
    });

    test('without the rollout condition, a planned Recreate rollout pages DiscourseUnavailable', () => {
      const always = discourseAlertRules({ ...FULL, rolloutDowntimeSeconds: 180 }).map((r) => ({
        ...r,
        expr: r.expr.replace(/ unless on \(\) time\(\) - .*$/, ''),
      }));
      expect(always.filter((r) => r.expr.includes('kube_pod_created'))).toEqual([]);
      const run = runScenarios(dir, 'naive-recreate', always, [silent('recreate rollout', recreateRollout(), 30, always, minutes(20, 70))]);
      expect(run.output).toMatch(/DiscourseUnavailable/);
    });

    test('fixed [5m] windows at a 4m interval leave the rate alerts silent', () => {
      const fixed = discourseAlertRules({ ...FULL, scrapeIntervalSeconds: 240 }).map((r) => ({ ...r, expr: r.expr.replace(/\[16m\]/g, '[5m]') }));
      const rateCases = FIRING.filter((c) => ['DiscourseHighErrorRate', 'DiscourseJobFailures'].includes(c.alert));
      const run = runScenarios(
        dir,
        'fixed-windows',
        fixed,
        rateCases.map((c) => firing(c, 240, fixed)),
      );
      expect(run.status).not.toBe(0);
      expect(run.output).toMatch(/DiscourseHighErrorRate/);
    });
  });
});

/**
 * Envoy Gateway: the route's requests as Envoy's cluster stats count them on the
 * Gateway's proxies (two Envoy pods in envoy-gateway-system, scraped on their
 * /stats/prometheus), by the labels Envoy Gateway gives them: envoy_cluster_name
 * `httproute/<namespace>/<route>/rule/0` and envoy_response_code_class "1" to "5".
 */
describeWithPromtool('alert rules under promtool: a site on Envoy Gateway', () => {
  const ENVOY: AlertOptions = { ...SITE, gatewayRoute: { name: 'forum' } };
  const ENVOY_PODS = ['envoy-envoy-gateway-system-eg-5391c79d-7c9f8b6d4-aaaaa', 'envoy-envoy-gateway-system-eg-5391c79d-7c9f8b6d4-bbbbb'];
  const envoy = (pod: string, codeClass: string): string =>
    `envoy_cluster_upstream_rq_xx${labels({
      envoy_cluster_name: `httproute/${NS}/forum/rule/0`,
      envoy_response_code_class: codeClass,
      namespace: 'envoy-gateway-system',
      pod,
      job: 'envoy-gateway-system/envoy-proxy',
    })}`;
  /** Both proxies count `ok` 2xx and `errors` 5xx per second each, as `steps` of [from, rate]. */
  const traffic = (ok: [number, number][], errors: [number, number][]): Series =>
    Object.fromEntries(ENVOY_PODS.flatMap((pod) => [[envoy(pod, '2'), steps(...ok)] as const, [envoy(pod, '5'), steps(...errors)] as const]));
  /** Another route's cluster on the same proxies, failing: it must not page this site. */
  const otherSite: Series = {
    [`envoy_cluster_upstream_rq_xx${labels({ envoy_cluster_name: 'httproute/other/shop/rule/0', envoy_response_code_class: '5', namespace: 'envoy-gateway-system', pod: ENVOY_PODS[0] })}`]:
      counter(500),
  };
  let dir = '';
  beforeAll(() => {
    if (!HAVE_PROMTOOL) throw new Error(`${PROMTOOL} is not there, and CI is set: npm test builds it first (npm run cluster -- tools)`);
    dir = mkdtempSync(join(tmpdir(), 'discourse-promtool-envoy-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('promtool check rules accepts them, annotations included', () => {
    writeFileSync(join(dir, 'check.rules.yaml'), rulesFile(discourseAlertRules(ENVOY), true));
    expect(passed(promtool(dir, ['check', 'rules', 'check.rules.yaml']))).toEqual(OK);
  });

  describe.each(INTERVALS)('scraped every %s', (_n, interval) => {
    const rules = discourseAlertRules({ ...ENVOY, scrapeIntervalSeconds: interval });
    const unavailable = rules.find((r) => r.alert === 'DiscourseUnavailable')!;
    const errors = rules.find((r) => r.alert === 'DiscourseGatewayErrors')!;
    const gatewayRules = [unavailable, errors];

    test('a healthy site (and another site failing on the same Gateway) pages nobody', () => {
      const series = { ...healthy(), ...traffic([[0, 50]], [[0, 0.01]]), ...otherSite };
      const groups = [silent('envoy healthy', series, interval, rules, [30 * MIN, 60 * MIN, 85 * MIN])];
      expect(passed(runScenarios(dir, `envoy-healthy-${interval}`, rules, groups))).toEqual(OK);
    });

    test('a quiet night (no request at all for an hour) pages nobody', () => {
      const series = {
        ...healthy(),
        ...traffic(
          [
            [0, 5],
            [20 * MIN, 0],
          ],
          [[0, 0]],
        ),
      };
      const groups = [silent('envoy quiet night', series, interval, gatewayRules, minutes(25, 88))];
      expect(passed(runScenarios(dir, `envoy-quiet-${interval}`, rules, groups))).toEqual(OK);
    });

    test("an outage (no pod ready: Envoy's own 503 for every request from 20m) pages DiscourseUnavailable and DiscourseGatewayErrors", () => {
      const series = {
        ...healthy(),
        ...traffic(
          [
            [0, 50],
            [20 * MIN, 0],
          ],
          [
            [0, 0.01],
            [20 * MIN, 50],
          ],
        ),
      };
      const groups = [
        firingThroughout('envoy outage', series, interval, unavailable, {}, [40 * MIN, 60 * MIN, 85 * MIN]),
        firingThroughout('envoy outage', series, interval, errors, {}, [40 * MIN, 60 * MIN, 85 * MIN]),
        silent('envoy outage, before', series, interval, gatewayRules, [15 * MIN, 20 * MIN]),
      ];
      expect(passed(runScenarios(dir, `envoy-outage-${interval}`, rules, groups))).toEqual(OK);
    });

    test('one request in ten failing from 20m pages DiscourseGatewayErrors, not DiscourseUnavailable', () => {
      const series = {
        ...healthy(),
        ...traffic(
          [[0, 45]],
          [
            [0, 0.01],
            [20 * MIN, 5],
          ],
        ),
      };
      const groups = [
        firingThroughout('envoy errors', series, interval, errors, {}, [45 * MIN, 85 * MIN]),
        silent('envoy errors', series, interval, [unavailable], [45 * MIN, 85 * MIN]),
      ];
      expect(passed(runScenarios(dir, `envoy-errors-${interval}`, rules, groups))).toEqual(OK);
    });
  });
});
