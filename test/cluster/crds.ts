import { existsSync, readdirSync } from 'fs';
import { join } from 'path';

/**
 * The CRDs the control plane gets: the full upstream release files (test/cluster/crds/,
 * regenerated from the projects' own Go modules by scripts/upstream-crds.sh), so their
 * OpenAPI schemas and `x-kubernetes-validations` rules are the real ones.
 */
export const UPSTREAM_CRDS = join(__dirname, 'crds');

export function clusterCrdFiles(): string[] {
  if (!existsSync(UPSTREAM_CRDS)) return [];
  return readdirSync(UPSTREAM_CRDS)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(UPSTREAM_CRDS, f));
}
