import { Construct } from 'constructs';
import { WAVES, argoWave } from '../core/annotations';
import { APP_DIR } from '../core/paths';
import { OneShotSite, oneShotJob } from './one-shot';

/**
 * The charm's `_config_force_https`: on every config change it sets the site setting
 * `force_https` from the charm option with `rails runner`. Here a Job does it once per
 * value, image and connection (its name is a hash of its spec), after migrations (a
 * sync wave with the migration for Argo CD, waiting for it like the web pods).
 */
export class ForceHttpsJob extends Construct {
  constructor(scope: Construct, id: string, site: OneShotSite) {
    super(scope, id);
    oneShotJob(this, site, {
      id: 'Resource',
      what: 'force-https',
      command: [`${APP_DIR}/bin/rails`, 'runner', `SiteSetting.force_https = ${String(site.resolved.config.forceHttps)}`],
      annotations: argoWave(WAVES.preDeploy),
      afterMigrations: true,
    });
  }
}
