import { parseAllDocuments } from 'yaml';
import { holdsDataKind, keptOnPrune, sameJson } from '../lib/gitops/immutable-fields';
import { Manifest } from '../lib/core/manifest';

/**
 * What a sync of the new rendering will do to each running site, read from the files that
 * differ between the committed `dist/` (what the cluster runs) and the new rendering, in
 * the words of the person reviewing the pull request: objects added, changed, pruned and
 * kept; which pods roll and why; which Jobs run again and why; downtime; data touched;
 * what to do by hand first. Pure: synth gives it the differing files' texts.
 */

/** One file that differs: absent `before` is new, absent `after` is gone. */
export interface FileChange {
  readonly path: string;
  readonly before?: string;
  readonly after?: string;
}

export interface Roll {
  /** `Kind/name`. */
  readonly workload: string;
  /** What changed in the pod template, in short. */
  readonly because: readonly string[];
  /** Why the roll means downtime, if it does. */
  readonly downtime?: string;
}

export interface Rerun {
  /** The Job's role: `migrate`, `op-create`, ... */
  readonly role: string;
  /** The new Job's name. */
  readonly job: string;
  /** `new` when no Job of this role ran before. */
  readonly because: readonly string[];
}

export interface SitePlan {
  readonly site: string;
  readonly status: 'added' | 'removed' | 'changed';
  readonly added: readonly string[];
  readonly changed: readonly string[];
  /** Deleted by the sync (Argo CD and Flux prune; kubectl with the checklist's command). */
  readonly pruned: readonly string[];
  /** Left in the cluster by prune (data): delete by hand once sure. */
  readonly kept: readonly string[];
  readonly rolls: readonly Roll[];
  readonly reruns: readonly Rerun[];
  /** Objects holding data that the sync changes. */
  readonly data: readonly string[];
  /** What a reviewer must do before the sync. */
  readonly byHand: readonly string[];
}

type Json = Record<string, unknown>;

const key = (m: Manifest) => `${m.kind}/${m.metadata.name}`;
const WORKLOADS = ['Deployment', 'StatefulSet'];
/** A Job's role: its name without the site prefix and the spec hash. */
export const jobRole = (site: string, name: string): string => name.replace(new RegExp(`^${site}-`), '').replace(/-[0-9a-f]{8}$/, '');

function manifests(text: string | undefined): Manifest[] {
  if (text === undefined) return [];
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null && typeof m === 'object' && typeof m.kind === 'string' && m.kind !== 'Kustomization');
}

const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);
const named = (v: unknown): v is Json[] => Array.isArray(v) && v.length > 0 && v.every((x) => isObject(x) && typeof x.name === 'string');

/** Every differing leaf of two values, as paths; arrays of named things are keyed by name (`env[DISCOURSE_HOSTNAME]`). */
export function differences(a: unknown, b: unknown, path = ''): string[] {
  if (sameJson(a, b)) return [];
  const join = (k: string) => (path === '' ? k : `${path}.${k}`);
  if (named(a) && named(b)) {
    const byName = (xs: Json[]) => new Map(xs.map((x) => [x.name as string, x]));
    const [ma, mb] = [byName(a), byName(b)];
    return [...new Set([...ma.keys(), ...mb.keys()])].flatMap((n) => differences(ma.get(n), mb.get(n), `${path}[${n}]`));
  }
  if (isObject(a) && isObject(b)) return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort().flatMap((k) => differences(a[k], b[k], join(k)));
  return [path === '' ? '(all)' : path];
}

const imageOf = (template: unknown, container: string): string | undefined => {
  const spec = (template as { spec?: Record<string, { name: string; image?: string }[] | undefined> } | undefined)?.spec;
  return [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].find((c) => c.name === container)?.image;
};

/** Annotations whose change has a name of its own. */
const ANNOTATION_WORDS: Record<string, string> = { 'discourse-cdk8s.io/config-hash': 'the configuration (its hash annotation)' };

/** Pod-template differences, in the reviewer's words: the image, env names, the layer, resources. */
export function reasons(before: unknown, after: unknown): string[] {
  const out: string[] = [];
  for (const d of differences(before, after)) {
    const container = /^spec\.(?:initContainers|containers)\[([^\]]+)\]\.(.*)$/.exec(d);
    let reason: string;
    if (d === 'metadata.labels.app.kubernetes.io/version') continue;
    if (container && container[2] === 'image') reason = `image ${imageOf(before, container[1]) ?? '(none)'} → ${imageOf(after, container[1]) ?? '(none)'}`;
    else if (container && container[2].startsWith('env[')) reason = `env ${container[2].slice(4, container[2].indexOf(']'))}`;
    else if (container) reason = `${container[1]}: ${container[2].split(/[.[]/)[0]}`;
    else if (d.startsWith('metadata.annotations.'))
      reason = ANNOTATION_WORDS[d.slice('metadata.annotations.'.length)] ?? `annotation ${d.slice('metadata.annotations.'.length)}`;
    else reason = d.replace(/^spec\./, '').split(/[.[]/)[0];
    if (!out.includes(reason)) out.push(reason);
  }
  return out;
}

