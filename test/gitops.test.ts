import { Testing } from 'cdk8s';
import { GitOpsChart, GitOpsSite, validateGitOps } from '../lib/gitops';
import { Manifest } from '../lib/manifest';
import { find } from './fixtures';
import { expectValidManifests } from './schema';

const SITE: GitOpsSite = {
  name: 'forum',
  namespace: 'forum-ns',
  deployment: 'forum',
  jobs: ['forum-migrate-0123abcd', 'forum-post-migrate-4567cdef'],
  options: { repoUrl: 'https://git.example.com/org/sites.git' },
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

  test('a fleet ApplicationSet lists every site with its own namespace and path', () => {
    const two = synthGitOps([SITE, { ...SITE, name: 'blog', namespace: 'blog-ns', options: { ...SITE.options, path: 'sites-out/blog' } }]);
    expectValidManifests(two);
    const set = find(two, 'ApplicationSet', 'discourse-sites');
    expect(set.spec.generators[0].list.elements).toEqual([
      { site: 'forum', namespace: 'forum-ns', path: 'dist/forum', repoUrl: 'https://git.example.com/org/sites.git', revision: 'main' },
      { site: 'blog', namespace: 'blog-ns', path: 'sites-out/blog', repoUrl: 'https://git.example.com/org/sites.git', revision: 'main' },
    ]);
    expect(set.spec.template.spec.destination.namespace).toBe('{{.namespace}}');
  });

  test('a pinned commit becomes a Flux commit ref; tools can be switched off', () => {
    const sha = 'a'.repeat(40);
    const m = synthGitOps([{ ...SITE, options: { ...SITE.options, revision: sha, argocd: false } }]);
    expect(find(m, 'GitRepository', 'discourse-forum').spec.ref).toEqual({ commit: sha });
    expect(m.filter((x) => x.kind === 'Application' || x.kind === 'ApplicationSet')).toEqual([]);
  });

  test.each([
    ['a repo URL that is not one', { repoUrl: 'not a url' }, /repo_url: "not a url" is not a Git URL/],
    ['a path escaping the repository', { repoUrl: 'https://g/x.git', path: '../x' }, /path: "\.\.\/x" is not a relative path/],
    ['a bad interval', { repoUrl: 'https://g/x.git', interval: 'often' }, /interval: "often" is not a duration/],
  ])('fails if %s', (_n, options, expected) => {
    expect(
      validateGitOps(options, 'gitops')
        .map((p) => `${p.path}: ${p.message}`)
        .join('\n'),
    ).toMatch(expected);
  });

  test('accepts ssh Git URLs', () => {
    expect(validateGitOps({ repoUrl: 'ssh://git@github.com/org/sites.git' }, 'gitops')).toEqual([]);
    expect(validateGitOps({ repoUrl: 'git@github.com:org/sites.git' }, 'gitops')).toEqual([]);
  });
});
