import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Application, ApplicationSet } from '../imports/argoproj.io';
import { Kustomization, KustomizationSpecSourceRefKind } from '../imports/kustomize.toolkit.fluxcd.io';
import { GitRepository } from '../imports/source.toolkit.fluxcd.io';
import { isDnsLabel, isHttpUrl } from './checks';
import { parseGoDuration } from './units';
import { Problem, show } from './problems';

/** Where a site's rendered folder lives in Git, and how Argo CD and Flux should sync it. */
export interface GitOpsOptions {
  /** Git URL of the repository that holds `dist/` (https or ssh). */
  readonly repoUrl: string;
  /**
   * Branch, tag or commit to follow.
   * @default 'main'
   */
  readonly revision?: string;
  /**
   * Folder of the site inside the repository.
   * @default 'dist/<site>'
   */
  readonly path?: string;
  /**
   * Emit an Argo CD Application (automated sync, prune, selfHeal, CreateNamespace).
   * @default true
   */
  readonly argocd?: boolean;
  /** @default 'argocd' */
  readonly argocdNamespace?: string;
  /** @default 'default' */
  readonly argocdProject?: string;
  /**
   * Emit a Flux GitRepository and Kustomization.
   * @default true
   */
  readonly flux?: boolean;
  /** @default 'flux-system' */
  readonly fluxNamespace?: string;
  /**
   * How often Flux reconciles.
   * @default '5m'
   */
  readonly interval?: string;
  /** @default 'https://kubernetes.default.svc' */
  readonly destinationServer?: string;
}

/** What the GitOps objects need to know about one site. */
export interface GitOpsSite {
  readonly name: string;
  readonly namespace: string;
  readonly deployment: string;
  /** Jobs Flux waits for: the migrations, whose hashed names change per release. @default [] */
  readonly jobs?: readonly string[];
  readonly options: GitOpsOptions;
}

/** Problems in a site's gitops section, naming `path`. */
export function validateGitOps(o: GitOpsOptions, path: string): Problem[] {
  const problems: Problem[] = [];
  const ssh = /^(ssh:\/\/)?[\w.-]+@[\w.-]+(:[\w./~-]+|\/[\w./~-]+)$/;
  if (typeof o.repoUrl !== 'string' || !(isHttpUrl(o.repoUrl) || ssh.test(o.repoUrl)))
    problems.push({
      path: `${path}.repo_url`,
      message: `${show(o.repoUrl)} is not a Git URL`,
      fix: 'write https://host/org/repo.git or ssh://git@host/org/repo.git',
    });
  if (o.revision !== undefined && !/^[\w./-]+$/.test(o.revision))
    problems.push({ path: `${path}.revision`, message: `${show(o.revision)} is not a Git revision`, fix: 'write a branch, tag or commit' });
  if (o.path !== undefined && (o.path.startsWith('/') || o.path.includes('..')))
    problems.push({ path: `${path}.path`, message: `${show(o.path)} is not a relative path inside the repository`, fix: 'write e.g. dist/forum' });
  for (const key of ['argocdNamespace', 'fluxNamespace'] as const) {
    if (o[key] !== undefined && !isDnsLabel(o[key]!))
      problems.push({
        path: `${path}.${key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`,
        message: `${show(o[key])} is not a namespace name`,
        fix: 'use a DNS label',
      });
  }
  if (o.interval !== undefined && !parseGoDuration(o.interval))
    problems.push({ path: `${path}.interval`, message: `${show(o.interval)} is not a duration`, fix: 'write e.g. 5m' });
  if (o.destinationServer !== undefined && !isHttpUrl(o.destinationServer))
    problems.push({ path: `${path}.destination_server`, message: `${show(o.destinationServer)} is not a URL`, fix: 'write the API server URL' });
  return problems;
}

const sitePath = (s: GitOpsSite) => s.options.path ?? `dist/${s.name}`;

