import { APP_DIR, APP_HOME, APP_UID, APP_USER } from '../core/paths';
import { Problem, opt, show } from '../core/problems';

/**
 * Plugins baked into a pinned image, never installed at run time: the rules (pure) and the
 * build recipe, a Dockerfile on top of the rock and a README that says how to build, push
 * and pin it. The pod runs the built image by digest; nothing in it clones or installs.
 */

/** A Discourse plugin at a pinned commit. */
export interface DiscoursePlugin {
  /**
   * https URL of the plugin's Git repository. Its last path segment, without `.git`, names
   * the folder under `plugins/` (as `git clone` in discourse_docker's app.yml would).
   */
  readonly repo: string;
  /**
   * The full 40-hex commit to build; not a branch, tag or abbreviated hash, so a rebuild
   * gives the same plugin.
   */
  readonly commit: string;
}

/** What the recipe builds: the rock it starts from, the plugins, and where the result goes. */
export interface ImageRecipe {
  /** The rock, `repository:tag@sha256:…`: the Dockerfile's FROM. */
  readonly base: string;
  readonly plugins: readonly DiscoursePlugin[];
  /** `repository:tag` the built image is pushed to (the site's image without its digest). */
  readonly target: string;
}

/**
 * Plugins now part of Discourse core: discourse_docker's `launcher`, BUNDLED_PLUGINS, at
 * e071c2c8ebf8a93c1fba4e16fbb7168a2a9201bd (2026-08-03); the launcher refuses a container
 * that clones one (https://meta.discourse.org/t/373574). Repository name → a note.
 */
export const BUNDLED_PLUGINS: Readonly<Record<string, string>> = {
  'discourse-reactions': '',
  'discourse-apple-auth': '',
  'discourse-login-with-amazon': '',
  'discourse-lti': '',
  'discourse-microsoft-auth': '',
  'discourse-oauth2-basic': '',
  'discourse-openid-connect': '',
  'discourse-zendesk-plugin': '',
  'discourse-patreon': '',
  'discourse-graphviz': '',
  'discourse-rss-polling': '',
  'discourse-math': '',
  'discourse-chat-integration': '',
  'discourse-data-explorer': '',
  'discourse-post-voting': '',
  'discourse-user-notes': '',
  'discourse-staff-notes': ' (the old name of discourse-user-notes)',
  'discourse-assign': '',
  'discourse-subscriptions': '',
  'discourse-hcaptcha': '',
  'discourse-gamification': '',
  'discourse-calendar': '',
  'discourse-question-answer': ' (the old name of discourse-post-voting)',
  'discourse-adplugin': '',
  'discourse-affiliate': '',
  'discourse-github': '',
  'discourse-templates': '',
  'discourse-topic-voting': '',
  'discourse-policy': '',
  'discourse-solved': '',
  'discourse-ai': '',
  'discourse-cakeday': '',
};

/**
 * Bundled plugins the rock deletes when it is built (rockcraft.yaml, part discourse,
 * `prime: -srv/discourse/app/plugins/discourse-ai`): name → what to do instead.
 */
export const ROCK_REMOVES: Readonly<Record<string, string>> = {
  'discourse-ai': 'this rock removes its bundled copy (rockcraft.yaml, part discourse: prime); to run it, build the rock without that line',
};

/**
 * Plugins the rock already bakes, each at a pinned commit: repository name → its folder
 * under plugins/ (canonical/discourse-k8s-operator discourse_rock/rockcraft.yaml at
 * a4ac43e73a829a96ceb6f7e592fb1b8045ddfbb1).
 */
export const ROCK_PLUGINS: Readonly<Record<string, string>> = {
  'discourse-markdown-note': 'markdown-note',
  'discourse-mermaid-theme-component': 'discourse-mermaid-theme-component',
  'discourse-saml': 'discourse-saml',
  'discourse-prometheus': 'discourse-prometheus',
  'discourse-signatures': 'discourse-signatures',
};

const COMMIT = /^[0-9a-f]{40}$/;
const FOLDER = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;
/** `repository:tag@sha256:…`, the only form a base may take. */
const PINNED_REFERENCE = /^([^\s@]+):([^\s:/@]+)@(sha256:[a-f0-9]{64})$/;

/** The folder a plugin gets under plugins/: the repository's last path segment without `.git`. */
export function pluginFolder(repo: string): string {
  return (repo.replace(/\/+$/, '').split('/').pop() ?? '').replace(/\.git$/, '');
}

