import { isDnsLabel, isDnsSubdomain } from './config';

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
  labels: { severity: 'critical' | 'warning' };
  /** Go templates (`{{ $labels.pod }}`) are expanded by Prometheus. `runbook` is left unset: the description carries the steps. */
  annotations: { summary: string; description: string; runbook?: string };
}

/** Identifies the site the rules are for. */
export interface AlertOptions {
  /** Prometheus `job` label of the Discourse pods' target (the Service name for a ServiceMonitor). */
  readonly job: string;
  /** Kubernetes namespace of the site. */
  readonly namespace: string;
  /** Name of the site's Deployment (its pods are `<instance>-<hash>-<suffix>`). */
  readonly instance: string;
}

/** The container Discourse runs in (see lib/workload.ts); kube-state-metrics and cAdvisor series are filtered on it. */
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
export function sitePodRegex(instance: string): string {
  return `${escapeRegex(instance)}-[a-z0-9]+-[a-z0-9]+`;
}

function validateOptions(opts: AlertOptions): void {
  const problems: string[] = [];
  if (opts.job === '') problems.push('job must not be empty');
  if (!isDnsLabel(opts.namespace)) problems.push(`namespace ${q(opts.namespace)} is not a DNS label`);
  if (!isDnsSubdomain(opts.instance)) problems.push(`instance ${q(opts.instance)} is not a Deployment name`);
  if (problems.length > 0) throw new Error(`invalid alert options: ${problems.join('; ')}`);
}

/**
 * The alert rules for one site. Every selector carries
 * `job="<job>",namespace="<namespace>"` (or, for kube-state-metrics,
 * `namespace`, `pod` and `container`), and aggregations keep `job` and
 * `namespace` so Alertmanager can route and silence per site.
 */
