import { spawnSync } from 'child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments } from 'yaml';
import { readTree, writeTreeAtomically } from '../app/output';
import { fixtureTree } from './fixtures';
import { haveTool, toolPath } from './cluster/tools';

// The kubectl (and its kustomize) built with the control plane (`npm run cluster -- tools`), else one on PATH.
const KUBECTL = haveTool('kubectl') ? toolPath('kubectl') : 'kubectl';
const kubectl = spawnSync(KUBECTL, ['version', '--client'], { encoding: 'utf8' });
// On a laptop without it these tests say so instead of passing silently.
const withKubectl = kubectl.status === 0 ? describe : describe.skip;
if (kubectl.status !== 0) {
  if (process.env.CI) throw new Error('kubectl is required in CI (npm test builds it first: npm run cluster -- tools)');
  process.stderr.write('kustomize.test.ts: kubectl not found, skipping `kubectl kustomize` checks\n');
}

withKubectl('kubectl kustomize accepts every generated folder as it is', () => {
  // The fixture sites written out as synth writes dist/.
  const out = join(mkdtempSync(join(tmpdir(), 'kustomize-')), 'dist');
  writeTreeAtomically(out, fixtureTree());
  const folders = [...new Set([...readTree(out).keys()].filter((p) => p.endsWith('/kustomization.yaml')).map((p) => p.replace(/\/kustomization\.yaml$/, '')))];

  test('there are site and gitops folders to check', () => {
    expect(folders).toEqual(expect.arrayContaining(['example', 'full', 'gitops/argocd', 'gitops/argocd-fleet', 'gitops/flux']));
  });

  test.each(folders)('dist/%s', (folder) => {
    // WHEN
    const result = spawnSync(KUBECTL, ['kustomize', join(out, folder)], { encoding: 'utf8' });
    // THEN
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const docs = parseAllDocuments(result.stdout).map((d) => d.toJS());
    const files = [...readTree(join(out, folder)).keys()].filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml' && !f.includes('/'));
    expect(docs).toHaveLength(files.length);
    if (folder === 'example') {
      expect(new Set(docs.filter((d) => d.kind !== 'Namespace').map((d) => d.metadata.namespace))).toEqual(new Set(['discourse']));
      expect(docs.find((d) => d.kind === 'Namespace').metadata).toMatchObject({
        name: 'discourse',
        labels: { 'pod-security.kubernetes.io/enforce': 'restricted' },
      });
    }
    if (folder === 'full') {
      // The dashboards live in the Grafana namespace: kustomize must not move them.
      expect(docs.filter((d) => d.metadata.name.includes('dashboard')).map((d) => d.metadata.namespace)).toEqual(['grafana', 'grafana']);
    }
  });
});

withKubectl("docs/getting-started.md's overlays/<site>/ pattern: your own manifests and patches next to dist/", () => {
  test('kubectl kustomize builds the generated site plus an extra object and a patch, in the site namespace', () => {
    // GIVEN a repository: dist/ as synth writes it, and overlays/example/ as docs/getting-started.md shows
    const repo = mkdtempSync(join(tmpdir(), 'overlay-'));
    writeTreeAtomically(join(repo, 'dist'), fixtureTree());
    const overlay = join(repo, 'overlays', 'example');
    mkdirSync(overlay, { recursive: true });
    writeFileSync(
      join(overlay, 'kustomization.yaml'),
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: discourse\nresources:\n  - ../../dist/example\n  - smtp-secret.yaml\npatches:\n  - path: more-memory.yaml\n',
    );
    writeFileSync(join(overlay, 'smtp-secret.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: stand-in-for-a-sealedsecret\n');
    writeFileSync(
      join(overlay, 'more-memory.yaml'),
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: example\n  namespace: discourse\nspec:\n  template:\n    spec:\n      containers:\n        - name: discourse\n          resources:\n            limits:\n              memory: 6Gi\n',
    );
    // WHEN
    const result = spawnSync(KUBECTL, ['kustomize', overlay], { encoding: 'utf8' });
    // THEN
    expect(result.stderr).toBe('');
    const docs = parseAllDocuments(result.stdout).map((d) => d.toJS());
    expect(docs.find((d) => d.metadata.name === 'stand-in-for-a-sealedsecret').metadata.namespace).toBe('discourse');
    const deployment = docs.find((d) => d.kind === 'Deployment');
    expect(deployment.spec.template.spec.containers[0].resources.limits.memory).toBe('6Gi');
  });
});
