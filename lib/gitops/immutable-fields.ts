import { quantityBytes } from '../core/units';
import { KEEP_ON_PRUNE } from '../core/annotations';
import type { Manifest } from '../core/manifest';

/**
 * What the API server refuses to change in place, as data: the rules a GitOps user meets
 * on day 2, when `kubectl apply`, Flux or Argo CD updates an object that already exists.
 * Each rule names a field of one kind; a rendering that changes it for an object that
 * keeps its kind, namespace and name cannot be applied without deleting the object.
 */
export interface ImmutabilityRule {
  /** `apiVersion`-less kind, with the group for custom resources: `Job`, `Database.postgresql.cnpg.io`. */
  readonly kind: string;
  /** Dotted path of the field, `spec` for all of it. */
  readonly path: string;
  /** Paths under `path` that may change. @default [] */
  readonly except?: readonly string[];
  /** Instead of "may not change": when a change is refused. @default - every change */
  readonly refuses?: (before: unknown, after: unknown) => boolean;
  /** Why, for the finding. */
  readonly why: string;
  /** Only while this holds for the object as it is. @default - always */
  readonly when?: (before: Manifest) => boolean;
}

/** Equality of JSON data (manifests parsed from YAML), whatever realm or key order the objects come from. */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return ka.length === kb.length && ka.every((k) => sameJson((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

const isExternalOrHeadless = (spec: unknown): boolean => {
  const s = (spec ?? {}) as { type?: string; clusterIP?: string };
  return s.type === 'ExternalName' || s.clusterIP === 'None';
};

/** Kubernetes' own rules (API validation of updates, Kubernetes 1.28). */
export const KUBERNETES_RULES: readonly ImmutabilityRule[] = [
  {
    kind: 'Job',
    path: 'spec',
    // Measured on kube-apiserver 1.37 (test/cluster/immutable.test.ts): these may change.
    except: ['suspend', 'parallelism', 'backoffLimit', 'ttlSecondsAfterFinished'],
    why: 'a Job cannot be changed once created (its pod template, selector and completions are immutable)',
  },
  { kind: 'Deployment', path: 'spec.selector', why: 'the selector of a Deployment is immutable' },
  { kind: 'ReplicaSet', path: 'spec.selector', why: 'the selector of a ReplicaSet is immutable' },
  { kind: 'DaemonSet', path: 'spec.selector', why: 'the selector of a DaemonSet is immutable' },
  {
    kind: 'StatefulSet',
    path: 'spec',
    except: ['replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy', 'minReadySeconds'],
    why: 'a StatefulSet may change only replicas, ordinals, template, updateStrategy, persistentVolumeClaimRetentionPolicy and minReadySeconds',
  },
  {
    kind: 'PersistentVolumeClaim',
    path: 'spec',
    except: ['resources.requests.storage'],
    why: 'the spec of a bound claim is immutable except its storage request',
  },
  {
    kind: 'PersistentVolumeClaim',
    path: 'spec.resources.requests.storage',
    refuses: (before, after) => (quantityBytes(after) ?? 0) < (quantityBytes(before) ?? 0),
    why: 'a claim can grow, never shrink',
  },
  {
    kind: 'Service',
    path: 'spec.clusterIP',
    // Unset before means allocated by the server: setting one now is refused unless it
    // happens to be the allocated one, which a rendering cannot know. Unsetting keeps it.
    // ('None' is the headless rule's.)
    refuses: (before, after) => after !== undefined && after !== 'None' && before !== after,
    why: 'the cluster IP of a Service is immutable',
  },
  { kind: 'Service', path: 'spec.clusterIPs', refuses: (before, after) => after !== undefined && !sameJson(before, after), why: 'cluster IPs are immutable' },
  {
    kind: 'Service',
    path: 'spec',
    refuses: (before, after) => isExternalOrHeadless(before) !== isExternalOrHeadless(after),
    why: 'turning a Service into or out of ExternalName or headless needs it replaced',
  },
  ...['ConfigMap', 'Secret'].flatMap((kind) =>
    ['data', 'binaryData', 'stringData', 'immutable'].map((path): ImmutabilityRule => ({
      kind,
      path,
      when: (m) => (m as { immutable?: boolean }).immutable === true,
      why: `an immutable ${kind} cannot change`,
    })),
  ),
  { kind: 'RoleBinding', path: 'roleRef', why: 'the roleRef of a binding is immutable' },
  { kind: 'ClusterRoleBinding', path: 'roleRef', why: 'the roleRef of a binding is immutable' },
];

/**
 * The `self == oldSelf` rules of the upstream CRDs (test/cluster/crds/, the release files
 * the real API server gets), as data, so that synth need not read the CRDs; a test
 * derives them from those files and compares, and the cluster suite meets them for real.
 */
/** A CRD transition rule (`self == oldSelf`) is evaluated only where the old and the new object both have the field. */
const transition = (before: unknown, after: unknown): boolean => before !== undefined && after !== undefined && !sameJson(before, after);

export const CRD_RULES: readonly ImmutabilityRule[] = [
  {
    kind: 'Cluster.postgresql.cnpg.io',
    path: 'spec.serviceAccountName',
    refuses: transition,
    why: 'the ServiceAccount of a CloudNativePG Cluster cannot change once it exists',
  },
  ...['builtinLocale', 'collationVersion', 'encoding', 'icuLocale', 'icuRules', 'locale', 'localeCType', 'localeCollate', 'localeProvider', 'template'].map(
    (field): ImmutabilityRule => ({
      kind: 'Database.postgresql.cnpg.io',
      path: `spec.${field}`,
      refuses: transition,
      why: `the ${field} of a database cannot change once it exists`,
    }),
  ),
  { kind: 'Database.postgresql.cnpg.io', path: 'spec.cluster', refuses: transition, why: 'the cluster of a Database cannot change once it exists' },
  { kind: 'Database.postgresql.cnpg.io', path: 'spec.name', refuses: transition, why: 'the database name cannot change once it exists' },
  { kind: 'ScheduledBackup.postgresql.cnpg.io', path: 'spec.cluster', refuses: transition, why: 'cluster reference is immutable after creation' },
  { kind: 'GrafanaDashboard.grafana.integreatly.org', path: 'spec.instanceSelector', refuses: transition, why: 'spec.instanceSelector is immutable' },
  { kind: 'GrafanaDashboard.grafana.integreatly.org', path: 'spec.uid', refuses: transition, why: 'spec.uid is immutable' },
];

/**
 * CRD rules that are not `self == oldSelf` (so `crdImmutabilityRules` does not find them):
 * a field that may change one way only (Grafana Operator v5.18.0's GrafanaDashboard CRD:
 * "disabling spec.allowCrossNamespaceImport requires a recreate"). The cluster suite meets
 * them for real (test/cluster/immutable.test.ts).
 */
export const CRD_ONE_WAY_RULES: readonly ImmutabilityRule[] = [
  {
    kind: 'GrafanaDashboard.grafana.integreatly.org',
    path: 'spec.allowCrossNamespaceImport',
    // Unset is false (the operator's default); only true → false is refused.
    refuses: (before, after) => before === true && after !== true,
    why: 'turning allowCrossNamespaceImport off needs the GrafanaDashboard deleted first (the CRD refuses it in place)',
  },
];

/** A JSON-schema node as far as this module reads it. */
interface SchemaNode {
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly 'x-kubernetes-validations'?: ReadonlyArray<{ readonly rule: string; readonly message?: string }>;
}

/** A CustomResourceDefinition as far as this module reads it. */
export interface CrdDocument {
  readonly kind: string;
  readonly spec: {
    readonly group: string;
    readonly names: { readonly kind: string };
    readonly versions: ReadonlyArray<{ readonly schema?: { readonly openAPIV3Schema?: SchemaNode } }>;
  };
}

/** The `self == oldSelf` transition rules of a CRD's schemas, as immutability rules. */
export function crdImmutabilityRules(crd: CrdDocument): ImmutabilityRule[] {
  const kind = `${crd.spec.names.kind}.${crd.spec.group}`;
  const rules = new Map<string, ImmutabilityRule>();
  const walk = (node: SchemaNode, path: string[]) => {
    for (const v of node['x-kubernetes-validations'] ?? []) {
      if (v.rule.replace(/\s+/g, '') === 'self==oldSelf' && path.length > 0)
        rules.set(path.join('.'), {
          kind,
          path: path.join('.'),
          refuses: transition,
          why: v.message ?? `${path.join('.')} is immutable (CRD rule self == oldSelf)`,
        });
    }
    for (const [name, child] of Object.entries(node.properties ?? {})) walk(child, [...path, name]);
  };
  for (const version of crd.spec.versions) if (version.schema?.openAPIV3Schema) walk(version.schema.openAPIV3Schema, []);
  return [...rules.values()];
}

/** How a rule names an object's kind. */
function kindOf(m: Manifest): string {
  const group = m.apiVersion.includes('/') ? m.apiVersion.split('/')[0] : '';
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io') ? m.kind : `${m.kind}.${group}`;
}

function at(value: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((v, key) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined), value);
}

/** A copy of `value` without the paths in `except` (dotted, relative to it). */
function without(value: unknown, except: readonly string[]): unknown {
  if (except.length === 0 || value === null || typeof value !== 'object') return value;
  const here = new Set(except.filter((p) => !p.includes('.')));
  const deeper = except.filter((p) => p.includes('.'));
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>)
      .filter(([key]) => !here.has(key))
      .map(([key, v]) => {
        const below = deeper.filter((p) => p.startsWith(`${key}.`)).map((p) => p.slice(key.length + 1));
        return [key, below.length > 0 ? without(v, below) : v];
      }),
  );
}

