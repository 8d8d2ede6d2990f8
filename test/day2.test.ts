import { readFileSync } from 'fs';
import { parse } from 'yaml';
import {
  CrdDocument,
  ImmutabilityRule,
  CRD_ONE_WAY_RULES,
  CRD_RULES,
  KUBERNETES_RULES,
  crdImmutabilityRules,
  immutableFieldChanges,
  keptOnPrune,
  unsafePrunes,
} from '../lib/gitops/immutable-fields';
import { CNPG_WEBHOOK_RULES } from '../lib/data/cnpg-cluster';
import { Manifest } from '../lib/core/manifest';
import { clusterCrdFiles } from './cluster/crds';
import { Json } from './fixtures';
import { BASE, CHANGES, copy, jobKinds, render, withBackupVolume } from './day2-changes';

/**
 * Day 2 as a tested property: render a site, change one thing as a user would, render
 * again, and check what Kubernetes, Argo CD and Flux would do with the difference, in
 * both directions (a change and its revert are both applied in real life).
 */

/** The rules: Kubernetes' own, plus every `self == oldSelf` rule of the CRDs the control plane gets (test/cluster/crds.ts). */
const CRDS = clusterCrdFiles().map((f) => parse(readFileSync(f, 'utf8')) as CrdDocument);
const RULES: readonly ImmutabilityRule[] = [...KUBERNETES_RULES, ...CRDS.flatMap(crdImmutabilityRules), ...CRD_ONE_WAY_RULES, ...CNPG_WEBHOOK_RULES];

describe('day 2: every change applies cleanly under kubectl, Flux and Argo CD', () => {
  // docs/day-2.md promises "over 50 everyday changes".
  test(`the matrix has over 50 changes, as docs/day-2.md says (it has ${CHANGES.length})`, () => {
    expect(CHANGES.length).toBeGreaterThan(50);
  });

  test('synth’s copy of the CRD rules (it reads no CRD) is exactly what the upstream CRDs say', () => {
    const key = (r: ImmutabilityRule) => `${r.kind} ${r.path}`;
    expect(CRD_RULES.map(key).sort()).toEqual(CRDS.flatMap(crdImmutabilityRules).map(key).sort());
  });

  test('the rules include the CRDs’ transition rules (CloudNativePG Database cluster and name)', () => {
    expect(RULES.filter((r) => r.kind.endsWith('.postgresql.cnpg.io')).map((r) => `${r.kind} ${r.path}`)).toEqual(
      expect.arrayContaining(['Database.postgresql.cnpg.io spec.cluster', 'Database.postgresql.cnpg.io spec.name']),
    );
  });

  describe.each(CHANGES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const before = copy(BASE);
    c.from?.(before);
    const after = copy(before);
    c.change(after);
    const a = render(before);
    const b = render(after);

    test('the change renders differently (the matrix tests something)', () => {
      expect([...b.values()]).not.toEqual([...a.values()]);
    });

    test('no immutable field changes, going forward', () => {
      expect(immutableFieldChanges([...a.values()], [...b.values()], RULES)).toEqual([]);
    });

    test(
      c.revertRefused ? `the revert is refused at ${c.revertRefused.field} only (${c.revertRefused.because})` : 'no immutable field changes, reverting',
      () => {
        const findings = immutableFieldChanges([...b.values()], [...a.values()], RULES);
        expect(findings.map((f) => f.field)).toEqual(c.revertRefused ? [c.revertRefused.field] : []);
      },
    );

    test('objects that leave the rendering are safe to prune, both ways', () => {
      expect([...unsafePrunes([...a.values()], [...b.values()]), ...unsafePrunes([...b.values()], [...a.values()])]).toEqual([]);
    });

    test(`Jobs that run again: ${c.reruns.length > 0 ? c.reruns.join(', ') : 'none'}`, () => {
      const [ja, jb] = [jobKinds(a), jobKinds(b)];
      const renamed = [...ja.keys()].filter((kind) => jb.has(kind) && jb.get(kind) !== ja.get(kind));
      const added = [...jb.keys()].filter((kind) => !ja.has(kind));
      expect([...renamed, ...added].sort()).toEqual([...c.reruns].filter((k) => ja.has(k) || jb.has(k)).sort());
    });
  });
});

