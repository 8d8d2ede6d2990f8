import { Construct } from 'constructs';
import type { Discourse } from './discourse';
import { BUNDLE, oneShotJob } from './one-shot';

/** When S3 is on, the charm uploads the image's assets to the bucket; so do we, once per image and S3 settings. */
export class S3AssetsJob extends Construct {
  constructor(scope: Construct, id: string, discourse: Discourse) {
    super(scope, id);
    const c = discourse.resolved.config;
    oneShotJob(this, discourse, {
      id: 'Resource',
      what: 's3-assets',
      hashOf: [discourse.resolved.image, c.s3Bucket, c.s3Region, c.s3Endpoint, c.s3CdnUrl],
      command: [BUNDLE, 'exec', 'rake', 's3:upload_assets'],
      preSyncWeight: 1,
      afterMigrations: true,
    });
  }
}