export function discourseAlertRules(opts: AlertOptions): AlertRule[] {
  validateOptions(opts);
  const { job, namespace, instance } = opts;
  const site = `job=${q(job)},namespace=${q(namespace)}`;
  const sel = (metric: string, extra?: string): string => `${metric}{${site}${extra ? `,${extra}` : ''}}`;
  const by = 'job, namespace';
  const kubectl = `kubectl -n ${namespace}`;
  const pebble = `${kubectl} exec deploy/${instance} -c ${CONTAINER} -- /bin/pebble`;
  const logs = `${kubectl} logs deploy/${instance} -c ${CONTAINER}`;
  const where = `(job ${job}, namespace ${namespace})`;

  return [
    {
      alert: 'DiscourseTargetMissing',
      expr: `${sel('up')} == 0`,
      for: '5m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Discourse metrics target {{ $labels.instance }} is down',
        description:
          `Prometheus has failed to scrape pod {{ $labels.pod }} ${where} for 5 minutes: Unicorn (which starts the metrics collector) is down or not answering. ` +
          'The charm alerts at once (for: 0m); 5m lets a pod boot (a minute or two, longer while it waits for the migration Job) and Pebble restart Unicorn in place without paging. ' +
          `Check: ${kubectl} get pods -l app.kubernetes.io/instance=${instance}; \`${pebble} checks\` and \`${pebble} changes\` ` +
          `(/charm/bin/pebble when an init container injects Pebble); \`${logs}\`.`,
      },
    },
    {
      alert: 'DiscourseTargetAbsent',
      expr: `absent(${sel('up')})`,
      for: '10m',
      labels: { severity: 'critical' },
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
        `(sum by (${by}) (rate(${sel('discourse_http_requests', 'status=~"5.."')}[5m]))` +
        ` / sum by (${by}) (rate(${sel('discourse_http_requests', 'status!="-1"')}[5m]))) > 0.05`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Discourse {{ $labels.namespace }}/{{ $labels.job }} answers {{ $value | humanizePercentage }} of requests with 5xx',
        description:
          'More than 5% of HTTP requests have got a 5xx answer for 10 minutes. Hijacked message-bus requests (status "-1", outcome unknown) are not counted. ' +
          `Check: the admin Logs page (/logs) or \`${logs}\`; whether PostgreSQL and Redis are reachable; what changed last (image, config).`,
      },
    },
    {
      alert: 'DiscourseSlowRequests',
      expr: `histogram_quantile(0.99, sum by (${by}, le) (rate(${sel('discourse_http_requests_duration_seconds_bucket')}[5m]))) > 2`,
      for: '15m',
      labels: { severity: 'warning' },
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
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Discourse Sidekiq queue {{ $labels.queue }} is {{ $value | humanizeDuration }} behind',
        description:
          'The oldest job in Sidekiq queue {{ $labels.queue }} has waited more than 5 minutes, for 10 minutes: emails, notifications and post processing run late. ' +
          'Sidekiq runs inside each pod (UNICORN_SIDEKIQS=1). Check that it is alive (DiscourseSidekiqNoProcesses), stuck jobs, ' +
          'and whether one job class floods the queue: /sidekiq as an admin.',
      },
    },
    {
      alert: 'DiscourseSidekiqJobsStuck',
      expr: `sum by (${by}, job_name) (${sel('discourse_sidekiq_jobs_stuck')}) > 0`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: '{{ $value }} Discourse Sidekiq job(s) {{ $labels.job_name }} stuck for over 2 hours',
        description:
          'Jobs of class {{ $labels.job_name }} have been running for more than 120 minutes; each holds one of the few Sidekiq threads. ' +
          `Check /sidekiq/busy as an admin and the logs for that job. Restarting Unicorn (\`${pebble} restart discourse\`) stops them, but Sidekiq puts them back on the queue, so a job that always hangs will hang again.`,
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
      labels: { severity: 'critical' },
      annotations: {
        summary: `No Sidekiq process runs for Discourse ${namespace}/${job}`,
        description:
          'No pod of the site has had a Sidekiq process registered in Redis for 10 minutes: background jobs, scheduled jobs and all email (sign-up, password reset) have stopped. ' +
          'Sidekiq is a child of the Unicorn master (UNICORN_SIDEKIQS=1), which restarts it, so staying at 0 means it keeps dying or cannot reach Redis. ' +
          `Check \`${logs}\` for Sidekiq errors, \`${pebble} services\`, and Redis.`,
      },
    },
    {
      alert: 'DiscourseJobFailures',
      expr: `sum by (${by}) (rate(${sel('discourse_job_failures')}[5m])) > 0.1`,
      for: '15m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Discourse background jobs fail at {{ $value | humanize }}/s',
        description:
          'Background jobs have failed at more than 0.1 per second (6 a minute) for 15 minutes; the exported_job label of discourse_job_failures names the job class. ' +
          'Check the admin Logs page (/logs) and /sidekiq/retries, e.g. for an unreachable SMTP server.',
      },
    },
    {
      alert: 'DiscoursePostgresUnavailable',
      expr: `${sel('discourse_postgres_primary_available')} == 0`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Discourse pod {{ $labels.pod }} cannot reach PostgreSQL',
        description:
          `Pod {{ $labels.pod }} ${where} has failed to connect to the primary PostgreSQL for 2 minutes (the plugin tests a fresh connection every 5 s); requests fail or the site is read-only. ` +
          'Check the database server, the DISCOURSE_DB_* settings and credentials, and network reachability from the pod. ' +
          "Without a replica, a full outage can also abort the plugin's global report before it is sent, leaving this gauge at its last value; DiscourseHighErrorRate then fires instead.",
      },
    },
    {
      alert: 'DiscourseRedisUnavailable',
      expr: `${sel('discourse_redis_primary_available')} == 0`,
      for: '2m',
      labels: { severity: 'critical' },
      annotations: {
        summary: 'Discourse pod {{ $labels.pod }} cannot reach Redis ({{ $labels.type }})',
        description:
          `Pod {{ $labels.pod }} ${where} has failed to PING the primary Redis ({{ $labels.type }}: main or message-bus) for 2 minutes; sessions, caching, message bus and Sidekiq depend on it. ` +
          'Check the Redis server, the DISCOURSE_REDIS_* settings and network reachability from the pod. ' +
          "When the main Redis is completely down the plugin's global report fails before it is sent (its Sidekiq statistics need Redis) and this gauge keeps its last value; DiscourseHighErrorRate then fires instead.",
      },
    },
    {
      alert: 'DiscoursePodRestarting',
      expr: `increase(kube_pod_container_status_restarts_total{namespace=${q(namespace)},pod=~${q(sitePodRegex(instance))},container=${q(CONTAINER)}}[1h]) > 3`,
      for: '0m',
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Discourse pod {{ $labels.pod }} restarted {{ $value | humanize }} times in an hour',
        description:
          'The discourse container has restarted more than 3 times in the last hour. Pebble restarts Unicorn inside the container, so these are container restarts: ' +
          "Pebble exited, the kubelet's liveness probe on Pebble failed, or the container was OOM-killed. " +
          `Check: ${kubectl} describe pod {{ $labels.pod }} (Last State, e.g. OOMKilled); ${kubectl} logs {{ $labels.pod }} -c ${CONTAINER} --previous.`,
      },
    },
  ];
}
