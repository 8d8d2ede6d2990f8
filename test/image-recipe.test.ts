import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { parseAllDocuments, stringify } from 'yaml';
import { imageDockerfile } from '../app/image-cli';
import { readTree } from '../app/output';
import { siteFromText } from '../app/resolve-site';
import { SITE_FILE_NAMES } from '../app/site-keys';
import { renderSites, synthesize } from '../app/synth';
import { BUNDLED_PLUGINS, DiscoursePlugin, ROCK_PLUGINS, checkImagePlugins, pluginFolder, renderDockerfile } from '../lib/model/image-recipe';
import { Problem, formatProblems, translateProblem } from '../lib/core/problems';
import { Json } from './fixtures';

const BASE_DIGEST = `sha256:${'1'.repeat(64)}`;
const BUILT_DIGEST = `sha256:${'2'.repeat(64)}`;
const FOLLOW: DiscoursePlugin = { repo: 'https://github.com/discourse/discourse-follow', commit: 'a'.repeat(40) };
const BBCODE: DiscoursePlugin = { repo: 'https://github.com/discourse/discourse-bbcode.git', commit: 'b'.repeat(40) };

/** A site that bakes two plugins into registry.example.com/forum:1.0-plugins. */
const SITE: Json = {
  namespace: 'forum',
  image: {
    repository: 'registry.example.com/forum',
    tag: '1.0-plugins',
    digest: BUILT_DIGEST,
    base: `registry.example.com/discourse:charmhub-r200@${BASE_DIGEST}`,
    plugins: [FOLLOW, BBCODE],
  },
  config: { external_hostname: 'forum.example.com' },
  database: { cloudnativepg: { cluster: 'forum-db' } },
  redis: { host: 'forum-redis' },
  operations: [{ action: 'promote-user', email: 'a@example.com' }],
};

const withImage = (image: Json): Json => ({ ...SITE, image: { ...SITE.image, ...image } });

/** The site-file problems of a site, as the user reads them. */
function problemsOf(site: Json): string[] {
  return siteFromText(stringify(site), 'sites/forum.yaml').problems.map((p) => {
    const t = translateProblem(p, SITE_FILE_NAMES);
    return `${t.path}: ${t.message}. Fix: ${t.fix}`;
  });
}

/** A scratch sites/ with the one site, rendered into dist/. */
function scratch(site: Json = SITE): { dir: string; sites: string; out: string } {
  const dir = mkdtempSync(join(tmpdir(), 'discourse-cdk8s-plugins-'));
  mkdirSync(join(dir, 'sites'));
  writeFileSync(join(dir, 'sites', 'forum.yaml'), stringify(site));
  return { dir, sites: join(dir, 'sites'), out: join(dir, 'dist') };
}

