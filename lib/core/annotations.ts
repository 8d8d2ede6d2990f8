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
 * Argo CD's order for a site, as sync waves: Argo CD applies a wave only once every object
 * of the waves before it is healthy (a Job: complete), and untagged objects are wave 0.
 * Ordinary resources, not PreSync hooks: a hook runs on every sync, is never pruned, and
 * would run before the in-cluster database it needs exists on a first sync. Flux and
 * kubectl ignore waves; there the web pods and Jobs wait in init containers instead.
 */
export const WAVES = {
  /** The in-cluster PostgreSQL and Redis, when the site creates them. */
  dataServices: -3,
  /** The database's extensions (CloudNativePG Database object or the superuser Job). */
  dataSetup: -2,
  /** Pre-deploy migrations, then what needs the schema before the rollout (force_https, S3 assets). */
  preDeploy: -1,
  /** The site itself: Deployment, Service, ConfigMaps, Ingress, monitoring. */
  site: 0,
  /** Post-deploy migrations, once the rollout is done. */
  postDeploy: 1,
  /** The charm's actions, last: a failing one holds nothing back. */
  operations: 2,
} as const;

/** Argo CD applies higher waves only once every object of the lower waves is healthy. */
export function argoWave(wave: number): Record<string, string> {
  return { 'argocd.argoproj.io/sync-wave': String(wave) };
}
