import { readFileSync, readdirSync } from 'fs';
import { join } from 'path';
import { Size, Testing } from 'cdk8s';
import { Cpu } from 'cdk8s-plus-28';
import { parse } from 'yaml';
import { KEEP_ON_PRUNE } from '../lib/core/annotations';
import {
  CNPG_POSTGRES_IMAGE,
  CNPG_WEBHOOK_RULES,
  CloudNativePgClusterProps,
  CloudNativePgCluster,
  cnpgScheduleProblem,
  validateCnpgClusterProps,
} from '../lib/data/cnpg-cluster';
import { PostgresConnection } from '../lib/model/database';
import { CrdDocument, ImmutabilityRule, KUBERNETES_RULES, crdImmutabilityRules, immutableFieldChanges, keptOnPrune } from '../lib/gitops/immutable-fields';
import { Manifest } from '../lib/core/manifest';
import { Json, find } from './fixtures';
import { expectValidManifests } from './schema';

const CRDS = readdirSync(join(__dirname, 'cluster', 'crds'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => parse(readFileSync(join(__dirname, 'cluster', 'crds', f), 'utf8')) as CrdDocument);
/** What the API server refuses: Kubernetes' rules, the committed CRDs' rules, CloudNativePG's webhook. */
const RULES: readonly ImmutabilityRule[] = [...KUBERNETES_RULES, ...CRDS.flatMap(crdImmutabilityRules), ...CNPG_WEBHOOK_RULES];

const BACKUP: NonNullable<CloudNativePgClusterProps['backup']> = {
  destinationPath: 's3://forum-backups/db',
  endpointUrl: 'https://minio.example.com',
  accessKeyId: { secret: 'forum-backup-s3', key: 'access-key-id' },
  secretAccessKey: { secret: 'forum-backup-s3', key: 'secret-access-key' },
};

function render(props: Partial<CloudNativePgClusterProps> = {}): { manifests: Manifest[]; cluster: CloudNativePgCluster } {
  const chart = Testing.chart();
  const cluster = new CloudNativePgCluster(chart, 'Database', { site: 'forum', ...props });
  return { manifests: Testing.synth(chart) as Manifest[], cluster };
}

describe('CloudNativePgCluster', () => {
  test('defaults: a schema-valid Cluster named <site>-db, and nothing else', () => {
    // WHEN
    const { manifests, cluster } = render();
    // THEN
    expectValidManifests(manifests);
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual(['Cluster/forum-db']);
    expect(cluster.node.defaultChild).toBe(cluster.resource);
    const spec = find(manifests, 'Cluster', 'forum-db').spec;
    expect(spec).toMatchObject({
      instances: 2,
      imageName: CNPG_POSTGRES_IMAGE,
      storage: { size: '10Gi' },
      resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } },
    });
    expect(spec.backup).toBeUndefined();
  });

  test('bootstrap creates the Discourse database and owner with hstore and pg_trgm', () => {
    const { manifests } = render();
    expect(find(manifests, 'Cluster', 'forum-db').spec.bootstrap).toEqual({
      initdb: {
        database: 'discourse',
        owner: 'discourse',
        postInitApplicationSQL: ['CREATE EXTENSION IF NOT EXISTS hstore', 'CREATE EXTENSION IF NOT EXISTS pg_trgm'],
      },
    });
  });

  test('the PodMonitor is on, and inherited labels reach it', () => {
    const { manifests } = render({ inheritedLabels: { release: 'kube-prometheus-stack' } });
    const spec = find(manifests, 'Cluster', 'forum-db').spec;
    expect(spec.monitoring).toEqual({ enablePodMonitor: true });
    expect(spec.inheritedMetadata).toEqual({ labels: { release: 'kube-prometheus-stack' } });
  });

  test('Argo CD and Flux never prune the Cluster', () => {
    const { manifests } = render();
    const c = find(manifests, 'Cluster', 'forum-db');
    expect(c.metadata.annotations).toEqual(KEEP_ON_PRUNE);
    expect(keptOnPrune(c as Manifest)).toBe(true);
  });

  test('PostgresConnection.fromCloudNativePg reads the Secret the operator writes, with keys it writes', () => {
    // GIVEN the keys CloudNativePG's CreateSecret (pkg/specs/secrets.go) puts in <cluster>-app
    const written = ['username', 'user', 'password', 'dbname', 'host', 'port', 'pgpass', 'uri', 'jdbc-uri', 'fqdn-uri', 'fqdn-jdbc-uri'];
    const { cluster } = render();
    // WHEN
    const connection = PostgresConnection.fromCloudNativePg(cluster.clusterName);
    // THEN
    expect(cluster.appSecretName).toBe('forum-db-app');
    const refs = Object.values(connection.sources).map((s) => ('from' in s ? s.from : undefined));
    expect(refs.filter((ref) => ref === undefined || ref.secret !== cluster.appSecretName || !written.includes(ref.key))).toEqual([]);
  });

  test('backups: S3 credentials by Secret reference, retention, and a daily ScheduledBackup', () => {
    // WHEN
    const { manifests } = render({ backup: { ...BACKUP, region: { secret: 'forum-backup-s3', key: 'region' } } });
    // THEN
    expectValidManifests(manifests);
    const backup = find(manifests, 'Cluster', 'forum-db').spec.backup;
    expect(backup).toEqual({
      retentionPolicy: '30d',
      barmanObjectStore: {
        destinationPath: 's3://forum-backups/db',
        endpointURL: 'https://minio.example.com',
        s3Credentials: {
          accessKeyId: { name: 'forum-backup-s3', key: 'access-key-id' },
          secretAccessKey: { name: 'forum-backup-s3', key: 'secret-access-key' },
          region: { name: 'forum-backup-s3', key: 'region' },
        },
        wal: { compression: 'gzip' },
        data: { compression: 'gzip' },
      },
    });
    expect(find(manifests, 'ScheduledBackup', 'forum-db-backup').spec).toEqual({
      cluster: { name: 'forum-db' },
      schedule: '0 0 3 * * *',
      immediate: true,
      method: 'barmanObjectStore',
      backupOwnerReference: 'self',
    });
  });

  test('names, storage class and resources from props', () => {
    const { manifests } = render({
      clusterName: 'discourse-pg',
      instances: 3,
      storageSize: Size.gibibytes(50),
      storageClass: 'fast-ssd',
      resources: { cpuRequest: Cpu.millis(500), cpuLimit: Cpu.units(2), memoryRequest: Size.gibibytes(2), memoryLimit: Size.gibibytes(4) },
      labels: { 'app.kubernetes.io/instance': 'forum' },
    });
    expectValidManifests(manifests);
    const c = find(manifests, 'Cluster', 'discourse-pg');
    expect(c.metadata.labels).toEqual({ 'app.kubernetes.io/instance': 'forum' });
    expect(c.spec).toMatchObject({
      instances: 3,
      storage: { size: '50Gi', storageClass: 'fast-ssd' },
      resources: { requests: { cpu: '500m', memory: '2Gi' }, limits: { cpu: '2', memory: '4Gi' } },
    });
  });
});

