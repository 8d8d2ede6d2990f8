import { SecretKeyRef, checkSecretRef, isDnsSubdomain, isEmail, isHttpUrl } from '../core/checks';
import { Problem, closestFirst, didYouMean, opt, show } from '../core/problems';

/** How Discourse authenticates to the SMTP server (charm option `smtp_authentication`). */
export type SmtpAuthentication = 'none' | 'login' | 'plain' | 'cram_md5';
/** OpenSSL verify mode for SMTP TLS (charm option `smtp_openssl_verify_mode`). */
export type SmtpOpensslVerifyMode = 'none' | 'peer' | 'client_once' | 'fail_if_no_peer_cert';
/** Rate-limiting preset (charm option `throttle_level`). */
export type ThrottleLevel = 'none' | 'permissive' | 'strict';

export const SMTP_AUTHENTICATIONS: readonly SmtpAuthentication[] = ['none', 'login', 'plain', 'cram_md5'];
export const SMTP_OPENSSL_VERIFY_MODES: readonly SmtpOpensslVerifyMode[] = ['none', 'peer', 'client_once', 'fail_if_no_peer_cert'];
export const THROTTLE_LEVELS: readonly ThrottleLevel[] = ['none', 'permissive', 'strict'];

/**
 * Every configuration option of Canonical's discourse-k8s charm, in camelCase.
 * In a site file the same options are written with the charm's snake_case names.
 */
