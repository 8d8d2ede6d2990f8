import { Construct } from 'constructs';
import { WAVES, argoWave } from '../core/annotations';
import { OneShotSite, oneShotJob } from './one-shot';
import { BUNDLE } from '../core/paths';

/**
 * When S3 is on, the charm uploads the image's assets to the bucket; so do we, once per
 * image and S3 settings (the Job carries the S3 env and its name is a hash of its spec),
 * before the new pods serve pages that point at them.
 */
export class S3AssetsJob extends Construct {
  constructor(scope: Construct, id: string, site: OneShotSite) {
    super(scope, id);
    oneShotJob(this, site, {
      id: 'Resource',
      what: 's3-assets',
      command: [BUNDLE, 'exec', 'rake', 's3:upload_assets'],
      needs: ['s3'],
      annotations: argoWave(WAVES.preDeploy),
      afterMigrations: true,
    });
  }
}
