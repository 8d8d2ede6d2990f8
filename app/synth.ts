import { parseAllDocuments } from 'yaml';
import { CNPG_WEBHOOK_RULES } from '../lib/cnpg-cluster';
import { CRD_RULES, KUBERNETES_RULES, immutableFieldChanges, unsafePrunes } from '../lib/immutable-fields';
import { Manifest } from '../lib/manifest';
import { OutputTree, diffTrees, readTree, renderCharts, writeTreeAtomically } from './output';
import { formatProblems } from '../lib/problems';
import { ResolvedSite, loadSite } from './resolve-site';
import { siteFiles } from './site';
import { SITE_FILE_NAMES } from './site-keys';
import { buildApp } from './site-chart';

/** What `npm run synth` does. */
export interface SynthOptions {
  /** Folder of site files. */
  readonly sitesDir: string;
  /** Output folder (replaced as a whole). */
  readonly outdir: string;
  /** Compare instead of write; fail when `outdir` is stale. @default false */
  readonly check?: boolean;
  /**
   * Write even when an object changes a field Kubernetes refuses to change in place
   * (after you delete the object in the cluster, or when nothing was applied yet).
   * @default false
   */
  readonly allowReplace?: boolean;
}

/** The outcome: an exit code and lines for the user. */
export interface SynthResult {
  readonly exitCode: number;
  readonly messages: string[];
}

/**
 * Validates every site file, reporting all problems of all files at once, and
 * only then renders. Nothing is written unless every site rendered.
 */
export function loadSites(sitesDir: string): { sites: ResolvedSite[]; errors: string[] } {
  const sites: ResolvedSite[] = [];
  const errors: string[] = [];
  const seen = new Map<string, string>();
  const namespaces = new Map<string, string>();
  for (const file of siteFiles(sitesDir)) {
    const { site, resolved, problems } = loadSite(file);
    if (site) {
      const other = seen.get(site.name);
      if (other) problems.push({ path: 'name', message: `${JSON.stringify(site.name)} is also the name of ${other}`, fix: 'give each site a unique name' });
      seen.set(site.name, file);
      const owner = namespaces.get(site.namespace);
      if (site.createNamespace && owner) {
        problems.push({
          path: 'create_namespace',
          message: `namespace ${JSON.stringify(site.namespace)} is also created by ${owner}`,
          fix: 'set create_namespace: false in all but one of the sites sharing it',
        });
      }
      if (site.createNamespace) namespaces.set(site.namespace, file);
    }
    if (problems.length > 0) errors.push(formatProblems(file, problems, SITE_FILE_NAMES));
    else if (resolved) sites.push(resolved);
  }
  return { sites, errors };
}

/** Renders all sites in `sitesDir` into an OutputTree, or returns the errors. */
export function renderSites(sitesDir: string): { tree?: OutputTree; errors: string[]; notes: string[] } {
  const { sites, errors } = loadSites(sitesDir);
  if (errors.length > 0) return { errors, notes: [] };
  if (sites.length === 0) return { errors: [`no site files (*.yaml) in ${sitesDir}`], notes: [] };
  const { charts, gitops } = buildApp(sites);
  const notes: string[] = [];
  return { tree: renderCharts(charts, gitops, notes), errors: [], notes };
}

function manifestsOf(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null && typeof m === 'object' && typeof m.kind === 'string' && m.kind !== 'Kustomization');
}

/**
 * What applying `next` over `previous` (the dist/ in Git, so what the cluster runs) would
 * meet: fields the API server refuses to change, and data that GitOps would prune. Only
 * files that changed or went away are read, so an unchanged dist/ costs nothing.
 */
export function transitionProblems(outdir: string, previous: OutputTree, next: OutputTree): string[] {
  const problems: string[] = [];
  for (const [path, before] of previous) {
    if (!path.endsWith('.yaml')) continue;
    const after = next.get(path);
    if (after === before) continue;
    const old = manifestsOf(before);
    const findings =
      after === undefined ? unsafePrunes(old, []) : immutableFieldChanges(old, manifestsOf(after), [...KUBERNETES_RULES, ...CRD_RULES, ...CNPG_WEBHOOK_RULES]);
    for (const f of findings) problems.push(`${outdir}/${path}: ${f.object}: ${f.change}`);
  }
  return problems;
}

export function synthesize(options: SynthOptions): SynthResult {
  let rendered: { tree?: OutputTree; errors: string[]; notes?: string[] };
  try {
    rendered = renderSites(options.sitesDir);
  } catch (e) {
    rendered = { errors: [(e as Error).message] };
  }
  if (!rendered.tree) {
    return { exitCode: 1, messages: [...rendered.errors, `synth failed; ${options.outdir}/ was not changed.`] };
  }
  if (options.check) {
    const diff = diffTrees(rendered.tree, readTree(options.outdir));
    if (diff.length > 0) {
      return { exitCode: 1, messages: [`${options.outdir}/ is stale; run npm run synth and commit the result:`, ...diff.map((d) => `  ${d}`)] };
    }
    return { exitCode: 0, messages: [`${options.outdir}/ is up to date (${rendered.tree.size} files).`] };
  }
  const refused = options.allowReplace ? [] : transitionProblems(options.outdir, readTree(options.outdir), rendered.tree);
  if (refused.length > 0) {
    return {
      exitCode: 1,
      messages: [
        'Kubernetes would refuse to apply this over what is in dist/ now:',
        ...refused.map((r) => `  ${r}`),
        'Fix: change the site back, or delete those objects in the cluster first and run npm run synth -- --allow-replace.',
        `synth failed; ${options.outdir}/ was not changed.`,
      ],
    };
  }
  writeTreeAtomically(options.outdir, rendered.tree);
  return { exitCode: 0, messages: [`wrote ${rendered.tree.size} files to ${options.outdir}/`, ...(rendered.notes ?? [])] };
}
