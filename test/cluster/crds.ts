import { readdirSync } from 'fs';
import { join } from 'path';

/**
 * The CRDs the control plane gets: the full upstream release files in test/cluster/crds/
 * (regenerated from the projects' own Go modules by scripts/upstream-crds.sh), so that
 * their OpenAPI schemas and `x-kubernetes-validations` rules are the real ones, never the
 * cut-down copies in crds/ that imports/ is generated from.
 */
export const UPSTREAM_CRDS = join(__dirname, 'crds');

/**
 * CRDs whose upstream release file the Go module proxy does not serve: the control plane
 * gets the hand-written subset in crds/ (what imports/ and the offline schema tests use)
 * instead, so the objects still meet a real API server's structural schema and CEL rules,
 * though only the rules written there. file → why.
 */
export const AUTHORED_CRDS: Readonly<Record<string, string>> = {
  'grafana.integreatly.org_grafanadashboards.yaml':
    'the Go module proxy answers 403 for github.com/grafana/grafana-operator/v5 (its version list and every version tried)',
};
const AUTHORED_DIR = join(__dirname, '..', '..', 'crds');

export function clusterCrdFiles(): string[] {
  const files = readdirSync(UPSTREAM_CRDS)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(UPSTREAM_CRDS, f));
  files.push(...Object.keys(AUTHORED_CRDS).map((f) => join(AUTHORED_DIR, f)));
  if (files.length === 0) throw new Error(`no CRDs in ${UPSTREAM_CRDS}: regenerate them with scripts/upstream-crds.sh`);
  return files;
}
