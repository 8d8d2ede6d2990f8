import { parseAllDocuments } from 'yaml';
import { jobRole } from '../../app/change-summary';
import { BASE, CHANGES, copy, renderTree, writeSiteFolder } from '../day2-changes';
import { cluster, describeCluster } from './cluster-env';
import { KubeClient, KubeObject } from './kube-client';
import { checklistSyncCommands, kubectlAsync } from './kubectl';
import { providePrerequisites } from './prerequisites';
import { kustomizeBuild, settle, syncFolder } from './sync';

/**
 * The order a deploy happens in, as the real controllers carry it out: an image bump
 * synced wave by wave as Argo CD does (each wave applied once the one before is healthy),
 * watched by polling the API server. The migration must be complete before the web
 * Deployment makes its new ReplicaSet, the post-deploy migration must start only after
 * the rollout is done, and the operations come last. Flux has no waves: its Kustomization
 * holds the same order by health checks on the same Jobs, checked here against the
 * rendered Kustomization. (That the Jobs' init containers and the rollout-wait script hold
 * the order under Flux and kubectl is tested where they run, in test/rollout-wait.test.ts:
 * KWOK runs no container.)
 */

const SITE = 'forum';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Moment = 'migrate complete' | 'web ReplicaSet created' | 'web rolled out' | 'post-migrate created' | 'post-migrate complete' | 'operation created';

