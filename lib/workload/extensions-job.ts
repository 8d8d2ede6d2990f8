import * as k8s from '../../imports/k8s';
import { Construct } from 'constructs';
import { WAVES, argoWave } from '../core/annotations';
import { DEFAULTS } from '../core/defaults';
import { OneShotSite, discourseJobPod, jobName } from './one-shot';
import { DatabaseExtensions, SuperuserJobProps } from '../model/database-extensions';
import { ValidationError } from '../core/problems';
import { containerSecurityContext } from '../core/security-context';

/**
 * The charm's database_relation_joined: create `hstore` and `pg_trgm` with a
 * superuser, before migrations. Host, port and database name come from the same
 * place as the application's connection.
 */
export class ExtensionsSetupJob extends Construct {
  constructor(scope: Construct, id: string, discourse: OneShotSite, options: SuperuserJobProps) {
    super(scope, id);
    const strategy = DatabaseExtensions.withSuperuserJob(options);
    const problems = strategy.validate(discourse.resolved.database, 'database.extensions');
    const extensions = strategy.extensions;
    if (problems.length > 0) throw new ValidationError(`ExtensionsSetupJob ${this.node.path}`, problems);
    const db = discourse.resolved.database.sources;
    const fromSource = (name: string, source: typeof db.host): k8s.EnvVar =>
      'from' in source ? { name, valueFrom: { secretKeyRef: { name: source.from.secret, key: source.from.key } } } : { name, value: source.value };
    const sql = extensions.map((e) => `CREATE EXTENSION IF NOT EXISTS ${e};`).join(' ');
    const pod = discourseJobPod(discourse, ['psql', '-v', 'ON_ERROR_STOP=1', '-c', sql]);
    const container = pod.containers[0];
    const superuser = (key: string) => ({ secretKeyRef: { name: options.superuserSecret, key } });
    const spec: k8s.JobSpec = {
      backoffLimit: 6,
      template: {
        metadata: { labels: { ...discourse.labels } },
        spec: {
          ...pod,
          containers: [
            {
              ...container,
              image: options.psqlImage ?? DEFAULTS.psqlImage,
              workingDir: '/tmp',
              env: [
                fromSource('PGHOST', db.host),
                fromSource('PGPORT', db.port),
                fromSource('PGDATABASE', db.database),
                { name: 'PGUSER', valueFrom: superuser(options.usernameKey ?? 'username') },
                { name: 'PGPASSWORD', valueFrom: superuser(options.passwordKey ?? 'password') },
              ],
              resources: {
                requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') },
                limits: { cpu: k8s.Quantity.fromString('200m'), memory: k8s.Quantity.fromString('128Mi') },
              },
              // The postgres image's default user is root; run psql as the image's postgres user.
              securityContext: containerSecurityContext(true, 999),
            },
          ],
          securityContext: { runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } },
        },
      },
    };
    new k8s.KubeJob(this, 'Resource', {
      metadata: {
        name: jobName(discourse.resolved.name, 'db-extensions', spec),
        labels: { ...discourse.labels, 'app.kubernetes.io/component': 'db-extensions' },
        annotations: argoWave(WAVES.dataSetup),
      },
      spec,
    });
  }
}