describe('data is never pruned', () => {
  test.each([
    ['the base site', BASE, ['Database/forum-db', 'Namespace/forum', 'PersistentVolumeClaim/forum-uploads']],
    [
      'with a backups volume',
      ((s) => (withBackupVolume(s), s))(copy(BASE)),
      ['Database/forum-db', 'Namespace/forum', 'PersistentVolumeClaim/forum-backups', 'PersistentVolumeClaim/forum-uploads'],
    ],
  ])('every data object of %s carries prune protection for both Argo CD and Flux', (_n, site, expected) => {
    const all = [...render(site).values()];
    const data = all.filter((m) => ['PersistentVolumeClaim', 'Namespace', 'Database'].includes(m.kind));
    expect(data.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual(expected);
    expect(data.filter((m) => !keptOnPrune(m)).map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([]);
  });
});

describe('the rules themselves', () => {
  const job: Manifest = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'forum-migrate-0000aaaa', namespace: 'forum' },
    spec: { template: { spec: { containers: [{ name: 'discourse', image: 'discourse:1', env: [{ name: 'A', value: '1' }] }] } } },
  };
  const changed = (m: Manifest, edit: (j: Json) => void): Manifest => {
    const c = structuredClone(m) as Json;
    edit(c);
    return c as Manifest;
  };

  test('a Job whose pod template changes under the same name is refused, naming the object, the field and the change', () => {
    const after = changed(job, (j) => (j.spec.template.spec.containers[0].env[0].value = '2'));
    expect(immutableFieldChanges([job], [after], RULES)).toEqual([
      {
        object: 'Job/forum/forum-migrate-0000aaaa',
        field: 'spec',
        change: expect.stringMatching(/^spec\.template\.spec\.containers\.0\.env\.0\.value: "1" → "2" \(a Job cannot be changed/),
      },
    ]);
  });

  test('a Job under a new name is a new object, not a change', () => {
    const after = changed(job, (j) => {
      j.metadata.name = 'forum-migrate-1111bbbb';
      j.spec.template.spec.containers[0].image = 'discourse:2';
    });
    expect(immutableFieldChanges([job], [after], RULES)).toEqual([]);
  });

  test.each([
    [
      'Deployment selector',
      { apiVersion: 'apps/v1', kind: 'Deployment', spec: { selector: { matchLabels: { a: '1' } } } },
      (j: Json): unknown => (j.spec.selector.matchLabels.a = '2'),
      'spec.selector',
    ],
    [
      'StatefulSet serviceName',
      { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { serviceName: 'a', replicas: 1 } },
      (j: Json): unknown => (j.spec.serviceName = 'b'),
      'spec',
    ],
    [
      'StatefulSet volumeClaimTemplates',
      { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { volumeClaimTemplates: [{ spec: { resources: { requests: { storage: '1Gi' } } } }] } },
      (j: Json): unknown => (j.spec.volumeClaimTemplates[0].spec.resources.requests.storage = '2Gi'),
      'spec',
    ],
    [
      'StatefulSet podManagementPolicy',
      { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { podManagementPolicy: 'OrderedReady' } },
      (j: Json): unknown => (j.spec.podManagementPolicy = 'Parallel'),
      'spec',
    ],
    [
      'PVC shrink',
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { resources: { requests: { storage: '20Gi' } } } },
      (j: Json): unknown => (j.spec.resources.requests.storage = '10Gi'),
      'spec.resources.requests.storage',
    ],
    [
      'PVC storage class',
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { storageClassName: 'a' } },
      (j: Json): unknown => (j.spec.storageClassName = 'b'),
      'spec',
    ],
    [
      'PVC access mode',
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { accessModes: ['ReadWriteOnce'] } },
      (j: Json): unknown => (j.spec.accessModes = ['ReadWriteMany']),
      'spec',
    ],
    [
      'Service clusterIP',
      { apiVersion: 'v1', kind: 'Service', spec: { clusterIP: '10.0.0.1' } },
      (j: Json): unknown => (j.spec.clusterIP = '10.0.0.2'),
      'spec.clusterIP',
    ],
    ['Service to headless', { apiVersion: 'v1', kind: 'Service', spec: { type: 'ClusterIP' } }, (j: Json): unknown => (j.spec.clusterIP = 'None'), 'spec'],
    ['immutable ConfigMap data', { apiVersion: 'v1', kind: 'ConfigMap', immutable: true, data: { a: '1' } }, (j: Json): unknown => (j.data.a = '2'), 'data'],
    [
      'RoleBinding roleRef',
      { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', roleRef: { kind: 'Role', name: 'a' } },
      (j: Json): unknown => (j.roleRef.name = 'b'),
      'roleRef',
    ],
    [
      'CloudNativePG Database cluster',
      { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Database', spec: { cluster: { name: 'a' } } },
      (j: Json): unknown => (j.spec.cluster.name = 'b'),
      'spec.cluster',
    ],
    [
      'CloudNativePG Database name',
      { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Database', spec: { name: 'app' } },
      (j: Json): unknown => (j.spec.name = 'forum'),
      'spec.name',
    ],
    [
      'Service clusterIP set where the server allocated one',
      { apiVersion: 'v1', kind: 'Service', spec: { type: 'ClusterIP' } },
      (j: Json): unknown => (j.spec.clusterIP = '10.0.0.250'),
      'spec.clusterIP',
    ],
  ])('catches a change of %s', (_what, object, edit, field) => {
    const before = { metadata: { name: 'x', namespace: 'forum' }, ...object } as Manifest;
    expect(immutableFieldChanges([before], [changed(before, edit)], RULES).map((f) => f.field)).toEqual([field]);
  });

  test.each([
    [
      'PVC growth',
      { apiVersion: 'v1', kind: 'PersistentVolumeClaim', spec: { resources: { requests: { storage: '20Gi' } } } },
      (j: Json): unknown => (j.spec.resources.requests.storage = '30Gi'),
    ],
    ['a mutable ConfigMap', { apiVersion: 'v1', kind: 'ConfigMap', data: { a: '1' } }, (j: Json): unknown => (j.data.a = '2')],
    [
      'StatefulSet replicas and template',
      { apiVersion: 'apps/v1', kind: 'StatefulSet', spec: { replicas: 1, template: { a: 1 } } },
      (j: Json): unknown => (j.spec = { replicas: 3, template: { a: 2 } }),
    ],
    [
      'a Deployment template',
      { apiVersion: 'apps/v1', kind: 'Deployment', spec: { selector: { a: 1 }, template: { a: 1 } } },
      (j: Json): unknown => (j.spec.template.a = 2),
    ],
    [
      'Job suspend, parallelism, backoffLimit and ttlSecondsAfterFinished (mutable on kube-apiserver 1.37)',
      { apiVersion: 'batch/v1', kind: 'Job', spec: { suspend: true, backoffLimit: 3, template: { a: 1 } } },
      (j: Json): unknown => Object.assign(j.spec, { suspend: false, parallelism: 2, backoffLimit: 6, ttlSecondsAfterFinished: 600 }),
    ],
    [
      'a CRD field that had no value (a transition rule needs an old one)',
      { apiVersion: 'postgresql.cnpg.io/v1', kind: 'Database', spec: { name: 'app' } },
      (j: Json): unknown => (j.spec.template = 'template0'),
    ],
  ])('allows %s', (_what, object, edit) => {
    const before = { metadata: { name: 'x', namespace: 'forum' }, ...object } as Manifest;
    expect(immutableFieldChanges([before], [changed(before, edit)], RULES)).toEqual([]);
  });

  test('a data object leaving the rendering without prune protection is flagged; with it, it is not', () => {
    const pvc: Manifest = { apiVersion: 'v1', kind: 'PersistentVolumeClaim', metadata: { name: 'forum-uploads', namespace: 'forum' } };
    expect(unsafePrunes([pvc], []).map((f) => f.object)).toEqual(['PersistentVolumeClaim/forum/forum-uploads']);
    const kept = {
      ...pvc,
      metadata: { ...pvc.metadata, annotations: { 'argocd.argoproj.io/sync-options': 'Prune=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' } },
    };
    expect(unsafePrunes([kept], [])).toEqual([]);
  });
});