const kindOf = (job: string) => jobRole(SITE, job);
const complete = (j: KubeObject) =>
  ((j.status as { conditions?: { type: string; status: string }[] } | undefined)?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');

/** Polls the namespace and records, in the order first seen, when each moment of the deploy happened. */
class Observer {
  /** The poll in which each moment was first seen (moments of one poll happened between it and the one before). */
  readonly seen = new Map<Moment, number>();
  private polls = 0;
  private stopped = false;
  private done?: Promise<void>;

  constructor(
    private readonly client: KubeClient,
    private readonly namespace: string,
    private readonly newJobs: ReadonlySet<string>,
    private readonly oldReplicaSets: ReadonlySet<string>,
  ) {}

  private mark(m: Moment) {
    if (!this.seen.has(m)) this.seen.set(m, this.polls);
  }

  start(): void {
    this.done = (async () => {
      while (!this.stopped) {
        this.polls++;
        for (const j of await this.client.list('batch/v1', 'Job', this.namespace)) {
          if (!this.newJobs.has(j.metadata.name)) continue;
          const kind = kindOf(j.metadata.name);
          if (kind === 'migrate' && complete(j)) this.mark('migrate complete');
          if (kind === 'post-migrate') this.mark('post-migrate created');
          if (kind === 'post-migrate' && complete(j)) this.mark('post-migrate complete');
          if (kind.startsWith('op-')) this.mark('operation created');
        }
        const web = (await this.client.list('apps/v1', 'ReplicaSet', this.namespace)).filter(
          (rs) => !this.oldReplicaSets.has(rs.metadata.name) && rs.metadata.ownerReferences?.some((o) => o.kind === 'Deployment' && o.name === SITE),
        );
        if (web.length > 0) this.mark('web ReplicaSet created');
        const d = await this.client.get('apps/v1', 'Deployment', SITE, this.namespace);
        const st = (d?.status ?? {}) as { updatedReplicas?: number; readyReplicas?: number; replicas?: number; observedGeneration?: number };
        if (
          web.length > 0 &&
          d &&
          (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 0) &&
          st.updatedReplicas === 1 &&
          st.readyReplicas === 1 &&
          st.replicas === 1
        )
          this.mark('web rolled out');
        await sleep(25);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.done;
  }
}

const written = (site: ReturnType<typeof copy>): string => writeSiteFolder(site, 'deploy-order-');

const ORDER: Moment[] = ['migrate complete', 'web ReplicaSet created', 'web rolled out', 'post-migrate created', 'post-migrate complete', 'operation created'];

/** The image bump (and an operation added with it) in `namespace`. */
function bumpIn(namespace: string) {
  const bump = CHANGES.find((c) => c.name.startsWith('image tag'));
  if (!bump) throw new Error('the day-2 matrix has no image tag change');
  const before = copy(BASE);
  before.namespace = namespace;
  const after = copy(before);
  bump.change(after);
  // So that the last wave has something new in it.
  after.operations.push({ action: 'promote-user', email: 'mod@example.com' });
  return { before, after };
}

/**
 * Pairs of moments seen out of order: `b` seen in an earlier poll than `a` (polls are 25 ms
 * apart, so moments between two polls cannot be told apart, and are not out of order).
 */
function outOfOrder(seen: ReadonlyMap<Moment, number>, order: readonly Moment[]): string[] {
  const missing = order.filter((m) => !seen.has(m)).map((m) => `never seen: ${m}`);
  const swapped = order.slice(1).flatMap((b, i) => ((seen.get(b) ?? Infinity) < (seen.get(order[i]) ?? -Infinity) ? [`${b} before ${order[i]}`] : []));
  return [...missing, ...swapped];
}

/** Syncs the site before, then watches `deploy` carry out the site after; returns what was seen, in order. */
async function watchDeploy(namespace: string, deploy: (client: KubeClient, dirB: string) => Promise<void>): Promise<Map<Moment, number>> {
  const { client } = cluster();
  const { before, after } = bumpIn(namespace);
  const dirA = written(before);
  await providePrerequisites(client, [dirA], kustomizeBuild(dirA));
  await syncFolder(client, dirA);
  const oldJobs = new Set((await client.list('batch/v1', 'Job', namespace)).map((j) => j.metadata.name));
  const oldReplicaSets = new Set((await client.list('apps/v1', 'ReplicaSet', namespace)).map((rs) => rs.metadata.name));
  const dirB = written(after);
  const newJobs = new Set(
    kustomizeBuild(dirB)
      .filter((o) => o.kind === 'Job' && !oldJobs.has(o.metadata.name))
      .map((o) => o.metadata.name),
  );
  expect([...newJobs].map(kindOf).sort()).toEqual(['force-https', 'migrate', 'op-create', 'op-promote', 'post-migrate']);
  const observer = new Observer(client, namespace, newJobs, oldReplicaSets);
  observer.start();
  try {
    await deploy(client, dirB);
    await settle(client, kustomizeBuild(dirB), 60, (o) => o.metadata.name);
    await sleep(200);
  } finally {
    await observer.stop();
  }
  return observer.seen;
}

describeCluster('deploy order under the real controllers', () => {
  const { after } = bumpIn('deploy-order');

  test('Argo CD’s waves: migration complete → web ReplicaSet → rollout done → post-deploy migration → operations', async () => {
    // WHEN the image bump is synced wave by wave, watched
    const seen = await watchDeploy('deploy-order', async (client, dirB) => {
      await syncFolder(client, dirB);
    });
    // THEN
    expect(outOfOrder(seen, ORDER)).toEqual([]);
  });

  test('kubectl, with the checklist’s later-sync commands: the migration is complete before the web Deployment makes its new ReplicaSet', async () => {
    const { state } = cluster();
    const seen = await watchDeploy('deploy-order-kubectl', async (_client, dirB) => {
      const checklist = renderTree(bumpIn('deploy-order-kubectl').after).get(`${SITE}/README.md`) ?? '';
      for (const argv of checklistSyncCommands(checklist, dirB)) await kubectlAsync(state, argv);
    });
    // No waves: the operations and the post-deploy Job are created with the Deployment
    // (they wait in init containers KWOK does not run), so only the first step is ordered.
    expect(outOfOrder(seen, ['migrate complete', 'web ReplicaSet created'])).toEqual([]);
  });

  test('Flux: the Kustomization is Ready only once the current migrate and post-migrate Jobs and the web Deployment are', () => {
    const tree = renderTree(after);
    const file = [...tree.keys()].find((p) => p.startsWith('gitops/flux/kustomization-'));
    const kustomization = parseAllDocuments(tree.get(file ?? '') ?? '')[0]?.toJS() as
      { spec: { wait?: boolean; healthChecks?: { kind: string; name: string }[] } } | undefined;
    expect(kustomization).toBeDefined();
    const jobs = [...tree.keys()].filter((p) => p.startsWith(`${SITE}/job-${SITE}-`)).map((p) => p.replace(/^.*\/job-/, '').replace(/\.yaml$/, ''));
    const checks = (kustomization?.spec.healthChecks ?? []).map((h) => `${h.kind}/${h.name}`);
    expect(checks).toEqual(expect.arrayContaining([`Deployment/${SITE}`, ...jobs.filter((j) => /-(post-)?migrate-/.test(j)).map((j) => `Job/${j}`)]));
  });
});
