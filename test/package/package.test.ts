import { SpawnSyncReturns, spawnSync } from 'child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { App } from 'cdk8s';
import { COMMANDS } from '../../app/cli';
import { OutputTree, diffTrees, readTree } from '../../app/output';
import { SCHEMA_FILE } from '../../app/site-schema';
import { synthesize } from '../../app/synth';
import { synthesizeSites } from '../../app/typescript-sites';
import { forumChart } from '../../examples/forum';
import { SITES } from '../../examples/sites';

/**
 * The package as users get it: `npm pack`, then empty projects that install the tarball and
 * the registry's dependencies (nothing of this repository's node_modules), and do there what
 * the README says: init, synth, synth --check, every --help, a TypeScript app importing the
 * library under node, ts-node and cdk8s synth, and an upgrade to a second packed version.
 * The tools that are not under test (tsc, ts-node, cdk8s-cli) are this repository's.
 */
const ROOT = join(__dirname, '..', '..');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'sites', 'example.yaml');
const BIN = (dir: string) => join(dir, 'node_modules', '.bin', 'discourse-cdk8s');

/** The CLI's code cache (build/cli.js), here rather than in ~/.cache. */
const CODE_CACHE = mkdtempSync(join(tmpdir(), 'discourse-package-v8-'));
/** The environment without npm's settings from the `npm run` that started jest, nor cdk8s's folder. */
const ENV: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_') && k !== 'CDK8S_OUTDIR' && k !== 'SITES_DIR')),
  CDK8S_CHECK_UPGRADE: 'false',
  DISCOURSE_CDK8S_CACHE: CODE_CACHE,
};

function run(command: string, args: readonly string[], cwd: string, extra: NodeJS.ProcessEnv = {}, input?: string): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env: { ...ENV, ...extra }, encoding: 'utf8', input, maxBuffer: 64 * 1024 * 1024 });
}

/** Runs and fails, naming the command and its output, unless it exits 0. */
function ok(command: string, args: readonly string[], cwd: string, extra: NodeJS.ProcessEnv = {}): string {
  const r = run(command, args, cwd, extra);
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} (in ${cwd}) exited ${r.status}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** npm from the registry (cached packages first, as CI's npm ci does), never this repository's node_modules. */
const npm = (args: readonly string[], cwd: string) => ok('npm', [...args, '--no-audit', '--no-fund', '--prefer-offline'], cwd);

/** `npm pack` of `dir` into `into`; returns the tarball's path. prepack builds it. */
function pack(dir: string, into: string): string {
  const out = ok('npm', ['pack', '--pack-destination', into, '--json'], dir);
  const [{ filename }] = JSON.parse(out.slice(out.indexOf('['))) as { filename: string }[];
  return join(into, filename);
}

/** A tree without the folders a tool keeps for itself. */
function projectFiles(dir: string): OutputTree {
  return new Map([...readTree(dir)].filter(([p]) => !/^(node_modules|\.cache)\//.test(p)));
}

/** This repository's rendering of a folder of site files (the source, in this process). */
function repoRendering(sitesDir: string): OutputTree {
  const out = mkdtempSync(join(tmpdir(), 'discourse-repo-render-'));
  const result = synthesize({ sitesDir, outdir: join(out, 'dist') });
  if (result.exitCode !== 0) throw new Error(result.messages.join('\n'));
  const tree = readTree(join(out, 'dist'));
  rmSync(out, { recursive: true });
  return tree;
}

let work: string;
let tarball: string;
let project: string;

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'discourse-package-'));
  tarball = pack(ROOT, work);
  // GIVEN a site repository made as the README says: npx discourse-cdk8s init (here from the tarball, the registry's stand-in)
  ok('npm', ['exec', '--yes', '--prefer-offline', `--package=${tarball}`, '--', 'discourse-cdk8s', 'init', 'forum-sites'], work);
  project = join(work, 'forum-sites');
  // The pinned version is not on the registry: install the tarball instead, then CI's `npm ci` from the lockfile it wrote.
  npm(['install', '--save-dev', '--save-exact', tarball], project);
  rmSync(join(project, 'node_modules'), { recursive: true });
  npm(['ci'], project);
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  rmSync(CODE_CACHE, { recursive: true, force: true });
});

