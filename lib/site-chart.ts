import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { charmNames } from './config';
import { Discourse } from './discourse';
import { GitOpsChart, GitOpsSite } from './gitops';
import { DiscourseIngress } from './ingress';
import { DiscourseMonitoring } from './monitoring';
import { SiteDescription } from './site';

/**
 * One chart per site: the Discourse construct configured from a site file, with
 * messages in the site file's vocabulary (`config.smtp_port`, not `smtpPort`).
 */
export class SiteChart extends Chart {
  public readonly site: SiteDescription;
  public readonly discourse: Discourse;

  constructor(scope: Construct, site: SiteDescription) {
    super(scope, site.name, { disableResourceNameHashes: true, namespace: site.namespace });
    this.site = site;
    this.discourse = new Discourse(this, 'discourse', site.props, { source: site.file, namer: charmNames });
    if (site.ingress) new DiscourseIngress(this, 'ingress', this.discourse, site.ingress);
    if (site.monitoring) new DiscourseMonitoring(this, 'monitoring', this.discourse, site.monitoring);
  }
}

/** Builds an App with one SiteChart per site, in the given order, and a GitOps chart when any site has `gitops:`. */
export function buildApp(sites: readonly SiteDescription[]): { app: App; charts: SiteChart[]; gitops?: GitOpsChart } {
  const app = new App({ outdir: 'cdk8s.out' });
  const charts = sites.map((site) => new SiteChart(app, site));
  const gitopsSites: GitOpsSite[] = charts
    .filter((c) => c.site.gitops)
    .map((c) => ({
      name: c.site.name,
      namespace: c.site.namespace,
      deployment: c.discourse.names.deployment,
      migrationJob: c.discourse.migration?.job.name,
      options: c.site.gitops!,
    }));
  const gitops = gitopsSites.length > 0 ? new GitOpsChart(app, 'gitops', gitopsSites) : undefined;
  return { app, charts, gitops };
}
