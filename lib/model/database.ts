import { SecretKeyRef, checkSecretRef, isDnsSubdomain, SecretEnv } from '../core/checks';
import { Problem, show } from '../core/problems';
import { DEFAULTS } from '../core/defaults';

/** Where one connection setting comes from: a literal (non-secret) value or a Secret key. */
export type ValueSource = { readonly value: string } | { readonly from: SecretKeyRef };

/** Keys of a Secret that holds a whole PostgreSQL connection. */
export interface PostgresSecretKeys {
  /** Name of the Secret. */
  readonly secret: string;
  /** @default 'host' */
  readonly hostKey?: string;
  /** @default 'port' */
  readonly portKey?: string;
  /** @default 'dbname' */
  readonly databaseKey?: string;
  /** @default 'username' */
  readonly usernameKey?: string;
  /** @default 'password' */
  readonly passwordKey?: string;
}

/** Literal connection values with the password from a Secret. */
export interface PostgresValues {
  /** Database host (a Service name or DNS name). */
  readonly host: string;
  /** @default 5432 */
  readonly port?: number;
  /** @default 'discourse' */
  readonly database?: string;
  /** @default 'discourse' */
  readonly username?: string;
  /** The password, from a Secret. */
  readonly password: SecretKeyRef;
}

export type PostgresPreset = 'cloudnativepg' | 'crunchy-pgo' | 'zalando' | 'secret' | 'values';

/**
 * How Discourse reaches PostgreSQL. The password (and, for operator presets,
 * everything else) is read from a Secret at run time; the manifest carries only
 * Secret names and keys.
 */
export class PostgresConnection {
  /**
   * CloudNativePG's application Secret `<cluster>-app` (keys host, port, dbname, username, password).
   * @see https://cloudnative-pg.io/documentation/current/applications/#secrets
   */
  public static fromCloudNativePg(cluster: string): PostgresConnection {
    return PostgresConnection.secretConnection('cloudnativepg', cluster, { secret: `${cluster}-app` });
  }

  /**
   * Crunchy PGO's user Secret `<cluster>-pguser-<user>` (keys host, port, dbname, user, password).
   * @see https://access.crunchydata.com/documentation/postgres-operator/latest/tutorials/basic-setup/user-management
   */
  public static fromCrunchyPgo(cluster: string, user: string): PostgresConnection {
    return PostgresConnection.secretConnection('crunchy-pgo', cluster, { secret: `${cluster}-pguser-${user}`, usernameKey: 'user' });
  }

  /**
   * Zalando postgres-operator's credentials Secret `<user>.<cluster>.credentials.postgresql.acid.zalan.do`
   * (keys username, password). It holds no host or database, so the host is the cluster's
   * Service (`<cluster>`) and the database is given.
   * @see https://postgres-operator.readthedocs.io/en/latest/user/#connect-to-postgresql
   */
  public static fromZalandoPostgres(cluster: string, user: string, database = 'discourse'): PostgresConnection {
    const secret = `${user}.${cluster}.credentials.postgresql.acid.zalan.do`;
    return new PostgresConnection('zalando', cluster, {
      host: { value: cluster },
      port: { value: String(DEFAULTS.postgresPort) },
      database: { value: database },
      username: { from: { secret, key: 'username' } },
      password: { from: { secret, key: 'password' } },
    });
  }

  /** Any Secret holding the whole connection, with its key names. */
  public static fromSecret(keys: PostgresSecretKeys): PostgresConnection {
    return PostgresConnection.secretConnection('secret', undefined, keys);
  }

  /** Host, port, database and user as values; only the password from a Secret. */
  public static fromValues(values: PostgresValues): PostgresConnection {
    return new PostgresConnection('values', undefined, {
      host: { value: values.host },
      port: { value: String(values.port ?? DEFAULTS.postgresPort) },
      database: { value: values.database ?? DEFAULTS.postgresDatabase },
      username: { value: values.username ?? DEFAULTS.postgresUser },
      password: { from: values.password },
    });
  }

