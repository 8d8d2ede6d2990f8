import { spawnSync } from 'child_process';
import { createHash } from 'crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'fs';
import { homedir } from 'os';
import { join } from 'path';

/**
 * The real programs the suite runs, built from Go modules pinned in the wrapper
 * modules under test/cluster/modules/ (their go.mod and go.sum only). Each binary is
 * cached under a key made of its name, its module version and a hash of the wrapper's
 * go.sum, so a second run builds nothing and a changed pin builds anew.
 */

const MODULES = join(__dirname, 'modules');

export type ToolName = 'etcd' | 'kube-apiserver' | 'kube-controller-manager' | 'kube-scheduler' | 'kubectl' | 'kwok' | 'pebble' | 'pebble-oldest' | 'promtool';

interface ToolSpec {
  /** The wrapper module's folder under test/cluster/modules/. */
  readonly wrapper: string;
  /** The Go module whose version names the build. */
  readonly module: string;
  /** The main package. */
  readonly pkg: string;
  /** Version stamps, given the module version (without them the programs say v0.0.0). */
  readonly stamps?: (version: string) => readonly string[];
}

const kubernetesStamps = (v: string): string[] => {
  const [major, minor] = v.replace(/^v/, '').split('.');
  return [
    `k8s.io/component-base/version.gitVersion=${v}`,
    `k8s.io/component-base/version.gitMajor=${major}`,
    `k8s.io/component-base/version.gitMinor=${minor}`,
    'k8s.io/component-base/version.gitTreeState=clean',
    `k8s.io/client-go/pkg/version.gitVersion=${v}`,
    `k8s.io/client-go/pkg/version.gitMajor=${major}`,
    `k8s.io/client-go/pkg/version.gitMinor=${minor}`,
  ];
};
const kubernetes = (cmd: string): ToolSpec => ({
  wrapper: 'kubernetes',
  module: 'k8s.io/kubernetes',
  pkg: `k8s.io/kubernetes/cmd/${cmd}`,
  stamps: kubernetesStamps,
});
const pebble = (wrapper: string): ToolSpec => ({
  wrapper,
  module: 'github.com/canonical/pebble',
  pkg: 'github.com/canonical/pebble/cmd/pebble',
  stamps: (v) => [`github.com/canonical/pebble/cmd.Version=${v.replace(/^v/, '')}`],
});

const TOOLS: Record<ToolName, ToolSpec> = {
  etcd: { wrapper: 'etcd', module: 'go.etcd.io/etcd/server/v3', pkg: 'go.etcd.io/etcd/server/v3' },
  'kube-apiserver': kubernetes('kube-apiserver'),
  'kube-controller-manager': kubernetes('kube-controller-manager'),
  'kube-scheduler': kubernetes('kube-scheduler'),
  kubectl: kubernetes('kubectl'),
  kwok: { wrapper: 'kwok', module: 'sigs.k8s.io/kwok', pkg: 'sigs.k8s.io/kwok/cmd/kwok' },
  // The version the Discourse rock ships, and the oldest docs/pebble.md says runs the layer.
  pebble: pebble('pebble-v1.32.1'),
  'pebble-oldest': pebble('pebble-v1.1.1'),
  promtool: {
    wrapper: 'promtool',
    module: 'github.com/prometheus/prometheus',
    pkg: 'github.com/prometheus/prometheus/cmd/promtool',
    // Module v0.316.0 is Prometheus 3.16.0.
    stamps: (v) => [`github.com/prometheus/common/version.Version=${v.replace(/^v0\.(\d)(\d+)\.(\d+)$/, (_m, a, b, c) => `${a}.${Number(b)}.${c}`)}`],
  },
};

export const TOOL_NAMES = Object.keys(TOOLS) as ToolName[];

/** Where built binaries live: $DISCOURSE_CDK8S_TOOLS, or the user's cache folder. */
export function toolsCache(): string {
  return process.env.DISCOURSE_CDK8S_TOOLS ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'discourse-cdk8s', 'tools');
}

/** The version of `module` the wrapper requires (read from its go.mod). */
export function moduleVersion(name: ToolName): string {
  const spec = TOOLS[name];
  const gomod = readFileSync(join(MODULES, spec.wrapper, 'go.mod'), 'utf8');
  const m = new RegExp(`^\\s*(?:require\\s+)?${spec.module.replace(/[.]/g, '\\.')} (v\\S+)`, 'm').exec(gomod);
  if (!m) throw new Error(`test/cluster/modules/${spec.wrapper}/go.mod does not require ${spec.module}`);
  return m[1];
}

/** The cached binary's path (it may not exist yet). */
export function toolPath(name: ToolName): string {
  const spec = TOOLS[name];
  const sum = createHash('sha256')
    .update(readFileSync(join(MODULES, spec.wrapper, 'go.sum')))
    .update(readFileSync(join(MODULES, spec.wrapper, 'go.mod')))
    .digest('hex')
    .slice(0, 12);
  return join(toolsCache(), `${name}-${moduleVersion(name)}-${sum}`, name.replace(/-oldest$/, ''));
}

export const haveTool = (name: ToolName): boolean => existsSync(toolPath(name));

/** Why the suite must not skip what needs the real tools: under CI a missing tool is a failure. */
export const IN_CI = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI);

export interface BuildReport {
  readonly name: ToolName;
  readonly path: string;
  readonly built: boolean;
  readonly seconds: number;
}

/**
 * Builds what is missing, one tool at a time (the Go build cache makes the Kubernetes
 * binaries after the first cheap). Throws with the module, version and Go's own error.
 */
export function ensureTools(names: readonly ToolName[] = TOOL_NAMES, log: (line: string) => void = () => undefined): BuildReport[] {
  const go = spawnSync('go', ['version'], { encoding: 'utf8' });
  const reports: BuildReport[] = [];
  for (const name of names) {
    const path = toolPath(name);
    if (existsSync(path)) {
      reports.push({ name, path, built: false, seconds: 0 });
      continue;
    }
    if (go.status !== 0) throw new Error(`cannot build ${name}: no Go toolchain on PATH (${go.error?.message ?? go.stderr})`);
    const spec = TOOLS[name];
    const version = moduleVersion(name);
    log(`building ${name} (${spec.module} ${version}) ...`);
    const started = Date.now();
    const tmp = `${path}.partial-${process.pid}`;
    mkdirSync(join(path, '..'), { recursive: true });
    const ldflags = ['-s', '-w', ...(spec.stamps?.(version) ?? []).flatMap((s) => ['-X', s])].join(' ');
    const r = spawnSync('go', ['build', '-trimpath', `-ldflags=${ldflags}`, '-o', tmp, spec.pkg], {
      cwd: join(MODULES, spec.wrapper),
      encoding: 'utf8',
      env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-mod=readonly' },
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) {
      rmSync(tmp, { force: true });
      const tail = `${r.stderr}${r.stdout}`.trim().split('\n').slice(-20).join('\n');
      throw new Error(`building ${name} from ${spec.module} ${version} (test/cluster/modules/${spec.wrapper}) failed:\n${tail || r.error?.message}`);
    }
    renameSync(tmp, path);
    const seconds = Math.round((Date.now() - started) / 1000);
    log(`built ${name} in ${seconds} s: ${path}`);
    reports.push({ name, path, built: true, seconds });
  }
  return reports;
}