export interface DiscourseConfig {
  /**
   * Public hostname of the forum; also the Ingress host.
   * @default - the site name
   * @see https://charmhub.io/discourse-k8s/configurations#external_hostname
   */
  readonly externalHostname?: string;
  /**
   * Serve the forum over HTTPS only; sets the CORS origin scheme and is required by SAML.
   * @default false
   * @see https://charmhub.io/discourse-k8s/configurations#force_https
   */
  readonly forceHttps?: boolean;
  /**
   * Enable Cross-Origin Resource Sharing.
   * @default true
   * @see https://charmhub.io/discourse-k8s/configurations#enable_cors
   */
  readonly enableCors?: boolean;
  /**
   * Comma-separated allowed CORS origins, or `*`.
   * @default ''
   * @see https://charmhub.io/discourse-k8s/configurations#cors_origin
   */
  readonly corsOrigin?: string;
  /**
   * Add `scheme://externalHostname` and `s3CdnUrl` to the CORS origins.
   * @default true
   * @see https://charmhub.io/discourse-k8s/configurations#augment_cors_origin
   */
  readonly augmentCorsOrigin?: boolean;
  /**
   * Comma-separated e-mail addresses that become administrators when they sign up.
   * @default ''
   * @see https://charmhub.io/discourse-k8s/configurations#developer_emails
   */
  readonly developerEmails?: string;
  /**
   * Depth of category nesting: 2 or 3.
   * @default 2
   * @see https://charmhub.io/discourse-k8s/configurations#max_category_nesting
   */
  readonly maxCategoryNesting?: number;
  /**
   * SMTP relay hostname.
   * @default '' (mail disabled)
   * @see https://charmhub.io/discourse-k8s/configurations#smtp_address
   */
  readonly smtpAddress?: string;
  /**
   * SMTP relay port.
   * @default 587
   * @see https://charmhub.io/discourse-k8s/configurations#smtp_port
   */
  readonly smtpPort?: number;
  /**
   * HELO domain for SMTP.
   * @default ''
   * @see https://charmhub.io/discourse-k8s/configurations#smtp_domain
   */
  readonly smtpDomain?: string;
  /**
   * SMTP user name.
   * @default ''
   * @see https://charmhub.io/discourse-k8s/configurations#smtp_username
   */
  readonly smtpUsername?: string;
  /**
   * SMTP password, from a Secret.
   * @default - no password
   * @see https://charmhub.io/discourse-k8s/configurations#smtp_password
   */
  readonly smtpPassword?: SecretKeyRef;
  /**
   * SMTP authentication method.
   * @default 'none'
   * @see https://charmhub.io/discourse-k8s/configurations#smtp_authentication
   */
  readonly smtpAuthentication?: SmtpAuthentication;
  /**
   * Use STARTTLS when the server offers it.
   * @default true
   * @see https://charmhub.io/discourse-k8s/configurations#smtp_enable_start_tls
   */
  readonly smtpEnableStartTls?: boolean;
  /**
   * Use implicit TLS (SMTPS).
   * @default false
   * @see https://charmhub.io/discourse-k8s/configurations#smtp_force_tls
   */
  readonly smtpForceTls?: boolean;
  /**
   * How strictly to verify the SMTP server certificate.
   * @default 'none'
   * @see https://charmhub.io/discourse-k8s/configurations#smtp_openssl_verify_mode
   */
  readonly smtpOpensslVerifyMode?: SmtpOpensslVerifyMode;
  /**
   * Store uploads (and optionally backups) in S3 instead of the uploads volume.
   * @default false
   * @see https://charmhub.io/discourse-k8s/configurations#s3_enabled
   */
  readonly s3Enabled?: boolean;
  /**
   * S3 access key id, from a Secret.
   * @default - none; required when `s3Enabled`
   * @see https://charmhub.io/discourse-k8s/configurations#s3_access_key_id
   */
  readonly s3AccessKeyId?: SecretKeyRef;
  /**
   * S3 secret access key, from a Secret.
   * @default - none; required when `s3Enabled`
   * @see https://charmhub.io/discourse-k8s/configurations#s3_secret_access_key
   */
  readonly s3SecretAccessKey?: SecretKeyRef;
  /**
   * S3 bucket for uploads.
   * @default - none; required when `s3Enabled`
   * @see https://charmhub.io/discourse-k8s/configurations#s3_bucket
   */
  readonly s3Bucket?: string;
  /**
   * S3 region.
   * @default - none; required when `s3Enabled`
   * @see https://charmhub.io/discourse-k8s/configurations#s3_region
   */
  readonly s3Region?: string;
  /**
   * S3 endpoint URL.
   * @default 'https://s3.amazonaws.com'
   * @see https://charmhub.io/discourse-k8s/configurations#s3_endpoint
   */
  readonly s3Endpoint?: string;
  /**
   * Bucket for backups; setting it moves backups to S3.
   * @default '' (backups stay local)
   * @see https://charmhub.io/discourse-k8s/configurations#s3_backup_bucket
   */
  readonly s3BackupBucket?: string;
  /**
   * CDN URL that fronts the S3 bucket.
   * @default ''
   * @see https://charmhub.io/discourse-k8s/configurations#s3_cdn_url
   */
  readonly s3CdnUrl?: string;
  /**
   * Let Discourse install a CORS rule on the bucket.
   * @default true
   * @see https://charmhub.io/discourse-k8s/configurations#s3_install_cors_rule
   */
  readonly s3InstallCorsRule?: boolean;
  /**
   * Rate-limiting preset.
   * @default 'none'
   * @see https://charmhub.io/discourse-k8s/configurations#throttle_level
   */
  readonly throttleLevel?: ThrottleLevel;
  /**
   * Send every login to the SAML identity provider. Needs `saml`.
   * @default false
   * @see https://charmhub.io/discourse-k8s/configurations#force_saml_login
   */
  readonly forceSamlLogin?: boolean;
  /**
   * Comma-separated groups to sync from SAML. Needs `saml`.
   * @default ''
   * @see https://charmhub.io/discourse-k8s/configurations#saml_sync_groups
   */
  readonly samlSyncGroups?: string;
  /**
   * RSS in MB above which Unicorn restarts a Sidekiq process (Discourse applies a 500 MB floor).
   * @default 1000
   * @see https://charmhub.io/discourse-k8s/configurations#sidekiq_max_memory
   */
  readonly sidekiqMaxMemory?: number;
}

/** DiscourseConfig with every default applied. */
export type ResolvedConfig = Required<Omit<DiscourseConfig, 'smtpPassword' | 's3AccessKeyId' | 's3SecretAccessKey'>> &
  Pick<DiscourseConfig, 'smtpPassword' | 's3AccessKeyId' | 's3SecretAccessKey'>;

type OptionKind = 'string' | 'boolean' | 'integer' | 'secret' | 'enum';

/** How one charm option is named, typed and defaulted. The single table both input forms use. */
export interface OptionSpec {
  /** The charm's option name (snake_case). */
  readonly option: string;
  /** The camelCase property. */
  readonly prop: keyof DiscourseConfig;
  readonly kind: OptionKind;
  readonly values?: readonly (string | number)[];
  /** Default; undefined means "unset" (only for secrets and the hostname). */
  readonly default?: string | number | boolean;
}

