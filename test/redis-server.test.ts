import { Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { KUBERNETES_RULES, immutableFieldChanges } from '../lib/gitops/immutable-fields';
import { Manifest } from '../lib/core/manifest';
import { validateRedis } from '../lib/model/redis';
import { REDIS_EXPORTER_UID, RedisServer, RedisServerProps, VALKEY_IMAGE, VALKEY_UID, validateRedisServerProps } from '../lib/data/redis-server';
import { Json, find } from './fixtures';
import { siteFromText } from '../app/resolve-site';
import { buildSiteChart } from '../app/site-chart';
import { SITE_FILE_NAMES } from '../app/site-keys';
import { formatProblems } from '../lib/core/problems';
import { podSpecs, restrictedViolations } from './pod-security';
import { expectValidManifests } from './schema';

const PASSWORD = { secret: 'forum-redis', key: 'password' };
const PASSWORD_REF = { name: 'forum-redis', key: 'password' };

function render(props: Partial<RedisServerProps> = {}): { manifests: Manifest[]; redis: RedisServer } {
  const chart = Testing.chart();
  const redis = new RedisServer(chart, 'Redis', { site: 'forum', password: PASSWORD, ...props });
  return { manifests: Testing.synth(chart) as Manifest[], redis };
}

describe('RedisServer', () => {
  test('a schema-valid StatefulSet, headless and ClusterIP Services, and a NetworkPolicy', () => {
    // WHEN
    const { manifests, redis } = render();
    // THEN
    expectValidManifests(manifests);
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'NetworkPolicy/forum-redis',
      'Service/forum-redis',
      'Service/forum-redis-headless',
      'StatefulSet/forum-redis',
    ]);
    expect(redis.node.defaultChild).toBe(redis.resource);
    const sts = find(manifests, 'StatefulSet', 'forum-redis');
    expect(sts.spec).toMatchObject({ replicas: 1, serviceName: 'forum-redis-headless' });
    expect(find(manifests, 'Service', 'forum-redis-headless').spec.clusterIP).toBe('None');
    expect(find(manifests, 'Service', 'forum-redis').spec).toMatchObject({ type: 'ClusterIP', ports: [{ port: 6379, targetPort: 'redis' }] });
  });

  test('its connection is what Discourse expects, and valid', () => {
    const { redis } = render();
    expect(redis.connection).toEqual({ host: 'forum-redis', port: 6379, password: PASSWORD });
    expect(validateRedis(redis.connection, 'redis')).toEqual([]);
  });

  test('the password comes from the Secret by reference and reaches requirepass through $(VAR) expansion', () => {
    const { manifests } = render();
    const c = find(manifests, 'StatefulSet', 'forum-redis').spec.template.spec.containers[0];
    expect(c.env).toEqual([{ name: 'VALKEYCLI_AUTH', valueFrom: { secretKeyRef: { name: 'forum-redis', key: 'password' } } }]);
    expect(c.args).toEqual(expect.arrayContaining(['--requirepass', '$(VALKEYCLI_AUTH)', '--appendonly', 'yes']));
    expect(c.command).toBeUndefined();
    expect(c.image).toBe(VALKEY_IMAGE);
  });

  test('pods meet Pod Security "restricted" as the image’s valkey user, with requests and limits', () => {
    const { manifests } = render();
    expect(podSpecs(manifests).flatMap(([w, p]) => restrictedViolations(w, p))).toEqual([]);
    const pod = find(manifests, 'StatefulSet', 'forum-redis').spec.template.spec;
    expect(pod.securityContext).toMatchObject({ runAsUser: VALKEY_UID, runAsGroup: VALKEY_UID, fsGroup: VALKEY_UID });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(pod.containers[0].volumeMounts.map((m: Json) => m.mountPath).sort()).toEqual(['/data', '/tmp']);
  });

  test('readiness pings with the password from env; liveness is a TCP check', () => {
    const { manifests } = render();
    const c = find(manifests, 'StatefulSet', 'forum-redis').spec.template.spec.containers[0];
    expect(c.readinessProbe.exec.command).toEqual(['sh', '-c', 'valkey-cli -p 6379 ping | grep -qx PONG']);
    expect(c.livenessProbe.tcpSocket).toEqual({ port: 'redis' });
  });

  test('the data volume is a claim template of the given size and class', () => {
    const { manifests } = render({ storageSize: Size.gibibytes(5), storageClass: 'fast-ssd' });
    const sts = find(manifests, 'StatefulSet', 'forum-redis');
    expect(sts.spec.volumeClaimTemplates).toEqual([
      {
        metadata: { name: 'data', labels: expect.any(Object) },
        spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } }, storageClassName: 'fast-ssd' },
      },
    ]);
    expect(sts.spec.persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  test('the NetworkPolicy admits only the site’s pods (web and Jobs) on 6379, and no egress', () => {
    const { manifests } = render();
    const np = find(manifests, 'NetworkPolicy', 'forum-redis').spec;
    expect(np.podSelector.matchLabels).toEqual(find(manifests, 'StatefulSet', 'forum-redis').spec.selector.matchLabels);
    expect(np.ingress).toEqual([
      {
        from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'discourse', 'app.kubernetes.io/instance': 'forum' } } }],
        ports: [{ protocol: 'TCP', port: 6379 }],
      },
    ]);
    expect(np.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.egress).toEqual([]);
  });

  test('Valkey pods are not Discourse pods: the site’s selectors do not pick them', () => {
    const { manifests } = render({ labels: { 'app.kubernetes.io/name': 'discourse', team: 'forum' } });
    const sts = find(manifests, 'StatefulSet', 'forum-redis');
    expect(sts.spec.template.metadata.labels['app.kubernetes.io/name']).toBe('valkey');
    expect(sts.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'valkey', team: 'forum' });
  });
});

