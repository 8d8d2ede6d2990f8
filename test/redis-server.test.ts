import { Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { KUBERNETES_RULES, immutableFieldChanges } from '../lib/immutable-fields';
import { Manifest } from '../lib/manifest';
import { validateRedis } from '../lib/redis';
import { RedisServer, RedisServerProps, VALKEY_IMAGE, VALKEY_UID, validateRedisServerProps } from '../lib/redis-server';
import { Json, find } from './fixtures';
import { podSpecs, restrictedViolations } from './pod-security';
import { expectValidManifests } from './schema';

const PASSWORD = { secret: 'forum-redis', key: 'password' };

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

describe('RedisServer on day 2: only the pod template changes', () => {
  const changes: Array<[string, Partial<RedisServerProps>]> = [
    [
      'more CPU and memory',
      { resources: { cpuRequest: Cpu.millis(500), cpuLimit: Cpu.units(2), memoryRequest: Size.gibibytes(1), memoryLimit: Size.gibibytes(2) } },
    ],
    ['an image bump', { image: 'docker.io/valkey/valkey:9.0.5' }],
    ['another password Secret', { password: { secret: 'forum-redis-v2', key: 'password' } }],
    ['new labels', { labels: { team: 'forum' } }],
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
