import { existsSync, mkdirSync, writeFileSync } from 'fs';
import { basename, join, resolve } from 'path';
import { isDnsLabel } from '../lib/core/checks';
import { siteTemplate } from './new-site';
import { SCHEMA_FILE, siteSchemaText } from './site-schema';

/**
 * `discourse-cdk8s init [DIR]`: a site repository, the few files a platform team keeps (the
 * tool is the pinned package, not a fork of this repository). The package.json scripts are
 * named as this repository's, so every message that says `npm run synth` or
 * `npm run new-site NAME` is right there too.
 */

export function initUsage(prog: string): string {
  return [
    `Usage: ${prog} [DIR] [--site NAME]`,
    'Writes a site repository into DIR (default: the current folder): package.json pinning this',
    'version of discourse-cdk8s, sites/NAME.yaml (commented), the JSON Schema for editors, a CI',
    'workflow that runs synth --check, .gitignore and README.md. Never overwrites a file.',
    '',
    '  --site NAME    the first site; default: forum',
    '',
    'Then: cd DIR && npm install && npx discourse-cdk8s synth   (CI: npm ci && npx discourse-cdk8s synth --check)',
  ].join('\n');
}

/** The files of a site repository, by path, for `version` of this package. Pure. */
export function siteRepositoryFiles(name: string, site: string, version: string): Map<string, string> {
  const packageJson = {
    name,
    private: true,
    description: `Discourse sites rendered by discourse-cdk8s: sites/*.yaml -> dist/<site>/, synced by Argo CD or Flux`,
    scripts: {
      synth: 'discourse-cdk8s synth',
      'synth:check': 'discourse-cdk8s synth --check',
      plan: 'discourse-cdk8s synth --plan',
      'new-site': 'discourse-cdk8s new-site',
      op: 'discourse-cdk8s op',
      image: 'discourse-cdk8s image',
      schema: 'discourse-cdk8s schema',
    },
    // Exact, so every run and CI render with the same version; Renovate or Dependabot bumps it.
    devDependencies: { 'discourse-cdk8s': version },
  };
  return new Map([
    ['package.json', `${JSON.stringify(packageJson, null, 2)}\n`],
    [`sites/${site}.yaml`, siteTemplate(site)],
    [SCHEMA_FILE, siteSchemaText()],
    [
      '.github/workflows/synth.yaml',
      `# dist/ is what Argo CD or Flux syncs: it must be what the sites and the pinned
# discourse-cdk8s render. A pull request that changes a site (or bumps the version)
# without running \`npm run synth\` fails here; --plan says what a sync would do.
name: synth
on: [push, pull_request]
jobs:
  synth:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-node@v4
        with: { node-version: 22, cache: npm }
      - run: npm ci
      - run: npx discourse-cdk8s synth --plan
      - run: npx discourse-cdk8s synth --check
`,
    ],
    ['.gitignore', 'node_modules/\n.cache/\n.dist.staging/\n.dist.previous/\n'],
    [
      'README.md',
      `# ${name}

Discourse sites, rendered by [discourse-cdk8s](https://www.npmjs.com/package/discourse-cdk8s) ${version}.

- \`sites/<site>.yaml\`: one file per forum (\`npm run new-site NAME\` starts one; the schema gives your editor every key).
- \`npm run synth\` writes \`dist/<site>/\`; commit it with the site and point Argo CD or Flux at \`dist/<site>\`.
- CI runs \`npm ci && npx discourse-cdk8s synth --check\`: it fails when \`dist/\` is not what the sites render.
- Upgrading: \`npm install discourse-cdk8s@<version>\`, then \`npm run synth\`: it says what the new version changes in each site; review the diff of \`dist/\`.
`,
    ],
  ]);
}

/** Writes the site repository into `dir`; refuses, writing nothing, when any of its files exists. */
export function initRepository(dir: string, options: { version: string; site?: string }): { report: string; error?: undefined } | { error: string } {
  const site = options.site ?? 'forum';
  if (!isDnsLabel(site, 40))
    return {
      error: `--site ${JSON.stringify(site)}: not a site name; use at most 40 lowercase letters, digits and "-", starting and ending with a letter or digit`,
    };
  // npm's package name rules: lowercase, no spaces; the folder name, made so.
  const name =
    basename(resolve(dir))
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, '-')
      .replace(/^[._-]+|-+$/g, '') || 'discourse-sites';
  const files = siteRepositoryFiles(name, site, options.version);
  const existing = [...files.keys()].filter((f) => existsSync(join(dir, f)));
  if (existing.length > 0)
    return {
      error: `${dir}: ${existing.join(', ')} exist${existing.length === 1 ? 's' : ''} already; init writes a new repository and never overwrites. Fix: choose an empty folder`,
    };
  for (const [file, text] of files) {
    mkdirSync(join(dir, file, '..'), { recursive: true });
    writeFileSync(join(dir, file), text, { flag: 'wx' });
  }
  return {
    report: [
      ...[...files.keys()].map((f) => `wrote ${join(dir, f)}`),
      '',
      `Next: ${dir === '.' ? '' : `cd ${dir} && `}npm install && npx discourse-cdk8s synth   (set config.external_hostname in sites/${site}.yaml first)`,
      '',
    ].join('\n'),
  };
}
