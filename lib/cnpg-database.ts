import { Construct } from 'constructs';
import { Database, DatabaseSpecDatabaseReclaimPolicy, DatabaseSpecEnsure, DatabaseSpecExtensionsEnsure } from '../imports/postgresql.cnpg.io';
import { KEEP_ON_PRUNE } from './annotations';
import type { Discourse } from './discourse';

/**
 * The charm's "enable extensions when the database joins", the CloudNativePG
 * way: a `Database` object for the application database whose `extensions`
 * the operator keeps present. Retained on delete, and never pruned.
 * @see https://cloudnative-pg.io/documentation/current/declarative_database_management/
 */
export class CloudNativePgDatabase extends Construct {
  public readonly database: Database;

  constructor(scope: Construct, id: string, discourse: Discourse) {
    super(scope, id);
    const r = discourse.resolved;
    const ext = r.databaseExtensions!;
    this.database = new Database(this, 'Resource', {
      metadata: { name: `${r.name}-db`, labels: discourse.labels, annotations: KEEP_ON_PRUNE },
      spec: {
        cluster: { name: r.database.cluster! },
        name: ext.cloudNativePg?.database ?? 'app',
        owner: ext.cloudNativePg?.owner ?? 'app',
        ensure: DatabaseSpecEnsure.PRESENT,
        databaseReclaimPolicy: DatabaseSpecDatabaseReclaimPolicy.RETAIN,
        extensions: ext.extensions.map((name) => ({ name, ensure: DatabaseSpecExtensionsEnsure.PRESENT })),
      },
    });
  }
}