/** Secret names an object reads. */
function secretsOf(v: unknown, parent = '', out = new Set<string>()): Set<string> {
  if (Array.isArray(v)) v.forEach((x) => secretsOf(x, parent, out));
  else if (isObject(v)) {
    if ((parent === 'secretKeyRef' || parent === 'secretRef' || parent === 'imagePullSecrets') && typeof v.name === 'string') out.add(v.name);
    if (typeof v.secretName === 'string') out.add(v.secretName);
    for (const [k, child] of Object.entries(v)) secretsOf(child, k, out);
  }
  return out;
}

const holdsData = (m: Manifest) => holdsDataKind(m) || (m.kind === 'StatefulSet' && Array.isArray((m.spec as Json | undefined)?.volumeClaimTemplates));
const storageOf = (m: Manifest) => (m.spec as { resources?: { requests?: { storage?: string } } } | undefined)?.resources?.requests?.storage ?? '';

/**
 * The plan of every site whose files differ. `existedBefore`/`existsAfter` say which sites
 * had files in the old `dist/` and have in the new rendering (a site none of whose files
 * changed is not in `changes`).
 */
export function planChanges(
  changes: readonly FileChange[],
  existedBefore: ReadonlySet<string>,
  existsAfter: ReadonlySet<string>,
  readmeFolder = 'dist',
): SitePlan[] {
  const bySite = new Map<string, FileChange[]>();
  for (const c of changes) {
    const [site, ...rest] = c.path.split('/');
    if (rest.length === 0 || !c.path.endsWith('.yaml') || c.path.endsWith('/kustomization.yaml') || site === 'images' || site === 'gitops') continue;
    bySite.set(site, [...(bySite.get(site) ?? []), c]);
  }
  const plans: SitePlan[] = [];
  for (const [site, files] of [...bySite].sort(([a], [b]) => a.localeCompare(b))) {
    const before = new Map(files.flatMap((f) => manifests(f.before)).map((m) => [key(m), m]));
    const after = new Map(files.flatMap((f) => manifests(f.after)).map((m) => [key(m), m]));
    const added = [...after.keys()].filter((k) => !before.has(k));
    const removed = [...before.keys()].filter((k) => !after.has(k));
    const changed = [...after.keys()].filter((k) => before.has(k) && !sameJson(before.get(k), after.get(k)));

    // Jobs: a new name of a role that ran before is that role running again.
    const jobsBefore = new Map([...before.values()].filter((m) => m.kind === 'Job').map((m) => [jobRole(site, m.metadata.name), m]));
    const reruns: Rerun[] = [...after.values()]
      .filter((m) => m.kind === 'Job' && !before.has(key(m)))
      .map((m) => {
        const old = jobsBefore.get(jobRole(site, m.metadata.name));
        return {
          role: jobRole(site, m.metadata.name),
          job: m.metadata.name,
          because: old ? reasons((old.spec as Json).template, (m.spec as Json).template) : ['new'],
        };
      })
      .sort((a, b) => a.role.localeCompare(b.role));

    const rolls: Roll[] = changed
      .map((k) => [before.get(k)!, after.get(k)!] as const)
      .filter(([a]) => WORKLOADS.includes(a.kind))
      .filter(([a, b]) => !sameJson((a.spec as Json).template, (b.spec as Json).template))
      .map(([a, b]) => {
        const strategy = ((b.spec as { strategy?: { type?: string } }).strategy?.type ?? 'RollingUpdate') as string;
        return {
          workload: key(b),
          because: reasons((a.spec as Json).template, (b.spec as Json).template),
          ...(strategy === 'Recreate'
            ? {
                downtime:
                  'Recreate (a ReadWriteOnce uploads volume): the old pod stops before the new one starts, so the forum is down for the new pod’s boot, in practice one to three minutes (docs/day-2.md#upgrading-discourse-without-downtime)',
              }
            : {}),
        };
      });

    const data = changed
      .map((k) => [before.get(k)!, after.get(k)!] as const)
      .filter(([a, b]) => holdsData(a) && !sameJson(a.spec, b.spec))
      .map(([a, b]) =>
        a.kind === 'PersistentVolumeClaim' && storageOf(a) !== storageOf(b)
          ? `${key(a)}: storage ${storageOf(a)} → ${storageOf(b)}`
          : `${key(a)}: ${differences(a.spec, b.spec).slice(0, 4).join(', ') || 'metadata'}`,
      );
    const kept = removed.filter((k) => keptOnPrune(before.get(k)!));
    const pruned = removed.filter(
      (k) => !keptOnPrune(before.get(k)!) && !(before.get(k)!.kind === 'Job' && reruns.some((r) => r.role === jobRole(site, before.get(k)!.metadata.name))),
    );
    const prunedJobs = removed.filter((k) => before.get(k)!.kind === 'Job' && !pruned.includes(k) && !kept.includes(k));

    const byHand: string[] = [];
    const secretsBefore = new Set([...before.values()].flatMap((m) => [...secretsOf(m)]));
    const namespace = [...after.values()].find((m) => m.metadata.namespace)?.metadata.namespace;
    const newSecrets = [...new Set([...after.values()].flatMap((m) => [...secretsOf(m)]))].filter((s) => !secretsBefore.has(s)).sort();
    // A new site's Secrets are all in its checklist (synth's line above says how many); a
    // changed site's new ones may be an operator's (cert-manager, CloudNativePG): the checklist says whose.
    if (existedBefore.has(site))
      for (const s of newSecrets)
        byHand.push(
          `the site now reads Secret ${s}${namespace ? ` in namespace ${namespace}` : ''}: create it unless it exists or ${readmeFolder}/${site}/README.md names who creates it`,
        );
    for (const k of changed) {
      const [a, b] = [before.get(k)!, after.get(k)!];
      if (a.kind === 'PersistentVolumeClaim' && storageOf(a) !== storageOf(b))
        byHand.push(`${key(a)} grows only if its StorageClass has allowVolumeExpansion: true (kubectl get storageclass)`);
    }

    const status = !existsAfter.has(site) ? 'removed' : !existedBefore.has(site) ? 'added' : 'changed';
    plans.push({
      site,
      status,
      added: added.filter((k) => !reruns.some((r) => k === `Job/${r.job}`)).sort(),
      changed: changed.sort(),
      pruned: [...pruned, ...(status === 'removed' ? prunedJobs : [])].sort(),
      kept: kept.sort(),
      rolls,
      reruns: status === 'added' ? [] : reruns,
      data,
      byHand,
    });
  }
  return plans;
}

