import { APP_ROOT, APP_USER } from '../core/paths';
import { createHash } from 'crypto';
import { ResolvedConfig, ThrottleLevel, splitList } from './config';
import type { PostgresConnection } from './database';
import { DEFAULTS } from '../core/defaults';
import type { RedisConnection } from './redis';
import { SecretEnv, SecretKeyRef } from '../core/checks';

/** Unicorn's port (`UNICORN_PORT` default) and the discourse-prometheus collector port used in exporter mode. */
export const HTTP_PORT = 3000;
export const METRICS_PORT = 9394;

/** Where Prometheus reads Discourse's metrics. */
export type MetricsMode = 'exporter' | 'plugin';

/** SAML identity provider settings (the charm's `saml` relation data). */
export interface SamlProps {
  /** The IdP's SSO URL. */
  readonly targetUrl: string;
  /** SHA-1 fingerprint of the IdP certificate, upper-case hex, colon-separated. */
  readonly certFingerprint: string;
}

/** OpenID Connect provider (the charm's oauth relation). */
export interface OidcProps {
  /** Issuer URL; `/.well-known/openid-configuration` is appended for discovery. */
  readonly issuerUrl: string;
  /** Client id registered with the provider. */
  readonly clientId: string;
  /** Client secret, from a Secret. */
  readonly clientSecret: SecretKeyRef;
  /**
   * Scopes requested.
   * @default 'openid email' (the charm's OAUTH_SCOPE)
   */
  readonly scope?: string;
}

/** HTTP proxy settings (Juju's model proxy config). */
export interface ProxyProps {
  /** Proxy for http:// URLs. @default - none */
  readonly httpProxy?: string;
  /** Proxy for https:// URLs. @default - none */
  readonly httpsProxy?: string;
  /** Comma-separated hosts that bypass the proxy. @default - none */
  readonly noProxy?: string;
}

/** Inputs to the env mapping beyond the charm options. */
export interface EnvironmentInputs {
  readonly config: ResolvedConfig;
  readonly saml?: SamlProps;
  readonly oidc?: OidcProps;
  readonly proxy?: ProxyProps;
  readonly metrics: MetricsMode;
  /** Non-secret connection values (DB and Redis host, port, names). */
  readonly connection: Readonly<Record<string, string>>;
  /** `UNICORN_WORKERS`, when set. */
  readonly unicornWorkers?: number;
  /** The plugin's `prometheus_trusted_ip_allowlist_regex` global setting, when set. */
  readonly prometheusTrustedIpAllowlistRegex?: string;
}

/** The throttle table of the charm: env per level. */
export function throttleEnvironment(level: ThrottleLevel): Record<string, string> {
  switch (level) {
    case 'none':
      return { DISCOURSE_MAX_REQS_PER_IP_MODE: 'none', DISCOURSE_MAX_REQS_RATE_LIMIT_ON_PRIVATE: 'false' };
    case 'permissive':
      return {
        DISCOURSE_MAX_REQS_PER_IP_MODE: 'warn+block',
        DISCOURSE_MAX_REQS_PER_IP_PER_MINUTE: '1000',
        DISCOURSE_MAX_REQS_PER_IP_PER_10_SECONDS: '100',
        DISCOURSE_MAX_USER_API_REQS_PER_MINUTE: '3000',
        DISCOURSE_MAX_ASSET_REQS_PER_IP_PER_10_SECONDS: '400',
        DISCOURSE_MAX_USER_API_REQS_PER_DAY: '30000',
        DISCOURSE_MAX_ADMIN_API_REQS_PER_KEY_PER_MINUTE: '3000',
      };
    case 'strict':
      return {
        DISCOURSE_MAX_REQS_PER_IP_MODE: 'block',
        DISCOURSE_MAX_REQS_PER_IP_PER_MINUTE: '200',
        DISCOURSE_MAX_REQS_PER_IP_PER_10_SECONDS: '50',
        DISCOURSE_MAX_USER_API_REQS_PER_MINUTE: '100',
        DISCOURSE_MAX_ASSET_REQS_PER_IP_PER_10_SECONDS: '200',
      };
  }
}

