import { TransitionFinding } from '../lib/gitops/immutable-fields';
import { Manifest } from '../lib/core/manifest';
import { safeWay } from '../app/safe-ways';

const labels = { 'app.kubernetes.io/instance': 'forum' };
const object = (apiVersion: string, kind: string, name: string, rest: Record<string, unknown> = {}, namespace: string | undefined = 'web'): Manifest => ({
  apiVersion,
  kind,
  metadata: { name, ...(namespace ? { namespace } : {}), labels },
  ...rest,
});
const finding = (m: Manifest, field: string, change = `${field}: "a" → "b"`): TransitionFinding => ({
  object: `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`,
  field,
  change,
});

const UPLOADS = object('v1', 'PersistentVolumeClaim', 'forum-uploads', { spec: { resources: { requests: { storage: '20Gi' } } } });
const BACKUPS = object('v1', 'PersistentVolumeClaim', 'forum-backups', { spec: { resources: { requests: { storage: '5Gi' } } } });
const VALKEY = object('apps/v1', 'StatefulSet', 'forum-redis', { spec: { volumeClaimTemplates: [{ metadata: { name: 'data' } }] } });
const CLUSTER = object('postgresql.cnpg.io/v1', 'Cluster', 'forum-db', { spec: { storage: { size: '10Gi' } } });
const DATABASE = object('postgresql.cnpg.io/v1', 'Database', 'forum-db', { spec: { databaseReclaimPolicy: 'retain' } });

/** Every kind a refusal or a prune can name, with the change that meets it. */
const CASES: Array<[string, TransitionFinding, Manifest]> = [
  ['uploads shrink', finding(UPLOADS, 'spec.resources.requests.storage'), UPLOADS],
  ['uploads storage class', finding(UPLOADS, 'spec'), UPLOADS],
  ['backups shrink', finding(BACKUPS, 'spec.resources.requests.storage'), BACKUPS],
  ['Valkey storage', finding(VALKEY, 'spec', 'spec.volumeClaimTemplates.0.spec.resources.requests.storage: "2Gi" → "4Gi"'), VALKEY],
  ['CloudNativePG storage shrink', finding(CLUSTER, 'spec.storage.size'), CLUSTER],
  ['CloudNativePG major downgrade', finding(CLUSTER, 'spec.imageName'), CLUSTER],
  ['CloudNativePG Database', finding(DATABASE, 'spec.name'), DATABASE],
  ['Job', finding(object('batch/v1', 'Job', 'forum-migrate-1'), 'spec'), object('batch/v1', 'Job', 'forum-migrate-1')],
  ['Deployment selector', finding(object('apps/v1', 'Deployment', 'forum'), 'spec.selector'), object('apps/v1', 'Deployment', 'forum')],
  ['Service cluster IP', finding(object('v1', 'Service', 'forum'), 'spec.clusterIP'), object('v1', 'Service', 'forum')],
  ['immutable Secret', finding(object('v1', 'Secret', 'forum-x'), 'data'), object('v1', 'Secret', 'forum-x')],
  ['uploads pruned', finding(UPLOADS, 'metadata.annotations'), UPLOADS],
  ['Namespace pruned', finding(object('v1', 'Namespace', 'web', {}, undefined), 'metadata.annotations'), object('v1', 'Namespace', 'web', {}, undefined)],
  ['Cluster pruned', finding(CLUSTER, 'metadata.annotations'), CLUSTER],
];

describe('safeWay: what to do about a refused change, without losing data', () => {
  test.each(CASES)('%s: every delete says, on its line, what goes with it', (_name, f, before) => {
    const lines = safeWay(f, before);
    expect(
      lines.filter(
        (l) =>
          /\bdelete\b/.test(l) &&
          /kubectl/.test(l) &&
          !/(this deletes|deletes (its|the|nothing)|holds no data|removes only|deletes only|no data|the values in it)/.test(l),
      ),
    ).toEqual([]);
  });

  test.each(CASES)('%s: the safe way comes before any command that deletes', (_name, f, before) => {
    const lines = safeWay(f, before);
    const safe = lines.findIndex((l) => /^Safe: /.test(l));
    const firstDelete = lines.findIndex((l) => /kubectl .*\bdelete\b/.test(l));
    expect(safe).toBeGreaterThanOrEqual(0);
    if (firstDelete >= 0) expect(safe).toBeLessThan(firstDelete);
  });

  test.each([
    ['the uploads claim: grow instead', UPLOADS, /Safe: keep uploads\.size at 20Gi or more/],
    ['the backups claim: grow instead', BACKUPS, /Safe: keep backups\.volume\.size at 5Gi or more/],
  ])('%s', (_name, claim, expected) => {
    const lines = safeWay(finding(claim, 'spec.resources.requests.storage'), claim);
    expect(lines[0]).toMatch(/^This claim holds .*; deleting it deletes them\.$/);
    expect(lines[1]).toMatch(expected);
  });

  test('the Valkey StatefulSet: grow its claim by hand, and delete only the StatefulSet object (--cascade=orphan)', () => {
    const lines = safeWay(CASES[3][1], VALKEY).join('\n');
    expect(lines).toContain('kubectl -n web patch pvc data-forum-redis-0');
    expect(lines).toContain(
      'kubectl -n web delete statefulset forum-redis --cascade=orphan (deletes only the StatefulSet object: its pod keeps running and its claim keeps the data)',
    );
  });

  test('a prune of data: annotate it to keep it before writing, never a bare --allow-replace', () => {
    const lines = safeWay(finding(UPLOADS, 'metadata.annotations'), UPLOADS);
    expect(lines[0]).toBe("It holds the forum's uploads (every file its users attached): a sync of the new rendering would delete it, and them.");
    expect(lines[2]).toMatch(
      /kubectl -n web annotate persistentvolumeclaim forum-uploads argocd\.argoproj\.io\/sync-options=Prune=false kustomize\.toolkit\.fluxcd\.io\/prune=disabled .*only then npm run synth -- --allow-replace/,
    );
  });
});