describe('validateCnpgClusterProps', () => {
  const problems = (props: Partial<CloudNativePgClusterProps>) => validateCnpgClusterProps({ site: 'forum', ...props }, 'cnpg');
  const paths = (props: Partial<CloudNativePgClusterProps>) => problems(props).map((p) => p.path);

  test('the defaults and a full backup are valid', () => {
    expect(problems({})).toEqual([]);
    expect(problems({ backup: { ...BACKUP, retentionPolicy: '4w', schedule: '@daily' } })).toEqual([]);
  });

  test.each<[string, Partial<CloudNativePgClusterProps>, string[]]>([
    ['instances < 1', { instances: 0 }, ['cnpg.instances']],
    ['instances is not whole', { instances: 1.5 }, ['cnpg.instances']],
    ['the storage size is not whole Mi', { storageSize: Size.kibibytes(1500) }, ['cnpg.storageSize']],
    [
      'the memory request exceeds the limit',
      { resources: { memoryRequest: Size.gibibytes(4), memoryLimit: Size.gibibytes(2) } },
      ['cnpg.resources.memoryRequest'],
    ],
    ['a CPU amount is not positive', { resources: { cpuRequest: Cpu.millis(0) } }, ['cnpg.resources.cpuRequest']],
    ['the cluster name is longer than 50', { clusterName: 'a'.repeat(51) }, ['cnpg.clusterName']],
    ['the cluster name starts with a digit', { clusterName: '1db' }, ['cnpg.clusterName']],
    ['the site makes a bad cluster name', { site: 'Forum' }, ['cnpg.site']],
    ['the image has no version tag', { imageName: 'ghcr.io/cloudnative-pg/postgresql:latest' }, ['cnpg.imageName']],
    ['the image is older than Discourse supports', { imageName: 'ghcr.io/cloudnative-pg/postgresql:12.22' }, ['cnpg.imageName']],
    ['the owner is the superuser', { owner: 'postgres' }, ['cnpg.owner']],
    ['the database is not a plain identifier', { database: 'my-forum' }, ['cnpg.database']],
    ['the storage class is not a name', { storageClass: 'Fast SSD' }, ['cnpg.storageClass']],
  ])('fails if %s', (_, props, expected) => {
    expect(paths(props)).toEqual(expected);
  });

  test.each<[string, Partial<NonNullable<CloudNativePgClusterProps['backup']>>, string[]]>([
    ['backups have no destination', { destinationPath: '' }, ['cnpg.backup.destinationPath']],
    ['the destination is not an object-store URL', { destinationPath: 'forum-backups' }, ['cnpg.backup.destinationPath']],
    ['the endpoint is not a URL', { endpointUrl: 'minio:9000' }, ['cnpg.backup.endpointUrl']],
    ['the access key id is not a Secret reference', { accessKeyId: undefined }, ['cnpg.backup.accessKeyId']],
    ['the secret access key is a plaintext string', { secretAccessKey: 'hunter2' as never }, ['cnpg.backup.secretAccessKey']],
    ['the retention policy is not CloudNativePG’s', { retentionPolicy: '30 days' }, ['cnpg.backup.retentionPolicy']],
    ['the schedule has five fields (a CronJob schedule)', { schedule: '0 3 * * *' }, ['cnpg.backup.schedule']],
    ['the schedule has an out-of-range hour', { schedule: '0 0 24 * * *' }, ['cnpg.backup.schedule']],
  ])('fails if %s', (_, backup, expected) => {
    expect(paths({ backup: { ...BACKUP, ...backup } as CloudNativePgClusterProps['backup'] })).toEqual(expected);
  });

  test('fails if backups use an image without barman-cloud', () => {
    expect(paths({ imageName: 'ghcr.io/cloudnative-pg/postgresql:18.3-standard-trixie', backup: BACKUP })).toEqual(['cnpg.imageName']);
    expect(paths({ imageName: 'ghcr.io/cloudnative-pg/postgresql:18.3-standard-trixie' })).toEqual([]);
  });

  test('a plaintext secret is not echoed', () => {
    const messages = problems({ backup: { ...BACKUP, secretAccessKey: 'hunter2' as never } }).map((p) => `${p.message} ${p.fix}`);
    expect(messages.filter((m) => m.includes('hunter2'))).toEqual([]);
  });
});

