import * as k8s from '../imports/k8s';
import { Construct } from 'constructs';
import { argoPreSync } from './annotations';
import { OneShotSite, SKIP_POST_DEPLOYMENT_MIGRATIONS, oneShotJob } from './one-shot';
import { BUNDLE } from './paths';

/** `rake db:migrate` as the charm runs it. */
export const MIGRATE_COMMAND: readonly string[] = [BUNDLE, 'exec', 'rake', '--trace', 'db:migrate'];

/**
 * The pre-deploy half of Discourse's two-phase migrations: `rake db:migrate` with
 * post-deploy migrations skipped, so the old pods keep working on the migrated schema
 * while the new ones roll out. The Job carries only the image and the connections
 * (its name is a hash of its spec), so it runs again for a new image or database, not
 * for an SMTP change. An Argo CD PreSync hook; Flux and kubectl apply it with the rest,
 * and the web pods wait for it in their init container.
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
      // Argo CD never prunes hooks: delete a successful one (its pod's logs go with it);
      // a failed one stays for `kubectl logs` until the next sync replaces it.
      annotations: argoPreSync(0, { deleteOnSuccess: true }),
      backoffLimit: 6,
    });
  }
}
