import { OPTION_NAMES } from '../lib/model/config';
import { Problem, show } from '../lib/core/problems';
import { SITE_KEYS } from './site-keys';

/**
 * The charm's flat option names that are not options of the charm today, and where their
 * values live in a site file now: the options of older revisions (as data, from the
 * charm's history) and the flat spelling of a site-file key (`uploads_size` for
 * `uploads.size`). npm run from-juju moves them; synth says where they go.
 */

/** Where an option of an older charm revision goes: a site-file key, a Secret, or a note. */
export interface LegacyOption {
  /** Dotted site-file key that takes the value. @default - none (a note only) */
  readonly key?: string;
  /** The value is a credential: it becomes a Secret reference. @default false */
  readonly secret?: boolean;
  /** Converts the value. @default - as it is */
  readonly convert?: (value: unknown) => unknown;
  /** Why it is not mapped, or what else to do. @default - none */
  readonly note?: string;
}

/**
 * Options that older revisions of the charm had (from `git log -- config.yaml` of
 * canonical/discourse-k8s-operator; the commit that removed each in brackets).
 */
export const LEGACY_OPTIONS: Readonly<Record<string, LegacyOption>> = {
  saml_target_url: { key: 'saml.target_url' }, // cdd64c2 (2024-03): the saml relation
  db_host: { key: 'database.host' }, // f809206 (2020-09): the db relation
  db_name: { key: 'database.name' }, // 4694230 (2022-11)
  db_user: { key: 'database.user' }, // f809206
  db_password: { key: 'database.password', secret: true }, // f809206
  redis_host: { key: 'redis.host' }, // 4694230 (2022-11): the redis relation
  redis_port: { key: 'redis.port' }, // 4090e3e (2021-02)
  tls_secret_name: { key: 'ingress.tls.secret_name' }, // fa533c6 (2022-11): the ingress relation
  max_body_size: {
    key: 'ingress.max_body_size', // fa533c6: an int of megabytes, 0 for no limit
    convert: (v) => (typeof v === 'number' && v > 0 ? `${v}Mi` : undefined),
    note: '0 (no limit) has no equivalent here; the default is 20Mi',
  },
  smtp_user_name: { key: 'config.smtp_username' }, // 5bcbbf6 (2020-04): renamed
  discourse_image: { key: 'image', note: 'the charm now runs its own rock; see docs/image.md' }, // 00a6ef9 (2022-09): OCI resource
  image: { key: 'image' }, // fcf65ca (2020-04)
  image_user: { note: 'make a docker-registry Secret with it and list it in image.pull_secrets' },
  image_pass: { note: 'make a docker-registry Secret with it and list it in image.pull_secrets (the value is not copied)' },
  registry_secrets_name: { key: 'image.pull_secrets', convert: (v) => (typeof v === 'string' && v !== '' ? [v] : undefined) }, // 6b9dc1f (2020-07)
  saml_full_screen_login: { note: 'no longer an option; the charm derives it from force_saml_login' },
  max_reqs_per_ip_mode: { note: 'replaced by throttle_level (none, permissive, strict)' },
  max_reqs_per_ip_per_minute: { note: 'replaced by throttle_level' },
  max_reqs_rate_limit_on_private: { note: 'replaced by throttle_level' },
  max_user_api_reqs_per_minute: { note: 'replaced by throttle_level' },
  enable_local_redis: { note: 'no in-pod Redis here: run Redis as a Service and set redis.host' },
  enable_local_sidekiq: { note: 'Sidekiq always runs inside Unicorn (as the charm does)' },
  serve_static_assets: { note: 'always on (DISCOURSE_SERVE_STATIC_ASSETS=true)' },
  service_port: { note: 'the port is always 3000' },
};

/** Where a flat name under `config:` lives now: a site-file key (and why), or only a note; undefined for a name nobody had. */
export function movedOption(option: string): LegacyOption | undefined {
  if (OPTION_NAMES.includes(option)) return undefined;
  if (Object.prototype.hasOwnProperty.call(LEGACY_OPTIONS, option)) return LEGACY_OPTIONS[option];
  // A site-file key written under config:, as it is (`replicas`) or flattened (`uploads_size`).
  const key = SITE_KEYS.find((k) => k.key !== 'config' && (k.key === option || k.key.replace(/\./g, '_') === option));
  return key ? { key: key.key } : undefined;
}

/** `saml.target_url` and a value → `saml: { target_url: "https://idp" }`. */
function written(key: string, value: string): string {
  const parts = key.split('.');
  return parts.reduceRight((inner, part, i) => (i === parts.length - 1 ? `${part}: ${value}` : `${part}: { ${inner} }`), '');
}

/**
 * The problem of a moved option under `config:`: where it lives now and how to write it
 * there (a credential only as a Secret reference, never echoed), or what replaced it.
 */
export function movedOptionProblem(option: string, value: unknown, moved: LegacyOption): Problem {
  const path = `config.${option}`;
  const older = Object.prototype.hasOwnProperty.call(LEGACY_OPTIONS, option);
  if (moved.key === undefined)
    return { path, message: 'is an option of older charm revisions, not of this one', fix: `remove it: ${moved.note ?? 'it has no equivalent'}` };
  const converted = moved.convert ? moved.convert(value) : value;
  const shown = moved.secret ? '{ secret: <secret-name>, key: <key> }' : converted === undefined ? '...' : show(converted);
  const note = moved.note ? ` (${moved.note})` : '';
  const now = older
    ? `is not a charm option any more (older charm revisions had it): it is now ${moved.key}`
    : `is not a charm option: it is the site-file key ${moved.key}`;
  if (moved.key.startsWith('config.')) return { path, message: `${now}${note}`, fix: `rename it to ${moved.key.slice('config.'.length)}` };
  return {
    path,
    message: `${now}${note}`,
    fix: `move it out of config: to the top level of the file, as ${written(moved.key, shown)}`,
  };
}
