import { ApiObject, App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import * as k8s from '../imports/k8s';
import { KEEP_ON_PRUNE, WAVES, argoWave } from '../lib/annotations';
import { CloudNativePgCluster } from '../lib/cnpg-cluster';
import { RedisServer } from '../lib/redis-server';
import { commonLabels } from '../lib/workload';
import { Discourse } from '../lib/discourse';
import { GitOpsChart, GitOpsSite } from '../lib/gitops';
import { DiscourseIngress } from '../lib/ingress';
import { DiscourseMonitoring } from '../lib/monitoring';
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
    const labels = commonLabels(site.name, site.discourse.version);
    if (site.postgresServer) {
      const prometheus = site.monitoring ? site.monitoring.prometheusLabels : {};
      inWave(new CloudNativePgCluster(this, 'postgres', { ...site.postgresServer, labels, inheritedLabels: prometheus }), WAVES.dataServices);
    }
    if (site.redisServer) inWave(new RedisServer(this, 'redis', { ...site.redisServer, labels }), WAVES.dataServices);
    this.discourse = new Discourse(this, 'discourse', site.discourse);
    if (site.ingress) new DiscourseIngress(this, 'ingress', this.discourse, site.ingress);
    if (site.monitoring) new DiscourseMonitoring(this, 'monitoring', this.discourse, site.monitoring);
  }
}

/** Puts every object of `scope` in an Argo CD sync wave. */
function inWave(scope: Construct, wave: number): void {
  for (const child of scope.node.findAll()) {
    if (child instanceof ApiObject) for (const [key, value] of Object.entries(argoWave(wave))) child.metadata.addAnnotation(key, value);
  }
}

/** Builds an App with one SiteChart per site, sorted by name, and a GitOps chart when any site has `gitops:`. */
export function buildApp(sites: readonly ResolvedSite[]): { app: App; charts: SiteChart[]; gitops?: GitOpsChart } {
  const app = new App({ outdir: 'cdk8s.out' });
  // Sorted by name: the fleet ApplicationSet lists sites in this order, and output must not depend on the caller's.
  const charts = [...sites].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)).map((site) => new SiteChart(app, site));
  const gitopsSites: GitOpsSite[] = charts
    .filter((c) => c.site.gitops)
    .map((c) => ({
      name: c.site.name,
      namespace: c.site.namespace,
      deployment: c.discourse.names.deployment,
      jobs: [c.discourse.migration?.job.name, c.discourse.postMigration?.job.name].filter((j): j is string => j !== undefined),
      options: c.site.gitops!,
    }));
  const gitops = gitopsSites.length > 0 ? new GitOpsChart(app, 'gitops', gitopsSites) : undefined;
  return { app, charts, gitops };
}
