import { parse, stringify } from 'yaml';
import { OPTIONS, configFromCharmOptions, resolveConfig } from '../lib/model/config';
import { isDnsLabel } from '../lib/core/checks';
import { Problem, formatProblems, translateProblem } from '../lib/core/problems';
import { siteFromText } from './resolve-site';
import { SCHEMA_FILE } from './site-schema';
import { LEGACY_OPTIONS } from './charm-history';
import { SITE_FILE_NAMES, SITE_KEYS } from './site-keys';

/** A site file drafted from `juju config discourse-k8s --format=yaml`, and what needs a human. */
export interface JujuImport {
  /**
   * Site-file YAML: the schema line new-site writes, a comment naming the sections still
   * needed, `namespace:`, the `config:` section and what older charm options map to;
   * secrets as Secret references.
   */
  readonly yaml: string;
  /** What to do before the site file is complete: Secrets to create, values refused, options we do not map, sections still needed. */
  readonly notes: string[];
}

/** Options of the importer. */
export interface JujuImportOptions {
  /** Namespace of the site, for the site file and the `kubectl create secret -n` lines. @default - the Juju application's name */
  readonly namespace?: string;
}

/**
 * The SAML fingerprints the charm knew before the saml relation replaced `saml_target_url`
 * (canonical/discourse-k8s-operator, src/charm.py before cdd64c2, "Add SAML integration (#199)").
 */
const CHARM_SAML_FINGERPRINTS: Readonly<Record<string, string>> = {
  'https://login.ubuntu.com/+saml': '32:15:20:9F:A4:3C:8E:3E:8E:47:72:62:9A:86:8D:0E:E6:CF:45:D5',
  'https://login.staging.ubuntu.com/+saml': 'D2:B4:86:49:1B:AC:29:F6:A4:C8:CF:0D:3A:8F:AD:86:36:0A:77:C0',
};

function setPath(target: Record<string, unknown>, key: string, value: unknown): void {
  const parts = key.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) node = (node[part] ??= {}) as Record<string, unknown>;
  node[parts[parts.length - 1]] = value;
}

/**
 * Turns the output of `juju config <app> --format=yaml` (settings with `value` and
 * `source`) into a site file: the current charm options under `config:` (those the user
 * set, or whose value differs from the default), options of older revisions where they
 * belong now (`saml_target_url` → `saml.target_url`), each value checked as synth checks
 * it. A credential is never copied: it becomes a Secret reference (`<app>-<option>`, key
 * `value`) and a note says how to create it.
 */
