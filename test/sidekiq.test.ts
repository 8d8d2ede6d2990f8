import { Duration, Size } from 'cdk8s';
import { parse } from 'yaml';
import { LAYER_FILE, WEB_ONLY_COMMAND } from '../lib/pebble/discourse-layer';
import { resolveDiscourse } from '../lib/model/resolve-discourse';
import { HEARTBEAT_SCRIPT, SIDEKIQ_BOOT_FILE, SIDEKIQ_COMMAND, memoryScript, sidekiqLayer } from '../lib/workload/sidekiq';
import { renderLayer, validateLayer, validateLayerYaml } from '../lib/pebble/pebble';
import { DiscourseMonitoring } from '../lib/observability/monitoring';
import { Testing } from 'cdk8s';
import { Discourse } from '../lib/discourse';
import { Json, MINIMAL, S3, find, synth } from './fixtures';
import { restrictedViolations } from './pod-security';
import { expectValidManifests } from './schema';
import { checkQuery } from './promql';

const SEPARATE = { ...S3, sidekiq: { mode: 'separate' as const } };

describe('sidekiq layer (pure)', () => {
  test('runs Sidekiq with the queues and options of an embedded one, from the boot file', () => {
    expect(SIDEKIQ_COMMAND).toContain('bin/bundle exec sidekiq -r /srv/sidekiq/boot.rb');
    expect(SIDEKIQ_COMMAND).toContain('-c "${DISCOURSE_SIDEKIQ_WORKERS:-5}" -t 5 -q critical,8 -q default,4 -q low,2 -q ultra_low,1');
  });

  test('the heartbeat check reads this pod’s process hash in both key layouts', () => {
    expect(HEARTBEAT_SCRIPT).toContain('for ns in sidekiq: ""');
    expect(HEARTBEAT_SCRIPT).toContain('grep "^$HOSTNAME:"');
  });

  test('the memory check compares kB with the cap', () => {
    expect(memoryScript(1000)).toContain('-gt 1024000');
  });

  test('Pebble restarts Sidekiq on either check; only the heartbeat counts for readiness', () => {
    // GIVEN
    const layer = sidekiqLayer({
      environment: { DISCOURSE_REDIS_HOST: 'r', DISCOURSE_REDIS_PORT: '6379', X: 'y' },
      killDelaySeconds: 20,
      bootSeconds: 600,
      maxMemoryMebibytes: 1000,
    });
    // THEN
    expect(layer.services?.sidekiq.onCheckFailure).toEqual({ 'sidekiq-up': 'restart', 'sidekiq-memory': 'restart' });
    expect(layer.checks?.['sidekiq-up'].level).toBe('ready');
    expect(layer.checks?.['sidekiq-memory'].level).toBeUndefined();
    expect(layer.checks?.['sidekiq-up'].exec?.environment).toEqual({ DISCOURSE_REDIS_HOST: 'r', DISCOURSE_REDIS_PORT: '6379' });
    expect(layer.services?.sidekiq.environment?.DISCOURSE_PROMETHEUS_COLLECTOR_PORT).toBe('9394');
  });
});