function checkRepo(repo: unknown, path: string, problems: Problem[]): boolean {
  let url: URL | undefined;
  try {
    url = typeof repo === 'string' ? new URL(repo) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || url.protocol !== 'https:' || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    // Credentials in a URL would be written into the recipe and the image's history: never show them.
    const shown = url && (url.username !== '' || url.password !== '') ? '(a URL with credentials, value hidden)' : show(repo);
    problems.push({
      path,
      message: `${shown} is not an https Git URL`,
      fix: 'write https://host/owner/name(.git), without credentials (the build fetches it; a private plugin needs a build secret, not a URL with a token)',
    });
    return false;
  }
  if (!FOLDER.test(pluginFolder(repo as string)) || url.pathname.replace(/\/+$/, '').split('/').length < 2) {
    problems.push({ path, message: `${show(repo)} names no repository`, fix: 'write https://host/owner/name' });
    return false;
  }
  return true;
}

function checkCommit(commit: unknown, path: string, problems: Problem[]): void {
  if (typeof commit === 'string' && COMMIT.test(commit)) return;
  const hex = typeof commit === 'string' && /^[0-9a-fA-F]+$/.test(commit);
  const message =
    hex && (commit as string).length < 40
      ? `${show(commit)} is an abbreviated commit`
      : hex && (commit as string).length === 40
        ? `${show(commit)} is in upper case`
        : `${show(commit)} is not a commit (a branch or tag moves; the image must not)`;
  problems.push({ path, message, fix: 'write the full 40-character lowercase hash: git ls-remote <repo> <branch-or-tag>, or git rev-parse on a checkout' });
}

/**
 * The rules of `image.plugins` and `image.base`, and the digest the site's image then needs.
 * `digest` is the site image's; problems use prop paths (`image.plugins[0].commit`).
 */
export function checkImagePlugins(
  image: { readonly plugins?: readonly DiscoursePlugin[]; readonly base?: string; readonly digest?: string },
  problems: Problem[],
  options: { readonly requireDigest?: boolean } = {},
): void {
  const { plugins, base, digest } = image;
  if (plugins === undefined || plugins.length === 0) {
    if (base !== undefined)
      problems.push({ path: 'image.base', message: `is only used with ${opt('image.plugins')}`, fix: 'remove it, or list the plugins to bake' });
    return;
  }
  const folders = new Map<string, number>();
  plugins.forEach((plugin, i) => {
    const p = `image.plugins[${i}]`;
    const repoOk = checkRepo(plugin.repo, `${p}.repo`, problems);
    checkCommit(plugin.commit, `${p}.commit`, problems);
    if (!repoOk) return;
    const name = pluginFolder(plugin.repo);
    if (name in BUNDLED_PLUGINS)
      problems.push({
        path: `${p}.repo`,
        message: `${name} is part of Discourse core now (BUNDLED_PLUGINS in discourse_docker's launcher)${BUNDLED_PLUGINS[name]}`,
        fix: `remove it; ${ROCK_REMOVES[name] ?? 'the bundled copy is in the image already: enable it in the admin settings'}`,
      });
    else if (name in ROCK_PLUGINS)
      problems.push({
        path: `${p}.repo`,
        message: `${name} is baked into the rock already, at a commit its rockcraft.yaml pins (plugins/${ROCK_PLUGINS[name]})`,
        fix: 'remove it; to change its commit, build the rock from a changed rockcraft.yaml',
      });
    const other = folders.get(name.toLowerCase());
    if (other !== undefined)
      problems.push({ path: `${p}.repo`, message: `${show(name)} is also image.plugins[${other}]: both would be plugins/${name}`, fix: 'keep one of them' });
    else folders.set(name.toLowerCase(), i);
  });
  const pinned = typeof base === 'string' ? PINNED_REFERENCE.exec(base) : null;
  if (!pinned)
    problems.push({
      path: 'image.base',
      message: base === undefined ? `is required with ${opt('image.plugins')}` : `${show(base)} is not pinned as repository:tag@sha256:<64 hex>`,
      fix: 'name the rock the plugins are baked onto, with its digest (docs/image.md)',
    });
  if (options.requireDigest === false) return;
  if (digest === undefined)
    problems.push({
      path: 'image.digest',
      message: `is required with ${opt('image.plugins')}: the pods must run the image built from the recipe, not whatever the tag points at`,
      fix: `build and push it first (npm run -s image -- <site> prints the Dockerfile; docs/image.md#plugins), then write its digest here`,
    });
  else if (pinned && DIGEST.test(digest) && pinned[3] === digest)
    problems.push({
      path: 'image.digest',
      message: `is the digest of ${opt('image.base')}, the rock without the plugins`,
      fix: 'write the digest of the image built from the recipe (skopeo inspect --format "{{.Digest}}" docker://<image>:<tag>)',
    });
}