/** The first differing leaf of two values, as `path: before → after`, for a readable finding. */
export function firstDifference(before: unknown, after: unknown, path = ''): string {
  if (sameJson(before, after)) return '';
  const objects = before !== null && after !== null && typeof before === 'object' && typeof after === 'object';
  if (objects && Array.isArray(before) === Array.isArray(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      const d = firstDifference((before as Record<string, unknown>)[key], (after as Record<string, unknown>)[key], path === '' ? key : `${path}.${key}`);
      if (d !== '') return d;
    }
  }
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v).slice(0, 80));
  return `${path === '' ? '(whole value)' : path}: ${show(before)} → ${show(after)}`;
}

/** One change Kubernetes would refuse, or one object GitOps would wrongly prune. */
export interface TransitionFinding {
  /** `Kind/namespace/name`. */
  readonly object: string;
  /** The rule's field. */
  readonly field: string;
  /** What changed, and why it is refused. */
  readonly change: string;
}

const objectKey = (m: Manifest) => `${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`;

/**
 * Every field change between two renderings that the API server would refuse, for
 * objects that keep their kind, namespace and name.
 */
export function immutableFieldChanges(before: readonly Manifest[], after: readonly Manifest[], rules: readonly ImmutabilityRule[]): TransitionFinding[] {
  const next = new Map(after.map((m) => [objectKey(m), m]));
  const findings: TransitionFinding[] = [];
  for (const old of before) {
    const now = next.get(objectKey(old));
    if (!now || now.apiVersion.split('/')[0] !== old.apiVersion.split('/')[0]) continue;
    for (const rule of rules.filter((r) => r.kind === kindOf(old) && (r.when?.(old) ?? true))) {
      const a = without(at(old, rule.path), rule.except ?? []);
      const b = without(at(now, rule.path), rule.except ?? []);
      const refused = rule.refuses ? rule.refuses(a, b) : !sameJson(a, b);
      if (refused) findings.push({ object: objectKey(old), field: rule.path, change: `${firstDifference(a, b, rule.path)} (${rule.why})` });
    }
  }
  return findings;
}