describe('the recipe', () => {
  const { dir, sites } = scratch();
  const tree = renderSites(sites).tree!;
  rmSync(dir, { recursive: true });
  const dockerfile = tree.get('images/forum/Dockerfile')!;

  test('is written next to the site folder, not in it (GitOps applies dist/forum/)', () => {
    expect([...tree.keys()].filter((p) => p.startsWith('images/'))).toEqual(['images/forum/Dockerfile', 'images/forum/README.md']);
    expect([...tree.keys()].filter((p) => p.startsWith('forum/') && !/\.(yaml|md)$/.test(p))).toEqual([]);
  });

  test('starts from the pinned base and builds as the rock’s user in the rock’s app', () => {
    const lines = dockerfile.split('\n');
    expect(lines.filter((l) => l.startsWith('FROM '))).toEqual([`FROM registry.example.com/discourse:charmhub-r200@${BASE_DIGEST}`]);
    expect(lines.filter((l) => l.startsWith('USER '))).toEqual(['USER 584792:584792']);
    expect(lines.filter((l) => l.startsWith('WORKDIR '))).toEqual(['WORKDIR /srv/discourse/app']);
    expect(dockerfile).toContain(`org.opencontainers.image.base.digest="${BASE_DIGEST}"`);
  });

  test('fetches each plugin at its full commit into plugins/<repository name>, and checks what it got', () => {
    for (const [plugin, folder] of [
      [FOLLOW, 'discourse-follow'],
      [BBCODE, 'discourse-bbcode'],
    ] as const) {
      expect(dockerfile).toContain(`git -C plugins/${folder} fetch -q --depth 1 ${plugin.repo} ${plugin.commit}`);
      expect(dockerfile).toContain(`test "$(git -C plugins/${folder} rev-parse HEAD)" = ${plugin.commit}`);
    }
    // No clone of a default branch, no branch name anywhere.
    expect(dockerfile).not.toMatch(/git clone|--branch|\bmain\b|\bmaster\b/);
  });

  test('precompiles the assets at build, without a database or Redis, and downloads no MaxMind data', () => {
    expect(dockerfile).toMatch(/SKIP_DB_AND_REDIS=1 .*\\\n\s+bin\/bundle exec rake assets:precompile\n/);
    expect(dockerfile).toContain('RAILS_ENV=production');
    expect(dockerfile).toContain('DISCOURSE_REFRESH_MAXMIND_DB_DURING_PRECOMPILE_DAYS=0');
  });

  test('its README says how to build, push and pin, to the site’s own repository:tag', () => {
    const readme = tree.get('images/forum/README.md')!;
    expect(readme).toContain('docker buildx build --platform linux/amd64 -t registry.example.com/forum:1.0-plugins --push dist/images/forum');
    expect(readme).toContain('podman build --platform linux/amd64 -t registry.example.com/forum:1.0-plugins dist/images/forum');
    expect(readme).toContain("skopeo inspect --format '{{.Digest}}' docker://registry.example.com/forum:1.0-plugins");
    expect(readme).toContain(`\`${FOLLOW.commit}\``);
  });

  test('nothing installs at run time: pods run the built image by digest and never run git', () => {
    const manifests = [...tree.entries()]
      .filter(([p]) => p.startsWith('forum/') && p.endsWith('.yaml') && !p.endsWith('kustomization.yaml'))
      .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS() as Json));
    const pods = manifests.filter((m) => m.spec?.template?.spec).map((m) => ({ name: `${m.kind}/${m.metadata.name}`, pod: m.spec.template.spec }));
    expect(pods.map((p) => p.name)).toEqual(expect.arrayContaining(['Deployment/forum']));
    const containers = pods.flatMap((p) => [...(p.pod.initContainers ?? []), ...p.pod.containers].map((c: Json): Json => ({ ...c, owner: p.name })));
    const discourse = containers.filter((c) => c.image.startsWith('registry.example.com/forum'));
    expect(discourse.filter((c) => c.image !== `registry.example.com/forum:1.0-plugins@${BUILT_DIGEST}`).map((c) => c.owner)).toEqual([]);
    expect(containers.filter((c) => /\bgit\b|plugin:install|gem install/.test(JSON.stringify([c.command, c.args]))).map((c) => c.owner)).toEqual([]);
    expect(manifests.filter((m) => /git clone|discourse-follow/.test(JSON.stringify(m))).map((m) => `${m.kind}/${m.metadata.name}`)).toEqual([]);
  });

  test('the checklist says the image must be built first', () => {
    expect(tree.get('forum/README.md')).toMatch(/\| the image with its plugins, built from `dist\/images\/forum\/` and pushed \| yes \|/);
  });

  test('a site without plugins has no recipe and no such row', () => {
    const { dir: d, sites: s } = scratch(withImage({ plugins: undefined, base: undefined, digest: undefined }));
    const plain = renderSites(s).tree!;
    rmSync(d, { recursive: true });
    expect([...plain.keys()].filter((p) => p.startsWith('images/'))).toEqual([]);
    expect(plain.get('forum/README.md')).not.toContain('the image with its plugins');
  });
});

