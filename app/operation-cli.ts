import { ApiObject, Chart, Testing } from 'cdk8s';
import { Discourse } from '../lib/discourse';
import { Operation, validateOperation } from '../lib/operations';
import { Manifest } from '../lib/manifest';
import { renderManifest, withNamespace } from './output';
import { formatProblems } from '../lib/problems';
import { loadSites } from './synth';

/**
 * `npm run op -- <site> <action> [--email E] [--username U] [--password-secret NAME/KEY] [--admin] [--inactive]`:
 * one of the charm's actions as a Job manifest on stdout, for `kubectl apply -f -`,
 * built from the site's own settings (image, env, Secrets).
 */
export function operationManifest(sitesDir: string, argv: readonly string[]): { output?: string; error?: string } {
  const [siteName, action, ...rest] = argv;
  const usage =
    'usage: npm run op -- <site> create-user|promote-user|anonymize-user [--email E] [--username U] [--password-secret NAME/KEY] [--admin] [--inactive]';
  if (!siteName || !action) return { error: usage };
  const flags = new Map<string, string | true>();
  for (let i = 0; i < rest.length; i++) {
    const flag = rest[i];
    if (!flag.startsWith('--')) return { error: `unexpected ${JSON.stringify(flag)}; ${usage}` };
    if (flag === '--admin' || flag === '--inactive') flags.set(flag, true);
    else if (['--email', '--username', '--password-secret'].includes(flag) && rest[i + 1] !== undefined) flags.set(flag, rest[++i]);
    else return { error: `unknown or incomplete option ${flag}; ${usage}` };
  }
  const text = (flag: string) => (typeof flags.get(flag) === 'string' ? (flags.get(flag) as string) : '');
  let op: Operation;
  if (action === 'create-user' || action === 'add-admin-user') {
    const [secret, key] = text('--password-secret').split('/');
    if (!secret || !key)
      return { error: `--password-secret NAME/KEY is required: the password is read from a Secret, never given on the command line; ${usage}` };
    op = {
      action: 'create-user',
      email: text('--email'),
      admin: action === 'add-admin-user' || flags.has('--admin'),
      active: !flags.has('--inactive'),
      password: { secret, key },
    };
  } else if (action === 'promote-user') {
    op = { action, email: text('--email') };
  } else if (action === 'anonymize-user') {
    op = { action, username: text('--username') };
  } else {
    return { error: `unknown action ${JSON.stringify(action)}; ${usage}` };
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
  return { output: jobs.map((m) => renderManifest(withNamespace(m, site.namespace), `${site.file} and npm run op`)).join('---\n') };
}