/** The charm's CORS origin rule: `*` stays; otherwise listed origins plus (when augmenting) the site and CDN, de-duplicated and sorted. */
export function corsOrigin(config: Pick<ResolvedConfig, 'corsOrigin' | 'augmentCorsOrigin' | 'forceHttps' | 'externalHostname' | 's3CdnUrl'>): string {
  if (config.corsOrigin.trim() === '*') return '*';
  const origins = new Set(splitList(config.corsOrigin));
  if (config.augmentCorsOrigin) {
    origins.add(`${config.forceHttps ? 'https' : 'http'}://${config.externalHostname}`);
    if (config.s3CdnUrl !== '') origins.add(config.s3CdnUrl);
  }
  return [...origins].sort().join(',');
}

/**
 * The SHA-1 fingerprint Discourse wants for a SAML IdP certificate (PEM or bare base64
 * DER), upper-case hex, colon-separated: what the charm computes from the relation's
 * certificate.
 */
export function samlCertFingerprint(certificate: string): string {
  const base64 = certificate.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
  return createHash('sha1').update(Buffer.from(base64, 'base64')).digest('hex').toUpperCase().match(/../g)!.join(':');
}

/** A comma list of SAML groups becomes Discourse's `|`-joined list. */
export function samlGroupsList(groups: string): string {
  return splitList(groups).join('|');
}

/**
 * Config → the non-secret environment of the Discourse service, as the charm
 * computes it. Secret values are not here: see {@link secretEnvironment}.
 */