/** Kinds that hold data: deleting the object can delete the data. */
export const DATA_KINDS: readonly string[] = ['PersistentVolumeClaim', 'Namespace', 'Database.postgresql.cnpg.io', 'Cluster.postgresql.cnpg.io'];

/** Whether the object is of a kind that holds data (DATA_KINDS). */
export const holdsDataKind = (m: Manifest): boolean => DATA_KINDS.includes(kindOf(m));

/** Whether Argo CD and Flux both leave the object alone when it leaves the rendering. */
export function keptOnPrune(m: Manifest): boolean {
  const annotations = (m.metadata.annotations ?? {}) as Record<string, string>;
  return Object.entries(KEEP_ON_PRUNE).every(([key, value]) => (annotations[key] ?? '').split(',').includes(value));
}

/** Objects that disappear between two renderings and hold data that pruning would delete. */
export function unsafePrunes(before: readonly Manifest[], after: readonly Manifest[]): TransitionFinding[] {
  const next = new Set(after.map(objectKey));
  return before
    .filter((m) => !next.has(objectKey(m)) && holdsDataKind(m) && !keptOnPrune(m))
    .map((m) => ({
      object: objectKey(m),
      field: 'metadata.annotations',
      change: 'leaves the rendering without prune protection: Argo CD or Flux would delete it and its data',
    }));
}
