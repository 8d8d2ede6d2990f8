import { parseAllDocuments } from 'yaml';
import { allowlistEntry, pruneAllowlist } from '../app/kubectl-sync';
import { holdsDataKind, keptOnPrune } from '../lib/gitops/immutable-fields';
import { Manifest } from '../lib/core/manifest';
import { BASE, CHANGES, copy, renderTree, withS3 } from './day2-changes';
import { fixtureTree } from './fixtures';

/**
 * The kubectl later-sync command the checklist prints: `--prune` with an allowlist that
 * never names a kind holding data (kubectl honours no prune annotation), and names every
 * other kind a site renders. test/cluster/day2.test.ts runs the printed command on a real
 * server across the day-2 changes.
 */

const siteManifests = (tree: Map<string, string>, site: string): Manifest[] =>
  [...tree.entries()]
    .filter(([p]) => p.startsWith(`${site}/`) && p.endsWith('.yaml') && !p.endsWith('kustomization.yaml'))
    .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS() as Manifest));

/** Every site rendering the tests know: the fixtures, and both sides of every day-2 change. */
function everyRendering(): [string, Manifest[]][] {
  const tree = fixtureTree();
  const sites = [...new Set([...tree.keys()].filter((p) => p.endsWith('/README.md') && !p.startsWith('gitops/')).map((p) => p.split('/')[0]))];
  const out: [string, Manifest[]][] = sites.map((s) => [`fixture ${s}`, siteManifests(tree, s)]);
  for (const c of CHANGES) {
    const before = copy(BASE);
    c.from?.(before);
    const after = copy(before);
    c.change(after);
    out.push([`${c.name} (before)`, siteManifests(renderTree(before), 'forum')], [`${c.name} (after)`, siteManifests(renderTree(after), 'forum')]);
  }
  return out;
}

describe('the kubectl prune allowlist', () => {
  const renderings = everyRendering();

  test.each(renderings)('%s: names every kind rendered but the ones that hold data, and no kind that holds data', (_name, manifests) => {
    const allowed = new Set(pruneAllowlist(manifests));
    const data = manifests.filter((m) => holdsDataKind(m) || keptOnPrune(m));
    expect(data.map(allowlistEntry).filter((e) => allowed.has(e))).toEqual([]);
    const unlisted = manifests.filter((m) => !data.includes(m) && !allowed.has(allowlistEntry(m)));
    expect(unlisted.map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([]);
  });

  test('a PersistentVolumeClaim is never in it, even where no claim is rendered (S3 on)', () => {
    const s3 = copy(BASE);
    withS3(s3);
    const manifests = siteManifests(renderTree(s3), 'forum');
    expect(manifests.some((m) => m.kind === 'PersistentVolumeClaim')).toBe(false);
    expect(pruneAllowlist(manifests).filter((e) => /PersistentVolumeClaim|Namespace/.test(e))).toEqual([]);
  });

  test('uses kubectl’s group/version/Kind form, core for the core group', () => {
    expect(allowlistEntry({ apiVersion: 'v1', kind: 'ConfigMap' })).toBe('core/v1/ConfigMap');
    expect(allowlistEntry({ apiVersion: 'monitoring.coreos.com/v1', kind: 'ServiceMonitor' })).toBe('monitoring.coreos.com/v1/ServiceMonitor');
  });

  test('the checklist prints the first sync and the later one, with this allowlist', () => {
    const readme = renderTree(BASE).get('forum/README.md') ?? '';
    expect(readme).toContain('```sh\nkubectl apply -k dist/forum\n```');
    const later = /every later time[^\n]*\n\n```sh\n([\s\S]*?)\n```/.exec(readme)?.[1] ?? '';
    const lines = later.split(/(?<! \\)\n/);
    expect(lines.slice(0, 2)).toEqual([
      'kubectl apply -k dist/forum -l app.kubernetes.io/component=migrate',
      'kubectl -n forum wait --for=condition=complete job -l app.kubernetes.io/instance=forum,app.kubernetes.io/component=migrate --timeout=30m',
    ]);
    expect(lines[2].split(' \\\n')[0]).toBe('kubectl apply -k dist/forum --prune -l app.kubernetes.io/instance=forum');
    expect(later.match(/--prune-allowlist=(\S+)/g)?.map((a) => a.split('=')[1])).toEqual(pruneAllowlist(siteManifests(renderTree(BASE), 'forum')));
  });
});
