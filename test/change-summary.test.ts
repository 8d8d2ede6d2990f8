import { FileChange, SitePlan, formatPlan, jobRole, planChanges } from '../app/change-summary';
import { keptOnPrune, sameJson } from '../lib/gitops/immutable-fields';
import { BASE, CHANGES, copy, jobKinds, render, renderTree, withDataServices, withS3 } from './day2-changes';

/**
 * The change summary synth prints (and `--plan` prints alone): for every change of the
 * day-2 matrix, computed from the two renderings' files as synth has them, it names
 * exactly the effects the day-2 harness asserts (test/day2.test.ts, and on a real cluster
 * test/cluster/day2.test.ts): which Jobs run again, which workloads roll, what is pruned
 * and what is kept.
 */

type Tree = Map<string, string>;

/** The files that differ between two trees, as synth hands them over. */
function changesBetween(before: Tree, after: Tree): FileChange[] {
  const out: FileChange[] = [];
  for (const [path, text] of after) if (before.get(path) !== text) out.push({ path, before: before.get(path), after: text });
  for (const [path, text] of before) if (!after.has(path)) out.push({ path, before: text });
  return out;
}
const sitesOf = (t: Tree) => new Set([...t.keys()].filter((p) => p.includes('/')).map((p) => p.split('/')[0]));
const plan = (before: Tree, after: Tree): SitePlan[] => planChanges(changesBetween(before, after), sitesOf(before), sitesOf(after));
const forum = (plans: SitePlan[]) => plans.find((p) => p.site === 'forum');

describe.each(CHANGES.map((c) => [c.name, c] as const))('the change summary of: %s', (_name, c) => {
  const before = copy(BASE);
  c.from?.(before);
  const after = copy(before);
  c.change(after);
  const [ta, tb] = [renderTree(before), renderTree(after)];
  const [a, b] = [render(before), render(after)];
  const p = forum(plan(ta, tb));

  test('names exactly the Jobs the harness says run again', () => {
    const present = new Set([...jobKinds(a).keys(), ...jobKinds(b).keys()]);
    expect((p?.reruns ?? []).map((r) => r.role).sort()).toEqual([...c.reruns].filter((k) => present.has(k)).sort());
  });

  test('names exactly the workloads whose pod template changed as rolling, each with a reason', () => {
    const rolled = [...a.values()]
      .filter((m) => ['Deployment', 'StatefulSet'].includes(m.kind))
      .filter((m) => {
        const next = b.get(`${m.kind}/${m.metadata.namespace ?? ''}/${m.metadata.name}`);
        return next !== undefined && !sameJson((next.spec as { template?: unknown }).template, (m.spec as { template?: unknown }).template);
      })
      .map((m) => `${m.kind}/${m.metadata.name}`)
      .sort();
    expect((p?.rolls ?? []).map((r) => r.workload).sort()).toEqual(rolled);
    expect((p?.rolls ?? []).filter((r) => r.because.length === 0).map((r) => r.workload)).toEqual([]);
  });

  test('names what is pruned and what prune keeps (data)', () => {
    const next = new Set([...b.keys()]);
    const leaving = [...a.entries()].filter(
      ([k, m]) => !next.has(k) && m.metadata.namespace !== undefined && !k.startsWith('Application') && m.kind !== 'Namespace',
    );
    const renamedJobs = new Set((p?.reruns ?? []).map((r) => r.role));
    const expectPruned = leaving
      .filter(([, m]) => !keptOnPrune(m) && !(m.kind === 'Job' && renamedJobs.has(jobRole('forum', m.metadata.name))))
      .map(([, m]) => `${m.kind}/${m.metadata.name}`)
      .filter((k) => !k.startsWith('Kustomization/') && !k.startsWith('GitRepository/'));
    expect([...(p?.pruned ?? [])].sort()).toEqual(expectPruned.sort());
    expect([...(p?.kept ?? [])].sort()).toEqual(
      leaving
        .filter(([, m]) => keptOnPrune(m))
        .map(([, m]) => `${m.kind}/${m.metadata.name}`)
        .sort(),
    );
  });
});

