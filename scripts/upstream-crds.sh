#!/usr/bin/env bash
# Fetches the full upstream CRDs of every CRD kind the renderings use into test/cluster/crds/,
# from the upstream projects' own Go modules (Go module proxy, `go mod download -json`).
# Each file is upstream's release YAML, byte-identical after a 2-line comment header.
#   scripts/upstream-crds.sh           regenerate test/cluster/crds/
#   scripts/upstream-crds.sh --check   regenerate into a temp dir, diff, exit 1 on difference
set -euo pipefail
export GOTOOLCHAIN=local
export LC_ALL=C

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dest="$root/test/cluster/crds"

# module  version  path-in-module [subdir] (one row per file; a file with a subdir is kept for
# comparison only: the control plane installs test/cluster/crds/*.yaml, see test/cluster/crds.ts)
TABLE='
github.com/cloudnative-pg/cloudnative-pg              v1.29.2 config/crd/bases/postgresql.cnpg.io_clusters.yaml
github.com/cloudnative-pg/cloudnative-pg              v1.29.2 config/crd/bases/postgresql.cnpg.io_databases.yaml
github.com/cloudnative-pg/cloudnative-pg              v1.29.2 config/crd/bases/postgresql.cnpg.io_scheduledbackups.yaml
github.com/prometheus-operator/prometheus-operator    v0.85.0 example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml
github.com/prometheus-operator/prometheus-operator    v0.85.0 example/prometheus-operator-crd/monitoring.coreos.com_prometheusrules.yaml
github.com/prometheus-operator/prometheus-operator    v0.85.0 example/prometheus-operator-crd/monitoring.coreos.com_podmonitors.yaml
github.com/fluxcd/kustomize-controller                v1.9.5  config/crd/bases/kustomize.toolkit.fluxcd.io_kustomizations.yaml
github.com/fluxcd/source-controller                   v1.9.5  config/crd/bases/source.toolkit.fluxcd.io_gitrepositories.yaml
github.com/argoproj/argo-cd/v3                        v3.5.7  manifests/crds/application-crd.yaml
github.com/argoproj/argo-cd/v3                        v3.5.7  manifests/crds/applicationset-crd.yaml
github.com/kedacore/keda/v2                           v2.21.0 config/crd/bases/keda.sh_scaledobjects.yaml
sigs.k8s.io/gateway-api                               v1.6.3  config/crd/experimental/gateway.networking.k8s.io_httproutes.yaml
sigs.k8s.io/gateway-api                               v1.6.3  config/crd/standard/gateway.networking.k8s.io_httproutes.yaml standard
github.com/envoyproxy/gateway                         v1.9.1  charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_backendtrafficpolicies.yaml
github.com/grafana/grafana-operator/v5                v5.18.0 config/crd/bases/grafana.integreatly.org_grafanadashboards.yaml
'

check=0
case "${1:-}" in
  --check) check=1 ;;
  '') ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

# Dir of MODULE@VERSION in the module cache (downloads it if needed).
module_dir() {
  local out dir
  if ! out="$(go mod download -json "$1@$2" 2>&1)"; then
    echo "go mod download $1@$2 failed:" >&2; echo "$out" >&2; return 1
  fi
  dir="$(printf '%s\n' "$out" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')"
  if [ -z "$dir" ] || [ ! -d "$dir" ]; then
    echo "go mod download $1@$2: no Dir in output:" >&2; echo "$out" >&2; return 1
  fi
  printf '%s\n' "$dir"
}

generate() {
  local out="$1" module version path subdir dir name
  mkdir -p "$out"
  while read -r module version path subdir; do
    [ -n "${module:-}" ] || continue
    mkdir -p "$out/${subdir:-.}"
    dir="$(module_dir "$module" "$version")"
    [ -f "$dir/$path" ] || { echo "$module@$version has no $path" >&2; return 1; }
    # <group>_<plural>.yaml, from the CRD's metadata.name (<plural>.<group>)
    name="$(awk '/^metadata:/{m=1;next} m&&/^  name:/{print $2;exit} /^[^ ]/{m=0}' "$dir/$path")"
    [ -n "$name" ] || { echo "$module@$version $path: no metadata.name" >&2; return 1; }
    {
      printf '# %s@%s %s\n' "$module" "$version" "$path"
      printf '# upstream release file, unmodified below; regenerate with scripts/upstream-crds.sh\n'
      cat "$dir/$path"
    } > "$out/${subdir:-.}/${name#*.}_${name%%.*}.yaml"
  done <<< "$TABLE"
}

if [ "$check" = 1 ]; then
  tmp="$(mktemp -d)"; trap 'rm -rf "$tmp"' EXIT
  generate "$tmp"
  bad=0
  for f in "$tmp"/*.yaml "$tmp"/*/*.yaml; do
    [ -e "$f" ] || continue
    b="${f#"$tmp"/}"
    if [ ! -f "$dest/$b" ]; then echo "missing: test/cluster/crds/$b"; bad=1
    elif ! cmp -s "$f" "$dest/$b"; then echo "differs: test/cluster/crds/$b"; bad=1; fi
  done
  for f in "$dest"/*.yaml "$dest"/*/*.yaml; do
    [ -e "$f" ] || continue
    b="${f#"$dest"/}"
    [ -f "$tmp/$b" ] || { echo "not generated (stale): test/cluster/crds/$b"; bad=1; }
  done
  [ "$bad" = 0 ] && echo "test/cluster/crds/ is up to date"
  exit "$bad"
fi

generate "$dest"
echo "wrote $(printf '%s\n' "$TABLE" | grep -c .) CRDs to test/cluster/crds/"