describe('sidekiq.mode', () => {
  test('embedded (default) renders no Sidekiq objects and the rock’s launcher', () => {
    // WHEN
    const { manifests, discourse } = synth();
    // THEN
    expect(manifests.filter((m) => m.metadata.name.startsWith('forum-sidekiq')).map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([]);
    expect(discourse.layer.services?.discourse.command).toBe('/srv/scripts/app_launch.sh');
  });

  test('separate: web pods run UNICORN_SIDEKIQS=0, a forum-sidekiq Deployment runs Sidekiq under Pebble', () => {
    // WHEN
    const { manifests, discourse } = synth(SEPARATE);
    // THEN
    expect(discourse.layer.services?.discourse.command).toBe(WEB_ONLY_COMMAND);
    expect(WEB_ONLY_COMMAND).toContain('UNICORN_SIDEKIQS=0');
    const deployment = find(manifests, 'Deployment', 'forum-sidekiq');
    const pod = deployment.spec.template.spec;
    expect(deployment.spec.selector.matchLabels['app.kubernetes.io/component']).toBe('sidekiq');
    expect(pod.containers.map((c: Json) => c.name)).toEqual(['sidekiq']);
    expect(pod.initContainers.map((c: Json) => c.name)).toEqual(['wait-for-migrations']);
    expect(pod.containers[0].readinessProbe.httpGet.path).toBe('/v1/health?level=ready');
    expect(pod.containers[0].ports.map((p: Json) => p.name)).toEqual(['metrics', 'pebble']);
    const layer = parse(find(manifests, 'ConfigMap', 'forum-sidekiq-pebble').data[LAYER_FILE]);
    expect(Object.keys(layer.services).sort()).toEqual(['prometheus-collector', 'sidekiq', 'sidekiq-log-trim', 'sidekiq-logs']);
    expect(find(manifests, 'ConfigMap', 'forum-sidekiq-pebble').data[SIDEKIQ_BOOT_FILE]).toContain('DiscourseEvent.trigger(:sidekiq_fork_started)');
    // The web Service and PDB never select Sidekiq pods.
    expect(find(manifests, 'Service', 'forum').spec.selector['app.kubernetes.io/component']).toBe('web');
    expect(find(manifests, 'Service', 'forum-sidekiq-metrics').spec.clusterIP).toBe('None');
    expectValidManifests(manifests);
    expect(restrictedViolations('Deployment/forum-sidekiq', pod)).toEqual([]);
  });

  test('separate with several pods: its own PodDisruptionBudget and autoscaler', () => {
    // WHEN
    const { manifests } = synth({ ...S3, sidekiq: { mode: 'separate', autoscaling: { maxReplicas: 4 } } });
    // THEN
    expect(find(manifests, 'Deployment', 'forum-sidekiq').spec.replicas).toBeUndefined();
    expect(find(manifests, 'HorizontalPodAutoscaler', 'forum-sidekiq').spec.maxReplicas).toBe(4);
    expect(find(manifests, 'PodDisruptionBudget', 'forum-sidekiq').spec.selector.matchLabels['app.kubernetes.io/component']).toBe('sidekiq');
    expectValidManifests(manifests);
  });

  test('restrict_egress applies to the Sidekiq pods too; Prometheus may reach their collector', () => {
    // WHEN
    const { manifests } = synth({ ...SEPARATE, networkPolicy: { restrictEgress: true } });
    // THEN
    const web = find(manifests, 'NetworkPolicy', 'forum');
    const sidekiq = find(manifests, 'NetworkPolicy', 'forum-sidekiq');
    expect(sidekiq.spec.egress).toEqual(web.spec.egress);
    expect(sidekiq.spec.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ protocol: 'TCP', port: 'metrics' }] },
    ]);
  });

  test.each(['exporter', 'plugin'] as const)('metrics %s: one job for web and Sidekiq, the collector port scraped', (metrics) => {
    // GIVEN
    const chart = Testing.chart();
    const discourse = new Discourse(chart, 'forum', { ...MINIMAL, ...SEPARATE, metrics });
    // WHEN
    new DiscourseMonitoring(chart, 'monitoring', discourse);
    const manifests = Testing.synth(chart);
    // THEN
    const monitor = find(manifests, 'ServiceMonitor', 'forum');
    expect(monitor.spec.jobLabel).toBe('app.kubernetes.io/instance');
    expect(monitor.spec.endpoints.map((e: Json) => e.port)).toEqual(metrics === 'exporter' ? ['metrics'] : ['http', 'metrics']);
    const rules = find(manifests, 'PrometheusRule', 'forum').spec.groups[0].rules;
    expect(rules.find((r: Json) => r.alert === 'DiscourseSidekiqNoProcesses').annotations.description).toContain('forum-sidekiq');
  });

  test.each([
    ['an RWO uploads volume', { sidekiq: { mode: 'separate' as const } }, 'sidekiq.mode'],
    ['a cap at the memory limit', { ...SEPARATE, sidekiq: { mode: 'separate' as const, maxMemory: Size.gibibytes(2) } }, 'sidekiq.maxMemory'],
    ['replicas in embedded mode', { sidekiq: { replicas: 2 } }, 'sidekiq.replicas'],
    ['replicas with autoscaling', { ...S3, sidekiq: { mode: 'separate' as const, replicas: 2, autoscaling: { maxReplicas: 3 } } }, 'sidekiq.replicas'],
    [
      'a maximum below the minimum',
      { ...S3, sidekiq: { mode: 'separate' as const, autoscaling: { minReplicas: 4, maxReplicas: 3 } } },
      'sidekiq.autoscaling.maxReplicas',
    ],
    [
      'no autoscaler minimum',
      { ...S3, sidekiq: { mode: 'separate' as const, autoscaling: { minReplicas: 0, maxReplicas: 3 } } },
      'sidekiq.autoscaling.minReplicas',
    ],
    [
      'a CPU target above 100 %',
      { ...S3, sidekiq: { mode: 'separate' as const, autoscaling: { maxReplicas: 3, cpuUtilization: 150 } } },
      'sidekiq.autoscaling.cpuUtilization',
    ],
  ])('fails with %s', (_name, props, path) => {
    // WHEN
    const { problems } = resolveDiscourse({ ...MINIMAL, ...props }, 'forum');
    // THEN
    expect(problems.map((p) => p.path)).toEqual([path]);
  });
});

