import * as k8s from '../../imports/k8s';
import { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { WAVES, argoWave } from '../core/annotations';
import { MIGRATE_COMMAND } from './migration-job';
import { OneShotSite, oneShotJob } from './one-shot';
import { rolloutWaitContainer } from './rollout-wait';

/** What the post-deploy migration needs of its site beyond the one-shot basics. */
export interface PostMigrationProps {
  /**
   * The Deployments whose rollout must finish first: every one that runs Discourse code
   * (the web pods, and the Sidekiq pods when separate), since old code may still read what
   * the post-deploy migrations drop.
   */
  readonly deployments: readonly string[];
}

/**
 * The post-deploy half of Discourse's two-phase migrations (`db/post_migrate`: dropping
 * what the old code still reads), run only once no old pod is left. The same order for
 * every tool, without relying on one tool's hooks: the Job waits in an init container
 * until the Deployment runs the new image on all replicas, then runs `db:migrate` in
 * full. Argo CD also applies it a wave after the Deployment, once that is healthy.
 *
 * Reading the Deployment takes a ServiceAccount token: the only pod of the site that
 * has one, with `get` on that single Deployment.
 */
export class PostMigrationJob extends Construct {
  public readonly job: k8s.KubeJob;
  public readonly serviceAccountName: string;

  constructor(scope: Construct, id: string, site: OneShotSite, props: PostMigrationProps) {
    super(scope, id);
    const r = site.resolved;
    this.serviceAccountName = `${r.name}-rollout-reader`;
    const metadata = { name: this.serviceAccountName, labels: { ...site.labels, 'app.kubernetes.io/component': 'post-migrate' } };
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata, automountServiceAccountToken: false });
    new k8s.KubeRole(this, 'Role', {
      metadata,
      rules: [{ apiGroups: ['apps'], resources: ['deployments'], resourceNames: [...props.deployments], verbs: ['get'] }],
    });
    new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.serviceAccountName },
      subjects: [{ kind: 'ServiceAccount', name: this.serviceAccountName, namespace: Chart.of(this).namespace ?? 'default' }],
    });
    this.job = oneShotJob(this, site, {
      id: 'Resource',
      what: 'post-migrate',
      command: [...MIGRATE_COMMAND],
      annotations: argoWave(WAVES.postDeploy),
      backoffLimit: 6,
      // One after the other: each waits until its Deployment runs the new image everywhere.
      initContainers: props.deployments.map((d, i) =>
        rolloutWaitContainer(d, r.image, r.readOnlyRootFilesystem, i === 0 ? 'wait-for-rollout' : `wait-for-rollout-${d.slice(r.name.length + 1)}`),
      ),
      serviceAccountName: this.serviceAccountName,
    });
  }
}
