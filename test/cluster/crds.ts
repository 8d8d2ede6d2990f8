import { readdirSync } from 'fs';
import { join } from 'path';

/**
 * The CRDs the control plane gets: the full upstream release files in test/cluster/crds/
 * (regenerated from the projects' own Go modules by scripts/upstream-crds.sh), so that
 * their OpenAPI schemas and `x-kubernetes-validations` rules are the real ones, never the
 * cut-down copies in crds/ that imports/ is generated from.
 */
export const UPSTREAM_CRDS = join(__dirname, 'crds');

export function clusterCrdFiles(): string[] {
  const files = readdirSync(UPSTREAM_CRDS)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(UPSTREAM_CRDS, f));
  if (files.length === 0) throw new Error(`no CRDs in ${UPSTREAM_CRDS}: regenerate them with scripts/upstream-crds.sh`);
  return files;
}
