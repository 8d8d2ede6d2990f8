import * as k8s from '../../imports/k8s';
import { Construct } from 'constructs';
import { WAVES, argoWave } from '../core/annotations';
import { OneShotSite, oneShotJob } from './one-shot';
import { OPERATION_SCRIPTS, Operation, operationKey, runOnce } from '../model/operations';

/** How an operation Job behaves. */
export interface OperationJobProps {
  /**
   * Run once per forum (a record in its database), however often the Job is re-created.
   * The one-off Jobs of `npm run op` turn it off: they run when applied.
   * @default true
   */
  readonly once?: boolean;
}

/** The middle of an operation Job's name: short, because the name is also a label value (63 characters). */
const JOB_WHAT: Readonly<Record<Operation['action'], string>> = {
  'create-user': 'op-create',
  'promote-user': 'op-promote',
  'anonymize-user': 'op-anonymize',
  restore: 'op-restore',
};

/**
 * One action as a Job, for an operation already checked (Discourse validates it in
 * resolveDiscourse or addOperation). Named by a hash of its spec, so re-rendering the
 * same operation is a no-op.
 */
export class OperationJob extends Construct {
  constructor(scope: Construct, id: string, site: OneShotSite, op: Operation, options: OperationJobProps = {}) {
    super(scope, id);
    const once = options.once ?? true;
    const env: k8s.EnvVar[] =
      op.action === 'create-user'
        ? [
            { name: 'OP_EMAIL', value: op.email },
            { name: 'OP_ADMIN_ANSWER', value: op.admin ? 'Y' : 'N' },
            { name: 'OP_ACTIVE', value: String(op.active ?? true) },
            { name: 'OP_PASSWORD', valueFrom: { secretKeyRef: { name: op.password.secret, key: op.password.key } } },
          ]
        : op.action === 'promote-user'
          ? [{ name: 'OP_EMAIL', value: op.email }]
          : op.action === 'restore'
            ? [
                { name: 'OP_BACKUP', value: op.backup },
                // Where the site's backups are: the S3 backup bucket when it has one (DISCOURSE_BACKUP_LOCATION), else public/backups.
                { name: 'OP_LOCATION', value: site.resolved.environment.DISCOURSE_BACKUP_LOCATION === 's3' ? 's3' : 'local' },
              ]
            : [{ name: 'OP_USERNAME', value: op.username }];
    if (once) env.push({ name: 'OP_KEY', value: operationKey(op) });
    oneShotJob(this, site, {
      id: 'Resource',
      what: JOB_WHAT[op.action],
      command: ['sh', '-c', once ? runOnce(OPERATION_SCRIPTS[op.action]) : OPERATION_SCRIPTS[op.action]],
      env,
      // A restore is never retried on its own: a second run would restore over the first.
      backoffLimit: op.action === 'restore' ? 0 : 1,
      afterMigrations: true,
      // A restore downloads the backup (S3, or the backups volume) and writes the uploads (S3, or the uploads volume).
      ...(op.action === 'restore' ? { needs: site.resolved.config.s3Enabled ? (['s3'] as const) : [], dataVolumes: true } : {}),
      // Last in Argo CD's order: a failing operation can hold nothing back, not even the
      // post-deploy migration (wave 1). Flux does not health-check them, kubectl does not wait.
      annotations: argoWave(WAVES.operations),
    });
  }
}
