import { CRD_ONE_WAY_RULES, CRD_RULES, KUBERNETES_RULES, immutableFieldChanges } from '../../lib/gitops/immutable-fields';
import { Manifest } from '../../lib/core/manifest';
import { cluster, describeCluster } from './cluster-env';
import { KubeError, KubeObject } from './kube-client';
import { settle } from './sync';

/**
 * lib/gitops/immutable-fields.ts is a hand-kept table, because synth must work offline; here it
 * meets the real API server (with the upstream CRDs' transition rules) on transitions
 * made to be refused, and on their harmless neighbours: for each, the table's verdict and
 * the server's must be the one written down. CloudNativePG's webhook rules are not here:
 * no operator runs, so nothing enforces them.
 */

const NS = 'immutable-fields';
const MANAGER = 'kustomize-controller';
const RULES = [...KUBERNETES_RULES, ...CRD_RULES, ...CRD_ONE_WAY_RULES];

type Obj = KubeObject & Manifest;
type Edit = (o: Obj) => void;

interface Transition {
  readonly name: string;
  readonly before: Obj;
  readonly edit: Edit;
  /** What both the table and the server must say. */
  readonly refused: boolean;
  /** Where they are known to differ, the server's verdict and why the table cannot know it. */
  readonly serverOnly?: { readonly refused: boolean; readonly because: string; readonly message: RegExp };
}

const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: NS, labels: { app: name }, ...extra });
const restrictedPod = (app: string) => ({
  metadata: { labels: { app } },
  spec: {
    restartPolicy: 'Never',
    securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
    containers: [
      {
        name: 'main',
        image: 'registry.example.com/discourse:3.4.1',
        env: [{ name: 'A', value: '1' }],
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      },
    ],
  },
});
const job = (name: string): Obj =>
  ({ apiVersion: 'batch/v1', kind: 'Job', metadata: meta(name), spec: { suspend: true, backoffLimit: 3, template: restrictedPod(name) } }) as Obj;
const deployment = (name: string): Obj =>
  ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name),
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: { ...restrictedPod(name), spec: { ...restrictedPod(name).spec, restartPolicy: 'Always' } },
    },
  }) as Obj;
const statefulSet = (name: string): Obj =>
  ({
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: meta(name),
    spec: {
      replicas: 0,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { ...restrictedPod(name), spec: { ...restrictedPod(name).spec, restartPolicy: 'Always' } },
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    },
  }) as Obj;
const claim = (name: string, storageClassName = 'standard'): Obj =>
  ({
    apiVersion: 'v1',
    kind: 'PersistentVolumeClaim',
    metadata: meta(name),
    spec: { storageClassName, accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } } },
  }) as Obj;
const service = (name: string): Obj =>
  ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name),
    spec: { selector: { app: name }, ports: [{ name: 'http', port: 3000, targetPort: 3000 }] },
  }) as Obj;
const configMap = (name: string, immutable?: boolean): Obj =>
  ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta(name), data: { layer: 'a' }, ...(immutable === undefined ? {} : { immutable }) }) as Obj;
const secret = (name: string): Obj => ({ apiVersion: 'v1', kind: 'Secret', metadata: meta(name), stringData: { key: 'a' }, immutable: true }) as Obj;
const roleBinding = (name: string): Obj =>
  ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: meta(name),
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'reader' },
    subjects: [{ kind: 'ServiceAccount', name: 'forum', namespace: NS }],
  }) as Obj;
const database = (name: string): Obj =>
  ({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Database',
    metadata: meta(name),
    spec: { cluster: { name: 'forum-db' }, name: 'discourse', owner: 'discourse' },
  }) as Obj;
const scheduledBackup = (name: string): Obj =>
  ({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'ScheduledBackup',
    metadata: meta(name),
    spec: { cluster: { name: 'forum-db' }, schedule: '0 0 3 * * *' },
  }) as Obj;
const pgCluster = (name: string, serviceAccountName?: string): Obj =>
  ({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: meta(name),
    spec: { instances: 1, storage: { size: '1Gi' }, ...(serviceAccountName ? { serviceAccountName } : {}) },
  }) as Obj;

const container = (o: Obj) => (o.spec as { template: { spec: { containers: { env: { value: string }[] }[] } } }).template.spec.containers[0];

