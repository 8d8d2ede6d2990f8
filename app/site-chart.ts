import { ApiObject, App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { KEEP_ON_PRUNE, WAVES, argoWave } from '../lib/core/annotations';
import { CloudNativePgCluster } from '../lib/data/cnpg-cluster';
import { RedisServer } from '../lib/data/redis-server';
import { commonLabels } from '../lib/workload/workload';
import { Discourse } from '../lib/discourse';
import { GitOpsChart, GitOpsSite } from '../lib/gitops/gitops';
import { DiscourseGatewayRoute } from '../lib/routing/gateway-route';
import { DiscourseIngress } from '../lib/routing/ingress';
import { DiscourseMonitoring } from '../lib/observability/monitoring';
import { ResolvedSite } from './resolve-site';

/** Pod Security Admission: the namespace enforces the "restricted" standard the pods are built to. */
export const RESTRICTED_NAMESPACE_LABELS: Readonly<Record<string, string>> = {
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/audit': 'restricted',
  'pod-security.kubernetes.io/warn': 'restricted',
};

/**
 * One chart per site, built from a resolved site (see resolveSite): the constructs
 * trust the values and validate nothing again.
 */
export class SiteChart extends Chart {
  public readonly site: ResolvedSite;
  public readonly discourse: Discourse;

  constructor(scope: Construct, site: ResolvedSite) {
    super(scope, site.name, { disableResourceNameHashes: true, namespace: site.namespace });
    this.site = site;
    if (site.createNamespace) {
      new k8s.KubeNamespace(this, 'namespace', {
        metadata: {
          name: site.namespace,
          labels: { ...RESTRICTED_NAMESPACE_LABELS, 'app.kubernetes.io/managed-by': 'discourse-cdk8s' },
          annotations: KEEP_ON_PRUNE,
        },
      });
    }
    // The data services first in Argo CD's order: the migrations need them.
    const labels = commonLabels(site.name);
    if (site.postgresServer) {
      const prometheus = site.monitoring ? site.monitoring.prometheusLabels : {};
      inWave(new CloudNativePgCluster(this, 'postgres', { ...site.postgresServer, labels, inheritedLabels: prometheus }), WAVES.dataServices);
    }
    if (site.redisServer) inWave(new RedisServer(this, 'redis', { ...site.redisServer, labels }), WAVES.dataServices);
    this.discourse = new Discourse(this, 'discourse', site.discourse);
    if (site.ingress) new DiscourseIngress(this, 'ingress', this.discourse, site.ingress);
    if (site.gateway) new DiscourseGatewayRoute(this, 'gateway', this.discourse, site.gateway);
    if (site.monitoring) new DiscourseMonitoring(this, 'monitoring', this.discourse, site.monitoring);
  }
}

/** Puts every object of `scope` in an Argo CD sync wave. */
function inWave(scope: Construct, wave: number): void {
  for (const child of scope.node.findAll()) {
    if (child instanceof ApiObject) for (const [key, value] of Object.entries(argoWave(wave))) child.metadata.addAnnotation(key, value);
  }
}

/**
 * One SiteChart in an App of its own. cdk8s resolves and validates the whole App at each
 * chart's `toJson()`, so charts sharing an App make rendering quadratic in the number of
 * sites; apart, a chart can also be rendered, written and dropped before the next is built.
 */
export function buildSiteChart(site: ResolvedSite): SiteChart {
  return new SiteChart(new App({ outdir: 'cdk8s.out' }), site);
}

/** What the GitOps chart needs of a site (not the chart itself, which can be gone by then). */
export function gitOpsSite(chart: SiteChart): GitOpsSite | undefined {
  if (!chart.site.gitops) return undefined;
  return {
    name: chart.site.name,
    namespace: chart.site.namespace,
    deployment: chart.discourse.names.deployment,
    jobs: [chart.discourse.migration?.job.name, chart.discourse.postMigration?.job.name].filter((j): j is string => j !== undefined),
    options: chart.site.gitops,
  };
}

/** The GitOps chart of the sites that have `gitops:` (in site-name order), if any has. */
export function buildGitOpsChart(sites: readonly GitOpsSite[]): GitOpsChart | undefined {
  if (sites.length === 0) return undefined;
  return new GitOpsChart(new App({ outdir: 'cdk8s.out' }), 'gitops', sortedByName(sites));
}

/** Sorted by name: the fleet ApplicationSet lists sites in this order, and output must not depend on the caller's. */
export function sortedByName<T extends { readonly name: string }>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One SiteChart per site, sorted by name, and a GitOps chart when any site has `gitops:`. */
export function buildApp(sites: readonly ResolvedSite[]): { charts: SiteChart[]; gitops?: GitOpsChart } {
  const charts = sortedByName(sites).map(buildSiteChart);
  const gitops = buildGitOpsChart(charts.map(gitOpsSite).filter((g): g is GitOpsSite => g !== undefined));
  return { charts, gitops };
}
