import { basename, dirname, join } from 'path';
import { checkImagePlugins, renderDockerfile } from '../lib/model/image-recipe';
import { Problem, formatProblems, translateProblem } from '../lib/core/problems';
import { readSite, siteFiles } from './site';
import { SITE_FILE_NAMES } from './site-keys';
import { withPositions } from './source-positions';

/**
 * `npm run -s image -- <site>`: the Dockerfile of a site's plugins on stdout, checked as synth
 * checks it but without the digest, which is what the first build is for (synth writes the
 * same file to dist/images/<site>/ once the site pins the built image).
 */
export function imageDockerfile(
  sitesDir: string,
  argv: readonly string[],
  prog = 'npm run -s image --',
): { output?: string; error?: string; /** the error is a usage error (exit 2) */ usage?: true } {
  const [siteName, ...rest] = argv;
  if (!siteName || rest.length > 0)
    return { error: `usage: ${prog} <site> | docker buildx build --platform linux/amd64 -t <image>:<tag> --push -`, usage: true };
  const found = siteFiles(sitesDir)
    .map((file) => ({ file, ...readSite(file) }))
    .find(({ site }) => site?.name === siteName);
  if (!found?.site) return { error: `no site named ${JSON.stringify(siteName)} in ${sitesDir}` };
  const image = found.site.props.image;
  const parsed = found.problems.filter((p) => p.path.startsWith('image'));
  const rules: Problem[] = [];
  if (!image?.plugins?.length) rules.push({ path: 'image.plugins', message: 'lists no plugins', fix: 'add { repo, commit } entries' });
  else checkImagePlugins(image, rules, { requireDigest: false });
  // A value the reader refused is not reported again; the rest get their line and column.
  const fresh = rules.filter((p) => !parsed.some((q) => q.path === translateProblem(p, SITE_FILE_NAMES).path));
  const problems = [...parsed, ...withPositions(fresh, found.source.doc, found.source.lines, (p) => translateProblem(p, SITE_FILE_NAMES).path)];
  if (problems.length > 0) return { error: formatProblems(found.file, problems, SITE_FILE_NAMES) };
  return {
    output: renderDockerfile(
      { base: image.base!, plugins: image.plugins!, target: `${image.repository}:${image.tag}` },
      join(basename(dirname(found.file)), basename(found.file)),
    ),
  };
}
