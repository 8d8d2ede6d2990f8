import { App, Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { charmNames } from './config';
import { Discourse } from './discourse';
import { SiteDescription } from './site';

/**
 * One chart per site: the Discourse construct configured from a site file, with
 * messages in the site file's vocabulary (`config.smtp_port`, not `smtpPort`).
 */
export class SiteChart extends Chart {
  public readonly site: SiteDescription;
  public readonly discourse: Discourse;

  constructor(scope: Construct, site: SiteDescription) {
    super(scope, site.name, { disableResourceNameHashes: true });
    this.site = site;
    this.discourse = new Discourse(this, 'discourse', site.props, { source: site.file, namer: charmNames });
  }
}

/** Builds an App with one SiteChart per site, in the given order. */
export function buildApp(sites: readonly SiteDescription[]): { app: App; charts: SiteChart[] } {
  const app = new App({ outdir: 'cdk8s.out' });
  const charts = sites.map((site) => new SiteChart(app, site));
  return { app, charts };
}
