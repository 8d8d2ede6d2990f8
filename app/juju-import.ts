import { parse, stringify } from 'yaml';
import { OPTIONS } from '../lib/config';

/** A site file drafted from `juju config discourse-k8s --format=yaml`, and what needs a human. */
export interface JujuImport {
  /** The `config:` section as site-file YAML, secrets replaced by Secret references. */
  readonly yaml: string;
  /** What to do before the site file is complete: Secrets to create, options we do not know. */
  readonly notes: string[];
}

/**
 * Turns the output of `juju config <app> --format=yaml` (settings with `value` and
 * `source`) into a site file's `config:` section. Options set by the user, or whose
 * value differs from the default, are kept. A credential is never copied: it becomes a
 * Secret reference to create (`<app>-<option>`, key `value`) and a note says so.
 */
export function fromJujuConfig(text: string): JujuImport {
  const doc = parse(text) as { application?: string; settings?: Record<string, { value?: unknown; source?: string }> } | null;
  if (!doc || typeof doc !== 'object' || typeof doc.settings !== 'object' || doc.settings === null) {
    throw new Error('not the output of `juju config <app> --format=yaml`: no settings section');
  }
  const app = typeof doc.application === 'string' && /^[a-z0-9-]+$/.test(doc.application) ? doc.application : 'discourse';
  const config: Record<string, unknown> = {};
  const notes: string[] = [];
  for (const [option, setting] of Object.entries(doc.settings).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const spec = OPTIONS.find((o) => o.option === option);
    if (!spec) {
      notes.push(`${option}: not an option of this project (newer charm?); left out`);
      continue;
    }
    const value = setting?.value;
    if (value === undefined || value === null || value === '') continue;
    if (spec.kind === 'secret') {
      const secret = `${app}-${option.replace(/_/g, '-')}`;
      config[option] = { secret, key: 'value' };
      notes.push(`${option}: create the Secret first (the value is not copied): kubectl create secret generic ${secret} --from-literal=value=...`);
      continue;
    }
    const normalized = spec.kind === 'boolean' && (value === 'true' || value === 'false') ? value === 'true' : value;
    if (setting.source === 'user' || normalized !== spec.default) config[option] = normalized;
  }
  return { yaml: stringify({ config }, { lineWidth: 0 }), notes };
}