describe('cnpgScheduleProblem: robfig/cron as CloudNativePG parses it, seconds first', () => {
  test.each([
    '0 0 3 * * *',
    '0 30 2 * * 0',
    '0 0 */6 * * *',
    '0 0 0 1 * ?',
    '0 0 4 * * mon-fri',
    '0 0 1 1,15 jan-dec *',
    '@daily',
    '@every 12h',
    '@every 1h30m',
  ])('accepts %s', (schedule) => {
    expect(cnpgScheduleProblem(schedule)).toBeUndefined();
  });

  test.each([
    ['0 3 * * *', /five fields/],
    ['0 0 3 * * * *', /7 fields/],
    ['60 0 3 * * *', /seconds "60"/],
    ['0 0 3 32 * *', /day of month "32"/],
    ['0 0 3 * 13 *', /month "13"/],
    ['0 0 3 * * 7', /day of week "7"/],
    ['0 0 5-3 * * *', /hours "5-3"/],
    ['0 */0 * * * *', /minutes/],
    ['@sometimes', /descriptor/],
  ])('refuses %s', (schedule, why) => {
    expect(cnpgScheduleProblem(schedule)).toMatch(why);
  });
});

describe('CloudNativePgCluster on day 2: changes Kubernetes and CloudNativePG accept in place', () => {
  const base: Partial<CloudNativePgClusterProps> = { instances: 1 };
  const changes: Array<[string, Partial<CloudNativePgClusterProps>, Partial<CloudNativePgClusterProps>]> = [
    [
      'more CPU and memory',
      base,
      { ...base, resources: { cpuRequest: Cpu.units(2), cpuLimit: Cpu.units(2), memoryRequest: Size.gibibytes(4), memoryLimit: Size.gibibytes(4) } },
    ],
    ['a minor image bump', base, { ...base, imageName: 'ghcr.io/cloudnative-pg/postgresql:18.4-system-trixie' }],
    ['a major upgrade', { ...base, imageName: 'ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie' }, base],
    ['instances 1 → 3', base, { ...base, instances: 3 }],
    ['instances 3 → 1', { ...base, instances: 3 }, base],
    ['backups on', base, { ...base, backup: BACKUP }],
    ['backups off', { ...base, backup: BACKUP }, base],
    ['a new backup schedule and retention', { ...base, backup: BACKUP }, { ...base, backup: { ...BACKUP, schedule: '0 30 1 * * *', retentionPolicy: '8w' } }],
    ['more storage', base, { ...base, storageSize: Size.gibibytes(20) }],
    ['PodMonitor off', base, { ...base, enablePodMonitor: false }],
  ];

  test.each(changes)('%s', (_, before, after) => {
    const findings = immutableFieldChanges(render(before).manifests, render(after).manifests, RULES);
    expect(findings).toEqual([]);
  });

  test('the rules include the ScheduledBackup cluster rule from crds/ and the webhook’s storage rule', () => {
    expect(RULES.filter((r) => r.kind.endsWith('.postgresql.cnpg.io')).map((r) => `${r.kind} ${r.path}`)).toEqual(
      expect.arrayContaining(['ScheduledBackup.postgresql.cnpg.io spec.cluster', 'Cluster.postgresql.cnpg.io spec.storage.size']),
    );
  });

  test.each<[string, Partial<CloudNativePgClusterProps>, Partial<CloudNativePgClusterProps>, string]>([
    ['shrinking storage', { storageSize: Size.gibibytes(20) }, { storageSize: Size.gibibytes(10) }, 'spec.storage.size'],
    ['a major downgrade', {}, { imageName: 'ghcr.io/cloudnative-pg/postgresql:17.6-system-trixie' }, 'spec.imageName'],
  ])('known refusal: %s', (_, before, after, field) => {
    const findings = immutableFieldChanges(render(before).manifests, render(after).manifests, RULES);
    expect(findings.map((f: Json) => `${f.object} ${f.field}`)).toEqual([`Cluster//forum-db ${field}`]);
  });
});
