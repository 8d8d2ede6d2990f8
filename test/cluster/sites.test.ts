import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { readTree, writeTreeAtomically } from '../../app/output';
import { synthesizeSites } from '../../app/typescript-sites';
import { SITES } from '../../examples/sites';
import { fixtureTree } from '../fixtures';
import { cluster, describeCluster } from './cluster-env';
import { KubeObject } from './kube-client';
import { notSettled, syncFolder, warnings } from './sync';

/**
 * Every site the suite renders, sent to the real API server (server-side apply,
 * dry-run then real, wave by wave) and settled by the real controllers: Deployments
 * roll out under Pod Security "restricted", Jobs complete, claims bind, and no
 * controller reports a Warning.
 */

const folders = (dir: string) =>
  [...new Set([...readTree(dir).keys()].filter((p) => p.endsWith('/kustomization.yaml')).map((p) => p.replace(/\/kustomization\.yaml$/, '')))].sort(
    // Site folders before the GitOps objects that point at them.
    (a, b) => Number(a.startsWith('gitops/')) - Number(b.startsWith('gitops/')) || a.localeCompare(b),
  );

function renderings(): [string, string][] {
  const fixtures = join(mkdtempSync(join(tmpdir(), 'cluster-fixtures-')), 'dist');
  writeTreeAtomically(fixtures, fixtureTree());
  const examples = join(mkdtempSync(join(tmpdir(), 'cluster-examples-')), 'dist');
  const written = synthesizeSites(SITES, { outdir: examples });
  if (written.exitCode !== 0) throw new Error(`examples/sites.ts does not synthesize:\n${written.messages.join('\n')}`);
  return [
    ...folders(fixtures).map((f): [string, string] => [`fixtures: dist/${f}`, join(fixtures, f)]),
    ...folders(examples)
      .filter((f) => !f.startsWith('gitops/'))
      .map((f): [string, string] => [`README example (examples/sites.ts): dist/${f}`, join(examples, f)]),
  ];
}

/** Every `priorityClassName` the renderings' pod templates name. */
function priorityClasses(dirs: readonly string[]): string[] {
  const names = dirs.flatMap((dir) => [...readTree(dir).values()].flatMap((text) => [...text.matchAll(/priorityClassName: (\S+)/g)].map((m) => m[1])));
  return [...new Set(names)];
}

describeCluster('every rendered site is accepted by a real API server and settled by real controllers', () => {
  const cases = renderings();

  beforeAll(async () => {
    // Where Argo CD and Flux run: the GitOps objects land in their namespaces.
    const { client } = cluster();
    for (const name of ['argocd', 'flux-system']) {
      await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } }, 'discourse-cdk8s-tests');
    }
    // What the per-site checklist tells the cluster's owner to provide: the PriorityClasses the sites name.
    for (const name of priorityClasses(cases.map(([, dir]) => dir))) {
      await client.apply({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value: 1000 } as KubeObject, 'discourse-cdk8s-tests');
    }
  });

  test('there are site and GitOps folders to apply', () => {
    expect(cases.map(([name]) => name)).toEqual(
      expect.arrayContaining([
        'fixtures: dist/example',
        'fixtures: dist/full',
        'fixtures: dist/day0',
        'fixtures: dist/gitops/flux',
        'fixtures: dist/gitops/argocd',
      ]),
    );
  });

  test.each(cases)('%s', async (_name, dir) => {
    const { client } = cluster();
    // WHEN
    const { objects } = await syncFolder(client, dir);
    // THEN every workload and Job settled, and the controllers said nothing bad of them
    const live = await Promise.all(objects.map((o) => client.get(o.apiVersion, o.kind, o.metadata.name, o.metadata.namespace)));
    const missing = objects.filter((_o, i) => live[i] === undefined).map((o) => `${o.kind}/${o.metadata.name}`);
    expect(missing).toEqual([]);
    const unsettled = live
      .filter((o): o is KubeObject => o !== undefined && notSettled(o) !== undefined)
      .map((o) => `${o.kind}/${o.metadata.name}: ${notSettled(o)}`);
    expect(unsettled).toEqual([]);
    const namespaces = [...new Set(objects.map((o) => o.metadata.namespace).filter((n): n is string => n !== undefined))];
    expect(await warnings(client, namespaces)).toEqual([]);
    // Each Deployment's pods exist and passed Pod Security admission (they were created).
    for (const d of objects.filter((o) => o.kind === 'Deployment')) {
      const selector = Object.entries((d.spec as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const pods = await client.list('v1', 'Pod', d.metadata.namespace, selector);
      expect({ deployment: d.metadata.name, running: pods.filter((p) => (p.status as { phase?: string }).phase === 'Running').length }).toEqual({
        deployment: d.metadata.name,
        running: (d.spec as { replicas?: number }).replicas ?? 1,
      });
    }
  });
});
