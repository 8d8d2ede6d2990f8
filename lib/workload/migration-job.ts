import * as k8s from '../../imports/k8s';
import { Construct } from 'constructs';
import { WAVES, argoWave } from '../core/annotations';
import { OneShotSite, SKIP_POST_DEPLOYMENT_MIGRATIONS, oneShotJob } from './one-shot';
import { BUNDLE } from '../core/paths';

/** `rake db:migrate` as the charm runs it. */
export const MIGRATE_COMMAND: readonly string[] = [BUNDLE, 'exec', 'rake', '--trace', 'db:migrate'];

/**
 * The pre-deploy half of Discourse's two-phase migrations: `rake db:migrate` with
 * post-deploy migrations skipped, so the old pods keep working on the migrated schema
 * while the new ones roll out. The Job carries only the image and the connections
 * (its name is a hash of its spec), so it runs again for a new image or database, not
 * for an SMTP change. Argo CD runs it in a wave before the site's; Flux and kubectl apply
 * it with the rest, and the web pods wait for it in their init container.
 */
export class MigrationJob extends Construct {
  public readonly job: k8s.KubeJob;

  constructor(scope: Construct, id: string, site: OneShotSite) {
    super(scope, id);
    this.job = oneShotJob(this, site, {
      id: 'Resource',
      what: 'migrate',
      command: [...MIGRATE_COMMAND],
      env: [SKIP_POST_DEPLOYMENT_MIGRATIONS],
      annotations: argoWave(WAVES.preDeploy),
      backoffLimit: 6,
    });
  }
}