describe('validateRedisServerProps', () => {
  const paths = (props: Partial<RedisServerProps>) =>
    validateRedisServerProps({ site: 'forum', password: PASSWORD, ...props }, 'redis.server').map((p) => p.path);

  test('the defaults are valid', () => {
    expect(paths({})).toEqual([]);
  });

  test.each<[string, Partial<RedisServerProps>, string[]]>([
    ['the password is missing', { password: undefined }, ['redis.server.password']],
    ['the password is a plaintext string', { password: 'hunter2' as never }, ['redis.server.password']],
    ['the image is not pinned', { image: 'docker.io/valkey/valkey' }, ['redis.server.image']],
    ['the image is latest', { image: 'docker.io/valkey/valkey:latest' }, ['redis.server.image']],
    ['the storage size is not whole Mi', { storageSize: Size.kibibytes(1500) }, ['redis.server.storageSize']],
    ['the CPU request exceeds the limit', { resources: { cpuRequest: Cpu.units(2), cpuLimit: Cpu.units(1) } }, ['redis.server.resources.cpuRequest']],
    ['the memory limit is not whole Mi', { resources: { memoryLimit: Size.kibibytes(1500) } }, ['redis.server.resources.memoryLimit']],
    ['the name is too long for a StatefulSet', { serviceName: 'r'.repeat(53) }, ['redis.server.serviceName']],
    ['the site makes a bad name', { site: 'Forum' }, ['redis.server.site']],
    ['a label value is invalid', { labels: { team: 'a b' } }, ['redis.server.labels.team']],
  ])('fails if %s', (_, props, expected) => {
    expect(paths(props)).toEqual(expected);
  });
});

describe('RedisServer memory: Valkey refuses writes before the kernel kills it', () => {
  const args = (props: Partial<RedisServerProps> = {}): string[] =>
    find(render(props).manifests, 'StatefulSet', 'forum-redis').spec.template.spec.containers[0].args;
  const flag = (a: string[], name: string) => a[a.indexOf(name) + 1];
  const limitBytes = (props: Partial<RedisServerProps> = {}) => {
    const limit: string = find(render(props).manifests, 'StatefulSet', 'forum-redis').spec.template.spec.containers[0].resources.limits.memory;
    return Number(limit.slice(0, -2)) * (limit.endsWith('Gi') ? 1024 ** 3 : 1024 ** 2);
  };

  test.each([
    ['the default 1Gi limit', {}],
    ['a 768Mi limit', { resources: { memoryLimit: Size.mebibytes(768) } }],
    ['a 3Gi limit', { resources: { memoryLimit: Size.gibibytes(3) } }],
  ])('with %s, maxmemory is half the container limit and nothing is evicted', (_, props: Partial<RedisServerProps>) => {
    const a = args(props);
    expect(Number(flag(a, '--maxmemory'))).toBe(limitBytes(props) / 2);
    expect(flag(a, '--maxmemory-policy')).toBe('noeviction');
  });

  test('raising the limit raises maxmemory in the same rollout (the pod template), so the two never disagree', () => {
    const before = Number(flag(args(), '--maxmemory'));
    const after = Number(flag(args({ resources: { memoryLimit: Size.gibibytes(2) } }), '--maxmemory'));
    expect(after).toBe(2 * before);
  });
});

