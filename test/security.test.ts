import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { DatabaseExtensions } from '../lib/database-extensions';
import { PebbleSource } from '../lib/props';
import { renderSites } from '../lib/synth';
import { Json, S3, synth } from './fixtures';

/** Every pod template in a set of manifests, with where it came from. */
function podSpecs(manifests: readonly Json[]): Array<[string, Json]> {
  const workloads = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'];
  return manifests.filter((m) => workloads.includes(m.kind)).map((m): [string, Json] => [`${m.kind}/${m.metadata.name}`, m.spec.template.spec]);
}

/**
 * What Pod Security Admission's "restricted" profile (Kubernetes 1.28) rejects, plus our own
 * rules: resource requests and limits everywhere, no service-account token, no host access.
 */
function restrictedViolations(where: string, pod: Json): string[] {
  const out: string[] = [];
  const podSc = pod.securityContext ?? {};
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) out.push(`${where}: host namespaces`);
  if (pod.automountServiceAccountToken !== false) out.push(`${where}: service-account token mounted`);
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
  test('the committed example site', () => {
    const { tree } = renderSites(join(__dirname, '..', 'sites'));
    const manifests = [...tree!.values()].flatMap((text) => parseAllDocuments(text).map((d) => d.toJS() as Json));
    const pods = podSpecs(manifests);
    expect(pods.map(([w]) => w.replace(/-[0-9a-f]{8}$/, ''))).toEqual(
      expect.arrayContaining(['Deployment/example', 'Job/example-migrate', 'Job/example-op-create-user']),
    );
    expect(pods.flatMap(([w, p]) => restrictedViolations(w, p))).toEqual([]);
  });

  test('every optional workload at once: init-container Pebble, superuser Job, S3 Job, operations', () => {
    const { manifests } = synth({
      pebble: PebbleSource.fromInitContainer('ghcr.io/acme/pebble:1.32'),
      databaseExtensions: DatabaseExtensions.withSuperuserJob({ superuserSecret: 'su' }),
      ...S3,
      operations: [{ action: 'promote-user', email: 'a@example.com' }],
    });
    const pods = podSpecs(manifests as Json[]);
    expect(pods).toHaveLength(6);
    expect(pods.flatMap(([w, p]) => restrictedViolations(w, p))).toEqual([]);
  });

  test('the checker itself catches a violation', () => {
    const pod = { automountServiceAccountToken: false, containers: [{ name: 'x', securityContext: { allowPrivilegeEscalation: true } }] };
    expect(restrictedViolations('Pod/x', pod)).toEqual(
      expect.arrayContaining(['Pod/x container x: allowPrivilegeEscalation is not false', 'Pod/x container x: no cpu request']),
    );
  });
});