export function discourseEnvironment(inputs: EnvironmentInputs): Record<string, string> {
  const c = inputs.config;
  const bool = (b: boolean) => (b ? 'true' : 'false');
  const env: Record<string, string> = {
    CONTAINER_APP_NAME: 'discourse',
    CONTAINER_APP_ROOT: APP_ROOT,
    CONTAINER_APP_USERNAME: APP_USER,
    RAILS_ENV: 'production',
    DISCOURSE_SERVE_STATIC_ASSETS: 'true',
    DISCOURSE_REFRESH_MAXMIND_DB_DURING_PRECOMPILE_DAYS: '0',
    DISCOURSE_HOSTNAME: c.externalHostname,
    DISCOURSE_ENABLE_CORS: bool(c.enableCors),
    DISCOURSE_CORS_ORIGIN: corsOrigin(c),
    DISCOURSE_DEVELOPER_EMAILS: c.developerEmails,
    DISCOURSE_MAX_CATEGORY_NESTING: String(c.maxCategoryNesting),
    DISCOURSE_SMTP_ADDRESS: c.smtpAddress,
    DISCOURSE_SMTP_PORT: String(c.smtpPort),
    DISCOURSE_SMTP_DOMAIN: c.smtpDomain,
    DISCOURSE_SMTP_USER_NAME: c.smtpUsername,
    DISCOURSE_SMTP_AUTHENTICATION: c.smtpAuthentication,
    DISCOURSE_SMTP_ENABLE_START_TLS: bool(c.smtpEnableStartTls),
    DISCOURSE_SMTP_FORCE_TLS: bool(c.smtpForceTls),
    DISCOURSE_SMTP_OPENSSL_VERIFY_MODE: c.smtpOpensslVerifyMode,
    UNICORN_SIDEKIQ_MAX_RSS: String(c.sidekiqMaxMemory),
    ...throttleEnvironment(c.throttleLevel),
    ...inputs.connection,
  };
  if (c.s3Enabled) {
    Object.assign(env, {
      DISCOURSE_USE_S3: 'true',
      FORCE_S3_UPLOADS: 'true',
      DISCOURSE_S3_BUCKET: c.s3Bucket,
      DISCOURSE_S3_REGION: c.s3Region,
      DISCOURSE_S3_ENDPOINT: c.s3Endpoint,
      DISCOURSE_S3_INSTALL_CORS_RULE: bool(c.s3InstallCorsRule),
    });
    if (c.s3CdnUrl !== '') env.DISCOURSE_S3_CDN_URL = c.s3CdnUrl;
    if (c.s3BackupBucket !== '') {
      env.DISCOURSE_BACKUP_LOCATION = 's3';
      env.DISCOURSE_S3_BACKUP_BUCKET = c.s3BackupBucket;
    }
  }
  if (inputs.saml) {
    env.DISCOURSE_SAML_TARGET_URL = inputs.saml.targetUrl;
    env.DISCOURSE_SAML_CERT_FINGERPRINT = inputs.saml.certFingerprint;
    env.DISCOURSE_SAML_FULL_SCREEN_LOGIN = bool(c.forceSamlLogin);
    if (c.samlSyncGroups !== '') {
      env.DISCOURSE_SAML_SYNC_GROUPS = 'true';
      env.DISCOURSE_SAML_SYNC_GROUPS_LIST = samlGroupsList(c.samlSyncGroups);
      env.DISCOURSE_SAML_GROUPS_FULLSYNC = 'false';
    }
  }
  if (inputs.oidc) {
    env.DISCOURSE_OPENID_CONNECT_ENABLED = 'true';
    env.DISCOURSE_OPENID_CONNECT_DISCOVERY_DOCUMENT = `${inputs.oidc.issuerUrl.replace(/\/+$/, '')}/.well-known/openid-configuration`;
    env.DISCOURSE_OPENID_CONNECT_CLIENT_ID = inputs.oidc.clientId;
    env.DISCOURSE_OPENID_CONNECT_AUTHORIZE_SCOPE = inputs.oidc.scope ?? 'openid email';
    env.DISCOURSE_OPENID_CONNECT_MATCH_BY_EMAIL = 'true';
  }
  const proxy = inputs.proxy ?? {};
  for (const [name, value] of [
    ['HTTP_PROXY', proxy.httpProxy],
    ['HTTPS_PROXY', proxy.httpsProxy],
    ['NO_PROXY', proxy.noProxy],
  ] as const) {
    if (value) {
      env[name] = value;
      env[name.toLowerCase()] = value;
    }
  }
  if (inputs.unicornWorkers !== undefined) env.UNICORN_WORKERS = String(inputs.unicornWorkers);
  if (inputs.metrics === 'exporter') {
    // The discourse-prometheus plugin's collector (a prometheus_exporter server fed by
    // the web and Sidekiq processes) listens on localhost:9405 by default; these global
    // settings move it to 0.0.0.0:9394 so Prometheus scrapes it directly.
    env.DISCOURSE_PROMETHEUS_COLLECTOR_PORT = String(METRICS_PORT);
    env.DISCOURSE_PROMETHEUS_WEBSERVER_BIND = '0.0.0.0';
  }
  // In plugin mode /metrics answers only private and loopback clients
  // (IPAddr#private?: RFC 1918) unless the client IP matches this regex,
  // e.g. for pod networks in 100.64.0.0/10.
  if (inputs.prometheusTrustedIpAllowlistRegex !== undefined) env.DISCOURSE_PROMETHEUS_TRUSTED_IP_ALLOWLIST_REGEX = inputs.prometheusTrustedIpAllowlistRegex;
  return sortRecord(env);
}

