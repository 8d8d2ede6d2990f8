import { parseAllDocuments } from 'yaml';
import { CRD_RULES, KUBERNETES_RULES, immutableFieldChanges, unsafePrunes } from '../lib/immutable-fields';
import { Manifest } from '../lib/manifest';
import { readFileSync } from 'fs';
import { join } from 'path';
import { OutputTree, StagedOutput, listTree, renderGitOpsChart, renderSiteChart, sortedTree } from './output';
import { GitOpsSite } from '../lib/gitops';
import { formatProblems } from '../lib/problems';
import { ResolvedSite, loadSite } from './resolve-site';
import { siteFiles } from './site';
import { SITE_FILE_NAMES } from './site-keys';
import { buildGitOpsChart, buildSiteChart, gitOpsSite, sortedByName } from './site-chart';

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

/**
 * The files of each site, one site at a time in name order, then the GitOps folder: a
 * site's chart is built, rendered and dropped before the next, so memory does not grow
 * with the fleet.
 */
export function* renderEach(sites: readonly ResolvedSite[]): Generator<OutputTree> {
  const gitops: GitOpsSite[] = [];
  for (const site of sortedByName(sites)) {
    const chart = buildSiteChart(site);
    const g = gitOpsSite(chart);
    if (g) gitops.push(g);
    yield renderSiteChart(chart);
  }
  const chart = buildGitOpsChart(gitops);
  if (chart) yield renderGitOpsChart(chart);
}

/** Renders all sites in `sitesDir` into one OutputTree (sorted by path), or returns the errors. */
export function renderSites(sitesDir: string): { tree?: OutputTree; errors: string[] } {
  const { sites, errors } = loadSites(sitesDir);
  if (errors.length > 0) return { errors };
  if (sites.length === 0) return { errors: [`no site files (*.yaml) in ${sitesDir}`] };
  const tree: OutputTree = new Map();
  for (const files of renderEach(sites)) for (const [path, content] of files) tree.set(path, content);
  return { tree: sortedTree(tree), errors: [] };
}

function manifestsOf(text: string): Manifest[] {
  return parseAllDocuments(text)
    .map((d) => d.toJS() as Manifest | null)
    .filter((m): m is Manifest => m !== null && typeof m === 'object' && typeof m.kind === 'string' && m.kind !== 'Kustomization');
}

/**
 * What applying a file's `after` over its `before` (the dist/ in Git, so what the cluster
 * runs) would meet: fields the API server refuses to change, and data that GitOps would
 * prune when the file goes away (`after` undefined). Callers pass only files that changed.
 */
export function transitionProblems(outdir: string, path: string, before: string, after: string | undefined): string[] {
  const old = manifestsOf(before);
  const findings = after === undefined ? unsafePrunes(old, []) : immutableFieldChanges(old, manifestsOf(after), [...KUBERNETES_RULES, ...CRD_RULES]);
  return findings.map((f) => `${outdir}/${path}: ${f.object}: ${f.change}`);
}

function failed(outdir: string, messages: string[]): SynthResult {
  return { exitCode: 1, messages: [...messages, `synth failed; ${outdir}/ was not changed.`] };
}

/**
 * Validates every site, then renders them one by one, comparing each file with the one in
 * `outdir` (read only when it exists) and, unless `check`, writing it to a staging folder
 * that replaces `outdir` at the end; on any failure `outdir` is left as it was.
 */
export function synthesize(options: SynthOptions): SynthResult {
  const { outdir } = options;
  let sites: ResolvedSite[];
  try {
    const loaded = loadSites(options.sitesDir);
    if (loaded.errors.length > 0) return failed(outdir, loaded.errors);
    sites = loaded.sites;
  } catch (e) {
    return failed(outdir, [(e as Error).message]);
  }
  if (sites.length === 0) return failed(outdir, [`no site files (*.yaml) in ${options.sitesDir}`]);

  const previousPaths = listTree(outdir);
  const previous = new Set(previousPaths);
  const rendered = new Set<string>();
  const differences: [path: string, line: string][] = [];
  const refusals = new Map<string, string[]>();
  const staged = options.check ? undefined : new StagedOutput(outdir);
  try {
    for (const files of renderEach(sites)) {
      for (const [path, content] of files) {
        if (rendered.has(path)) throw new Error(`two objects would be written to dist/${path}: rename one of them`);
        rendered.add(path);
        const before = previous.has(path) ? readFileSync(join(outdir, path), 'utf8') : undefined;
        if (before === undefined) differences.push([path, `missing: ${path}`]);
        else if (before !== content) {
          differences.push([path, `stale:   ${path}`]);
          if (!options.check && !options.allowReplace) refusals.set(path, transitionProblems(outdir, path, before, content));
        }
        staged?.write(path, content);
      }
    }
  } catch (e) {
    staged?.abandon();
    return failed(outdir, [(e as Error).message]);
  }
  const gone = previousPaths.filter((p) => !rendered.has(p));

  if (options.check) {
    const byPath = differences.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, line]) => line);
    const diff = [...byPath, ...gone.map((p) => `extra:   ${p}`)];
    if (diff.length > 0) return { exitCode: 1, messages: [`${outdir}/ is stale; run npm run synth and commit the result:`, ...diff.map((d) => `  ${d}`)] };
    return { exitCode: 0, messages: [`${outdir}/ is up to date (${rendered.size} files).`] };
  }
  if (!options.allowReplace) for (const p of gone) refusals.set(p, transitionProblems(outdir, p, readFileSync(join(outdir, p), 'utf8'), undefined));
  // In dist/'s order, as before this rendered site by site.
  const refused = previousPaths.flatMap((p) => refusals.get(p) ?? []);
  if (refused.length > 0) {
    staged!.abandon();
    return failed(outdir, [
      'Kubernetes would refuse to apply this over what is in dist/ now:',
      ...refused.map((r) => `  ${r}`),
      'Fix: change the site back, or delete those objects in the cluster first and run npm run synth -- --allow-replace.',
    ]);
  }
  staged!.commit();
  return { exitCode: 0, messages: [`wrote ${rendered.size} files to ${outdir}/`] };
}
