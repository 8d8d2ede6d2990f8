import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { Application, ApplicationSet } from '../../imports/argoproj.io';
import { Kustomization, KustomizationSpecSourceRefKind } from '../../imports/kustomize.toolkit.fluxcd.io';
import { GitRepository } from '../../imports/source.toolkit.fluxcd.io';
import { isDnsLabel, isHttpUrl } from '../core/checks';
import { DEFAULTS } from '../core/defaults';
import { parseGoDuration } from '../core/units';
import { Problem, show } from '../core/problems';

/** Where a site's rendered folder lives in Git, and how Argo CD and Flux should sync it. */
export interface GitOpsProps {
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

/** GitOps options with defaults applied (the site's path still depends on its name). */
export type ResolvedGitOps = Required<Omit<GitOpsProps, 'path'>> & Pick<GitOpsProps, 'path'>;

/** What the GitOps objects need to know about one site. */
export interface GitOpsSite {
  readonly name: string;
  readonly namespace: string;
  readonly deployment: string;
  /** Jobs Flux waits for: the migrations, whose hashed names change per release. @default [] */
  readonly jobs?: readonly string[];
  readonly options: ResolvedGitOps;
}

/** Validates a site's GitOps options and applies their defaults; problems name `path` (`gitops.repoUrl`). */
export function resolveGitOps(o: GitOpsProps, path = 'gitops'): { resolved: ResolvedGitOps; problems: Problem[] } {
  return {
    resolved: {
      repoUrl: o.repoUrl,
      revision: o.revision ?? DEFAULTS.gitRevision,
      path: o.path,
      argocd: o.argocd ?? true,
      argocdNamespace: o.argocdNamespace ?? DEFAULTS.argocdNamespace,
      argocdProject: o.argocdProject ?? DEFAULTS.argocdProject,
      flux: o.flux ?? true,
      fluxNamespace: o.fluxNamespace ?? DEFAULTS.fluxNamespace,
      interval: o.interval ?? DEFAULTS.fluxInterval,
      destinationServer: o.destinationServer ?? DEFAULTS.argocdDestinationServer,
    },
    problems: validateGitOps(o, path),
  };
}

function validateGitOps(o: GitOpsProps, path: string): Problem[] {
  const problems: Problem[] = [];
  const ssh = /^(ssh:\/\/)?[\w.-]+@[\w.-]+(:[\w./~-]+|\/[\w./~-]+)$/;
  if (typeof o.repoUrl !== 'string' || !(isHttpUrl(o.repoUrl) || ssh.test(o.repoUrl)))
    problems.push({
      path: `${path}.repoUrl`,
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
        path: `${path}.${key}`,
        message: `${show(o[key])} is not a namespace name`,
        fix: 'use a DNS label',
      });
  }
  if (o.interval !== undefined && !parseGoDuration(o.interval))
    problems.push({ path: `${path}.interval`, message: `${show(o.interval)} is not a duration`, fix: 'write e.g. 5m' });
  if (o.destinationServer !== undefined && !isHttpUrl(o.destinationServer))
    problems.push({ path: `${path}.destinationServer`, message: `${show(o.destinationServer)} is not a URL`, fix: 'write the API server URL' });
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
      namespace: o.argocdNamespace,
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    },
    spec: {
      project: o.argocdProject,
      source: { repoUrl: o.repoUrl, targetRevision: o.revision, path: sitePath(site) },
      destination: { server: o.destinationServer, namespace: site.namespace },
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
  const namespace = o.fluxNamespace;
  const interval = o.interval;
  const source = new GitRepository(scope, `flux-source-${site.name}`, {
    metadata: { name: `discourse-${site.name}`, namespace },
    spec: { url: o.repoUrl, interval, ref: /^[0-9a-f]{40}$/.test(o.revision) ? { commit: o.revision } : { branch: o.revision } },
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
 * ApplicationSets for a fleet: a list generator with one element per site (name,
 * namespace, path, repository, revision, project, destination), so each Application
 * lands in its site's namespace with its own project and cluster. One ApplicationSet per
 * Argo CD namespace: an ApplicationSet only creates Applications in its own. An
 * alternative to the per-site Applications: apply one or the other.
 */
export function argoFleet(scope: Construct, sites: readonly GitOpsSite[]): ApplicationSet[] {
  const argo = sites.filter((s) => s.options.argocd);
  const byNamespace = new Map<string, GitOpsSite[]>();
  for (const site of argo) byNamespace.set(site.options.argocdNamespace, [...(byNamespace.get(site.options.argocdNamespace) ?? []), site]);
  const namespaces = [...byNamespace.keys()].sort();
  return namespaces.map(
    (namespace) =>
      new ApplicationSet(scope, namespaces.length === 1 ? 'argocd-fleet' : `argocd-fleet-${namespace}`, {
        metadata: { name: namespaces.length === 1 ? 'discourse-sites' : `discourse-sites-${namespace}`, namespace },
        spec: {
          goTemplate: true,
          goTemplateOptions: ['missingkey=error'],
          generators: [
            {
              list: {
                elements: byNamespace.get(namespace)!.map((s) => ({
                  site: s.name,
                  namespace: s.namespace,
                  path: sitePath(s),
                  repoUrl: s.options.repoUrl,
                  revision: s.options.revision,
                  project: s.options.argocdProject,
                  server: s.options.destinationServer,
                })),
              },
            },
          ],
          template: {
            metadata: { name: '{{.site}}', finalizers: ['resources-finalizer.argocd.argoproj.io'] },
            spec: {
              project: '{{.project}}',
              source: { repoUrl: '{{.repoUrl}}', targetRevision: '{{.revision}}', path: '{{.path}}' },
              destination: { server: '{{.server}}', namespace: '{{.namespace}}' },
              syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['CreateNamespace=true', 'PruneLast=true'] },
            },
          },
        },
      }),
  );
}

/** The chart of GitOps objects for all sites (cluster-wide tools' namespaces, not the sites'). */
export class GitOpsChart extends Chart {
  constructor(scope: Construct, id: string, sites: readonly GitOpsSite[]) {
    super(scope, id, { disableResourceNameHashes: true });
    for (const site of sites) {
      if (site.options.argocd) argoApplication(this, site);
      if (site.options.flux) fluxSite(this, site);
    }
    argoFleet(this, sites);
  }
}
