import { jobRole } from '../../app/change-summary';
import { allowlistEntry } from '../../app/kubectl-sync';
import { keptOnPrune, sameJson } from '../../lib/gitops/immutable-fields';
import { Manifest } from '../../lib/core/manifest';
import { BASE, CHANGES, Change, copy, jobKinds, render, renderTree, writeSiteFolder } from '../day2-changes';
import { cluster, describeCluster } from './cluster-env';
import { ClusterState } from './control-plane';
import { KubeClient, KubeObject } from './kube-client';
import { providePrerequisites } from './prerequisites';
import { SyncError, Warning, kustomizeBuild, objectKey, settle, syncFolder, warnings } from './sync';
import { checklistSyncCommands, kubectl } from './kubectl';

/**
 * The day-2 harness (test/day2-changes.ts) through the real API server and controllers:
 * for each change, the site before is synced and settled, then the site after, as a
 * GitOps user's next sync does it, in a namespace of its own. Both ways users apply:
 * - Flux's: server-side apply under its field manager, wave by wave, then prune of what
 *   left the rendering (except what carries `kustomize.toolkit.fluxcd.io/prune: disabled`);
 * - kubectl's: client-side `kubectl apply -k`, then the later-sync command the site's
 *   checklist (`dist/<site>/README.md`) prints, run as printed.
 * What must hold: no refusal; a workload's pods roll exactly when its rendered pod
 * template changed; the Jobs that run again are exactly the harness's (docs/day-2.md's
 * table); what left the rendering is gone, data kept; no controller Warning.
 */

const SITE = 'forum';
/** Changes applied side by side: each is in its own namespace. */
const PARALLEL = 4;

type Mode = 'flux' | 'kubectl';
const MODES: [string, Mode][] = [
  ['server-side apply and prune, as Flux syncs', 'flux'],
  ['client-side kubectl apply -k, then the checklist’s --prune command', 'kubectl'],
];

interface Outcome {
  /** A refusal, a failed apply or a rollout that did not settle. */
  readonly error?: string;
  /** Job kinds whose Job is new after the change (run again). */
  readonly reruns: string[];
  /** Workloads whose live revision changed. */
  readonly rolled: string[];
  /** Workloads whose rendered pod template changed. */
  readonly templateChanged: string[];
  /** Objects that left the rendering, are not kept on prune, and are still there. */
  readonly leftBehind: string[];
  /** Those of them kubectl is not told to prune: their kind is not in the later-sync command's allowlist. */
  readonly notAllowlisted: string[];
  /** Objects kept on prune that are gone. */
  readonly lost: string[];
  readonly warnings: Warning[];
}

const sites = (c: Change, namespace: string) => {
  const before = copy(BASE);
  c.from?.(before);
  const after = copy(before);
  c.change(after);
  before.namespace = namespace;
  after.namespace = namespace;
  return { before, after };
};

const written = (site: ReturnType<typeof copy>): string => writeSiteFolder(site, 'day2-cluster-');

const WORKLOADS = ['Deployment', 'StatefulSet'];
const template = (m: Manifest): unknown => (m.spec as { template?: unknown } | undefined)?.template;

/** The live revision of each workload: the Deployment's revision annotation, the StatefulSet's updateRevision. */
async function revisions(client: KubeClient, namespace: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const d of await client.list('apps/v1', 'Deployment', namespace))
    out.set(`Deployment/${d.metadata.name}`, d.metadata.annotations?.['deployment.kubernetes.io/revision'] ?? '');
  for (const s of await client.list('apps/v1', 'StatefulSet', namespace))
    out.set(`StatefulSet/${s.metadata.name}`, (s.status as { updateRevision?: string }).updateRevision ?? '');
  return out;
}

const jobNames = async (client: KubeClient, namespace: string) => new Set((await client.list('batch/v1', 'Job', namespace)).map((j) => j.metadata.name));