export const OPTIONS: readonly OptionSpec[] = [
  { option: 'external_hostname', prop: 'externalHostname', kind: 'string' },
  { option: 'force_https', prop: 'forceHttps', kind: 'boolean', default: false },
  { option: 'enable_cors', prop: 'enableCors', kind: 'boolean', default: true },
  { option: 'cors_origin', prop: 'corsOrigin', kind: 'string', default: '' },
  { option: 'augment_cors_origin', prop: 'augmentCorsOrigin', kind: 'boolean', default: true },
  { option: 'developer_emails', prop: 'developerEmails', kind: 'string', default: '' },
  { option: 'max_category_nesting', prop: 'maxCategoryNesting', kind: 'enum', values: [2, 3], default: 2 },
  { option: 'smtp_address', prop: 'smtpAddress', kind: 'string', default: '' },
  { option: 'smtp_port', prop: 'smtpPort', kind: 'integer', default: 587 },
  { option: 'smtp_domain', prop: 'smtpDomain', kind: 'string', default: '' },
  { option: 'smtp_username', prop: 'smtpUsername', kind: 'string', default: '' },
  { option: 'smtp_password', prop: 'smtpPassword', kind: 'secret' },
  { option: 'smtp_authentication', prop: 'smtpAuthentication', kind: 'enum', values: SMTP_AUTHENTICATIONS, default: 'none' },
  { option: 'smtp_enable_start_tls', prop: 'smtpEnableStartTls', kind: 'boolean', default: true },
  { option: 'smtp_force_tls', prop: 'smtpForceTls', kind: 'boolean', default: false },
  { option: 'smtp_openssl_verify_mode', prop: 'smtpOpensslVerifyMode', kind: 'enum', values: SMTP_OPENSSL_VERIFY_MODES, default: 'none' },
  { option: 's3_enabled', prop: 's3Enabled', kind: 'boolean', default: false },
  { option: 's3_access_key_id', prop: 's3AccessKeyId', kind: 'secret' },
  { option: 's3_secret_access_key', prop: 's3SecretAccessKey', kind: 'secret' },
  { option: 's3_bucket', prop: 's3Bucket', kind: 'string', default: '' },
  { option: 's3_region', prop: 's3Region', kind: 'string', default: '' },
  { option: 's3_endpoint', prop: 's3Endpoint', kind: 'string', default: 'https://s3.amazonaws.com' },
  { option: 's3_backup_bucket', prop: 's3BackupBucket', kind: 'string', default: '' },
  { option: 's3_cdn_url', prop: 's3CdnUrl', kind: 'string', default: '' },
  { option: 's3_install_cors_rule', prop: 's3InstallCorsRule', kind: 'boolean', default: true },
  { option: 'throttle_level', prop: 'throttleLevel', kind: 'enum', values: THROTTLE_LEVELS, default: 'none' },
  { option: 'force_saml_login', prop: 'forceSamlLogin', kind: 'boolean', default: false },
  { option: 'saml_sync_groups', prop: 'samlSyncGroups', kind: 'string', default: '' },
  { option: 'sidekiq_max_memory', prop: 'sidekiqMaxMemory', kind: 'integer', default: 1000 },
];

export const OPTION_NAMES: readonly string[] = OPTIONS.map((o) => o.option);
const BY_OPTION = new Map(OPTIONS.map((o) => [o.option, o]));
const BY_PROP = new Map<keyof DiscourseConfig, OptionSpec>(OPTIONS.map((o) => [o.prop, o]));

/** The charm option of a prop (`smtpPort` → `smtp_port`), for the site file's vocabulary. */
export function charmOptionOf(prop: string): string | undefined {
  return BY_PROP.get(prop as keyof DiscourseConfig)?.option;
}

/** Splits a charm-style comma list, dropping blanks. */
export function splitList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function checkType(spec: OptionSpec, value: unknown, path: string, problems: Problem[]): unknown {
  switch (spec.kind) {
    case 'secret':
      return checkSecretRef(value, path, problems);
    case 'boolean':
      // Juju prints some boolean-like options as strings ("true"); accept both so `juju config` output pastes.
      if (value === 'true' || value === 'false') return value === 'true';
      if (typeof value !== 'boolean') {
        problems.push({ path, message: `${show(value)} is not a boolean`, fix: 'write true or false' });
        return undefined;
      }
      return value;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        problems.push({ path, message: `${show(value)} is not an integer`, fix: `write a whole number, e.g. ${String(spec.default)}` });
        return undefined;
      }
      return value;
    case 'enum':
      if (!spec.values!.includes(value as string | number)) {
        problems.push({ path, message: `${show(value)} is not one of ${spec.values!.join(', ')}`, fix: `use one of ${spec.values!.join(', ')}` });
        return undefined;
      }
      return value;
    case 'string':
      if (typeof value !== 'string') {
        problems.push({ path, message: `${show(value)} is not a string`, fix: 'quote the value' });
        return undefined;
      }
      return value;
  }
}