describe('Sidekiq scaled by KEDA on queue latency', () => {
  const props = {
    ...S3,
    sidekiq: { mode: 'separate' as const, autoscaling: { minReplicas: 1, maxReplicas: 6 }, queueLatencyScaling: { thresholdSeconds: 20 } },
  };

  test('a ScaledObject replaces the HPA, with a Prometheus trigger on the queue latency and a CPU trigger', () => {
    const { manifests } = synth(props);
    expectValidManifests(manifests);
    const so = find(manifests, 'ScaledObject', 'forum-sidekiq');
    expect(so.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'forum-sidekiq' });
    expect([so.spec.minReplicaCount, so.spec.maxReplicaCount]).toEqual([1, 6]);
    expect(so.spec.triggers).toEqual([
      {
        type: 'prometheus',
        name: 'queue-latency',
        metadata: {
          serverAddress: 'http://prometheus-operated.monitoring.svc:9090',
          query: 'max(discourse_sidekiq_queue_latency_seconds{namespace="default",job="forum"})',
          threshold: '20',
        },
      },
      { type: 'cpu', name: 'cpu', metricType: 'Utilization', metadata: { value: '70' } },
    ]);
    // KEDA owns the HPA: ours would fight it.
    expect(manifests.filter((m) => m.kind === 'HorizontalPodAutoscaler' && m.metadata.name === 'forum-sidekiq')).toEqual([]);
    expect(find(manifests, 'Deployment', 'forum-sidekiq').spec.replicas).toBeUndefined();
  });

  test('the query names a metric of the catalogue, scoped to the site', () => {
    const { manifests } = synth(props);
    const query: string = find(manifests, 'ScaledObject', 'forum-sidekiq').spec.triggers[0].metadata.query;
    expect(checkQuery(query, { job: 'forum', namespace: 'default', instance: 'forum' })).toEqual([]);
  });

  test.each([
    [
      'fails if queue-latency scaling has no autoscaling bounds',
      { ...S3, sidekiq: { mode: 'separate' as const, queueLatencyScaling: {} } },
      /sidekiq\.queueLatencyScaling: needs sidekiq\.autoscaling/,
    ],
    [
      'fails if the Prometheus URL is not one',
      { ...props, sidekiq: { ...props.sidekiq, queueLatencyScaling: { prometheusUrl: 'prometheus:9090' } } },
      /sidekiq\.queueLatencyScaling\.prometheusUrl: "prometheus:9090" is not an http\(s\) URL/,
    ],
    [
      'fails if it is asked for in embedded mode',
      { sidekiq: { queueLatencyScaling: {} } },
      /sidekiq\.queueLatencyScaling: only applies with sidekiq\.mode: separate/,
    ],
  ])('%s', (_name, p, expected) => {
    expect(() => synth(p)).toThrow(expected);
  });
});

