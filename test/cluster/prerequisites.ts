import { readTree } from '../../app/output';
import { FAKE_NODES } from './control-plane';
import { KubeClient, KubeObject } from './kube-client';

/**
 * What the per-site checklist asks the cluster's owner to provide before the first sync,
 * provided on the test cluster: the namespaces the sites put objects in without rendering
 * them (where Argo CD, Flux and Grafana's sidecar live), the PriorityClasses the pod
 * templates name, and nodes that carry the labels the `nodeSelector`s ask for.
 */

const MANAGER = 'discourse-cdk8s-tests';

/** Every `priorityClassName` the folders' pod templates name. */
export function priorityClasses(dirs: readonly string[]): string[] {
  const names = dirs.flatMap((dir) => [...readTree(dir).values()].flatMap((text) => [...text.matchAll(/priorityClassName: (\S+)/g)].map((m) => m[1])));
  return [...new Set(names)].sort();
}

/** Every label the folders' `nodeSelector`s ask for. */
export function nodeLabels(dirs: readonly string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const dir of dirs) {
    for (const text of readTree(dir).values()) {
      for (const m of text.matchAll(/\n(\s+)nodeSelector:\n((?:\1\s+\S.*\n)+)/g)) {
        for (const line of m[2].trimEnd().split('\n')) {
          const [k, v] = line.trim().split(/:\s+/);
          labels[k] = v.replace(/^"|"$/g, '');
        }
      }
    }
  }
  return labels;
}

/** Namespaces the objects live in that none of them renders. */
export function foreignNamespaces(objects: readonly KubeObject[]): string[] {
  const rendered = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  return [...new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => n !== undefined && !rendered.has(n)))].sort();
}

/** Creates (or updates) what the folders need from the cluster. */
export async function providePrerequisites(client: KubeClient, dirs: readonly string[], objects: readonly KubeObject[]): Promise<void> {
  for (const name of foreignNamespaces(objects)) await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, MANAGER);
  for (const name of priorityClasses(dirs)) {
    await client.apply({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value: 1000 } as KubeObject, MANAGER);
  }
  const labels = nodeLabels(dirs);
  if (Object.keys(labels).length > 0)
    for (const name of FAKE_NODES) await client.apply({ apiVersion: 'v1', kind: 'Node', metadata: { name, labels } }, MANAGER);
}