describe('the tarball', () => {
  const files = () =>
    ok('tar', ['tzf', tarball], work)
      .split('\n')
      .filter(Boolean)
      .map((f) => f.replace(/^package\//, ''));

  test('fails if it holds a test, a fixture, a site, dist/, bench, CI or TypeScript sources', () => {
    const wrong = files().filter(
      (f) => /(^|\/)(test|tests|fixtures|sites|dist|bench|\.ci|\.cache|examples|scripts)\//.test(f) || /\.test\.|(?<!\.d)\.ts$/.test(f),
    );
    expect(wrong).toEqual([]);
  });

  test('holds the compiled library with declarations and source maps, the bundled CLI, the schema and the docs', () => {
    const list = new Set(files());
    const missing = [
      'build/lib/index.js',
      'build/lib/index.d.ts',
      'build/lib/index.js.map',
      'build/lib/discourse.js',
      'build/app/typescript-sites.js',
      'build/app/typescript-sites.d.ts',
      'build/cli.js',
      'build/cli-bundle.js',
      'build/cli-bundle.js.map',
      SCHEMA_FILE,
      'package.json',
      'README.md',
      // the pages the README links and the program's messages name (docs/<page>.md)
      'docs/getting-started.md',
      'docs/reference.md',
    ].filter((f) => !list.has(f));
    expect(missing).toEqual([]);
  });

  test('its package.json declares what the library needs as peers (cdk8s, constructs) and the CLI as bin', () => {
    const manifest = JSON.parse(readFileSync(join(project, 'node_modules', 'discourse-cdk8s', 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.private).toBeUndefined();
    expect(Object.keys(manifest.peerDependencies as object).sort()).toEqual(['cdk8s', 'constructs']);
    expect(manifest.dependencies).not.toHaveProperty('cdk8s');
    expect(manifest.bin).toEqual({ 'discourse-cdk8s': 'build/cli.js' });
  });
});

describe('a site repository from init', () => {
  test('has the files the README lists, pins this version, and its site file names the schema it ships', () => {
    const version = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    const tree = readTree(project);
    const paths = [...tree.keys()].filter((p) => !p.startsWith('node_modules/'));
    expect(paths).toEqual(
      expect.arrayContaining(['package.json', 'package-lock.json', 'sites/forum.yaml', SCHEMA_FILE, '.github/workflows/synth.yaml', '.gitignore', 'README.md']),
    );
    expect(tree.get(SCHEMA_FILE)).toBe(readFileSync(join(ROOT, SCHEMA_FILE), 'utf8'));
    expect(tree.get('sites/forum.yaml')).toMatch(/^# yaml-language-server: \$schema=\.\.\/schema\/site\.schema\.json\n/);
    expect(tree.get('.github/workflows/synth.yaml')).toContain('npx discourse-cdk8s synth --check');
    expect(ok(BIN(project), ['--version'], project)).toBe(`${version}\n`);
  });

  test('init refuses a folder that has its files, and writes nothing', () => {
    const before = projectFiles(project);
    const r = run(BIN(project), ['init', '.'], project);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/package\.json, sites\/forum\.yaml, .* exist already; init writes a new repository and never overwrites/);
    expect(diffTrees(before, projectFiles(project))).toEqual([]);
  });

  test('the fresh site file fails synth on the one thing to fill in, naming file and key, and writes nothing', () => {
    const r = run(BIN(project), ['synth'], project);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/sites\/forum\.yaml:\d+:\d+: config\.external_hostname/);
    expect(existsSync(join(project, 'dist'))).toBe(false);
  });

  test('synth renders the same dist/ as this repository, byte for byte; synth --check passes, then fails on a change', () => {
    // GIVEN the fresh site with its hostname, and the repository's example site beside it
    const forum = join(project, 'sites', 'forum.yaml');
    writeFileSync(forum, readFileSync(forum, 'utf8').replace('external_hostname: ""', 'external_hostname: forum.example.com'));
    cpSync(FIXTURE, join(project, 'sites', 'example.yaml'));
    // WHEN the repository's two commands run (npm ci above, then synth)
    const out = ok(BIN(project), ['synth'], project);
    // THEN
    expect(out).toMatch(/forum/);
    expect(diffTrees(repoRendering(join(project, 'sites')), readTree(join(project, 'dist')))).toEqual([]);
    expect(ok(BIN(project), ['synth', '--check'], project)).toMatch(/dist\/ is up to date/);
    expect(ok('npm', ['run', '-s', 'synth:check'], project)).toMatch(/dist\/ is up to date/);
    // the runs above wrote V8's code cache, and the runs that read it gave the same answers
    expect(readdirSync(CODE_CACHE).length).toBeGreaterThan(0);
    writeFileSync(forum, readFileSync(forum, 'utf8').replace('force_https: true', 'force_https: false'));
    const stale = run(BIN(project), ['synth', '--check'], project);
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(/dist\/ is stale/);
    writeFileSync(forum, readFileSync(forum, 'utf8').replace('force_https: false', 'force_https: true'));
  });

  test('schema from the package (its declaration files, no TypeScript sources) is the repository schema; - is stdout', () => {
    expect(ok(BIN(project), ['schema', '--out', '-'], project)).toBe(readFileSync(join(ROOT, SCHEMA_FILE), 'utf8'));
    expect(run(BIN(project), ['schema', '--check'], project).status).toBe(0);
  });

  test('from-juju reads - as stdin', () => {
    const juju = 'application: discourse-k8s\nsettings:\n  external_hostname: { default: "", source: user, type: string, value: forum.example.com }\n';
    const r = run(BIN(project), ['from-juju', '--namespace', 'forum', '-'], project, {}, juju);
    expect({ status: r.status, error: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, error: '' });
    expect(r.stdout).toMatch(/external_hostname: forum\.example\.com/);
  });
});

describe('every command of the installed CLI', () => {
  const commands = Object.keys(COMMANDS);

  test.each(commands.map((c) => [c]))('%s --help prints its usage, exits 0 and changes no file', (command) => {
    const before = projectFiles(project);
    for (const flag of ['--help', '-h']) {
      const r = run(BIN(project), [command, flag], project);
      expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: '' });
      expect(r.stdout).toMatch(new RegExp(`^usage: discourse-cdk8s ${command}`, 'i'));
    }
    expect(diffTrees(before, projectFiles(project))).toEqual([]);
  });

  test.each(commands.map((c) => [c]))('%s --bogus exits 2 with its usage on stderr and changes no file', (command) => {
    const before = projectFiles(project);
    const r = run(BIN(project), [command, '--bogus'], project);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`usage: discourse-cdk8s ${command}`, 'i'));
    expect(diffTrees(before, projectFiles(project))).toEqual([]);
  });

  test('the command list names every command; an unknown command exits 2', () => {
    const help = ok(BIN(project), ['--help'], project);
    expect(commands.filter((c) => !help.includes(`  ${c} `))).toEqual([]);
    expect(run(BIN(project), ['bogus'], project).status).toBe(2);
  });
});