describe('a new Sidekiq pod is ready only once it works', () => {
  test('a startup probe runs the heartbeat test with the Redis address, for the whole boot budget', () => {
    const { manifests } = synth({ ...S3, sidekiq: { mode: 'separate' } });
    const c = find(manifests, 'Deployment', 'forum-sidekiq').spec.template.spec.containers[0];
    expect(c.startupProbe.exec.command[0]).toBe('sh');
    expect(c.startupProbe.exec.command[2]).toMatch(/^DISCOURSE_REDIS_HOST=forum-redis DISCOURSE_REDIS_PORT=6379 bash -c '/);
    expect(c.startupProbe.exec.command[2]).toContain(HEARTBEAT_SCRIPT);
    // 10 min of boot at a 10 s period, plus one.
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold).toBeGreaterThan(600);
  });
});

describe('post-deploy migrations wait for every Deployment that runs Discourse code', () => {
  test('with separate Sidekiq, the Job waits for the web and the Sidekiq rollouts, and may read both Deployments only', () => {
    const { manifests } = synth({ ...S3, sidekiq: { mode: 'separate' } });
    const job = manifests.find((m) => m.kind === 'Job' && m.metadata.name.startsWith('forum-post-migrate-')) as Json;
    expect(job.spec.template.spec.initContainers.map((c: Json) => [c.name, c.env.find((e: Json) => e.name === 'ROLLOUT_DEPLOYMENT').value])).toEqual([
      ['wait-for-rollout', 'forum'],
      ['wait-for-rollout-sidekiq', 'forum-sidekiq'],
    ]);
    expect(find(manifests, 'Role', 'forum-rollout-reader').rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['forum', 'forum-sidekiq'], verbs: ['get'] },
    ]);
  });
});

describe("the Sidekiq layer passes Pebble's own rules", () => {
  test.each([
    ['defaults', { killDelaySeconds: 20, bootSeconds: 600, maxMemoryMebibytes: 1000 }],
    ['a short boot and a long kill delay', { killDelaySeconds: 300, bootSeconds: 30, maxMemoryMebibytes: 512 }],
  ])('%s', (_name, o) => {
    const layer = sidekiqLayer({ environment: { RAILS_ENV: 'production', DISCOURSE_REDIS_HOST: 'r', DISCOURSE_REDIS_PORT: '6379' }, ...o });
    expect(validateLayer(layer, LAYER_FILE)).toEqual([]);
    expect(validateLayerYaml(renderLayer(layer))).toEqual([]);
  });
});

describe('the Sidekiq pod gives Pebble time to stop it', () => {
  test.each([1, 5, 20, 120])('kill_delay %ss: the grace period covers the Sidekiq layer’s stop bound', (seconds) => {
    const { manifests } = synth({ ...S3, killDelay: Duration.seconds(seconds), sidekiq: { mode: 'separate' } });
    const d = find(manifests, 'Deployment', 'forum-sidekiq');
    const layer = parse(find(manifests, 'ConfigMap', 'forum-sidekiq-pebble').data[LAYER_FILE]);
    const longest = Math.max(
      5,
      ...Object.values(layer.services as Record<string, { 'kill-delay'?: string }>).map((s) => Number.parseInt(s['kill-delay'] ?? '5s', 10)),
    );
    // Pebble waits the longest kill-delay, 5 s fail delay, 0.1 s and 1 s for its API.
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBeGreaterThan(longest + 6.1);
  });
});
