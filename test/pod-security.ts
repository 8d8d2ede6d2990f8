import { Json } from './fixtures';

/**
 * Pod Security "restricted" (Kubernetes 1.28) plus our own rules, as one check that
 * test/security.test.ts applies to every rendered site and the tests of other workloads
 * (the Day 0 data services) apply to theirs.
 */

/** Every pod template in a set of manifests, with where it came from. */
export function podSpecs(manifests: readonly Json[]): Array<[string, Json]> {
  const workloads = ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'];
  return manifests.filter((m) => workloads.includes(m.kind)).map((m): [string, Json] => [`${m.kind}/${m.metadata.name}`, m.spec.template.spec]);
}

/**
 * What the restricted profile rejects, plus: requests and limits everywhere, no
 * service-account token unless the account is in `tokenAllowed`, no host access, a
 * read-only root filesystem.
 */
export function restrictedViolations(where: string, pod: Json, tokenAllowed: ReadonlySet<string> = new Set()): string[] {
  const out: string[] = [];
  const podSc = pod.securityContext ?? {};
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) out.push(`${where}: host namespaces`);
  if (pod.automountServiceAccountToken !== false && !tokenAllowed.has(pod.serviceAccountName))
    out.push(`${where}: service-account token mounted for ${pod.serviceAccountName ?? 'the default account'}, which may not have one`);
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
