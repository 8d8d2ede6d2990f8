import * as k8s from '../imports/k8s';
import { Construct } from 'constructs';
import type { Discourse } from './discourse';
import { BUNDLE, oneShotJob } from './one-shot';

/** What makes migrations differ: the image (new code) and the database they run against. */
export function migrationHashInputs(discourse: Discourse): string[] {
  const r = discourse.resolved;
  return [r.image, JSON.stringify(r.database.sources)];
}

/**
 * The charm's setup before Unicorn starts: `rake db:migrate`, once per image and
 * database. Named with a hash of both, so Flux and `kubectl apply` create a new
 * Job per release; an Argo CD PreSync hook so Argo runs it before the rollout.
 */
export class MigrationJob extends Construct {
  public readonly job: k8s.KubeJob;

  constructor(scope: Construct, id: string, discourse: Discourse) {
    super(scope, id);
    this.job = oneShotJob(this, discourse, {
      id: 'Resource',
      what: 'migrate',
      hashOf: migrationHashInputs(discourse),
      command: [BUNDLE, 'exec', 'rake', '--trace', 'db:migrate'],
      preSyncWeight: 0,
      backoffLimit: 6,
    });
  }
}