const grafanaDashboard = (name: string, spec: Record<string, unknown> = {}): Obj =>
  ({
    apiVersion: 'grafana.integreatly.org/v1beta1',
    kind: 'GrafanaDashboard',
    metadata: meta(name),
    spec: { instanceSelector: { matchLabels: { dashboards: 'grafana' } }, json: '{}\n', ...spec },
  }) as Obj;
const dashboardSpec = (o: Obj) => o.spec as Record<string, unknown>;

const TRANSITIONS: Transition[] = [
  {
    name: 'GrafanaDashboard: the instance selector',
    before: grafanaDashboard('gd-selector'),
    edit: (o) => (dashboardSpec(o).instanceSelector = { matchLabels: { dashboards: 'other' } }),
    refused: true,
  },
  {
    name: 'GrafanaDashboard: the folder and the JSON',
    before: grafanaDashboard('gd-folder'),
    edit: (o) => Object.assign(dashboardSpec(o), { folder: 'Forums', json: '{"a":1}\n' }),
    refused: false,
  },
  {
    name: 'GrafanaDashboard: allowCrossNamespaceImport turned on',
    before: grafanaDashboard('gd-cross-on'),
    edit: (o) => (dashboardSpec(o).allowCrossNamespaceImport = true),
    refused: false,
  },
  {
    name: 'GrafanaDashboard: allowCrossNamespaceImport turned off (left out)',
    before: grafanaDashboard('gd-cross-off', { allowCrossNamespaceImport: true }),
    edit: (o) => delete dashboardSpec(o).allowCrossNamespaceImport,
    refused: true,
  },
  // Jobs: the pod template is fixed once created; a few scheduling knobs are not.
  { name: 'Job: the pod template’s env', before: job('job-env'), edit: (o) => (container(o).env[0].value = '2'), refused: true },
  {
    name: 'Job: the pod template’s image',
    before: job('job-image'),
    edit: (o) => ((container(o) as unknown as { image: string }).image = 'x:2'),
    refused: true,
  },
  {
    name: 'Job: a label on the Job itself',
    before: job('job-label'),
    edit: (o) => ((o.metadata.labels as Record<string, string>).extra = 'yes'),
    refused: false,
  },
  { name: 'Job: suspend true → false', before: job('job-suspend'), edit: (o) => ((o.spec as Record<string, unknown>).suspend = false), refused: false },
  { name: 'Job: parallelism', before: job('job-parallelism'), edit: (o) => ((o.spec as Record<string, unknown>).parallelism = 2), refused: false },
  {
    name: 'Job: ttlSecondsAfterFinished',
    before: job('job-ttl'),
    edit: (o) => ((o.spec as Record<string, unknown>).ttlSecondsAfterFinished = 600),
    refused: false,
  },
  { name: 'Job: completions', before: job('job-completions'), edit: (o) => ((o.spec as Record<string, unknown>).completions = 2), refused: true },
  { name: 'Job: backoffLimit', before: job('job-backoff'), edit: (o) => ((o.spec as Record<string, unknown>).backoffLimit = 6), refused: false },
  // Deployments: only the selector.
  {
    name: 'Deployment: the selector',
    before: deployment('deploy-selector'),
    edit: (o) => ((o.spec as { selector: unknown }).selector = { matchLabels: { app: 'other' } }),
    refused: true,
  },
  { name: 'Deployment: the pod template', before: deployment('deploy-template'), edit: (o) => (container(o).env[0].value = '2'), refused: false },
  // StatefulSets: all but a few fields.
  {
    name: 'StatefulSet: volumeClaimTemplates (the Valkey claim grows)',
    before: statefulSet('sts-claims'),
    edit: (o) =>
      ((
        o.spec as { volumeClaimTemplates: { spec: { resources: { requests: { storage: string } } } }[] }
      ).volumeClaimTemplates[0].spec.resources.requests.storage = '2Gi'),
    refused: true,
  },
  {
    name: 'StatefulSet: serviceName',
    before: statefulSet('sts-service'),
    edit: (o) => ((o.spec as Record<string, unknown>).serviceName = 'other'),
    refused: true,
  },
  {
    name: 'StatefulSet: podManagementPolicy',
    before: statefulSet('sts-policy'),
    edit: (o) => ((o.spec as Record<string, unknown>).podManagementPolicy = 'Parallel'),
    refused: true,
  },
  { name: 'StatefulSet: the pod template and replicas', before: statefulSet('sts-template'), edit: (o) => (container(o).env[0].value = '2'), refused: false },
  // Claims: they grow, never shrink, nothing else changes.
  { name: 'PersistentVolumeClaim: shrink 20Gi → 10Gi', before: claim('pvc-shrink'), edit: (o) => setStorage(o, '10Gi'), refused: true },
  {
    name: 'PersistentVolumeClaim: grow 20Gi → 30Gi (StorageClass allows expansion)',
    before: claim('pvc-grow'),
    edit: (o) => setStorage(o, '30Gi'),
    refused: false,
  },
  {
    name: 'PersistentVolumeClaim: grow 20Gi → 30Gi (StorageClass without allowVolumeExpansion)',
    before: claim('pvc-grow-fixed', 'fixed'),
    edit: (o) => setStorage(o, '30Gi'),
    refused: false,
    serverOnly: {
      refused: true,
      because: 'the table cannot see the cluster’s StorageClass; the checklist says growth needs allowVolumeExpansion',
      message: /the storageclass that provisions the pvc must support resize/,
    },
  },
  {
    name: 'PersistentVolumeClaim: accessModes',
    before: claim('pvc-modes'),
    edit: (o) => ((o.spec as Record<string, unknown>).accessModes = ['ReadWriteMany']),
    refused: true,
  },
  {
    name: 'PersistentVolumeClaim: storageClassName',
    before: claim('pvc-class'),
    edit: (o) => ((o.spec as Record<string, unknown>).storageClassName = 'fixed'),
    refused: true,
  },
  // Services: the cluster IP and headlessness.
  {
    name: 'Service: a clusterIP set where the server allocated one',
    before: service('svc-ip'),
    edit: (o) => ((o.spec as Record<string, unknown>).clusterIP = '10.0.0.250'),
    refused: true,
  },
  { name: 'Service: turned headless', before: service('svc-headless'), edit: (o) => ((o.spec as Record<string, unknown>).clusterIP = 'None'), refused: true },
  { name: 'Service: a port', before: service('svc-port'), edit: (o) => ((o.spec as { ports: { port: number }[] }).ports[0].port = 8080), refused: false },
  // ConfigMaps and Secrets marked immutable.
  {
    name: 'ConfigMap (immutable): its data',
    before: configMap('cm-immutable', true),
    edit: (o) => ((o as unknown as { data: Record<string, string> }).data.layer = 'b'),
    refused: true,
  },
  {
    name: 'ConfigMap (immutable): immutable → false',
    before: configMap('cm-unfreeze', true),
    edit: (o) => ((o as unknown as { immutable: boolean }).immutable = false),
    refused: true,
  },
  {
    name: 'ConfigMap (mutable): its data',
    before: configMap('cm-mutable'),
    edit: (o) => ((o as unknown as { data: Record<string, string> }).data.layer = 'b'),
    refused: false,
  },
  {
    name: 'ConfigMap: mutable → immutable',
    before: configMap('cm-freeze', false),
    edit: (o) => ((o as unknown as { immutable: boolean }).immutable = true),
    refused: false,
  },
  {
    name: 'Secret (immutable): its data',
    before: secret('secret-immutable'),
    edit: (o) => ((o as unknown as { stringData: Record<string, string> }).stringData.key = 'b'),
    refused: true,
  },
  // RBAC.
  {
    name: 'RoleBinding: roleRef',
    before: roleBinding('rb-role'),
    edit: (o) => ((o as unknown as { roleRef: { name: string } }).roleRef.name = 'writer'),
    refused: true,
  },
  {
    name: 'RoleBinding: subjects',
    before: roleBinding('rb-subjects'),
    edit: (o) => ((o as unknown as { subjects: { name: string }[] }).subjects[0].name = 'other'),
    refused: false,
  },
  // The upstream CRDs' transition rules (x-kubernetes-validations, self == oldSelf).
  {
    name: 'CloudNativePG Database: the database name',
    before: database('db-name'),
    edit: (o) => ((o.spec as Record<string, unknown>).name = 'forum'),
    refused: true,
  },
  {
    name: 'CloudNativePG Database: the cluster',
    before: database('db-cluster'),
    edit: (o) => ((o.spec as Record<string, unknown>).cluster = { name: 'other-db' }),
    refused: true,
  },
  {
    name: 'CloudNativePG Database: the owner',
    before: database('db-owner'),
    edit: (o) => ((o.spec as Record<string, unknown>).owner = 'forum'),
    refused: false,
  },
  {
    name: 'CloudNativePG Database: a template where none was set (a transition rule needs an old value)',
    before: database('db-template'),
    edit: (o) => ((o.spec as Record<string, unknown>).template = 'template0'),
    refused: false,
  },
  {
    name: 'CloudNativePG ScheduledBackup: the cluster',
    before: scheduledBackup('sb-cluster'),
    edit: (o) => ((o.spec as Record<string, unknown>).cluster = { name: 'other-db' }),
    refused: true,
  },
  {
    name: 'CloudNativePG Cluster: serviceAccountName',
    before: pgCluster('pg-sa', 'forum-db'),
    edit: (o) => ((o.spec as Record<string, unknown>).serviceAccountName = 'other'),
    refused: true,
  },
  {
    name: 'CloudNativePG Cluster: serviceAccountName where none was set',
    before: pgCluster('pg-sa-new'),
    edit: (o) => ((o.spec as Record<string, unknown>).serviceAccountName = 'forum-db'),
    refused: false,
  },
];

