import { Construct } from 'constructs';
import { WAVES, argoWave } from '../core/annotations';
import { ResolvedBackups, backupSettingsScript } from '../model/backups';
import { APP_DIR } from '../core/paths';
import { OneShotSite, oneShotJob } from './one-shot';

/**
 * Discourse's automatic backups, configured the way the charm configures `force_https`:
 * `rails runner` sets the site settings (schedule, how many are kept, where), once per
 * value, image and connection (the Job's name is a hash of its spec), after migrations.
 * Discourse's Sidekiq then schedules the backups itself. With `to: s3` the Job also gets
 * the S3 settings: Discourse checks the bucket and credentials when `backup_location`
 * becomes s3.
 */
export class BackupSettingsJob extends Construct {
  constructor(scope: Construct, id: string, site: OneShotSite, backups: ResolvedBackups) {
    super(scope, id);
    oneShotJob(this, site, {
      id: 'Resource',
      what: 'backup-config',
      command: [`${APP_DIR}/bin/rails`, 'runner', backupSettingsScript(backups)],
      needs: backups.to === 's3' ? ['s3'] : [],
      annotations: argoWave(WAVES.preDeploy),
      afterMigrations: true,
    });
  }
}