describe('the recipe is generated output', () => {
  test('it is byte-identical across runs', () => {
    const { dir, sites } = scratch();
    const a = renderSites(sites).tree!;
    const b = renderSites(sites).tree!;
    rmSync(dir, { recursive: true });
    expect(a.get('images/forum/Dockerfile')).toBeDefined();
    expect([...a.entries()]).toEqual([...b.entries()]);
  });

  test('--check fails when the recipe is stale, and synth writes it back', () => {
    // GIVEN
    const s = scratch();
    expect(synthesize({ sitesDir: s.sites, outdir: s.out }).exitCode).toBe(0);
    writeFileSync(join(s.out, 'images', 'forum', 'Dockerfile'), 'FROM somewhere-else\n');
    // WHEN
    const check = synthesize({ sitesDir: s.sites, outdir: s.out, check: true });
    // THEN
    expect(check.exitCode).toBe(1);
    expect(check.messages).toContain('  stale:   images/forum/Dockerfile');
    expect(synthesize({ sitesDir: s.sites, outdir: s.out }).exitCode).toBe(0);
    expect(readTree(s.out).get('images/forum/Dockerfile')).toMatch(/^# Generated by discourse-cdk8s/);
    rmSync(s.dir, { recursive: true });
  });

  test('removing the plugins removes the recipe', () => {
    const s = scratch();
    expect(synthesize({ sitesDir: s.sites, outdir: s.out }).exitCode).toBe(0);
    writeFileSync(join(s.sites, 'forum.yaml'), stringify(withImage({ plugins: undefined, base: undefined })));
    expect(synthesize({ sitesDir: s.sites, outdir: s.out }).exitCode).toBe(0);
    expect([...readTree(s.out).keys()].filter((p) => p.startsWith('images/'))).toEqual([]);
    rmSync(s.dir, { recursive: true });
  });
});

describe('image.plugins is checked at the boundary', () => {
  test.each([
    [
      'a plugin is bundled with Discourse core, with the reason',
      withImage({ plugins: [FOLLOW, { repo: 'https://github.com/discourse/discourse-solved', commit: 'c'.repeat(40) }] }),
      /^image\.plugins\[1\]\.repo: discourse-solved is part of Discourse core now \(BUNDLED_PLUGINS in discourse_docker's launcher\)\. Fix: remove it; the bundled copy is in the image already/,
    ],
    [
      'discourse-ai is listed: bundled, and the rock removes it',
      withImage({ plugins: [{ repo: 'https://github.com/discourse/discourse-ai.git', commit: 'c'.repeat(40) }] }),
      /^image\.plugins\[0\]\.repo: discourse-ai is part of Discourse core now.*Fix: remove it; this rock removes its bundled copy/,
    ],
    [
      'a plugin is baked into the rock already',
      withImage({ plugins: [{ repo: 'https://github.com/discourse/discourse-prometheus', commit: 'c'.repeat(40) }] }),
      /^image\.plugins\[0\]\.repo: discourse-prometheus is baked into the rock already/,
    ],
    [
      'a branch instead of a commit',
      withImage({ plugins: [{ ...FOLLOW, commit: 'main' }] }),
      /^image\.plugins\[0\]\.commit: "main" is not a commit \(a branch or tag moves/,
    ],
    ['a tag instead of a commit', withImage({ plugins: [{ ...FOLLOW, commit: 'v1.2.0' }] }), /^image\.plugins\[0\]\.commit: "v1\.2\.0" is not a commit/],
    ['an abbreviated commit', withImage({ plugins: [{ ...FOLLOW, commit: 'abc1234' }] }), /^image\.plugins\[0\]\.commit: "abc1234" is an abbreviated commit/],
    [
      'an http URL',
      withImage({ plugins: [{ ...FOLLOW, repo: 'http://github.com/discourse/discourse-follow' }] }),
      /^image\.plugins\[0\]\.repo: "http:.*" is not an https Git URL/,
    ],
    [
      'an ssh URL',
      withImage({ plugins: [{ ...FOLLOW, repo: 'git@github.com:discourse/discourse-follow.git' }] }),
      /^image\.plugins\[0\]\.repo: .* is not an https Git URL/,
    ],
    [
      'a URL with a token (never shown)',
      withImage({ plugins: [{ ...FOLLOW, repo: 'https://x:ghp_secret@github.com/discourse/discourse-follow' }] }),
      /^image\.plugins\[0\]\.repo: \(a URL with credentials, value hidden\) is not an https Git URL/,
    ],
    [
      'the same plugin twice',
      withImage({ plugins: [FOLLOW, { ...FOLLOW, repo: `${FOLLOW.repo}.git` }] }),
      /^image\.plugins\[1\]\.repo: "discourse-follow" is also image\.plugins\[0\]/,
    ],
    [
      'the digest is missing',
      withImage({ digest: undefined }),
      /^image\.digest: is required with image\.plugins.*Fix: build and push it first \(npm run -s image -- <site>/,
    ],
    ['the digest is the base’s', withImage({ digest: BASE_DIGEST }), /^image\.digest: is the digest of image\.base, the rock without the plugins/],
    ['the base is missing', withImage({ base: undefined }), /^image\.base: is required with image\.plugins/],
    [
      'the base is not pinned by digest',
      withImage({ base: 'registry.example.com/discourse:charmhub-r200' }),
      /^image\.base: .* is not pinned as repository:tag@sha256/,
    ],
    ['a base without plugins', withImage({ plugins: undefined }), /^image\.base: is only used with image\.plugins/],
    ['a plugin lacks its commit', withImage({ plugins: [{ repo: FOLLOW.repo }] }), /^image\.plugins\[0\]\.commit: is required/],
    ['a plugin has an unknown key', withImage({ plugins: [{ ...FOLLOW, branch: 'main' }] }), /^image\.plugins\[0\]\.branch: is not a known key/],
  ])('fails if %s', (_what, site, expected) => {
    const problems = problemsOf(site);
    expect(problems.filter((p) => expected.test(p))).toHaveLength(1);
  });

  test('one mistake is one message (a missing commit is not also "not a commit")', () => {
    expect(problemsOf(withImage({ plugins: [{ repo: FOLLOW.repo }] }))).toHaveLength(1);
  });

  test('fails if a site is named images (synth’s folder for the recipes)', () => {
    const s = scratch({ ...SITE, name: 'images' });
    const result = synthesize({ sitesDir: s.sites, outdir: s.out });
    rmSync(s.dir, { recursive: true });
    expect(result.exitCode).toBe(1);
    expect(result.messages.join('\n')).toMatch(/name: "images" is the name of a folder synth writes in dist\//);
  });

  test('the TypeScript API gets the same checks, in its own words', () => {
    const problems: Problem[] = [];
    checkImagePlugins({ plugins: [{ repo: 'https://github.com/discourse/discourse-reactions', commit: 'x' }] }, problems);
    expect(formatProblems('forum', problems)).toMatch(/image\.plugins\[0\]\.repo: discourse-reactions is part of Discourse core now/);
    expect(problems.map((p) => p.path)).toEqual(['image.plugins[0].commit', 'image.plugins[0].repo', 'image.base', 'image.digest']);
  });
});

describe('the plugin lists', () => {
  test.each([
    ['https://github.com/discourse/discourse-follow', 'discourse-follow'],
    ['https://github.com/discourse/discourse-follow.git', 'discourse-follow'],
    ['https://gitlab.example.com/group/sub/my-plugin/', 'my-plugin'],
  ])('%s goes to plugins/%s', (repo, folder) => {
    expect(pluginFolder(repo)).toBe(folder);
  });

  test('launcher’s BUNDLED_PLUGINS as of e071c2c (32 names, old names included)', () => {
    expect(Object.keys(BUNDLED_PLUGINS)).toHaveLength(32);
    expect(Object.keys(BUNDLED_PLUGINS)).toEqual(
      expect.arrayContaining([
        'discourse-solved',
        'discourse-reactions',
        'discourse-ai',
        'discourse-data-explorer',
        'discourse-staff-notes',
        'discourse-question-answer',
      ]),
    );
  });

  test('the rock’s five plugins, none of them bundled', () => {
    expect(Object.keys(ROCK_PLUGINS).sort()).toEqual([
      'discourse-markdown-note',
      'discourse-mermaid-theme-component',
      'discourse-prometheus',
      'discourse-saml',
      'discourse-signatures',
    ]);
    expect(Object.keys(ROCK_PLUGINS).filter((name) => name in BUNDLED_PLUGINS)).toEqual([]);
  });
});

describe('npm run image (the first build, before the digest exists)', () => {
  test('prints the Dockerfile synth will write, without needing the digest', () => {
    // GIVEN
    const s = scratch(withImage({ digest: undefined }));
    // WHEN
    const result = imageDockerfile(s.sites, ['forum']);
    rmSync(s.dir, { recursive: true });
    // THEN
    expect(result.error).toBeUndefined();
    const recipe = { base: SITE.image.base as string, plugins: [FOLLOW, BBCODE], target: 'registry.example.com/forum:1.0-plugins' };
    expect(result.output).toBe(renderDockerfile(recipe, 'sites/forum.yaml'));
  });

  test('fails if a plugin is wrong, at its line', () => {
    const s = scratch(withImage({ plugins: [{ ...FOLLOW, commit: 'main' }] }));
    const result = imageDockerfile(s.sites, ['forum']);
    rmSync(s.dir, { recursive: true });
    expect(result.error).toMatch(/forum\.yaml:\d+:\d+: image\.plugins\[0\]\.commit: "main" is not a commit/);
  });

  test('fails if the site has no plugins, or is not there', () => {
    const s = scratch(withImage({ plugins: undefined, base: undefined }));
    expect(imageDockerfile(s.sites, ['forum']).error).toMatch(/image\.plugins: lists no plugins/);
    expect(imageDockerfile(s.sites, ['other']).error).toMatch(/no site named "other"/);
    expect(imageDockerfile(s.sites, []).error).toMatch(/^usage: npm run -s image -- <site>/);
    rmSync(s.dir, { recursive: true });
  });
});