/**
 * Validates charm options given as a record keyed by the charm's snake_case names
 * (a site file's `config:` section) and converts them to DiscourseConfig.
 * Unknown keys are problems, with a suggestion for likely typos.
 */
export function configFromCharmOptions(raw: Record<string, unknown>, problems: Problem[]): DiscourseConfig {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const spec = BY_OPTION.get(key);
    if (!spec) {
      const suggestion = didYouMean(key, OPTION_NAMES);
      problems.push({
        path: `config.${key}`,
        message: 'is not a Discourse charm option',
        fix: suggestion ? `did you mean "${suggestion}"?` : `use one of (closest first) ${closestFirst(key, OPTION_NAMES).join(', ')}`,
      });
      continue;
    }
    if (value === null || value === undefined) continue;
    const checked = checkType(spec, value, `config.${key}`, problems);
    if (checked !== undefined) out[spec.prop] = checked;
  }
  return out as DiscourseConfig;
}

/** Optional non-config inputs the charm's rules depend on. */
export interface RuleContext {
  /** Site name: the default hostname. */
  readonly siteName: string;
  /** Whether SAML is configured (the charm's SAML relation). */
  readonly samlConfigured: boolean;
  /** Whether OpenID Connect is configured (the charm's oauth relation). */
  readonly oidcConfigured?: boolean;
  /** Whether backups have a volume of their own (`backups.to: volume`), so public/backups has one without uploads. */
  readonly backupVolume?: boolean;
}

/**
 * Applies defaults and the charm's configuration rules. Runtime types are checked
 * too, because TypeScript callers can still pass a wrong value through `any`
 * or JSON. Problems name options by prop; see {@link opt}.
 */