/** An Argo CD Application that syncs one site folder. */
export function argoApplication(scope: Construct, site: GitOpsSite): Application {
  const o = site.options;
  return new Application(scope, `argocd-${site.name}`, {
    metadata: {
      // Same name as the site: with label tracking, app.kubernetes.io/instance stays what the selectors expect.
      name: site.name,
      namespace: o.argocdNamespace ?? 'argocd',
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    },
    spec: {
      project: o.argocdProject ?? 'default',
      source: { repoUrl: o.repoUrl, targetRevision: o.revision ?? 'main', path: sitePath(site) },
      destination: { server: o.destinationServer ?? 'https://kubernetes.default.svc', namespace: site.namespace },
      syncPolicy: {
        automated: { prune: true, selfHeal: true },
        syncOptions: ['CreateNamespace=true', 'PruneLast=true'],
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
      },
    },
  });
}

/** A Flux GitRepository and Kustomization for one site, with health checks on the Deployment and the migration Job. */
export function fluxSite(scope: Construct, site: GitOpsSite): { source: GitRepository; kustomization: Kustomization } {
  const o = site.options;
  const namespace = o.fluxNamespace ?? 'flux-system';
  const interval = o.interval ?? '5m';
  const source = new GitRepository(scope, `flux-source-${site.name}`, {
    metadata: { name: `discourse-${site.name}`, namespace },
    spec: { url: o.repoUrl, interval, ref: /^[0-9a-f]{40}$/.test(o.revision ?? '') ? { commit: o.revision } : { branch: o.revision ?? 'main' } },
  });
  const healthChecks = [{ apiVersion: 'apps/v1', kind: 'Deployment', name: site.deployment, namespace: site.namespace }];
  for (const job of site.jobs ?? []) healthChecks.push({ apiVersion: 'batch/v1', kind: 'Job', name: job, namespace: site.namespace });
  const kustomization = new Kustomization(scope, `flux-kustomization-${site.name}`, {
    metadata: { name: `discourse-${site.name}`, namespace },
    spec: {
      interval,
      path: `./${sitePath(site)}`,
      prune: true,
      // Explicit checks instead of wait: true, which would also block on one-off operation Jobs.
      // No targetNamespace: every object names its namespace, and some (dashboards) may live elsewhere.
      wait: false,
      healthChecks,
      timeout: '15m',
      retryInterval: '1m',
      sourceRef: { kind: KustomizationSpecSourceRefKind.GIT_REPOSITORY, name: `discourse-${site.name}` },
    },
  });
  return { source, kustomization };
}

/**
 * One ApplicationSet for a fleet: a list generator with one element per site
 * (name, namespace, path), so each Application lands in its site's namespace.
 * An alternative to the per-site Applications: apply one or the other.
 */
export function argoFleet(scope: Construct, sites: readonly GitOpsSite[]): ApplicationSet | undefined {
  const argo = sites.filter((s) => s.options.argocd ?? true);
  if (argo.length === 0) return undefined;
  const first = argo[0].options;
  return new ApplicationSet(scope, 'argocd-fleet', {
    metadata: { name: 'discourse-sites', namespace: first.argocdNamespace ?? 'argocd' },
    spec: {
      goTemplate: true,
      goTemplateOptions: ['missingkey=error'],
      generators: [
        {
          list: {
            elements: argo.map((s) => ({
              site: s.name,
              namespace: s.namespace,
              path: sitePath(s),
              repoUrl: s.options.repoUrl,
              revision: s.options.revision ?? 'main',
            })),
          },
        },
      ],
      template: {
        metadata: { name: '{{.site}}', finalizers: ['resources-finalizer.argocd.argoproj.io'] },
        spec: {
          project: first.argocdProject ?? 'default',
          source: { repoUrl: '{{.repoUrl}}', targetRevision: '{{.revision}}', path: '{{.path}}' },
          destination: { server: first.destinationServer ?? 'https://kubernetes.default.svc', namespace: '{{.namespace}}' },
          syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true', 'PruneLast=true'] },
        },
      },
    },
  });
}

/** The chart of GitOps objects for all sites (cluster-wide tools' namespaces, not the sites'). */
export class GitOpsChart extends Chart {
  constructor(scope: Construct, id: string, sites: readonly GitOpsSite[]) {
    super(scope, id, { disableResourceNameHashes: true });
    for (const site of sites) {
      if (site.options.argocd ?? true) argoApplication(this, site);
      if (site.options.flux ?? true) fluxSite(this, site);
    }
    argoFleet(this, sites);
  }
}