function setStorage(o: Obj, size: string): void {
  (o.spec as { resources: { requests: { storage: string } } }).resources.requests.storage = size;
}

describeCluster('the immutable-fields table agrees with the real API server', () => {
  beforeAll(async () => {
    const { client } = cluster();
    await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS } }, 'discourse-cdk8s-tests');
    // A StorageClass that does not allow expansion, beside the cluster's default one that does.
    await client.apply(
      { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'fixed' }, provisioner: 'discourse-cdk8s.example.com/stand-in' } as KubeObject,
      'discourse-cdk8s-tests',
    );
  });

  test.each(TRANSITIONS.map((t) => [t.name, t] as const))('%s', async (_name, t) => {
    const { client } = cluster();
    // GIVEN the object as the last sync left it
    await client.apply(t.before, MANAGER);
    if (t.before.kind === 'PersistentVolumeClaim') await settle(client, [t.before], 60, () => t.before.metadata.name);
    const after = structuredClone(t.before);
    t.edit(after);
    // WHEN the next sync applies the edit (dry-run: the verdict is all that matters)
    const server = await client.apply(after, MANAGER, true).then(
      () => 'accepted',
      (e: unknown) => {
        if (!(e instanceof KubeError)) throw e;
        return `refused: ${e.message}`;
      },
    );
    const table = immutableFieldChanges([t.before], [after], RULES);
    if (t.serverOnly) expect(server).toMatch(t.serverOnly.message);
    // THEN
    const expectServer = t.serverOnly?.refused ?? t.refused;
    expect({ server: server.startsWith('refused') ? 'refused' : server, detail: server }).toEqual({
      server: expectServer ? 'refused' : 'accepted',
      detail: expect.stringMatching(expectServer ? /^refused: / : /^accepted$/),
    });
    expect({ table: table.length > 0 ? 'refused' : 'accepted', findings: table.map((f) => f.change) }).toEqual({
      table: t.refused ? 'refused' : 'accepted',
      findings: t.refused ? expect.arrayContaining([expect.any(String)]) : [],
    });
  });

  test('the cases cover every rule kind of the table but the ones no rendering has (DaemonSet, ReplicaSet, ClusterRoleBinding)', () => {
    const covered = new Set(
      TRANSITIONS.map((t) => {
        // As the table names kinds: with the group for custom resources (a dotted group, not *.k8s.io).
        const group = t.before.apiVersion.includes('/') ? t.before.apiVersion.split('/')[0] : '';
        return group.includes('.') && !group.endsWith('.k8s.io') ? `${t.before.kind}.${group}` : t.before.kind;
      }),
    );
    const missing = [...new Set(RULES.map((r) => r.kind))].filter((k) => !covered.has(k) && !['DaemonSet', 'ReplicaSet', 'ClusterRoleBinding'].includes(k));
    expect(missing).toEqual([]);
  });
});