describe('a TypeScript cdk8s app that imports the library from the package', () => {
  let app: string;

  beforeAll(() => {
    app = join(work, 'ts-app');
    mkdirSync(app);
    // The README's example (examples/forum.ts), importing the package instead of ../lib, and examples/sites.ts through discourse-cdk8s/sites.
    const forum = readFileSync(join(ROOT, 'examples', 'forum.ts'), 'utf8').replace("from '../lib'", "from 'discourse-cdk8s'");
    expect(forum).toContain('import { Discourse, DiscourseIngress, ');
    writeFileSync(join(app, 'forum.ts'), forum);
    writeFileSync(
      join(app, 'main.ts'),
      "import { App } from 'cdk8s';\nimport { forumChart } from './forum';\n\nconst app = new App();\nforumChart(app);\napp.synth();\n",
    );
    const sites = readFileSync(join(ROOT, 'examples', 'sites.ts'), 'utf8')
      .replace("from '../lib'", "from 'discourse-cdk8s'")
      .replace("from '../app/typescript-sites'", "from 'discourse-cdk8s/sites'");
    writeFileSync(join(app, 'sites.ts'), sites);
    // As `cdk8s init typescript-app` writes it: CommonJS, Node's classic resolution.
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'CommonJS',
          strict: true,
          outDir: 'out',
          types: ['node'],
          typeRoots: [join(ROOT, 'node_modules', '@types')],
          skipLibCheck: false,
        },
        include: ['*.ts'],
      }),
    );
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'ts-app', private: true }));
    npm(['install', tarball, 'cdk8s@2.70.106', 'constructs@10.8.1'], app);
    writeFileSync(join(app, 'cdk8s.yaml'), 'language: typescript\napp: node out/main.js\noutput: out-cdk8s\n');
  });

  /** What the same program renders with this repository's sources. */
  const expected = () => {
    const dir = mkdtempSync(join(tmpdir(), 'discourse-ts-app-'));
    const a = new App({ outdir: dir });
    forumChart(a);
    a.synth();
    const tree = readTree(dir);
    rmSync(dir, { recursive: true });
    return tree;
  };

  test('compiles with tsc (declarations type-check, skipLibCheck off) and runs under plain node, byte for byte the repository rendering', () => {
    ok(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', '.'], app);
    ok(process.execPath, ['out/main.js'], app, { CDK8S_OUTDIR: 'out-node' });
    expect(diffTrees(expected(), readTree(join(app, 'out-node')))).toEqual([]);
  });

  test('runs under ts-node (no compiling of node_modules needed)', () => {
    ok(process.execPath, ['-r', join(ROOT, 'node_modules', 'ts-node', 'register'), 'main.ts'], app, { CDK8S_OUTDIR: 'out-ts-node' });
    expect(diffTrees(expected(), readTree(join(app, 'out-ts-node')))).toEqual([]);
  });

  test('runs under cdk8s synth', () => {
    ok(process.execPath, [join(ROOT, 'node_modules', 'cdk8s-cli', 'bin', 'cdk8s'), 'synth'], app);
    expect(diffTrees(expected(), readTree(join(app, 'out-cdk8s')))).toEqual([]);
  });

  test('discourse-cdk8s/sites: TypeScript sites through the site pipeline, as in this repository', () => {
    ok(process.execPath, ['out/sites.js'], app);
    const dir = mkdtempSync(join(tmpdir(), 'discourse-ts-sites-'));
    expect(synthesizeSites(SITES, { outdir: join(dir, 'dist') }).exitCode).toBe(0);
    expect(diffTrees(readTree(join(dir, 'dist')), readTree(join(app, 'dist')))).toEqual([]);
    rmSync(dir, { recursive: true });
  });
});

