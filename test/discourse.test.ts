import { Duration } from 'cdk8s';
import { parse } from 'yaml';
import { CONFIG_HASH_ANNOTATION } from '../lib/discourse';
import { PostgresConnection } from '../lib/model/database';
import { checkCadence, pebbleStopBoundSeconds, probeCadence, toleranceSeconds, worstCaseDetectionSeconds } from '../lib/pebble/pebble-timing';
import { PebbleSource } from '../lib/model/props';
import { Json, find, synth, S3 } from './fixtures';
import { expectValidManifests } from './schema';

describe('Discourse construct (defaults)', () => {
  // GIVEN / WHEN
  const { manifests } = synth();
  const deployment = find(manifests, 'Deployment', 'forum');
  const pod = deployment.spec.template.spec;
  const container = pod.containers.find((c: { name: string }) => c.name === 'discourse');

  test('every object is valid against the Kubernetes schemas', () => {
    expectValidManifests(manifests);
  });

  test('emits the expected objects', () => {
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name.replace(/-[0-9a-f]{8}$/, '-<hash>')}`).sort()).toEqual([
      'ConfigMap/forum-pebble',
      'Deployment/forum',
      'Job/forum-force-https-<hash>',
      'Job/forum-migrate-<hash>',
      'Job/forum-post-migrate-<hash>',
      'NetworkPolicy/forum',
      'PersistentVolumeClaim/forum-uploads',
      'Role/forum-rollout-reader',
      'RoleBinding/forum-rollout-reader',
      'Service/forum',
      'ServiceAccount/forum',
      'ServiceAccount/forum-rollout-reader',
    ]);
  });

  test('Pebble is the entrypoint, without --hold, with the health port and verbose logs', () => {
    expect(container.command).toEqual(['/bin/pebble']);
    expect(container.args).toEqual(['run', '--create-dirs', '--http', ':38813', '--verbose']);
    expect(container.args).not.toContain('--hold');
    expect(container.env[0]).toEqual({ name: 'PEBBLE', value: '/var/lib/pebble/k8s' });
  });

  test('ports: http 3000, metrics 9394, pebble health', () => {
    expect(container.ports).toEqual([
      { name: 'http', containerPort: 3000, protocol: 'TCP' },
      { name: 'metrics', containerPort: 9394, protocol: 'TCP' },
      { name: 'pebble', containerPort: 38813, protocol: 'TCP' },
    ]);
  });

  test('liveness asks Pebble; readiness and startup ask Unicorn', () => {
    expect(container.livenessProbe.httpGet).toEqual({ path: '/v1/health?level=alive', port: 'pebble' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/srv/status', port: 'http' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/srv/status', port: 'http' });
  });

  test('readiness takes the pod out of the Service within 6 s of Unicorn failing', () => {
    expect(worstCaseDetectionSeconds(probeCadence(container.readinessProbe))).toBeLessThanOrEqual(6);
  });

  test('the startup probe waits the whole boot budget (600 s) and not a period more', () => {
    const tolerance = toleranceSeconds(probeCadence(container.startupProbe));
    expect(tolerance).toBeGreaterThanOrEqual(600);
    expect(tolerance).toBeLessThan(600 + container.startupProbe.periodSeconds);
  });

  test('the layer ConfigMap is mounted read-only under $PEBBLE/layers, $PEBBLE itself is a writable emptyDir', () => {
    const mounts = Object.fromEntries(container.volumeMounts.map((m: { mountPath: string }) => [m.mountPath, m]));
    expect(mounts['/var/lib/pebble/k8s/layers']).toEqual({ name: 'pebble-layers', mountPath: '/var/lib/pebble/k8s/layers', readOnly: true });
    expect(mounts['/var/lib/pebble/k8s'].name).toBe('pebble-dir');
    const volumes = Object.fromEntries(pod.volumes.map((v: { name: string }) => [v.name, v]));
    expect(volumes['pebble-dir']).toEqual({ name: 'pebble-dir', emptyDir: {} });
    expect(volumes['pebble-layers'].configMap).toEqual({ name: 'forum-pebble', items: [{ key: '001-discourse.yaml', path: '001-discourse.yaml' }] });
    // The rock's home is not hidden; only the empty cache directories it ships are made writable.
    expect(mounts['/var/lib/pebble/default']).toBeUndefined();
    for (const dir of ['.cache', '.config', '.local']) expect(mounts[`/var/lib/pebble/default/${dir}`]).toBeDefined();
  });

  test('the layer in the ConfigMap is the charm layer with the non-secret env', () => {
    const layer = parse(find(manifests, 'ConfigMap', 'forum-pebble').data['001-discourse.yaml']);
    expect(layer.services.discourse.command).toBe('/srv/scripts/app_launch.sh');
    expect(layer.services.discourse.environment).toMatchObject({
      DISCOURSE_HOSTNAME: 'forum.example.com',
      DISCOURSE_REDIS_HOST: 'forum-redis',
      DISCOURSE_REDIS_PORT: '6379',
    });
    expect(Object.keys(layer.services.discourse.environment).filter((k) => /PASSWORD|SECRET|^DISCOURSE_DB_/.test(k))).toEqual([]);
  });

  test('database credentials reach the container only as secretKeyRef', () => {
    const dbEnv = container.env.filter((e: { name: string }) => e.name.startsWith('DISCOURSE_DB_'));
    expect(dbEnv.map((e: { name: string }) => e.name)).toEqual([
      'DISCOURSE_DB_HOST',
      'DISCOURSE_DB_NAME',
      'DISCOURSE_DB_PASSWORD',
      'DISCOURSE_DB_PORT',
      'DISCOURSE_DB_USERNAME',
    ]);
    for (const e of dbEnv) {
      expect(e.value).toBeUndefined();
      expect(e.valueFrom.secretKeyRef.name).toBe('forum-db-app');
    }
  });

  test('restricted pod security: non-root _daemon_, no escalation, no capabilities, RuntimeDefault seccomp, read-only root', () => {
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 584792,
      runAsGroup: 584792,
      fsGroup: 584792,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 584792,
      runAsGroup: 584792,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(find(manifests, 'ServiceAccount', 'forum').automountServiceAccountToken).toBe(false);
    expect(pod.enableServiceLinks).toBe(false);
  });

  test('resource requests and limits are always set', () => {
    expect(container.resources).toEqual({ requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } });
  });

  test('termination grace outlasts Pebble kill-delay', () => {
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(20);
  });

  test('the Service selects exactly the pods of the Deployment and exposes http and metrics', () => {
    const service = find(manifests, 'Service', 'forum');
    expect(service.spec.selector).toEqual(deployment.spec.selector.matchLabels);
    expect(deployment.spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports).toEqual([
      { name: 'http', port: 3000, targetPort: 'http', protocol: 'TCP' },
      { name: 'metrics', port: 9394, targetPort: 'metrics', protocol: 'TCP' },
    ]);
  });

  test('uploads live on a PVC mounted at public/uploads and public/backups; one writer means Recreate', () => {
    const pvc = find(manifests, 'PersistentVolumeClaim', 'forum-uploads');
    expect(pvc.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } });
    const paths = container.volumeMounts.filter((m: { name: string }) => m.name === 'uploads').map((m: { mountPath: string }) => m.mountPath);
    expect(paths).toEqual(['/srv/discourse/app/public/backups', '/srv/discourse/app/public/uploads']);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
    // Turning S3 on (or deleting the site) must not let a GitOps prune delete the uploads.
    expect(pvc.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'Prune=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' });
  });

  test('the NetworkPolicy admits only the ingress controller to http and Prometheus to metrics', () => {
    const np = find(manifests, 'NetworkPolicy', 'forum');
    expect(np.spec.podSelector.matchLabels).toEqual(deployment.spec.selector.matchLabels);
    expect(np.spec.ingress).toEqual([
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ protocol: 'TCP', port: 'http' }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ protocol: 'TCP', port: 'metrics' }] },
    ]);
  });

  test('no cdk8s hash labels or names leak into selectors', () => {
    expect(JSON.stringify(deployment.spec.selector)).not.toContain('cdk8s.io');
  });
});

describe('Discourse construct (options)', () => {
  test('a config change changes the pod-template hash; the same config keeps it', () => {
    const hash = (props = {}) => find(synth(props).manifests, 'Deployment', 'forum').spec.template.metadata.annotations[CONFIG_HASH_ANNOTATION];
    expect(hash()).toMatch(/^[0-9a-f]{16}$/);
    expect(hash()).toBe(hash());
    expect(hash({ throttleLevel: 'strict' })).not.toBe(hash());
    expect(hash({ database: PostgresConnection.fromCloudNativePg('other-db') })).not.toBe(hash());
  });

  test('Pebble from an init container is copied into /charm/bin/pebble, as Juju does', () => {
    const { manifests } = synth({ pebble: PebbleSource.fromInitContainer('ghcr.io/acme/pebble-tools:1.32.1') });
    expectValidManifests(manifests);
    const pod = find(manifests, 'Deployment', 'forum').spec.template.spec;
    expect(pod.initContainers[0]).toMatchObject({
      name: 'pebble-init',
      image: 'ghcr.io/acme/pebble-tools:1.32.1',
      command: ['cp', '/bin/pebble', '/pebble-bin/pebble'],
    });
    expect(pod.containers[0].command).toEqual(['/charm/bin/pebble']);
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'pebble-bin', mountPath: '/charm/bin/pebble', subPath: 'pebble', readOnly: true });
  });

  test('plugin metrics mode drops the metrics port and points the NetworkPolicy at http', () => {
    const { manifests } = synth({ metrics: 'plugin' });
    const container = find(manifests, 'Deployment', 'forum').spec.template.spec.containers[0];
    expect(container.ports.map((p: { name: string }) => p.name)).toEqual(['http', 'pebble']);
    expect(find(manifests, 'Service', 'forum').spec.ports.map((p: { name: string }) => p.name)).toEqual(['http']);
    expect(find(manifests, 'NetworkPolicy', 'forum').spec.ingress[1].ports).toEqual([{ protocol: 'TCP', port: 'http' }]);
  });

  test('S3 replaces the uploads volume and allows rolling updates and a PDB with several replicas', () => {
    const { manifests } = synth({
      replicas: 3,
      s3Enabled: true,
      s3Bucket: 'forum-uploads',
      s3BackupBucket: 'forum-backups',
      s3Region: 'eu-west-1',
      s3AccessKeyId: { secret: 's3', key: 'id' },
      s3SecretAccessKey: { secret: 's3', key: 'secret' },
    });
    expectValidManifests(manifests);
    expect(manifests.filter((m) => m.kind === 'PersistentVolumeClaim')).toEqual([]);
    const deployment = find(manifests, 'Deployment', 'forum');
    expect(deployment.spec.replicas).toBe(3);
    expect(deployment.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    const pdb = find(manifests, 'PodDisruptionBudget', 'forum');
    expect(pdb.spec).toEqual({ maxUnavailable: 1, selector: { matchLabels: deployment.spec.selector.matchLabels } });
    expect(deployment.spec.template.spec.containers[0].env).toContainEqual({
      name: 'DISCOURSE_S3_SECRET_ACCESS_KEY',
      valueFrom: { secretKeyRef: { name: 's3', key: 'secret' } },
    });
  });

  test('Crunchy PGO preset reads the pguser Secret with its "user" key', () => {
    const env = find(synth({ database: PostgresConnection.fromCrunchyPgo('hippo', 'discourse') }).manifests, 'Deployment', 'forum').spec.template.spec
      .containers[0].env;
    expect(env).toContainEqual({ name: 'DISCOURSE_DB_USERNAME', valueFrom: { secretKeyRef: { name: 'hippo-pguser-discourse', key: 'user' } } });
  });

  test('Zalando preset: host and database in the layer, user and password from the operator Secret', () => {
    const { manifests } = synth({ database: PostgresConnection.fromZalandoPostgres('acid-forum', 'discourse') });
    const layer = parse(find(manifests, 'ConfigMap', 'forum-pebble').data['001-discourse.yaml']);
    expect(layer.services.discourse.environment).toMatchObject({ DISCOURSE_DB_HOST: 'acid-forum', DISCOURSE_DB_PORT: '5432', DISCOURSE_DB_NAME: 'discourse' });
    const env = find(manifests, 'Deployment', 'forum').spec.template.spec.containers[0].env;
    const secret = 'discourse.acid-forum.credentials.postgresql.acid.zalan.do';
    expect(env).toContainEqual({ name: 'DISCOURSE_DB_USERNAME', valueFrom: { secretKeyRef: { name: secret, key: 'username' } } });
    expect(env).toContainEqual({ name: 'DISCOURSE_DB_PASSWORD', valueFrom: { secretKeyRef: { name: secret, key: 'password' } } });
  });

  test('explicit values put host and name in the layer and keep only the password secret', () => {
    const { manifests } = synth({ database: PostgresConnection.fromValues({ host: 'pg.db', password: { secret: 'pg', key: 'pw' } }) });
    const layer = parse(find(manifests, 'ConfigMap', 'forum-pebble').data['001-discourse.yaml']);
    expect(layer.services.discourse.environment).toMatchObject({
      DISCOURSE_DB_HOST: 'pg.db',
      DISCOURSE_DB_PORT: '5432',
      DISCOURSE_DB_NAME: 'discourse',
      DISCOURSE_DB_USERNAME: 'discourse',
    });
    const env = find(manifests, 'Deployment', 'forum').spec.template.spec.containers[0].env;
    expect(env.filter((e: { name: string }) => e.name.startsWith('DISCOURSE_DB_'))).toEqual([
      { name: 'DISCOURSE_DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'pg', key: 'pw' } } },
    ]);
  });

  test('kill delay flows into the layer and the grace period', () => {
    const { manifests } = synth({ killDelay: Duration.seconds(45) });
    expect(find(manifests, 'Deployment', 'forum').spec.template.spec.terminationGracePeriodSeconds).toBe(55);
    expect(parse(find(manifests, 'ConfigMap', 'forum-pebble').data['001-discourse.yaml']).services.discourse['kill-delay']).toBe('45s');
  });

  test.each([1, 20, 45, 300])('with kill_delay %i s the pod grace outlasts Pebble stopping every service', (seconds) => {
    // GIVEN
    const { manifests, discourse } = synth({ killDelay: Duration.seconds(seconds) });
    // THEN: the kubelet SIGKILLs Pebble only after Pebble has given up on its services and exited.
    const grace = find(manifests, 'Deployment', 'forum').spec.template.spec.terminationGracePeriodSeconds;
    expect(grace).toBeGreaterThan(pebbleStopBoundSeconds(discourse.layer));
  });

  test.each([
    [30, 4, 4],
    [600, 61, 42],
    [3600, 361, 242],
  ])('startup_timeout %i s: startup probe threshold %i (x 10 s), discourse-up threshold %i (x 30 s) covers two boots', (boot, startup, up) => {
    const { manifests, discourse } = synth({ startupTimeout: Duration.seconds(boot) });
    const probe = find(manifests, 'Deployment', 'forum').spec.template.spec.containers[0].startupProbe;
    expect(probe.failureThreshold).toBe(startup);
    expect(discourse.layer.checks!['discourse-up'].threshold).toBe(up);
    // Pebble never restarts a first boot the kubelet still waits for.
    expect(toleranceSeconds(checkCadence(discourse.layer.checks!['discourse-up']))).toBeGreaterThan(toleranceSeconds(probeCadence(probe)));
  });

  test('egress can be restricted to DNS and the ports the site uses', () => {
    const { manifests } = synth({
      networkPolicy: { restrictEgress: true },
      smtpAddress: 'smtp.example.com',
      smtpPort: 465,
      smtpEnableStartTls: false,
      smtpForceTls: true,
      redis: { host: 'forum-redis', port: 6380 },
      lokiUrl: 'http://loki.monitoring:3100/loki/api/v1/push',
    });
    expectValidManifests(manifests);
    const np = find(manifests, 'NetworkPolicy', 'forum');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.egress).toEqual([
      {
        ports: [
          { protocol: 'UDP', port: 53 },
          { protocol: 'TCP', port: 53 },
        ],
      },
      { ports: [80, 443, 465, 3100, 5432, 6380].map((port) => ({ protocol: 'TCP', port })) },
    ]);
    expect(find(synth().manifests, 'NetworkPolicy', 'forum').spec.egress).toBeUndefined();
  });

  test('the network policy can be turned off', () => {
    expect(synth({ networkPolicy: { enabled: false } }).manifests.filter((m) => m.kind === 'NetworkPolicy')).toEqual([]);
  });

  test('the Deployment is the default child (escape hatch)', () => {
    const { discourse } = synth();
    expect(discourse.node.defaultChild).toBe(discourse.deployment);
  });
});

describe('Discourse construct (root filesystem)', () => {
  test('extra writable paths get emptyDirs in the pod and the Jobs', () => {
    const { manifests } = synth({ writablePaths: ['/srv/discourse/app/public/plugins'] });
    expectValidManifests(manifests);
    const pod = find(manifests, 'Deployment', 'forum').spec.template.spec;
    expect(pod.volumes).toContainEqual({ name: 'writable-0', emptyDir: {} });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'writable-0', mountPath: '/srv/discourse/app/public/plugins' });
    const job = manifests.find((m) => m.kind === 'Job')! as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(job.spec.template.spec.containers[0].volumeMounts).toContainEqual({ name: 'writable-0', mountPath: '/srv/discourse/app/public/plugins' });
  });

  test('the read-only root can be turned off for images that write elsewhere', () => {
    const pod = find(synth({ readOnlyRootFilesystem: false }).manifests, 'Deployment', 'forum').spec.template.spec;
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(false);
    expect(pod.initContainers[0].securityContext.readOnlyRootFilesystem).toBe(false);
  });

  test.each([['relative'], ['/tmp'], ['/srv/../etc']])('fails if a writable path is %s', (path) => {
    expect(() => synth({ writablePaths: [path] })).toThrow(/writablePaths: .* is not an absolute path that is not already mounted/);
  });
});

describe('Discourse construct (scheduling and rollouts)', () => {
  test('pull secrets, node selector and priority apply to web pods and Jobs', () => {
    const { manifests } = synth({ imagePullSecrets: ['registry-creds'], nodeSelector: { 'node-role/web': 'true' }, priorityClassName: 'forum-high' });
    expectValidManifests(manifests);
    const pods = [
      find(manifests, 'Deployment', 'forum').spec.template.spec,
      ...manifests.filter((m) => m.kind === 'Job').map((j) => (j as Json).spec.template.spec),
    ];
    expect(pods.length).toBeGreaterThan(1);
    for (const pod of pods) {
      expect(pod.imagePullSecrets).toEqual([{ name: 'registry-creds' }]);
      expect(pod.nodeSelector).toEqual({ 'node-role/web': 'true' });
      expect(pod.priorityClassName).toBe('forum-high');
    }
  });

  test('several replicas spread over nodes, selected by the web labels', () => {
    const deployment = find(synth({ replicas: 2, ...S3 }).manifests, 'Deployment', 'forum');
    expect(deployment.spec.template.spec.topologySpreadConstraints).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: deployment.spec.selector.matchLabels },
      },
    ]);
    expect(find(synth().manifests, 'Deployment', 'forum').spec.template.spec.topologySpreadConstraints).toBeUndefined();
  });

  test('the Deployment names every Secret it reads for Reloader, so rotated credentials roll the pods', () => {
    const deployment = find(synth({ smtpPassword: { secret: 'smtp', key: 'pw' } }).manifests, 'Deployment', 'forum');
    expect(deployment.metadata.annotations).toEqual({ 'secret.reloader.stakater.com/reload': 'forum-db-app,smtp' });
    expect(find(synth({ reloadOnSecretChange: false }).manifests, 'Deployment', 'forum').metadata.annotations).toBeUndefined();
  });

  test('Unicorn workers become UNICORN_WORKERS in the layer', () => {
    const layer = find(synth({ unicornWorkers: 5 }).manifests, 'ConfigMap', 'forum-pebble').data['001-discourse.yaml'];
    expect(layer).toContain('UNICORN_WORKERS: "5"');
  });

  test.each([
    ['a bad pull secret', { imagePullSecrets: ['Bad_Name'] }, /imagePullSecrets: "Bad_Name" is not a Secret name/],
    ['a bad node label', { nodeSelector: { 'bad key': 'x' } }, /nodeSelector: .* is not a valid node label/],
    ['zero Unicorn workers', { unicornWorkers: 0 }, /unicornWorkers: 0 is not a worker count/],
  ])('fails if %s', (_n, props, expected) => {
    expect(() => synth(props)).toThrow(expected);
  });
});

describe('Discourse construct (autoscaling)', () => {
  test('an HPA on CPU owns the replica count; PDB and spread follow the maximum', () => {
    const { manifests } = synth({ ...S3, autoscaling: { maxReplicas: 6 } });
    expectValidManifests(manifests);
    const deployment = find(manifests, 'Deployment', 'forum');
    expect(deployment.spec.replicas).toBeUndefined();
    expect(find(manifests, 'HorizontalPodAutoscaler', 'forum').spec).toEqual({
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'forum' },
      minReplicas: 2,
      maxReplicas: 6,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
    });
    expect(find(manifests, 'PodDisruptionBudget', 'forum').spec.maxUnavailable).toBe(1);
    expect(deployment.spec.template.spec.topologySpreadConstraints).toHaveLength(1);
  });

  test.each([
    [
      'autoscaling over a ReadWriteOnce volume',
      { autoscaling: { maxReplicas: 3 } },
      /autoscaling\.maxReplicas: 3 replicas would share a ReadWriteOnce uploads volume/,
    ],
    ['both replicas and autoscaling', { ...S3, replicas: 2, autoscaling: { maxReplicas: 3 } }, /replicas: is set together with autoscaling/],
    [
      'a maximum below the minimum',
      { ...S3, autoscaling: { minReplicas: 4, maxReplicas: 3 } },
      /autoscaling\.maxReplicas: 3 is not between minReplicas \(4\) and 100/,
    ],
    ['a CPU target above 100 %', { ...S3, autoscaling: { maxReplicas: 3, cpuUtilization: 150 } }, /autoscaling\.cpuUtilization: 150 is not a percentage/],
  ])('fails if %s', (_n, props, expected) => {
    expect(() => synth(props)).toThrow(expected);
  });
});

describe('Discourse construct (metrics trusted IPs)', () => {
  test('plugin mode passes the trusted-IP regex to the plugin as its global setting', () => {
    // WHEN
    const { manifests } = synth({ metrics: 'plugin', prometheusTrustedIpAllowlistRegex: '^100\\.64\\.' });
    // THEN
    const layer = find(manifests, 'ConfigMap', 'forum-pebble').data['001-discourse.yaml'];
    expect(layer).toContain('DISCOURSE_PROMETHEUS_TRUSTED_IP_ALLOWLIST_REGEX: ^100\\.64\\.');
  });

  test('without it the variable is not set', () => {
    const layer = find(synth({ metrics: 'plugin' }).manifests, 'ConfigMap', 'forum-pebble').data['001-discourse.yaml'];
    expect(layer).not.toContain('TRUSTED_IP');
  });

  test.each([
    ['it is set in exporter mode', { prometheusTrustedIpAllowlistRegex: '^100\\.' }, /prometheusTrustedIpAllowlistRegex: only applies with metrics: plugin/],
    [
      'it is not a regex',
      { metrics: 'plugin' as const, prometheusTrustedIpAllowlistRegex: '(' },
      /prometheusTrustedIpAllowlistRegex: "\(" is not a regular expression/,
    ],
    [
      'it is set through extraEnv',
      { metrics: 'plugin' as const, extraEnv: { DISCOURSE_PROMETHEUS_TRUSTED_IP_ALLOWLIST_REGEX: '^10\\.' } },
      /extraEnv\.DISCOURSE_PROMETHEUS_TRUSTED_IP_ALLOWLIST_REGEX: .* is set from the typed options/,
    ],
  ])('fails if %s', (_n, props, expected) => {
    expect(() => synth(props)).toThrow(expected);
  });
});

describe('Discourse construct (extra env)', () => {
  test('extra settings go to the layer, extra secrets to the container as secretKeyRef', () => {
    const { manifests } = synth({
      extraEnv: { DISCOURSE_MAXMIND_ACCOUNT_ID: '12345' },
      extraSecretEnv: { DISCOURSE_MAXMIND_LICENSE_KEY: { secret: 'maxmind', key: 'license' } },
    });
    const layer = find(manifests, 'ConfigMap', 'forum-pebble').data['001-discourse.yaml'];
    expect(layer).toContain('DISCOURSE_MAXMIND_ACCOUNT_ID: "12345"');
    expect(layer).not.toContain('MAXMIND_LICENSE_KEY');
    const container = find(manifests, 'Deployment', 'forum').spec.template.spec.containers[0];
    expect(container.env).toContainEqual({ name: 'DISCOURSE_MAXMIND_LICENSE_KEY', valueFrom: { secretKeyRef: { name: 'maxmind', key: 'license' } } });
  });

  test.each([
    [
      'a variable an option manages',
      { extraEnv: { DISCOURSE_SMTP_ADDRESS: 'x' } },
      /extraEnv\.DISCOURSE_SMTP_ADDRESS: DISCOURSE_SMTP_ADDRESS is set from the typed options/,
    ],
    [
      'a credential in plain env',
      { extraEnv: { DISCOURSE_MAXMIND_LICENSE_KEY: 'abc' } },
      /extraEnv\.DISCOURSE_MAXMIND_LICENSE_KEY: looks like a credential; a plaintext value is not allowed here/,
    ],
    ['USER, which the layer sets for _daemon_', { extraEnv: { USER: 'root' } }, /extraEnv\.USER: USER is set from the typed options/],
    ['an invalid name', { extraEnv: { 'BAD-NAME': 'x' } }, /extraEnv\.BAD-NAME: "BAD-NAME" is not an environment variable name/],
    [
      'a managed secret variable',
      { extraSecretEnv: { DISCOURSE_DB_PASSWORD: { secret: 'x', key: 'y' } } },
      /extraSecretEnv\.DISCOURSE_DB_PASSWORD: .* is set from the typed options/,
    ],
  ])('fails if %s', (_n, props, expected) => {
    expect(() => synth(props)).toThrow(expected);
  });

  test('a plaintext credential in extra env is never echoed', () => {
    expect(() => synth({ extraEnv: { DISCOURSE_API_TOKEN: 'sup3rs3cret' } })).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('sup3rs3cret') }),
    );
  });
});
