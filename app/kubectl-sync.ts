import { holdsDataKind, keptOnPrune } from '../lib/gitops/immutable-fields';
import { Manifest } from '../lib/core/manifest';

/**
 * The commands a kubectl user syncs a site with. `kubectl apply --prune` honours neither
 * Argo CD's `Prune=false` nor Flux's `prune: disabled`, and its default allowlist holds
 * PersistentVolumeClaims: the README's old `--prune -l app.kubernetes.io/instance=<site>`
 * deleted the uploads claim the moment it left the rendering (S3 on). So the command
 * names its allowlist, and no kind that holds data is in it.
 */

/** Kinds every cluster serves that a site renders and that hold no data: always prunable. */
export const BUILT_IN_PRUNABLE: readonly string[] = [
  'core/v1/ConfigMap',
  'core/v1/Service',
  'core/v1/ServiceAccount',
  'apps/v1/Deployment',
  'apps/v1/StatefulSet',
  'batch/v1/Job',
  'networking.k8s.io/v1/Ingress',
  'networking.k8s.io/v1/NetworkPolicy',
  'policy/v1/PodDisruptionBudget',
  'autoscaling/v2/HorizontalPodAutoscaler',
  'rbac.authorization.k8s.io/v1/Role',
  'rbac.authorization.k8s.io/v1/RoleBinding',
];

/** kubectl's `group/version/Kind` of an object (`core` for the core group). */
export function allowlistEntry(m: Pick<Manifest, 'apiVersion' | 'kind'>): string {
  return `${m.apiVersion.includes('/') ? m.apiVersion : `core/${m.apiVersion}`}/${m.kind}`;
}

/**
 * The allowlist for one rendering: the built-in kinds, and the kinds this rendering has
 * (a custom kind whose CRD the cluster lacks would fail the command, so a custom kind is
 * listed only while the site renders it, and one whose last object leaves is not pruned).
 * Never a kind of DATA_KINDS, nor one with an object kept on prune.
 */
export function pruneAllowlist(manifests: readonly Manifest[]): string[] {
  const kept = new Set(manifests.filter((m) => holdsDataKind(m) || keptOnPrune(m)).map(allowlistEntry));
  return [...new Set([...BUILT_IN_PRUNABLE, ...manifests.map(allowlistEntry)])].filter((e) => !kept.has(e)).sort();
}

/** The label every object of a site but its Namespace carries. */
export const instanceSelector = (site: string): string => `app.kubernetes.io/instance=${site}`;

/** The first sync: everything, the Namespace too (it carries no instance label, so a selector would skip it). */
export const kubectlFirstSync = (folder: string): string => `kubectl apply -k ${folder}`;

/**
 * Every later sync: the pre-deploy migration first, waited for, while the old pods still
 * serve (kubectl has no waves; with one replica and Recreate, applying everything at once
 * stops the old pod at once and the forum is down for the migration as well as the boot),
 * then everything, pruning what left the folder by the allowlist.
 */
export function kubectlSync(folder: string, site: string, namespace: string, manifests: readonly Manifest[]): string {
  const migrate = manifests.some(
    (m) => m.kind === 'Job' && (m.metadata.labels as Record<string, string> | undefined)?.['app.kubernetes.io/component'] === 'migrate',
  );
  return [
    ...(migrate
      ? [
          `kubectl apply -k ${folder} -l app.kubernetes.io/component=migrate`,
          `kubectl -n ${namespace} wait --for=condition=complete job -l ${instanceSelector(site)},app.kubernetes.io/component=migrate --timeout=30m`,
        ]
      : []),
    [`kubectl apply -k ${folder} --prune -l ${instanceSelector(site)}`, ...pruneAllowlist(manifests).map((e) => `  --prune-allowlist=${e}`)].join(' \\\n'),
  ].join('\n');
}