describe('upgrading: npm install of a new version, then synth says what it changes in each site', () => {
  test('a second packed version with another default: --check fails, --plan and synth name the change and the rollout', () => {
    // GIVEN version 0.0.0-next of this repository, whose web pod requests 600m CPU instead of 500m
    const next = join(work, 'next');
    for (const f of [
      'lib',
      'app',
      'imports',
      'scripts',
      'schema',
      'package.json',
      'package-lock.json',
      'tsconfig.json',
      'tsconfig.build.json',
      'README.md',
      'docs',
      'CHANGELOG.md',
    ])
      cpSync(join(ROOT, f), join(next, f), { recursive: true });
    symlinkSync(join(ROOT, 'node_modules'), join(next, 'node_modules'));
    const defaults = join(next, 'lib', 'core', 'defaults.ts');
    const text = readFileSync(defaults, 'utf8');
    expect(text).toContain('cpuRequest: Cpu.millis(500)');
    writeFileSync(defaults, text.replace('cpuRequest: Cpu.millis(500)', 'cpuRequest: Cpu.millis(600)'));
    const manifest = JSON.parse(readFileSync(join(next, 'package.json'), 'utf8')) as { version: string };
    writeFileSync(join(next, 'package.json'), `${JSON.stringify({ ...manifest, version: '0.0.0-next' }, null, 2)}\n`);
    const nextTarball = pack(next, work);
    // ...and the site repository's committed dist/ from the current version
    ok(BIN(project), ['synth'], project);
    const committed = readTree(join(project, 'dist'));
    // WHEN the site repository upgrades
    npm(['install', '--save-dev', '--save-exact', nextTarball], project);
    // THEN
    expect(ok(BIN(project), ['--version'], project)).toBe('0.0.0-next\n');
    const check = run(BIN(project), ['synth', '--check'], project);
    expect(check.status).toBe(1);
    expect(check.stderr).toMatch(/stale: +example\/deployment-example\.yaml/);
    const plan = ok(BIN(project), ['synth', '--plan'], project);
    expect(plan).toContain('Deployment/example rolls its pods: discourse: resources');
    expect(plan).toContain('Deployment/forum rolls its pods: discourse: resources');
    expect(diffTrees(committed, readTree(join(project, 'dist')))).toEqual([]);
    const synth = ok(BIN(project), ['synth'], project);
    expect(synth).toContain('Deployment/example rolls its pods: discourse: resources');
    expect(readFileSync(join(project, 'dist', 'example', 'deployment-example.yaml'), 'utf8')).toContain('cpu: 600m');
  });
});
