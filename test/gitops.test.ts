import { Testing } from 'cdk8s';
import { GitOpsChart, GitOpsSite, resolveGitOps } from '../lib/gitops/gitops';
import { Manifest } from '../lib/core/manifest';
import { Json, find } from './fixtures';
import { expectValidManifests } from './schema';

const SITE: GitOpsSite = {
  name: 'forum',
  namespace: 'forum-ns',
  deployment: 'forum',
  jobs: ['forum-migrate-0123abcd', 'forum-post-migrate-4567cdef'],
  options: resolveGitOps({ repoUrl: 'https://git.example.com/org/sites.git' }).resolved,
};

function synthGitOps(sites: GitOpsSite[] = [SITE]): Manifest[] {
  return Testing.synth(new GitOpsChart(Testing.app(), 'gitops', sites)) as Manifest[];
}

describe('GitOps objects', () => {
  const manifests = synthGitOps();

  test('validate against the Argo CD and Flux schemas', () => {
    expectValidManifests(manifests);
  });

  test('Argo CD Application: automated sync with prune and selfHeal, CreateNamespace, pointing at the site folder', () => {
    const app = find(manifests, 'Application', 'forum');
    expect(app.metadata.namespace).toBe('argocd');
    expect(app.spec.source).toEqual({ repoURL: 'https://git.example.com/org/sites.git', targetRevision: 'main', path: 'dist/forum' });
    expect(app.spec.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'forum-ns' });
    expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(app.spec.syncPolicy.syncOptions).toContain('CreateNamespace=true');
  });

  test('Flux: GitRepository and Kustomization with prune, health checks on the Deployment and the migration Job', () => {
    const repo = find(manifests, 'GitRepository', 'discourse-forum');
    expect(repo.spec).toMatchObject({ url: 'https://git.example.com/org/sites.git', interval: '5m', ref: { branch: 'main' } });
    const k = find(manifests, 'Kustomization', 'discourse-forum');
    expect(k.spec).toMatchObject({
      path: './dist/forum',
      prune: true,
      sourceRef: { kind: 'GitRepository', name: 'discourse-forum' },
    });
    expect(k.spec.healthChecks).toEqual([
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'forum', namespace: 'forum-ns' },
      { apiVersion: 'batch/v1', kind: 'Job', name: 'forum-migrate-0123abcd', namespace: 'forum-ns' },
      { apiVersion: 'batch/v1', kind: 'Job', name: 'forum-post-migrate-4567cdef', namespace: 'forum-ns' },
    ]);
  });

  test('a fleet ApplicationSet lists every site with its own namespace, path, project and cluster', () => {
    const blog = { ...SITE.options, path: 'sites-out/blog', argocdProject: 'blogs', destinationServer: 'https://blog-cluster.example.com' };
    const two = synthGitOps([SITE, { ...SITE, name: 'blog', namespace: 'blog-ns', options: blog }]);
    expectValidManifests(two);
    const set = find(two, 'ApplicationSet', 'discourse-sites');
    const repo = 'https://git.example.com/org/sites.git';
    expect(set.spec.generators[0].list.elements).toEqual([
      {
        site: 'forum',
        namespace: 'forum-ns',
        path: 'dist/forum',
        repoUrl: repo,
        revision: 'main',
        project: 'default',
        server: 'https://kubernetes.default.svc',
      },
      {
        site: 'blog',
        namespace: 'blog-ns',
        path: 'sites-out/blog',
        repoUrl: repo,
        revision: 'main',
        project: 'blogs',
        server: 'https://blog-cluster.example.com',
      },
    ]);
    // Each Application takes its own site's project and cluster, not the first site's.
    expect(set.spec.template.spec.project).toBe('{{.project}}');
    expect(set.spec.template.spec.destination).toEqual({ server: '{{.server}}', namespace: '{{.namespace}}' });
  });

  test('sites in different Argo CD namespaces get one ApplicationSet each', () => {
    const other = { ...SITE, name: 'blog', namespace: 'blog-ns', options: { ...SITE.options, argocdNamespace: 'argocd-blogs' } };
    const sets = synthGitOps([SITE, other]).filter((m) => m.kind === 'ApplicationSet');
    expect(sets.map((m) => `${m.metadata.namespace}/${m.metadata.name}: ${(m as Json).spec.generators[0].list.elements.map((e: Json) => e.site)}`)).toEqual([
      'argocd/discourse-sites-argocd: forum',
      'argocd-blogs/discourse-sites-argocd-blogs: blog',
    ]);
  });

  test('a pinned commit becomes a Flux commit ref; tools can be switched off', () => {
    const sha = 'a'.repeat(40);
    const m = synthGitOps([{ ...SITE, options: { ...SITE.options, revision: sha, argocd: false } }]);
    expect(find(m, 'GitRepository', 'discourse-forum').spec.ref).toEqual({ commit: sha });
    expect(m.filter((x) => x.kind === 'Application' || x.kind === 'ApplicationSet')).toEqual([]);
  });

  test.each([
    ['a repo URL that is not one', { repoUrl: 'not a url' }, /gitops\.repoUrl: "not a url" is not a Git URL/],
    ['a path escaping the repository', { repoUrl: 'https://g/x.git', path: '../x' }, /path: "\.\.\/x" is not a relative path/],
    ['a bad interval', { repoUrl: 'https://g/x.git', interval: 'often' }, /interval: "often" is not a duration/],
  ])('fails if %s', (_n, options, expected) => {
    expect(
      resolveGitOps(options)
        .problems.map((p) => `${p.path}: ${p.message}`)
        .join('\n'),
    ).toMatch(expected);
  });

  test('accepts ssh Git URLs', () => {
    expect(resolveGitOps({ repoUrl: 'ssh://git@github.com/org/sites.git' }).problems).toEqual([]);
    expect(resolveGitOps({ repoUrl: 'git@github.com:org/sites.git' }).problems).toEqual([]);
  });
});
