import { existsSync, readdirSync } from 'fs';
import { join } from 'path';

/**
 * The CRDs the control plane gets: the full upstream release files in test/cluster/crds/
 * (regenerated from the projects' own Go modules by scripts/upstream-crds.sh) when they
 * are there, so that their OpenAPI schemas and `x-kubernetes-validations` rules are the
 * real ones; else the subsets in crds/ that the imports are generated from.
 */
const UPSTREAM_CRDS = join(__dirname, 'crds');
const SUBSET_CRDS = join(__dirname, '..', '..', 'crds');

const yamlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(dir, f));

export function clusterCrdFiles(): string[] {
  const upstream = existsSync(UPSTREAM_CRDS) ? yamlFiles(UPSTREAM_CRDS) : [];
  return upstream.length > 0 ? upstream : yamlFiles(SUBSET_CRDS);
}