export function fromJujuConfig(text: string, options: JujuImportOptions = {}): JujuImport {
  const doc = parse(text) as { application?: string; settings?: Record<string, { value?: unknown; source?: string }> } | null;
  if (!doc || typeof doc !== 'object' || typeof doc.settings !== 'object' || doc.settings === null) {
    throw new Error('not the output of `juju config <app> --format=yaml`: no settings section');
  }
  const app = typeof doc.application === 'string' && /^[a-z0-9-]+$/.test(doc.application) ? doc.application : 'discourse';
  const namespace = options.namespace ?? app;
  if (!isDnsLabel(namespace)) throw new Error(`${JSON.stringify(namespace)} is not a namespace name`);
  const site: Record<string, unknown> = { namespace };
  const config: Record<string, unknown> = {};
  const notes: string[] = [];
  const secretRef = (option: string, key: string) => {
    const secret = `${app}-${option.replace(/_/g, '-')}`;
    notes.push(`${key}: create the Secret first (the value is not copied): kubectl -n ${namespace} create secret generic ${secret} --from-literal=value=...`);
    return { secret, key: 'value' };
  };
  for (const [option, setting] of Object.entries(doc.settings).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const value = setting?.value;
    const spec = OPTIONS.find((o) => o.option === option);
    const legacy = LEGACY_OPTIONS[option];
    if (!spec && !legacy) {
      notes.push(`${option}: not an option of this project (newer charm?); left out`);
      continue;
    }
    if (value === undefined || value === null || value === '') continue;
    if (legacy) {
      const converted = legacy.convert ? legacy.convert(value) : value;
      if (legacy.key && converted !== undefined) {
        setPath(site, legacy.key, legacy.secret ? secretRef(option, legacy.key) : converted);
        notes.push(`${option}: an option of older charm revisions; now ${legacy.key}${legacy.note ? ` (${legacy.note})` : ''}`);
      } else {
        notes.push(`${option}: an option of older charm revisions; left out: ${legacy.note ?? 'no equivalent'}`);
      }
      continue;
    }
    if (spec!.kind === 'secret') {
      config[option] = secretRef(option, `config.${option}`);
      continue;
    }
    const normalized = spec!.kind === 'boolean' && (value === 'true' || value === 'false') ? value === 'true' : value;
    if (setting.source === 'user' || normalized !== spec!.default) config[option] = normalized;
  }
  // Old revisions' saml_target_url came with a fingerprint only for Ubuntu One; others need one now.
  const saml = site.saml as Record<string, unknown> | undefined;
  if (saml) {
    const fingerprint = CHARM_SAML_FINGERPRINTS[String(saml.target_url)];
    // Else the site check below asks for the certificate (the charm read neither from saml_target_url).
    if (fingerprint) saml.cert_fingerprint = fingerprint;
  }
  const { config: legacyConfig = {}, ...sections } = site as { config?: Record<string, unknown> };
  const checked = checkedValues({ ...legacyConfig, ...config }, app, saml !== undefined);
  notes.push(...checked.notes);
  const body = stringify({ ...sections, config: checked.config }, { lineWidth: 0 });
  // What synth still needs besides the charm's options (the image, the database and Redis the relations gave).
  const needed = missingSections(body, app);
  notes.push(...needed.notes);
  const header = [
    `# yaml-language-server: $schema=../${SCHEMA_FILE}`,
    `# Drafted by npm run from-juju from \`juju config ${app}\`; its notes (TODO lines) went to stderr.`,
    ...(needed.sections.length > 0
      ? [`# TODO still needed for a valid site: ${needed.sections.map((k) => `${k}:`).join(', ')} (the TODO notes say how to write each)`]
      : []),
  ];
  return { yaml: `${header.join('\n')}\n${body}`, notes };
}

/**
 * What synth would still refuse in the draft once its config is checked: the sections
 * the charm's relations filled (image, database, redis, a SAML certificate), as notes in
 * the site file's words, and their top-level keys.
 */
function missingSections(draft: string, app: string): { sections: string[]; notes: string[] } {
  const problems = siteFromText(draft, `${app}.yaml`)
    .problems.map((p) => translateProblem(p, SITE_FILE_NAMES))
    .filter((p) => !p.path.startsWith('config.'));
  // In the order of a site file (SITE_KEYS), the image first.
  const order = (p: { path: string }) => SITE_KEYS.findIndex((k) => k.key === p.path.split(/[.[]/)[0]);
  const sorted = [...problems].sort((a, b) => order(a) - order(b));
  return {
    sections: [...new Set(sorted.map((p) => p.path.split(/[.[]/)[0]).filter((k) => k !== ''))],
    notes: sorted.map((p) => `${p.path}: ${p.message}${p.fix ? `. Fix: ${p.fix}` : ''} (synth would refuse it)`),
  };
}

/**
 * The values synth would refuse, as notes in the site file's words; refused values are
 * taken out of `config` (they stay visible in the note), so the draft parses.
 */
function checkedValues(config: Record<string, unknown>, app: string, samlConfigured: boolean): { config: Record<string, unknown>; notes: string[] } {
  const shape: Problem[] = [];
  const typed = configFromCharmOptions(config, shape);
  const refused = new Set(shape.map((p) => p.path.replace(/^config\./, '').split('.')[0]));
  const rules: Problem[] = [];
  resolveConfig(typed, { siteName: app, samlConfigured }, rules);
  const notes = [...shape, ...rules].map(
    (p) =>
      `${formatProblems('juju config', [p], SITE_FILE_NAMES)
        .split('\n')[1]
        .replace(/^\s+- juju config: /, '')} (synth would refuse it)`,
  );
  return { config: Object.fromEntries(Object.entries(config).filter(([k]) => !refused.has(k))), notes };
}