  private static secretConnection(preset: PostgresPreset, cluster: string | undefined, keys: PostgresSecretKeys): PostgresConnection {
    const from = (key: string) => ({ from: { secret: keys.secret, key } });
    return new PostgresConnection(preset, cluster, {
      host: from(keys.hostKey ?? 'host'),
      port: from(keys.portKey ?? 'port'),
      database: from(keys.databaseKey ?? 'dbname'),
      username: from(keys.usernameKey ?? 'username'),
      password: from(keys.passwordKey ?? 'password'),
    });
  }

  private constructor(
    /** Which Secret shape this connection reads. */
    public readonly preset: PostgresPreset,
    /** The operator's cluster name, for operator presets. */
    public readonly cluster: string | undefined,
    /** Source of each setting. */
    public readonly sources: {
      readonly host: ValueSource;
      readonly port: ValueSource;
      readonly database: ValueSource;
      readonly username: ValueSource;
      readonly password: ValueSource;
    },
  ) {}

  /** Problems with this connection, naming `path` (e.g. `database`). */
  public validate(path: string): Problem[] {
    const problems: Problem[] = [];
    if (this.cluster !== undefined && !isDnsSubdomain(this.cluster)) {
      problems.push({
        path: `${path}.cluster`,
        message: `${show(this.cluster)} is not a valid cluster name`,
        fix: 'use the metadata.name of the operator cluster',
      });
    }
    const names = {
      host: 'DISCOURSE_DB_HOST',
      port: 'DISCOURSE_DB_PORT',
      database: 'DISCOURSE_DB_NAME',
      username: 'DISCOURSE_DB_USERNAME',
      password: 'DISCOURSE_DB_PASSWORD',
    };
    for (const [field, source] of Object.entries(this.sources)) {
      if ('from' in source) checkSecretRef(source.from, `${path}.${field}`, problems);
      else if (field === 'host' && !isDnsSubdomain(source.value))
        problems.push({ path: `${path}.host`, message: `${show(source.value)} is not a hostname`, fix: 'use a Service name or DNS name' });
      else if (field === 'port' && !(Number(source.value) >= 1 && Number(source.value) <= 65535 && /^\d+$/.test(source.value)))
        problems.push({ path: `${path}.port`, message: `${show(source.value)} is not a TCP port`, fix: 'use 1-65535, usually 5432' });
      else if (source.value === '')
        problems.push({ path: `${path}.${field}`, message: `${names[field as keyof typeof names]} would be empty`, fix: `set ${path}.${field}` });
    }
    return problems;
  }

  /** Non-secret settings, for the Pebble layer. */
  public plainEnvironment(): Record<string, string> {
    return splitSources(this.envSources()).plain;
  }

  /** Secret-backed settings, for the container env. */
  public secretEnvironment(): SecretEnv[] {
    return splitSources(this.envSources()).secret;
  }

  private envSources(): Record<string, ValueSource> {
    return {
      DISCOURSE_DB_HOST: this.sources.host,
      DISCOURSE_DB_PORT: this.sources.port,
      DISCOURSE_DB_NAME: this.sources.database,
      DISCOURSE_DB_USERNAME: this.sources.username,
      DISCOURSE_DB_PASSWORD: this.sources.password,
    };
  }
}

/** Splits named value sources into literal env and Secret-backed env. */
export function splitSources(sources: Readonly<Record<string, ValueSource | undefined>>): { plain: Record<string, string>; secret: SecretEnv[] } {
  const plain: Record<string, string> = {};
  const secret: SecretEnv[] = [];
  for (const [name, source] of Object.entries(sources)) {
    if (source === undefined) continue;
    if ('from' in source) secret.push({ name, from: source.from });
    else plain[name] = source.value;
  }
  return { plain, secret };
}
