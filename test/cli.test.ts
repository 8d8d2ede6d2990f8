import { spawnSync } from 'child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { main, usage } from '../main';
import { COMMANDS, runCli } from '../app/cli';
import { diffTrees, readTree } from '../app/output';
import { FIXTURE_SITES } from './fixtures';

const ROOT = join(__dirname, '..');

/** The environment without npm's settings or cdk8s's folder, as a plain shell has it. */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_config_') && k !== 'CDK8S_OUTDIR'));
  return { ...env, ...extra };
}

/** A scratch repository with the example site. */
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'discourse-cli-'));
  cpSync(join(FIXTURE_SITES, 'example.yaml'), join(dir, 'sites', 'example.yaml'));
  return dir;
}

describe('npm run synth: options', () => {
  test.each([['--help'], ['-h']])('%s prints the usage and exits 0 without synthesizing', (flag) => {
    // GIVEN a folder with no sites at all
    const dir = mkdtempSync(join(tmpdir(), 'discourse-cli-'));
    // WHEN
    const result = main([flag, '--sites', join(dir, 'sites'), '--out', join(dir, 'dist')], plainEnv());
    // THEN
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`${usage()}\n`);
    for (const option of ['--check', '--allow-replace', '--sites DIR', '--out DIR', '-h, --help']) expect(result.stdout).toContain(option);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
    rmSync(dir, { recursive: true });
  });

  test('fails with exit status 2 and the message on an unknown option', () => {
    const result = main(['--bogus'], plainEnv());
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/Unknown option '--bogus'/);
    expect(result.stderr).toContain('Usage: npm run synth');
  });

  test('fails with exit status 2 on a stray argument (a folder without --sites)', () => {
    expect(main(['sites'], plainEnv()).exitCode).toBe(2);
  });

  test('--out DIR: the checklist line names the README in DIR, not in dist/', () => {
    // GIVEN
    const dir = scratch();
    const out = join(dir, 'elsewhere');
    // WHEN
    const result = main(['--sites', join(dir, 'sites'), '--out', out], plainEnv());
    // THEN
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain(`see ${out}/example/README.md`);
    expect(result.stdout).not.toContain('dist/');
    expect(existsSync(join(out, 'example', 'README.md'))).toBe(true);
    rmSync(dir, { recursive: true });
  });

  test('fails if --sites names a folder that does not exist: says so, names the option and the fix, no ENOENT, output untouched', () => {
    // GIVEN a synthesized repository
    const dir = scratch();
    expect(main(['--sites', join(dir, 'sites'), '--out', join(dir, 'dist')], plainEnv()).exitCode).toBe(0);
    const before = readTree(join(dir, 'dist'));
    // WHEN
    const result = main(['--sites', join(dir, 'nowhere'), '--out', join(dir, 'dist')], plainEnv());
    // THEN
    expect(result.exitCode).toBe(1);
    expect(result.stderr).not.toMatch(/ENOENT|scandir/);
    expect(result.stderr).toContain(`--sites ${join(dir, 'nowhere')}: the folder of site files does not exist. Fix: `);
    expect(result.stderr).toContain('npm run synth -- --sites DIR');
    expect(result.stderr).toContain(`SITES_DIR=${join(dir, 'nowhere')} npm run new-site NAME`);
    expect(diffTrees(before, readTree(join(dir, 'dist')))).toEqual([]);
    rmSync(dir, { recursive: true });
  });

  test('fails if --sites names a file, not a folder', () => {
    const dir = scratch();
    const result = main(['--sites', join(dir, 'sites', 'example.yaml'), '--out', join(dir, 'dist')], plainEnv());
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/--sites .*example\.yaml: the folder of site files is not a folder\. Fix: /);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
    rmSync(dir, { recursive: true });
  });
});

describe('npm run synth --check (without --): npm hands it over as npm_config_check', () => {
  test('is honoured as --check: a stale dist/ fails and is not rewritten, with a note on the right form', () => {
    // GIVEN a synthesized repository whose site then changes
    const dir = scratch();
    expect(main(['--sites', join(dir, 'sites'), '--out', join(dir, 'dist')], plainEnv()).exitCode).toBe(0);
    const before = readTree(join(dir, 'dist'));
    writeFileSync(join(dir, 'sites', 'example.yaml'), readFileSync(join(dir, 'sites', 'example.yaml'), 'utf8').replace('smtp_port: 587', 'smtp_port: 588'));
    // WHEN npm runs the script as `npm run synth --check` does: the setting in the environment, no argument
    const result = spawnSync(process.execPath, ['-r', join(ROOT, 'scripts', 'swc-register.js'), join(ROOT, 'main.ts')], {
      cwd: dir,
      encoding: 'utf8',
      env: plainEnv({ npm_config_check: 'true' }),
    });
    // THEN
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/dist\/ is stale/);
    expect(result.stderr).toMatch(/npm run synth -- --check/);
    expect(diffTrees(before, readTree(join(dir, 'dist')))).toEqual([]);
    rmSync(dir, { recursive: true });
  });

  test('npm_config_allow_replace and npm_config_sites/out with a value are read the same way', () => {
    const dir = scratch();
    const result = main([], plainEnv({ npm_config_sites: join(dir, 'sites'), npm_config_out: join(dir, 'out'), npm_config_allow_replace: 'true' }));
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/read as --allow-replace/);
    expect(existsSync(join(dir, 'out', 'example', 'kustomization.yaml'))).toBe(true);
    rmSync(dir, { recursive: true });
  });

  test('fails with exit status 2 when npm swallowed --sites and left the folder as an argument', () => {
    const result = main([], plainEnv({ npm_config_sites: 'true' }));
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/npm run synth -- --sites DIR/);
  });
});

