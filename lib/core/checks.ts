import { Problem, didYouMean, show } from './problems';

/**
 * The generic checks every part of the project uses: Kubernetes names, labels, DNS,
 * URLs, e-mail addresses and Secret references. Pure; one place for each rule.
 */

/**
 * A value that lives in a Kubernetes Secret: the Secret's name and the key in it.
 * Rendered as `valueFrom.secretKeyRef`; the value itself never enters a manifest.
 */
export interface SecretKeyRef {
  /** Name of the Secret, in the site's namespace. */
  readonly secret: string;
  /** Key inside the Secret. */
  readonly key: string;
}

/** An environment variable whose value comes from a Secret key. */
export interface SecretEnv {
  readonly name: string;
  readonly from: SecretKeyRef;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const SECRET_KEY = /^[-._a-zA-Z0-9]+$/;
const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;

/** True for one e-mail address (no list: commas are refused). */
export function isEmail(value: string): boolean {
  return EMAIL.test(value);
}

/** True for an RFC 1123 DNS label (Namespace, Service names) of at most `max` characters. */
export function isDnsLabel(value: string, max = 63): boolean {
  return value.length <= max && DNS_LABEL.test(value);
}

/** True for an RFC 1123 subdomain (Secret names, hostnames) of at most 253 characters. */
export function isDnsSubdomain(value: string): boolean {
  return value.length <= 253 && DNS_SUBDOMAIN.test(value) && value.split('.').every((l) => l.length <= 63);
}

const QUALIFIED_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** True for a label or annotation key: an optional DNS-subdomain prefix and `/`, then a name of at most 63 characters. */
export function isLabelKey(key: string): boolean {
  const slash = key.indexOf('/');
  const [prefix, name] = slash >= 0 ? [key.slice(0, slash), key.slice(slash + 1)] : [undefined, key];
  return (prefix === undefined || isDnsSubdomain(prefix)) && QUALIFIED_NAME.test(name);
}

/** True for a label value: empty, or at most 63 characters of letters, digits, `-`, `_` and `.`, alphanumeric at both ends. */
export function isLabelValue(value: string): boolean {
  return value === '' || QUALIFIED_NAME.test(value);
}

/** True for an absolute http(s) URL with a host. */
export function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/**
 * Checks a secret reference; `path` names it in messages. A plain string is the
 * classic mistake (a password pasted into the file), so it gets its own message
 * that never echoes the value.
 */
export function checkSecretRef(value: unknown, path: string, problems: Problem[]): SecretKeyRef | undefined {
  if (typeof value === 'string' || typeof value === 'number') {
    problems.push({
      path,
      message: 'a plaintext value is not allowed here (value hidden); secrets are read from Kubernetes Secrets only',
      fix: `create a Secret and write ${path.split('.').pop()}: { secret: <secret-name>, key: <key> }`,
    });
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push({ path, message: `${show(value)} is not a Secret reference`, fix: 'write { secret: <secret-name>, key: <key> }' });
    return undefined;
  }
  const record = value as Record<string, unknown>;
  const before = problems.length;
  const extras = Object.keys(record).filter((k) => k !== 'secret' && k !== 'key');
  for (const extra of extras) {
    // `name:` is how a secretKeyRef names its Secret; here the Secret is `secret:`.
    const meant = extra === 'name' ? 'secret' : didYouMean(extra, ['secret', 'key']);
    const missing = meant !== undefined && record[meant] === undefined;
    problems.push({
      path: `${path}.${extra}`,
      message: 'is not a key of a Secret reference',
      fix: `${missing ? `did you mean "${meant}:"?` : 'only "secret" and "key" are allowed:'} write { secret: <secret-name>, key: <key> }`,
    });
  }
  // A field the user wrote under another name was just reported; do not report it missing too.
  const misnamed = (field: string) => record[field] === undefined && extras.length > 0;
  if (!misnamed('secret') && (typeof record.secret !== 'string' || !isDnsSubdomain(record.secret))) {
    problems.push({
      path: `${path}.secret`,
      message: `${show(record.secret)} is not a valid Secret name`,
      fix: 'use lowercase letters, digits, "-" and "." (at most 253 characters)',
    });
  }
  if (!misnamed('key') && (typeof record.key !== 'string' || !SECRET_KEY.test(record.key) || record.key.length > 253)) {
    problems.push({ path: `${path}.key`, message: `${show(record.key)} is not a valid Secret key`, fix: 'use letters, digits, "-", "_" and "."' });
  }
  return problems.length === before ? { secret: record.secret as string, key: record.key as string } : undefined;
}
