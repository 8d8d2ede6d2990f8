import { ApiObject, Chart, Testing } from 'cdk8s';
import { Discourse } from '../lib/discourse';
import { Operation, validateOperation } from '../lib/model/operations';
import { Manifest } from '../lib/core/manifest';
import { renderManifest, withNamespace } from './output';
import { formatProblems } from '../lib/core/problems';
import { loadSites } from './synth';

/** The options each action takes. */
const ACTION_FLAGS: Record<string, readonly string[]> = {
  'create-user': ['--email', '--password-secret', '--admin', '--inactive'],
  'add-admin-user': ['--email', '--password-secret', '--inactive'],
  'promote-user': ['--email'],
  'anonymize-user': ['--username'],
  restore: ['--backup'],
};
const VALUE_FLAGS = ['--email', '--username', '--password-secret', '--backup'];

/**
 * `npm run op -- <site> create-user|add-admin-user|promote-user|anonymize-user|restore [--email E] [--username U] [--password-secret NAME/KEY] [--admin] [--inactive] [--backup FILE]`:
 * one of the charm's actions as a Job manifest on stdout, for `kubectl apply -f -`,
 * built from the site's own settings (image, env, Secrets).
 */
export function operationManifest(
  sitesDir: string,
  argv: readonly string[],
  prog = 'npm run op --',
): { output?: string; error?: string; /** the error is a usage error (exit 2) */ usage?: true } {
  const [siteName, action, ...rest] = argv;
  const usage = `usage: ${prog} <site> ${Object.keys(ACTION_FLAGS).join('|')} [--email E] [--username U] [--password-secret NAME/KEY] [--admin] [--inactive] [--backup FILE]`;
  if (!siteName || !action) return { error: usage, usage: true };
  const allowed = ACTION_FLAGS[action];
  if (!allowed) return { error: `unknown action ${JSON.stringify(action)}; ${usage}`, usage: true };
  const flags = new Map<string, string | true>();
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (!flag.startsWith('--')) return { error: `unexpected ${JSON.stringify(flag)}; ${usage}`, usage: true };
    const known = flag === '--admin' || flag === '--inactive' || VALUE_FLAGS.includes(flag);
    if (known && !allowed.includes(flag)) return { error: `${action} does not take ${flag}; it takes ${allowed.join(', ')}`, usage: true };
    if (flag === '--admin' || flag === '--inactive') flags.set(flag, true);
    else if (VALUE_FLAGS.includes(flag) && rest[i + 1] !== undefined) flags.set(flag, rest[++i]);
    else return { error: `unknown or incomplete option ${flag}; ${usage}`, usage: true };
  }
  const text = (flag: string) => (typeof flags.get(flag) === 'string' ? (flags.get(flag) as string) : '');
  let op: Operation;
  if (action === 'create-user' || action === 'add-admin-user') {
    const reference = text('--password-secret');
    if (reference === '')
      return { error: `--password-secret NAME/KEY is required: the password is read from a Secret, never given on the command line; ${usage}` };
    const [secret, key, ...more] = reference.split('/');
    if (!secret || !key || more.length > 0)
      return {
        error: `--password-secret ${JSON.stringify(reference)} is not NAME/KEY: write the Secret's name and the key in it, e.g. ${secret || 'admin-pw'}/password`,
      };
    op = {
      action: 'create-user',
      email: text('--email'),
      admin: action === 'add-admin-user' || flags.has('--admin'),
      active: !flags.has('--inactive'),
      password: { secret, key },
    };
  } else if (action === 'promote-user') {
    op = { action, email: text('--email') };
  } else if (action === 'restore') {
    if (text('--backup') === '') return { error: `--backup FILE is required: the backup's file name, as /admin/backups lists it; ${usage}` };
    op = { action, backup: text('--backup') };
  } else {
    op = { action: 'anonymize-user', username: text('--username') };
  }
  const problems = validateOperation(op, action);
  if (problems.length > 0) return { error: formatProblems('npm run op', problems) };

  const { sites, errors } = loadSites(sitesDir);
  if (errors.length > 0) return { error: errors.join('\n') };
  const site = sites.find((s) => s.name === siteName);
  if (!site) return { error: `no site named ${JSON.stringify(siteName)} in ${sitesDir}; sites: ${sites.map((s) => s.name).join(', ')}` };
  const chart = new Chart(Testing.app(), site.name, { namespace: site.namespace, disableResourceNameHashes: true });
  const discourse = new Discourse(chart, 'discourse', { ...site.discourse, operations: [] });
  const jobs = discourse
    .addOperation(op, { once: false })
    .node.findAll()
    .filter((c): c is ApiObject => c instanceof ApiObject)
    .map((o) => o.toJson() as Manifest);
  return {
    output: jobs
      .map((m) =>
        renderManifest(
          withNamespace(m, site.namespace),
          `${site.file} by npm run op`,
          op.action === 'restore'
            ? "A one-off Job: apply it with kubectl apply -f -; it replaces the forum's database (and local uploads) with the backup's, and is never part of the site."
            : 'A one-off Job: apply it with kubectl apply -f -; to run an action with every deployment, list it under operations: in the site.',
        ),
      )
      .join('---\n'),
  };
}