const list = (xs: readonly string[], max = 8) => (xs.length <= max ? xs.join(', ') : `${xs.slice(0, max).join(', ')} and ${xs.length - max} more`);
const count = (n: number, what: string) => `${n} ${what}`;

/** The plan as lines: plain text for the terminal, or Markdown for a pull-request comment. */
export function formatPlan(plans: readonly SitePlan[], format: 'text' | 'markdown' = 'text'): string[] {
  if (plans.length === 0) return format === 'markdown' ? ['No site changes: a sync does nothing.'] : ['plan: no site changes; a sync does nothing.'];
  const out: string[] = format === 'markdown' ? ['## What this sync does', ''] : [];
  for (const p of plans) {
    const lines: string[] = [];
    if (p.status === 'removed') {
      lines.push(`site removed: a sync prunes its ${p.pruned.length} objects (${list(p.pruned)})`);
      if (p.kept.length > 0) lines.push(`kept in the cluster, with their data (never pruned; delete by hand only once sure): ${list(p.kept)}`);
    } else {
      if (p.status === 'added') lines.push(`new site: ${count(p.added.length, 'objects')} created`);
      else
        lines.push(
          `objects: ${count(p.added.length, 'added')}, ${count(p.changed.length, 'changed in place')}, ${count(p.pruned.length, 'pruned')}, ${count(p.kept.length, 'kept on prune')}`,
        );
      if (p.status === 'changed') {
        if (p.added.length > 0) lines.push(`added: ${list(p.added)}`);
        if (p.pruned.length > 0) lines.push(`pruned: ${list(p.pruned)}`);
        if (p.kept.length > 0) lines.push(`left in the cluster by prune, with their data: ${list(p.kept)}`);
      }
      for (const r of p.rolls) lines.push(`${r.workload} rolls its pods: ${list([...r.because], 5)}`);
      if (p.status === 'changed' && p.rolls.length === 0) lines.push('no pod rolls');
      for (const r of p.rolls) if (r.downtime) lines.push(`downtime: ${r.workload} uses ${r.downtime}`);
      // Grouped by reason: an image bump reruns four Jobs for one reason.
      const groups = new Map<string, string[]>();
      for (const r of p.reruns) groups.set(list([...r.because], 4), [...(groups.get(list([...r.because], 4)) ?? []), r.role]);
      if (p.reruns.length > 0) lines.push(`Jobs that run again: ${[...groups].map(([why, roles]) => `${roles.join(', ')} (${why})`).join('; ')}`);
      else if (p.status === 'changed') lines.push('no Job runs again');
    }
    for (const d of p.data) lines.push(`data touched: ${d}`);
    for (const h of p.byHand) lines.push(`by hand first: ${h}`);
    if (format === 'markdown') out.push(`### \`${p.site}\`${p.status === 'changed' ? '' : ` (${p.status})`}`, '', ...lines.map((l) => `- ${l}`), '');
    else out.push(`${p.site}${p.status === 'changed' ? '' : ` (${p.status})`}:`, ...lines.map((l) => `  ${l}`));
  }
  return out;
}