describe('RedisServer with metrics: redis_exporter beside Valkey, scraped once', () => {
  const METRICS = { monitoringNamespace: 'monitoring', prometheusLabels: { release: 'kube-prometheus-stack' } };
  const withMetrics = () => render({ metrics: METRICS }).manifests;

  test('schema-valid, and the pod meets "restricted" with the exporter as its own user', () => {
    const manifests = withMetrics();
    expectValidManifests(manifests);
    expect(podSpecs(manifests).flatMap(([w, p]) => restrictedViolations(w, p))).toEqual([]);
    const containers = find(manifests, 'StatefulSet', 'forum-redis').spec.template.spec.containers;
    expect(containers.map((c: Json) => c.name)).toEqual(['valkey', 'metrics']);
    const exporter = containers[1];
    expect(exporter.securityContext).toMatchObject({ runAsUser: REDIS_EXPORTER_UID, readOnlyRootFilesystem: true });
    expect(exporter.env).toEqual([
      { name: 'REDIS_ADDR', value: 'redis://localhost:6379' },
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: PASSWORD_REF } },
    ]);
  });

  test('the ServiceMonitor selects exactly one Service, the metrics one, so the pod is scraped once', () => {
    const manifests = withMetrics();
    const monitor = find(manifests, 'ServiceMonitor', 'forum-redis-metrics');
    expect(monitor.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    const wanted = Object.entries(monitor.spec.selector.matchLabels as Record<string, string>);
    const selected = manifests
      .filter((m) => m.kind === 'Service' && wanted.every(([k, v]) => (m.metadata.labels as Record<string, string> | undefined)?.[k] === v))
      .map((m) => m.metadata.name);
    expect(selected).toEqual(['forum-redis-metrics']);
    expect(find(manifests, 'Service', 'forum-redis-metrics').spec.ports).toEqual([{ name: 'metrics', port: 9121, targetPort: 'metrics', protocol: 'TCP' }]);
  });

  test('the NetworkPolicy lets the monitoring namespace reach the exporter, and only the exporter', () => {
    const ingress = find(withMetrics(), 'NetworkPolicy', 'forum-redis').spec.ingress;
    const fromMonitoring = ingress.filter((r: Json) =>
      r.from.some((f: Json) => f.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'monitoring'),
    );
    expect(fromMonitoring.map((r: Json) => r.ports)).toEqual([[{ protocol: 'TCP', port: 9121 }]]);
  });

  test('without metrics there is no exporter, no metrics Service and no ServiceMonitor', () => {
    const manifests = render().manifests;
    expect(find(manifests, 'StatefulSet', 'forum-redis').spec.template.spec.containers.map((c: Json) => c.name)).toEqual(['valkey']);
    expect(manifests.filter((m) => m.kind === 'ServiceMonitor' || m.metadata.name === 'forum-redis-metrics')).toEqual([]);
  });

  test('an exporter image without a tag is refused, naming the prop', () => {
    const problems = validateRedisServerProps(
      { site: 'forum', password: PASSWORD, metrics: METRICS, exporterImage: 'oliver006/redis_exporter' },
      'redisServer',
    );
    expect(problems.map((p) => p.path)).toEqual(['redisServer.exporterImage']);
  });
});

