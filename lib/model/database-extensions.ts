import { Problem, opt, show } from '../core/problems';
import type { PostgresConnection } from './database';

/** The extensions the charm enables when the database joins. */
export const DEFAULT_EXTENSIONS: readonly string[] = ['hstore', 'pg_trgm'];

/** Superuser access for creating extensions, which the application user usually may not do. */
export interface SuperuserJobProps {
  /** Secret with the superuser's credentials (keys as below). */
  readonly superuserSecret: string;
  /** @default 'username' */
  readonly usernameKey?: string;
  /** @default 'password' */
  readonly passwordKey?: string;
  /**
   * Image with `psql`.
   * @default 'docker.io/library/postgres:16'
   */
  readonly psqlImage?: string;
  /**
   * Extensions to create.
   * @default DEFAULT_EXTENSIONS (hstore, pg_trgm)
   */
  readonly extensions?: readonly string[];
}

/** The database CloudNativePG should manage. */
export interface CloudNativePgDatabaseProps {
  /**
   * Database name inside PostgreSQL (CloudNativePG's bootstrap default).
   * @default 'app'
   */
  readonly database?: string;
  /**
   * Owning role.
   * @default 'app'
   */
  readonly owner?: string;
  /**
   * Extensions to keep present.
   * @default DEFAULT_EXTENSIONS (hstore, pg_trgm)
   */
  readonly extensions?: readonly string[];
}

/**
 * How the PostgreSQL extensions Discourse needs get created: a Job with a
 * superuser Secret (any PostgreSQL), or a CloudNativePG `Database` object whose
 * `extensions` the operator reconciles (CloudNativePG 1.26+), with no superuser
 * credentials in the site's namespace at all.
 */
export class DatabaseExtensions {
  /** A Job runs `CREATE EXTENSION IF NOT EXISTS` as the superuser, a sync wave before the migrations. */
  public static withSuperuserJob(options: SuperuserJobProps): DatabaseExtensions {
    return new DatabaseExtensions('superuser-job', options.extensions ?? DEFAULT_EXTENSIONS, options, undefined);
  }

  /** A CloudNativePG `Database` resource declares the extensions; the operator creates them. */
  public static withCloudNativePgDatabase(options: CloudNativePgDatabaseProps = {}): DatabaseExtensions {
    return new DatabaseExtensions('cloudnativepg', options.extensions ?? DEFAULT_EXTENSIONS, undefined, options);
  }

  private constructor(
    /** Which mechanism. */
    public readonly via: 'superuser-job' | 'cloudnativepg',
    /** Extensions to create. */
    public readonly extensions: readonly string[],
    /** Job settings, for `superuser-job`. */
    public readonly job?: SuperuserJobProps,
    /** Database settings, for `cloudnativepg`. */
    public readonly cloudNativePg?: CloudNativePgDatabaseProps,
  ) {}

  /** Problems with these settings for `database`, naming `path`. */
  public validate(database: PostgresConnection | undefined, path: string): Problem[] {
    const problems: Problem[] = [];
    for (const e of this.extensions) {
      if (!/^[a-z_][a-z0-9_]*$/.test(e))
        problems.push({ path: `${path}.extensions`, message: `${show(e)} is not an extension name`, fix: 'use names like pg_trgm' });
    }
    if (this.job && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(this.job.superuserSecret)) {
      problems.push({
        path: `${path}.superuserSecret`,
        message: `${show(this.job.superuserSecret)} is not a Secret name`,
        fix: 'name the Secret with superuser credentials',
      });
    }
    if (this.via === 'cloudnativepg' && database?.preset !== 'cloudnativepg') {
      problems.push({
        path: `${path}`,
        message: 'CloudNativePG-managed extensions need a CloudNativePG database',
        fix: `use a CloudNativePG ${opt('database')}, or a ${opt('databaseExtensions.superuserSecret')} for the extensions Job`,
      });
    }
    for (const [key, value] of [
      ['database', this.cloudNativePg?.database],
      ['owner', this.cloudNativePg?.owner],
    ] as const) {
      if (value !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(value))
        problems.push({ path: `${path}.${key}`, message: `${show(value)} is not a PostgreSQL identifier`, fix: 'use lowercase letters, digits and _' });
    }
    return problems;
  }
}
