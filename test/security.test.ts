import { DatabaseExtensions } from '../lib/database-extensions';
import { PebbleSource } from '../lib/props';
import { Json, S3, find, fixtureManifests, synth } from './fixtures';

/** Every pod template in a set of manifests, with where it came from. */
function podSpecs(manifests: readonly Json[]): Array<[string, Json]> {
  const workloads = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'];
  return manifests.filter((m) => workloads.includes(m.kind)).map((m): [string, Json] => [`${m.kind}/${m.metadata.name}`, m.spec.template.spec]);
}

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

/**
 * What Pod Security Admission's "restricted" profile (Kubernetes 1.28) rejects, plus our own
 * rules: resource requests and limits everywhere, no service-account token unless the
 * account can only read named objects, no host access.
 */
function restrictedViolations(where: string, pod: Json, tokenAllowed: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const podSc = pod.securityContext ?? {};
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) out.push(`${where}: host namespaces`);
  if (pod.automountServiceAccountToken !== false && !tokenAllowed.has(pod.serviceAccountName))
    out.push(`${where}: service-account token mounted for ${pod.serviceAccountName ?? 'the default account'}, which can do more than read named objects`);
  for (const v of pod.volumes ?? []) {
    const types = Object.keys(v).filter((k) => k !== 'name');
    if (!types.every((t) => ['configMap', 'emptyDir', 'persistentVolumeClaim', 'secret', 'projected', 'downwardAPI', 'ephemeral', 'csi'].includes(t))) {
      out.push(`${where}: volume ${v.name} of type ${types.join(',')}`);
    }
  }
  for (const c of [...(pod.initContainers ?? []), ...pod.containers]) {
    const at = `${where} container ${c.name}`;
    const sc = c.securityContext ?? {};
    if (sc.allowPrivilegeEscalation !== false) out.push(`${at}: allowPrivilegeEscalation is not false`);
    if (sc.privileged) out.push(`${at}: privileged`);
    if (JSON.stringify(sc.capabilities?.drop) !== '["ALL"]') out.push(`${at}: capabilities not dropped`);
    if ((sc.capabilities?.add ?? []).some((cap: string) => cap !== 'NET_BIND_SERVICE')) out.push(`${at}: adds capabilities`);
    if ((sc.runAsNonRoot ?? podSc.runAsNonRoot) !== true) out.push(`${at}: runAsNonRoot not set`);
    if ((sc.runAsUser ?? podSc.runAsUser) === 0) out.push(`${at}: runs as uid 0`);
    if ((sc.seccompProfile?.type ?? podSc.seccompProfile?.type) !== 'RuntimeDefault') out.push(`${at}: seccomp not RuntimeDefault`);
    if (sc.readOnlyRootFilesystem !== true) out.push(`${at}: root filesystem writable`);
    for (const kind of ['requests', 'limits']) {
      for (const res of ['cpu', 'memory']) if (!c.resources?.[kind]?.[res]) out.push(`${at}: no ${res} ${kind.slice(0, -1)}`);
    }
    for (const p of c.ports ?? []) if (p.hostPort) out.push(`${at}: hostPort`);
  }
  return out;
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