/** The recipe's Dockerfile: deterministic, one RUN per plugin, then one asset build. */
export function renderDockerfile(recipe: ImageRecipe, source: string): string {
  const [, , , baseDigest] = PINNED_REFERENCE.exec(recipe.base) ?? [];
  const baseName = recipe.base.replace(/@sha256:[a-f0-9]{64}$/, '');
  const lines = [
    `# Generated by discourse-cdk8s from ${source}. Do not edit: change image.plugins and run npm run synth.`,
    '# How to build, push and pin this image: README.md next to this file. Nothing here runs in the pod.',
    `FROM ${recipe.base}`,
    `LABEL org.opencontainers.image.base.name="${baseName}" \\`,
    `      org.opencontainers.image.base.digest="${baseDigest ?? ''}"`,
    `# The rock's user (${APP_USER}, ${APP_UID}) owns ${APP_DIR}: build as that user, never as root.`,
    `USER ${APP_UID}:${APP_UID}`,
    `WORKDIR ${APP_DIR}`,
  ];
  for (const plugin of recipe.plugins) {
    const dir = `plugins/${pluginFolder(plugin.repo)}`;
    lines.push(
      `# ${pluginFolder(plugin.repo)} at ${plugin.commit} (a fetch by commit: a moved branch cannot change the build).`,
      `RUN git init -q ${dir} \\`,
      ` && git -C ${dir} fetch -q --depth 1 ${plugin.repo} ${plugin.commit} \\`,
      ` && git -C ${dir} -c advice.detachedHead=false checkout -q FETCH_HEAD \\`,
      ` && test "$(git -C ${dir} rev-parse HEAD)" = ${plugin.commit}`,
    );
  }
  lines.push(
    '# Without a database or Redis (Discourse: SKIP_DB_AND_REDIS=1; the CSS is built on first request, as in the',
    '# rock, whose throw-away PostgreSQL has no tables). Loading the app installs the gems each plugin.rb declares',
    '# into plugins/<name>/gems (PluginGem.load), so the pod installs none; no MaxMind download at build.',
    `RUN HOME=${APP_HOME} RAILS_ENV=production SKIP_DB_AND_REDIS=1 DISCOURSE_REFRESH_MAXMIND_DB_DURING_PRECOMPILE_DAYS=0 \\`,
    '    bin/bundle exec rake assets:precompile',
    '',
  );
  return lines.join('\n');
}

/** The recipe's README: what the image is, and the commands that build, push and pin it. */
export function renderRecipeReadme(recipe: ImageRecipe, site: string, source: string): string {
  const rows = recipe.plugins.map((p) => `| \`${pluginFolder(p.repo)}\` | ${p.repo} | \`${p.commit}\` |`);
  return [
    `# ${site}: the Discourse image with its plugins`,
    '',
    `Generated by discourse-cdk8s from ${source}. The pods of \`dist/${site}/\` run this image by digest; it must be built and pushed before the first sync, and again after every change of \`image.plugins\` or \`image.base\`.`,
    '',
    `Base: \`${recipe.base}\`. Plugins, each fetched at its commit into \`${APP_DIR}/plugins/<folder>\`:`,
    '',
    '| folder | repository | commit |',
    '|---|---|---|',
    ...rows,
    '',
    'Build and push (amd64, as the rock; the asset build runs Ember with a Node heap of 2 GB or more, so give the builder 4 GB; it fetches from the plugin hosts and rubygems.org):',
    '',
    '```sh',
    `docker buildx build --platform linux/amd64 -t ${recipe.target} --push dist/images/${site}`,
    `# or: podman build --platform linux/amd64 -t ${recipe.target} dist/images/${site} && podman push ${recipe.target}`,
    `skopeo inspect --format '{{.Digest}}' docker://${recipe.target}`,
    '```',
    '',
    `Then write that digest as \`image.digest\` in ${source} and run \`npm run synth\`: a new digest renames the migration Jobs, so the plugins' migrations run before the new pods start.`,
    '',
  ].join('\n');
}