const fileOf = (dir: string) => (o: KubeObject) => `${dir} ${objectKey(o)}`;

/** Flux's prune: delete what the last sync applied and this one does not, unless marked to keep. */
async function fluxPrune(client: KubeClient, before: readonly KubeObject[], after: readonly KubeObject[]): Promise<void> {
  const next = new Set(after.map(objectKey));
  for (const o of before) {
    if (next.has(objectKey(o)) || o.metadata.annotations?.['kustomize.toolkit.fluxcd.io/prune'] === 'disabled') continue;
    await client.delete(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace);
  }
}

async function sync(state: ClusterState, client: KubeClient, mode: Mode, dir: string, checklist: string | undefined): Promise<KubeObject[]> {
  if (mode === 'flux') return [...(await syncFolder(client, dir)).objects];
  for (const argv of checklist === undefined ? [['apply', '-k', dir]] : checklistSyncCommands(checklist, dir)) kubectl(state, argv);
  const objects = kustomizeBuild(dir);
  await settle(client, objects, 180, fileOf(dir));
  return objects;
}

async function runChange(state: ClusterState, client: KubeClient, mode: Mode, c: Change, namespace: string): Promise<Outcome> {
  const { before, after } = sites(c, namespace);
  const [a, b] = [render(before), render(after)];
  const templateChanged = [...a.values()]
    .filter((m) => WORKLOADS.includes(m.kind))
    .filter((m) => {
      const next = b.get(`${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`);
      return next !== undefined && !sameJson(template(next), template(m));
    })
    .map((m) => `${m.kind}/${m.metadata.name}`)
    .sort();
  const empty = { reruns: [], rolled: [], templateChanged, leftBehind: [], notAllowlisted: [], lost: [], warnings: [] };
  try {
    const [dirA, dirB] = [written(before), written(after)];
    const objectsA = await sync(state, client, mode, dirA, undefined);
    const [jobsA, revA] = [await jobNames(client, namespace), await revisions(client, namespace)];
    const checklist = renderTree(after).get(`${SITE}/README.md`) ?? '';
    const objectsB = await sync(state, client, mode, dirB, checklist);
    if (mode === 'flux') await fluxPrune(client, objectsA, objectsB);
    const [jobsB, revB] = [await jobNames(client, namespace), await revisions(client, namespace)];
    const nextKeys = new Set(objectsB.map(objectKey));
    const leaving = objectsA.filter((o) => !nextKeys.has(objectKey(o)));
    const live = async (o: KubeObject) => {
      const l = await client.get(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace);
      return l !== undefined && l.metadata.deletionTimestamp === undefined;
    };
    const leftBehind: string[] = [];
    const lost: string[] = [];
    const allowlist = new Set(
      checklistSyncCommands(checklist, dirB)
        .flat()
        .flatMap((a) => (a.startsWith('--prune-allowlist=') ? [a.slice('--prune-allowlist='.length)] : [])),
    );
    const notAllowlisted = leaving
      .filter((o) => !keptOnPrune(o as Manifest) && !allowlist.has(allowlistEntry(o)))
      .map(objectKey)
      .sort();
    for (const o of leaving) {
      const there = await live(o);
      if (keptOnPrune(o as Manifest) && !there) lost.push(objectKey(o));
      if (!keptOnPrune(o as Manifest) && there) leftBehind.push(objectKey(o));
    }
    return {
      reruns: [...jobsB]
        .filter((j) => !jobsA.has(j))
        .map((j) => jobRole(SITE, j))
        .sort(),
      rolled: [...revA.keys()].filter((w) => revB.has(w) && revB.get(w) !== revA.get(w)).sort(),
      templateChanged,
      leftBehind: leftBehind.sort(),
      notAllowlisted,
      lost,
      warnings: await warnings(client, [namespace]),
    };
  } catch (e) {
    return { ...empty, error: e instanceof SyncError || e instanceof Error ? e.message : String(e) };
  }
}

