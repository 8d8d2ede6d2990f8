import { DatabaseExtensions } from '../lib/model/database-extensions';
import { PebbleSource } from '../lib/model/props';
import { Json, S3, find, fixtureManifests, synth } from './fixtures';
import { podSpecs, restrictedViolations } from './pod-security';

/**
 * ServiceAccounts whose token may be mounted: bound only to Roles that read named objects
 * (`get` with resourceNames), so a stolen token reads one Deployment's status and nothing else.
 */
function readOnlyAccounts(manifests: readonly Json[]): Set<string> {
  const roles = new Map(manifests.filter((m) => m.kind === 'Role').map((m) => [m.metadata.name, m.rules as Json[]]));
  const narrow = (rules: Json[] | undefined) =>
    rules !== undefined && rules.every((r) => r.verbs.every((v: string) => v === 'get') && (r.resourceNames ?? []).length > 0);
  const bindings = manifests.filter((m) => m.kind === 'RoleBinding' || m.kind === 'ClusterRoleBinding');
  const accounts = new Set<string>(bindings.flatMap((b) => (b.subjects ?? []).filter((s: Json) => s.kind === 'ServiceAccount').map((s: Json) => s.name)));
  for (const account of accounts) {
    const mine = bindings.filter((b) => b.subjects.some((s: Json) => s.kind === 'ServiceAccount' && s.name === account));
    if (!mine.every((b) => b.kind === 'RoleBinding' && b.roleRef.kind === 'Role' && narrow(roles.get(b.roleRef.name)))) accounts.delete(account);
  }
  return accounts;
}

describe('every pod meets Pod Security "restricted", with requests and limits', () => {
  test('the fixture sites: the example and every feature at once', () => {
    const manifests = fixtureManifests();
    const pods = podSpecs(manifests);
    expect(pods.map(([w]) => w.replace(/-[0-9a-f]{8}$/, ''))).toEqual(
      expect.arrayContaining([
        'Deployment/example',
        'Job/example-migrate',
        'Job/example-post-migrate',
        'Job/example-op-create',
        'Deployment/full',
        'Job/full-db-extensions',
        'Job/full-s3-assets',
        'Job/full-op-anonymize',
      ]),
    );
    expect(pods.flatMap(([w, p]) => restrictedViolations(w, p, readOnlyAccounts(manifests)))).toEqual([]);
  });

  test('every optional workload at once: init-container Pebble, superuser Job, S3 Job, operations', () => {
    const { manifests } = synth({
      pebble: PebbleSource.fromInitContainer('ghcr.io/acme/pebble:1.32'),
      databaseExtensions: DatabaseExtensions.withSuperuserJob({ superuserSecret: 'su' }),
      ...S3,
      operations: [{ action: 'promote-user', email: 'a@example.com' }],
    });
    const pods = podSpecs(manifests as Json[]);
    expect(pods.map(([w]) => w.replace(/-[0-9a-f]{8}$/, '')).sort()).toEqual([
      'Deployment/forum',
      'Job/forum-db-extensions',
      'Job/forum-force-https',
      'Job/forum-migrate',
      'Job/forum-op-promote',
      'Job/forum-post-migrate',
      'Job/forum-s3-assets',
    ]);
    expect(pods.flatMap(([w, p]) => restrictedViolations(w, p, readOnlyAccounts(manifests as Json[])))).toEqual([]);
  });

  test('only the post-deploy migration mounts a token, for an account that can only get the Deployment', () => {
    const { manifests } = synth();
    const withToken = podSpecs(manifests as Json[]).filter(([, p]) => p.automountServiceAccountToken !== false);
    expect(withToken.map(([w, p]) => `${w.replace(/-[0-9a-f]{8}$/, '')} as ${p.serviceAccountName}`)).toEqual([
      'Job/forum-post-migrate as forum-rollout-reader',
    ]);
    expect(find(manifests, 'Role', 'forum-rollout-reader').rules).toEqual([
      { apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['forum'], verbs: ['get'] },
    ]);
    // The checker refuses the same token once the Role may also list.
    const wider = (manifests as Json[]).map((m) => (m.kind === 'Role' ? { ...m, rules: [{ ...m.rules[0], verbs: ['get', 'list'] }] } : m));
    expect(readOnlyAccounts(wider).has('forum-rollout-reader')).toBe(false);
  });

  test('the checker itself catches a violation', () => {
    const pod = { automountServiceAccountToken: false, containers: [{ name: 'x', securityContext: { allowPrivilegeEscalation: true } }] };
    expect(restrictedViolations('Pod/x', pod)).toEqual(
      expect.arrayContaining(['Pod/x container x: allowPrivilegeEscalation is not false', 'Pod/x container x: no cpu request']),
    );
  });
});