describe('the change summary', () => {
  test('an image bump changes only what runs the image: the web Deployment and the Jobs (no version label on the rest)', () => {
    for (const from of [
      (s: typeof BASE) => s,
      (s: typeof BASE) => (withDataServices(s), s),
      (s: typeof BASE) => (withS3(s), (s.sidekiq = { mode: 'separate' }), s),
    ]) {
      const before = from(copy(BASE));
      const after = copy(before);
      after.image.tag = '3.4.2';
      const changed = changesBetween(renderTree(before), renderTree(after))
        .filter((f) => f.path.startsWith('forum/') && f.path.endsWith('.yaml') && !f.path.endsWith('kustomization.yaml'))
        .map((f) => f.path.replace(/^forum\//, '').replace(/-[0-9a-f]{8}\.yaml$/, '.yaml'));
      expect([...new Set(changed)].sort()).toEqual(
        [
          ...(before.sidekiq?.mode === 'separate' ? ['deployment-forum-sidekiq.yaml'] : []),
          'deployment-forum.yaml',
          ...['force-https', 'migrate', 'op-create', 'post-migrate', ...(before.config.s3_enabled ? ['s3-assets'] : [])].map((j) => `job-forum-${j}.yaml`),
        ].sort(),
      );
    }
  });

  test('an image bump: the web pods roll for the image, with the downtime Recreate means, and four Jobs run again for the same reason', () => {
    const after = copy(BASE);
    after.image.tag = '3.4.2';
    const text = formatPlan(plan(renderTree(BASE), renderTree(after))).join('\n');
    expect(text).toMatch(/Deployment\/forum rolls its pods: .*image registry\.example\.com\/discourse:3\.4\.1 → registry\.example\.com\/discourse:3\.4\.2/);
    expect(text).toContain('objects: 0 added, 1 changed in place, 0 pruned, 0 kept on prune');
    expect(text).toMatch(/downtime: Deployment\/forum uses Recreate .*one to three minutes/);
    expect(text).toMatch(/Jobs that run again: force-https, migrate, op-create \(image [^)]*3\.4\.2\)/);
  });

  test('a removed site is named as removed, with what is pruned and what is kept with its data', () => {
    const tree = renderTree(BASE);
    const without = new Map([...tree].filter(([p]) => !p.startsWith('forum/')));
    const p = forum(plan(tree, without));
    expect(p?.status).toBe('removed');
    expect(p?.kept).toEqual(['Database/forum-db', 'Namespace/forum', 'PersistentVolumeClaim/forum-uploads']);
    expect(p?.pruned).toEqual(
      expect.arrayContaining([
        'Deployment/forum',
        'Service/forum',
        'Job/forum-migrate-7a107559'.replace(/-[0-9a-f]{8}$/, '') ? expect.stringMatching(/^Job\/forum-migrate-/) : '',
      ]),
    );
    const text = formatPlan([p!]).join('\n');
    expect(text).toContain('forum (removed):');
    expect(text).toMatch(/site removed: a sync prunes its \d+ objects/);
    expect(text).toContain(
      'kept in the cluster, with their data (never pruned; delete by hand only once sure): Database/forum-db, Namespace/forum, PersistentVolumeClaim/forum-uploads',
    );
  });

  test('what to do by hand first: a Secret the site newly reads, a claim that grows', () => {
    const after = copy(BASE);
    after.config.smtp_password = { secret: 'forum-smtp-2', key: 'password' };
    after.uploads.size = '30Gi';
    const p = forum(plan(renderTree(BASE), renderTree(after)));
    expect(p?.byHand).toEqual([
      'the site now reads Secret forum-smtp-2 in namespace forum: create it unless it exists or dist/forum/README.md names who creates it',
      'PersistentVolumeClaim/forum-uploads grows only if its StorageClass has allowVolumeExpansion: true (kubectl get storageclass)',
    ]);
    expect(p?.data).toEqual(['PersistentVolumeClaim/forum-uploads: storage 20Gi → 30Gi']);
  });

  test('Markdown for a pull-request comment: a heading per site and one bullet per effect', () => {
    const after = copy(BASE);
    after.config.throttle_level = 'strict';
    const md = formatPlan(plan(renderTree(BASE), renderTree(after)), 'markdown');
    expect(md.slice(0, 3)).toEqual(['## What this sync does', '', '### `forum`']);
    expect(md.filter((l) => l.startsWith('- '))).toEqual(
      expect.arrayContaining([expect.stringMatching(/^- Deployment\/forum rolls its pods: /), '- no Job runs again']),
    );
  });

  test('no difference: says a sync does nothing', () => {
    expect(formatPlan(plan(renderTree(BASE), renderTree(BASE)))).toEqual(['plan: no site changes; a sync does nothing.']);
  });
});
