import { mkdtempSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { readTree, writeTreeAtomically } from '../../app/output';
import { synthesizeSites } from '../../app/typescript-sites';
import { SITES } from '../../examples/sites';
import { fixtureTree } from '../fixtures';
import { cluster, describeCluster } from './cluster-env';
import { KubeObject } from './kube-client';
import { providePrerequisites } from './prerequisites';
import { SyncError, kustomizeBuild, namespacesOf, notSettled, syncFolder, warnings } from './sync';

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
      .map((f): [string, string] => [`TypeScript example (examples/sites.ts): dist/${f}`, join(examples, f)]),
  ];
}

describeCluster('every rendered site is accepted by a real API server and settled by real controllers', () => {
  const cases = renderings();

  beforeAll(async () => {
    const { client } = cluster();
    const dirs = cases.map(([, dir]) => dir);
    await providePrerequisites(
      client,
      dirs,
      dirs.flatMap((dir) => kustomizeBuild(dir)),
    );
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
    expect(await warnings(client, namespacesOf(objects))).toEqual([]);
    // Each Deployment's pods exist and passed Pod Security admission (they were created),
    // as many as the live Deployment asks for (an HPA's minimum where one scales it).
    for (const d of live.filter((o): o is KubeObject => o?.kind === 'Deployment')) {
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

describeCluster('the harness catches what a real cluster refuses', () => {
  /** The example fixture in a namespace of its own, with one edit to its files. */
  function exampleWith(namespace: string, edit: (file: string, text: string) => string): string {
    const dir = join(mkdtempSync(join(tmpdir(), 'cluster-negative-')), 'example');
    const tree = new Map([...fixtureTree()].filter(([p]) => p.startsWith('example/')).map(([p, t]) => [p.slice('example/'.length), t]));
    for (const [file, text] of tree) {
      const moved = text.replace(/^namespace: discourse$/m, `namespace: ${namespace}`).replace(/^ {2}name: discourse$/m, `  name: ${namespace}`);
      tree.set(file, edit(file, moved));
    }
    writeTreeAtomically(dir, tree);
    return dir;
  }

  test('fails if a pod template breaks Pod Security "restricted" (the ReplicaSet cannot create the pod)', async () => {
    // GIVEN the web pod asks to run as root
    const dir = exampleWith('psa-negative', (file, text) =>
      file.startsWith('deployment-') ? text.replace(/runAsNonRoot: true/g, 'runAsNonRoot: false') : text,
    );
    // WHEN / THEN
    const { client } = cluster();
    const error = await syncFolder(client, dir).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SyncError);
    expect((error as SyncError).message).toMatch(/FailedCreate: .*violates PodSecurity "restricted:latest".*runAsNonRoot/);
  });

  test('fails naming file, object and the server’s message if an object is invalid', async () => {
    // GIVEN a Service port out of range
    const dir = exampleWith('invalid-negative', (file, text) => (file.startsWith('service-') ? text.replace(/port: 3000/, 'port: 70000') : text));
    // WHEN / THEN
    const { client } = cluster();
    await expect(syncFolder(client, dir)).rejects.toThrow(/service-example\.yaml: Service\/invalid-negative\/example: \(dry-run\) .*70000/);
  });
});