/** Runs `work` over `items`, at most `limit` at once. */
async function pool<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await work(items[i], i);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

describeCluster.each(MODES)('day 2 on a real cluster: %s', (_title, mode) => {
  const outcomes = new Map<string, Outcome>();

  beforeAll(async () => {
    const { state, client } = cluster();
    // What every change's sites need from the cluster (PriorityClasses, node labels, foreign namespaces).
    const dirs = CHANGES.flatMap((c) => {
      const { before, after } = sites(c, 'forum');
      return [written(before), written(after)];
    });
    await providePrerequisites(
      client,
      dirs,
      dirs.flatMap((d) => kustomizeBuild(d)),
    );
    const results = await pool(CHANGES, PARALLEL, (c, i) => runChange(state, client, mode, c, `d2-${mode === 'flux' ? 's' : 'c'}-${i}`));
    CHANGES.forEach((c, i) => outcomes.set(c.name, results[i]));
  }, 3_600_000);

  describe.each(CHANGES.map((c) => [c.name, c] as const))('%s', (name, c) => {
    const outcome = () => {
      const o = outcomes.get(name);
      if (!o) throw new Error(`no outcome for ${name}: the sync did not run`);
      return o;
    };

    test('both renderings are accepted and settle (Jobs Complete, workloads rolled out), with no controller Warning', () => {
      expect(outcome().error).toBeUndefined();
      expect(outcome().warnings).toEqual([]);
    });

    test('the workloads roll exactly when their rendered pod template changed', () => {
      expect(outcome().rolled).toEqual(outcome().templateChanged);
    });

    test(`the Jobs that run again: ${c.reruns.length > 0 ? c.reruns.join(', ') : 'none'}`, () => {
      const { before, after } = sites(c, 'forum');
      const present = new Set([...jobKinds(render(before)).keys(), ...jobKinds(render(after)).keys()]);
      expect(outcome().reruns).toEqual([...c.reruns].filter((k) => present.has(k)).sort());
    });

    test(
      mode === 'flux'
        ? 'what left the rendering is pruned, and what holds data is kept'
        : 'what left the rendering is pruned but a custom kind whose last object left (the checklist says: by hand), and what holds data is kept',
      () => {
        // kubectl cannot be told to prune a kind the cluster might not serve (the command would fail there).
        const expected = mode === 'flux' ? [] : outcome().notAllowlisted;
        expect({ leftBehind: outcome().leftBehind, lost: outcome().lost }).toEqual({ leftBehind: expected, lost: [] });
      },
    );
  });
});

describeCluster('why the checklist’s kubectl command names its allowlist', () => {
  test('the bare `--prune -l app.kubernetes.io/instance=<site>` the README used to print deletes the uploads claim when S3 is turned on', async () => {
    // GIVEN the base site synced, then S3 turned on (the uploads claim leaves the rendering)
    const { state, client } = cluster();
    const c = CHANGES.find((x) => x.name.startsWith('S3 off → on'));
    if (!c) throw new Error('the day-2 matrix has no "S3 off → on" change');
    const namespace = 'd2-bare-prune';
    const { before, after } = sites(c, namespace);
    const dirA = written(before);
    await sync(state, client, 'kubectl', dirA, undefined);
    expect(await client.get('v1', 'PersistentVolumeClaim', `${SITE}-uploads`, namespace)).toBeDefined();
    // WHEN the later sync prunes with kubectl's default allowlist
    const dirB = written(after);
    kubectl(state, ['apply', '-k', dirB, '--prune', '-l', `app.kubernetes.io/instance=${SITE}`]);
    // THEN the claim, annotated Prune=false and prune: disabled, is being deleted all the same
    const claim = await client.get('v1', 'PersistentVolumeClaim', `${SITE}-uploads`, namespace);
    expect(claim === undefined || claim.metadata.deletionTimestamp !== undefined).toBe(true);
  });
});
