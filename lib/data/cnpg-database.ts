import { Construct } from 'constructs';
import { Database, DatabaseSpecDatabaseReclaimPolicy, DatabaseSpecEnsure, DatabaseSpecExtensionsEnsure } from '../../imports/postgresql.cnpg.io';
import { KEEP_ON_PRUNE, WAVES, argoWave } from '../core/annotations';
import { DEFAULTS } from '../core/defaults';
import type { OneShotSite } from '../workload/one-shot';

/**
 * The charm's "enable extensions when the database joins", the CloudNativePG
 * way: a `Database` object for the application database whose `extensions`
 * the operator keeps present. Retained on delete, and never pruned by Flux.
 * @see https://cloudnative-pg.io/documentation/current/declarative_database_management/
 */
export class CloudNativePgDatabase extends Construct {
  public readonly database: Database;

  constructor(scope: Construct, id: string, discourse: OneShotSite) {
    super(scope, id);
    const r = discourse.resolved;
    const ext = r.databaseExtensions!;
    this.database = new Database(this, 'Resource', {
      // A wave before the migration Job, so the extensions exist when migrations run. Flux
      // applies everything at once: the migration Job retries until they do.
      metadata: { name: `${r.name}-db`, labels: { ...discourse.labels }, annotations: { ...KEEP_ON_PRUNE, ...argoWave(WAVES.dataSetup) } },
      spec: {
        cluster: { name: r.database.cluster! },
        name: ext.cloudNativePg?.database ?? DEFAULTS.cnpgDatabase,
        owner: ext.cloudNativePg?.owner ?? DEFAULTS.cnpgOwner,
        ensure: DatabaseSpecEnsure.PRESENT,
        databaseReclaimPolicy: DatabaseSpecDatabaseReclaimPolicy.RETAIN,
        extensions: ext.extensions.map((name) => ({ name, ensure: DatabaseSpecExtensionsEnsure.PRESENT })),
      },
    });
  }
}
