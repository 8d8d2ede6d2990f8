import { Construct } from 'constructs';
import type { Discourse } from './discourse';
import { APP_DIR } from './environment';
import { oneShotJob } from './one-shot';

/**
 * The charm's `_config_force_https`: on every config change it sets the site setting
 * `force_https` from the charm option with `rails runner`. Here a Job does it once per
 * value and database, after migrations (a PreSync hook after the migration for Argo CD).
 */
export class ForceHttpsJob extends Construct {
  constructor(scope: Construct, id: string, discourse: Discourse) {
    super(scope, id);
    const value = String(discourse.resolved.config.forceHttps);
    oneShotJob(this, discourse, {
      id: 'Resource',
      what: 'force-https',
      hashOf: [value, JSON.stringify(discourse.resolved.database.sources)],
      command: [`${APP_DIR}/bin/rails`, 'runner', `SiteSetting.force_https = ${value}`],
      preSyncWeight: 1,
      afterMigrations: true,
    });
  }
}