describe('RedisServer on day 2: only the pod template changes', () => {
  const changes: Array<[string, Partial<RedisServerProps>]> = [
    [
      'more CPU and memory',
      { resources: { cpuRequest: Cpu.millis(500), cpuLimit: Cpu.units(2), memoryRequest: Size.gibibytes(1), memoryLimit: Size.gibibytes(2) } },
    ],
    ['an image bump', { image: 'docker.io/valkey/valkey:9.0.5' }],
    ['another password Secret', { password: { secret: 'forum-redis-v2', key: 'password' } }],
    ['new labels', { labels: { team: 'forum' } }],
    ['metrics on (monitoring added to the site)', { metrics: { monitoringNamespace: 'monitoring' } }],
  ];

  test.each(changes)('%s changes nothing Kubernetes refuses', (_, after) => {
    const before = render().manifests;
    const now = render(after).manifests;
    expect(immutableFieldChanges(before, now, KUBERNETES_RULES)).toEqual([]);
    expect(immutableFieldChanges(now, before, KUBERNETES_RULES)).toEqual([]);
  });

  test('an image bump changes the StatefulSet’s template and nothing else in its spec', () => {
    const spec = (m: Manifest[]) => {
      const { template: _t, ...rest } = find(m, 'StatefulSet', 'forum-redis').spec;
      return rest;
    };
    expect(spec(render({ image: 'docker.io/valkey/valkey:9.0.5' }).manifests)).toEqual(spec(render().manifests));
  });

  test('known refusal: a new storage size changes volumeClaimTemplates, which Kubernetes refuses', () => {
    const findings = immutableFieldChanges(render().manifests, render({ storageSize: Size.gibibytes(4) }).manifests, KUBERNETES_RULES);
    expect(findings.map((f) => `${f.object} ${f.field}`)).toEqual(['StatefulSet//forum-redis spec']);
    expect(findings[0].change).toContain('volumeClaimTemplates');
  });
});

describe('redis.create in a site: its monitoring watches the server', () => {
  const SITE_FILE = [
    'namespace: forum',
    'image: { repository: registry.example.com/discourse, tag: "1.0" }',
    'config: { external_hostname: forum.example.com }',
    'database: { cloudnativepg: { cluster: forum-db } }',
    'redis: { create: { password: { secret: forum-redis, key: password } } }',
    'network_policy: { monitoring_namespace: prometheus }',
  ].join('\n');

  function site(extra: string): Manifest[] {
    const { resolved, problems } = siteFromText(`${SITE_FILE}\n${extra}\n`, 'sites/forum.yaml');
    if (!resolved) throw new Error(formatProblems('sites/forum.yaml', problems, SITE_FILE_NAMES));
    return Testing.synth(buildSiteChart(resolved)) as Manifest[];
  }

  test('with monitoring: the exporter, a ServiceMonitor on its interval and labels, the NetworkPolicy for its namespace, and the alerts', () => {
    const manifests = site('monitoring: { interval: 1m, prometheus_labels: { release: prom } }');
    expect(find(manifests, 'StatefulSet', 'forum-redis').spec.template.spec.containers.map((c: Json) => c.name)).toEqual(['valkey', 'metrics']);
    const monitor = find(manifests, 'ServiceMonitor', 'forum-redis-metrics');
    expect(monitor.metadata.labels.release).toBe('prom');
    expect(monitor.spec.endpoints[0].interval).toBe('1m');
    const policy = find(manifests, 'NetworkPolicy', 'forum-redis').spec.ingress;
    expect(policy.some((r: Json) => r.from[0].namespaceSelector?.matchLabels['kubernetes.io/metadata.name'] === 'prometheus')).toBe(true);
    const alerts = find(manifests, 'PrometheusRule', 'forum').spec.groups[0].rules.map((r: Json) => r.alert);
    expect(alerts).toEqual(expect.arrayContaining(['DiscourseRedisServerDown', 'DiscourseRedisMemoryFull', 'DiscourseRedisPersistenceFailing']));
  });

  test('without monitoring: no exporter and no ServiceMonitor', () => {
    const manifests = site('monitoring: { enabled: false }');
    expect(find(manifests, 'StatefulSet', 'forum-redis').spec.template.spec.containers.map((c: Json) => c.name)).toEqual(['valkey']);
    expect(manifests.filter((m) => m.kind === 'ServiceMonitor' || m.kind === 'PrometheusRule')).toEqual([]);
  });

  test('a site with an external Redis gets no Valkey alerts', () => {
    const external = SITE_FILE.replace('redis: { create: { password: { secret: forum-redis, key: password } } }', 'redis: { host: redis.example.com }');
    const { resolved } = siteFromText(external, 'sites/forum.yaml');
    const manifests = Testing.synth(buildSiteChart(resolved!)) as Manifest[];
    const alerts = find(manifests, 'PrometheusRule', 'forum').spec.groups[0].rules.map((r: Json) => r.alert);
    expect(alerts).toContain('DiscourseRedisUnavailable');
    expect(alerts.filter((a: string) => a.startsWith('DiscourseRedisServer') || a.startsWith('DiscourseRedisMemory'))).toEqual([]);
  });
});