describe('under cdk8s synth (CDK8S_OUTDIR set)', () => {
  test('a bad site says that cdk8s emptied the folder, not that it was left unchanged', () => {
    // GIVEN cdk8s has deleted the output folder, as it does before running the app
    const dir = scratch();
    writeFileSync(
      join(dir, 'sites', 'example.yaml'),
      readFileSync(join(dir, 'sites', 'example.yaml'), 'utf8').replace('throttle_level: permissive', 'throttle_level: extreme'),
    );
    // WHEN
    const result = main(['--sites', join(dir, 'sites')], plainEnv({ CDK8S_OUTDIR: join(dir, 'dist') }));
    // THEN
    expect(result.exitCode).toBe(1);
    expect(result.stderr).not.toMatch(/was not changed/);
    expect(result.stderr).toMatch(/cdk8s synth deleted .*dist\/ before running this app.*git checkout -- .*dist\//);
    rmSync(dir, { recursive: true });
  });
});

describe('discourse-cdk8s (app/cli.ts)', () => {
  const context = { env: plainEnv({ SITES_DIR: '' }), readStdin: () => '', version: '9.9.9' };

  test.each(Object.keys(COMMANDS).map((c) => [c]))('%s --help prints its usage, exits 0 and writes nothing', (command) => {
    // GIVEN an empty folder as the working directory's stand-in
    const dir = mkdtempSync(join(tmpdir(), 'discourse-cli-'));
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      // WHEN
      const result = runCli([command, '--help'], context);
      // THEN
      expect(result).toEqual({ exitCode: 0, stdout: expect.stringMatching(new RegExp(`^Usage: discourse-cdk8s ${command} `)), stderr: '' });
      expect(readTree(dir).size).toBe(0);
    } finally {
      process.chdir(cwd);
      rmSync(dir, { recursive: true });
    }
  });

  test.each([
    ['op', 'example', 'promote-user', '--email', 'a@example.com', '--bogus'],
    ['image', 'example', '--bogus'],
    ['new-site', 'forum', '--bogus'],
    ['schema', '--bogus'],
    ['init', '--bogus'],
    ['new-site'],
    ['image'],
  ])('fails with exit status 2 and the usage on a usage error: %s %s', (...argv) => {
    const result = runCli(argv, context);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`usage: discourse-cdk8s ${argv[0]}`, 'i'));
  });

  test.each(Object.keys(COMMANDS).map((c) => [c]))('%s --bogus --help prints the usage and exits 0: --help wins', (command) => {
    expect(runCli([command, '--bogus', '--help'], context)).toMatchObject({ exitCode: 0, stderr: '' });
  });

  test('an unknown command exits 2 naming the commands; --version prints the version', () => {
    expect(runCli(['bogus'], context)).toMatchObject({
      exitCode: 2,
      stderr: expect.stringContaining('unknown command "bogus"; the commands are synth, init,'),
    });
    expect(runCli(['--version'], context)).toEqual({ exitCode: 0, stdout: '9.9.9\n', stderr: '' });
  });

  test('from-juju and from-bitnami read - as stdin', () => {
    const juju = 'application: discourse-k8s\nsettings:\n  external_hostname: { default: "", source: user, type: string, value: forum.example.com }\n';
    const result = runCli(['from-juju', '--namespace', 'forum', '-'], { ...context, readStdin: () => juju });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('external_hostname: forum.example.com');
  });
});

describe('discourse-cdk8s under a site repository’s npm scripts', () => {
  test('messages name the npm script the user ran (npm run synth), and npm’s swallowed options are read back', () => {
    // GIVEN `npm run synth --check` in a repository whose package.json has "synth": "discourse-cdk8s synth"
    const dir = scratch();
    const env = plainEnv({ npm_lifecycle_event: 'synth', npm_lifecycle_script: 'discourse-cdk8s synth', npm_config_check: 'true' });
    // WHEN
    const result = runCli(['synth', '--sites', join(dir, 'sites'), '--out', join(dir, 'dist')], { env, readStdin: () => '', version: '9.9.9' });
    // THEN --check was honoured (nothing written) and the note says how to write it
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('Write: npm run synth -- --check');
    expect(existsSync(join(dir, 'dist'))).toBe(false);
    rmSync(dir, { recursive: true });
  });
});