export function resolveConfig(config: DiscourseConfig, context: RuleContext, problems: Problem[]): ResolvedConfig {
  const values: Record<string, unknown> = {};
  const known = new Set(OPTIONS.map((o) => o.prop as string));
  for (const key of Object.keys(config)) {
    if (!known.has(key)) {
      const suggestion = didYouMean(key, [...known]);
      problems.push({ path: key, message: 'is not a Discourse option', fix: suggestion ? `did you mean "${suggestion}"?` : 'remove it' });
    }
  }
  for (const spec of OPTIONS) {
    const given = config[spec.prop];
    const checked = given === undefined ? undefined : checkType(spec, given, spec.prop, problems);
    values[spec.prop] = checked ?? spec.default;
  }
  // Every prop now holds a checked value or its default; only the hostname may still be unset.
  const typed = values as unknown as ResolvedConfig & { externalHostname?: string };
  const at = (prop: keyof DiscourseConfig) => opt(prop);
  const resolved: ResolvedConfig = { ...typed, externalHostname: typed.externalHostname ?? context.siteName };

  if (!isDnsSubdomain(resolved.externalHostname)) {
    problems.push({
      path: 'externalHostname',
      message: `${show(resolved.externalHostname)} is not a valid hostname`,
      fix: 'use a lowercase DNS name such as forum.example.com (no scheme, port or path)',
    });
  }
  if (resolved.enableCors && resolved.corsOrigin.trim() === '' && !resolved.augmentCorsOrigin) {
    problems.push({
      path: 'enableCors',
      message: `${at('enableCors')} is true but ${at('corsOrigin')} is empty and ${at('augmentCorsOrigin')} is false, so no origin would be allowed`,
      fix: `set ${at('corsOrigin')}, set ${at('augmentCorsOrigin')} to true, or set ${at('enableCors')} to false`,
    });
  }
  if (resolved.corsOrigin.trim() !== '*') {
    for (const origin of splitList(resolved.corsOrigin)) {
      if (!isHttpUrl(origin) || new URL(origin).pathname !== '/' || origin.endsWith('/')) {
        problems.push({
          path: 'corsOrigin',
          message: `${show(origin)} is not an origin`,
          fix: 'write origins as scheme://host[:port] separated by commas, or "*"',
        });
      }
    }
  }
  for (const email of splitList(resolved.developerEmails)) {
    if (!isEmail(email)) {
      problems.push({ path: 'developerEmails', message: `${show(email)} is not an e-mail address`, fix: 'separate addresses with commas' });
    }
  }
  if (resolved.smtpPort < 1 || resolved.smtpPort > 65535) {
    problems.push({ path: 'smtpPort', message: `${resolved.smtpPort} is not a TCP port`, fix: 'use 1-65535 (587 for submission, 465 for SMTPS)' });
  }
  if (resolved.smtpAddress !== '' && !isDnsSubdomain(resolved.smtpAddress) && !/^[0-9.]+$/.test(resolved.smtpAddress)) {
    problems.push({
      path: 'smtpAddress',
      message: `${show(resolved.smtpAddress)} is not a hostname`,
      fix: 'write the relay host only, e.g. smtp.example.com',
    });
  }
  if (resolved.smtpAuthentication !== 'none' && resolved.smtpPassword === undefined) {
    problems.push({
      path: 'smtpPassword',
      message: `${at('smtpAuthentication')} is ${show(resolved.smtpAuthentication)} but no password is given`,
      fix: `set ${at('smtpPassword')} to { secret: <name>, key: <key> } or ${at('smtpAuthentication')} to none`,
    });
  }
  if (resolved.smtpEnableStartTls && resolved.smtpForceTls) {
    problems.push({
      path: 'smtpForceTls',
      message: `${at('smtpForceTls')} (implicit TLS) and ${at('smtpEnableStartTls')} (STARTTLS) are both true`,
      fix: `use ${at('smtpForceTls')}: true with ${at('smtpEnableStartTls')}: false for port 465, or the reverse for 587`,
    });
  }
  if (resolved.s3Enabled) {
    const missing = (['s3AccessKeyId', 's3SecretAccessKey', 's3Bucket', 's3Region'] as const).filter((p) => !resolved[p]);
    for (const prop of missing) {
      problems.push({ path: prop, message: `is required when ${at('s3Enabled')} is true`, fix: `set ${at(prop)} or set ${at('s3Enabled')} to false` });
    }
    // Without a backup bucket Discourse writes backups to public/backups, which only the
    // uploads volume provides, and there is no uploads volume when uploads are in S3.
    if (resolved.s3BackupBucket === '' && !context.backupVolume) {
      problems.push({
        path: 's3BackupBucket',
        message: `is required when ${at('s3Enabled')} is true: backups would go to public/backups on the read-only root, which has no volume when uploads are in S3`,
        fix: `set ${at('s3BackupBucket')} to a bucket for backups (Discourse then sets backup_location to s3), give backups a volume (${opt('backups')}: { to: volume }), or set ${at('s3Enabled')} to false to keep uploads and backups on the volume`,
      });
    }
  } else if (resolved.s3BackupBucket !== '') {
    problems.push({
      path: 's3BackupBucket',
      message: `is set but ${at('s3Enabled')} is false`,
      fix: `set ${at('s3Enabled')} to true with the S3 credentials, or remove ${at('s3BackupBucket')}`,
    });
  }
  if (resolved.s3Bucket !== '' && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(resolved.s3Bucket)) {
    problems.push({
      path: 's3Bucket',
      message: `${show(resolved.s3Bucket)} is not a valid bucket name`,
      fix: 'use 3-63 lowercase letters, digits, "." and "-"',
    });
  }
  for (const prop of ['s3Endpoint', 's3CdnUrl'] as const) {
    if (resolved[prop] !== '' && !isHttpUrl(resolved[prop])) {
      problems.push({ path: prop, message: `${show(resolved[prop])} is not an http(s) URL`, fix: 'write a full URL such as https://cdn.example.com' });
    }
  }
  if (!context.samlConfigured) {
    if (resolved.forceSamlLogin) {
      problems.push({
        path: 'forceSamlLogin',
        message: 'is true but SAML is not configured',
        fix: 'add a saml section (target_url and certificate fingerprint) or set it to false',
      });
    }
    if (resolved.samlSyncGroups !== '') {
      problems.push({
        path: 'samlSyncGroups',
        message: `is ${show(resolved.samlSyncGroups)} but SAML is not configured`,
        fix: 'add a saml section or remove the option',
      });
    }
  } else if (!resolved.forceHttps) {
    problems.push({ path: 'forceHttps', message: 'is false but SAML is configured; SAML needs HTTPS', fix: `set ${at('forceHttps')} to true` });
  }
  if (context.oidcConfigured && !resolved.forceHttps) {
    problems.push({ path: 'forceHttps', message: 'is false but OpenID Connect is configured; OAuth needs HTTPS', fix: `set ${at('forceHttps')} to true` });
  }
  if (resolved.sidekiqMaxMemory < 1) {
    problems.push({
      path: 'sidekiqMaxMemory',
      message: `${resolved.sidekiqMaxMemory} is not a positive number of MB`,
      fix: 'use e.g. 1000 (Discourse never restarts Sidekiq below 500)',
    });
  }
  return resolved;
}
