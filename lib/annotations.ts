/** Annotations that tell Argo CD and Flux how to treat an object. */

/** Never prune: data that must outlive a sync (uploads, the namespace, the database). */
export const KEEP_ON_PRUNE: Readonly<Record<string, string>> = {
  'argocd.argoproj.io/sync-options': 'Prune=false',
  'kustomize.toolkit.fluxcd.io/prune': 'disabled',
};

/** Argo CD's dry run fails for kinds whose CRD is not installed yet (first sync of a new cluster). */
export const SKIP_DRY_RUN_ON_MISSING_CRD: Readonly<Record<string, string>> = {
  'argocd.argoproj.io/sync-options': 'SkipDryRunOnMissingResource=true',
};

/**
 * Argo CD runs PreSync hooks before syncing the rest, lower waves first, on every sync.
 * `BeforeHookCreation` deletes the previous hook of the same name first; with
 * `deleteOnSuccess`, a hook that succeeded is deleted too, since Argo CD never prunes
 * hooks and hash-named ones would otherwise pile up, one per release.
 */
export function argoPreSync(wave: number, options: { readonly deleteOnSuccess?: boolean } = {}): Record<string, string> {
  return {
    'argocd.argoproj.io/hook': 'PreSync',
    'argocd.argoproj.io/hook-delete-policy': options.deleteOnSuccess ? 'BeforeHookCreation,HookSucceeded' : 'BeforeHookCreation',
    'argocd.argoproj.io/sync-wave': String(wave),
  };
}

/** Argo CD applies higher waves only once every object of the lower waves is healthy. */
export function argoWave(wave: number): Record<string, string> {
  return { 'argocd.argoproj.io/sync-wave': String(wave) };
}