/** Config → the variables whose values come from Secrets (rendered as `secretKeyRef`). */
export function secretEnvironment(config: ResolvedConfig, connection: readonly SecretEnv[], oidc?: OidcProps): SecretEnv[] {
  const out: SecretEnv[] = [...connection];
  if (oidc) out.push({ name: 'DISCOURSE_OPENID_CONNECT_CLIENT_SECRET', from: oidc.clientSecret });
  if (config.smtpPassword) out.push({ name: 'DISCOURSE_SMTP_PASSWORD', from: config.smtpPassword });
  if (config.s3Enabled && config.s3AccessKeyId) out.push({ name: 'DISCOURSE_S3_ACCESS_KEY_ID', from: config.s3AccessKeyId });
  if (config.s3Enabled && config.s3SecretAccessKey) out.push({ name: 'DISCOURSE_S3_SECRET_ACCESS_KEY', from: config.s3SecretAccessKey });
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** What the whole env of a site is made of: the charm options' inputs, the connections, the extras. */
export interface SiteEnvironmentInputs extends Omit<EnvironmentInputs, 'connection'> {
  /** The PostgreSQL connection, when valid. @default - none (a site with problems) */
  readonly database?: PostgresConnection;
  /** The Redis connection, when valid. @default - none */
  readonly redis?: RedisConnection;
  /** `DISCOURSE_SECRET_KEY_BASE`. @default - Discourse keeps one in Redis */
  readonly secretKeyBase?: SecretKeyRef;
  /** Plain extras, already checked against MANAGED_ENV_PATTERNS. @default {} */
  readonly extraEnv?: Readonly<Record<string, string>>;
  /** Extras from Secrets, already checked. @default {} */
  readonly extraSecretEnv?: Readonly<Record<string, SecretKeyRef>>;
}

/**
 * The one place the Discourse service's env is put together: the charm's mapping of its
 * options, the database and Redis connections (plain values in the layer, Secret-backed
 * ones as `secretKeyRef`), the secret key base and the user's extras. The Jobs take
 * their subsets of this (job-environment.ts); nothing else adds a DISCOURSE_* variable.
 */
export function siteEnvironment(inputs: SiteEnvironmentInputs): { environment: Record<string, string>; secretEnvironment: SecretEnv[] } {
  const { database, redis, secretKeyBase, extraEnv = {}, extraSecretEnv = {}, ...rest } = inputs;
  const connection = {
    ...(database ? database.plainEnvironment() : {}),
    ...(redis ? { DISCOURSE_REDIS_HOST: redis.host, DISCOURSE_REDIS_PORT: String(redis.port ?? DEFAULTS.redisPort) } : {}),
  };
  const secrets: SecretEnv[] = [
    ...(database ? database.secretEnvironment() : []),
    ...(redis?.password ? [{ name: 'DISCOURSE_REDIS_PASSWORD', from: redis.password }] : []),
    ...(secretKeyBase ? [{ name: 'DISCOURSE_SECRET_KEY_BASE', from: secretKeyBase }] : []),
    // secretEnvironment sorts by name, so the extra Secrets join its input rather than being sorted in again.
    ...Object.entries(extraSecretEnv).map(([name, from]) => ({ name, from })),
  ];
  return {
    environment: sortRecord({ ...discourseEnvironment({ ...rest, connection }), ...extraEnv }),
    secretEnvironment: secretEnvironment(rest.config, secrets, rest.oidc),
  };
}

/** Variables this project sets from typed options: never settable through `extraEnv`, which would bypass their rules. */
export const MANAGED_ENV_PATTERNS: readonly RegExp[] = [
  /^CONTAINER_APP_/,
  /^RAILS_ENV$/,
  /^UNICORN_(SIDEKIQ_MAX_RSS|WORKERS)$/,
  /^DISCOURSE_(HOSTNAME|ENABLE_CORS|CORS_ORIGIN|DEVELOPER_EMAILS|MAX_CATEGORY_NESTING|SERVE_STATIC_ASSETS|REFRESH_MAXMIND_DB_DURING_PRECOMPILE_DAYS)$/,
  /^DISCOURSE_(SMTP|DB|REDIS|S3|SAML|OPENID_CONNECT|MAX_REQS|MAX_USER_API|MAX_ASSET|MAX_ADMIN_API)_/,
  /^DISCOURSE_PROMETHEUS_(COLLECTOR_PORT|WEBSERVER_BIND|TRUSTED_IP_ALLOWLIST_REGEX)$/,
  /^DISCOURSE_(USE_S3|BACKUP_LOCATION|SECRET_KEY_BASE)$/,
  /^FORCE_S3_UPLOADS$/,
  /^(HTTP_PROXY|HTTPS_PROXY|NO_PROXY|http_proxy|https_proxy|no_proxy)$/,
  /^PEBBLE/,
  // The layer sets both, as Pebble would for `user: _daemon_`.
  /^(HOME|USER)$/,
];

/** Names that hold credentials: their values must come from Secrets. */
export const SECRET_ENV_NAME = /(PASSWORD|PASSWD|SECRET|TOKEN|CREDENTIAL|PRIVATE|(^|_)KEY($|_)|API_KEY|LICENSE_KEY|ACCESS_KEY)/i;

/** A copy of `record` with keys in code-point order, so output never depends on insertion order. */
export function sortRecord<T>(record: Readonly<Record<string, T>>): Record<string, T> {
  const out: Record<string, T> = {};
  for (const key of Object.keys(record).sort()) out[key] = record[key];
  return out;
}
