import { spawnSync } from 'child_process';
import { readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { fromJujuConfig } from '../app/juju-import';
import { importUsage, runImporter } from '../app/import-cli';
import { siteTemplate } from '../app/new-site';

const ROOT = join(__dirname, '..');
const BITNAMI = readFileSync(join(__dirname, 'fixtures', 'bitnami', 'values.yaml'), 'utf8');
const JUJU = `
application: discourse-k8s
settings:
  external_hostname: { default: "", source: user, type: string, value: forum.example.com }
  smtp_password: { default: "", source: user, type: string, value: hunter2 }
  some_future_option: { default: "", source: user, type: string, value: x }
`;

/** The environment without npm's settings, as a plain shell has it. */
function plainEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_config_'))), ...extra };
}

/** A reader that records what it was asked for. */
function reader(text: string) {
  const asked: (string | undefined)[] = [];
  return { asked, read: (file?: string) => (asked.push(file), text) };
}

describe('npm run from-juju', () => {
  test('prints the draft on stdout, starting with the schema line new-site writes, and its notes on stderr as TODO lines (as from-bitnami)', () => {
    const input = reader(JUJU);
    const result = runImporter('from-juju', ['--namespace', 'forum'], plainEnv(), input.read);
    const draft = fromJujuConfig(JUJU, { namespace: 'forum' });
    expect(result.exitCode).toBe(0);
    expect(input.asked).toEqual([undefined]); // stdin
    expect(result.stdout).toBe(draft.yaml);
    expect(result.stdout.split('\n')[0]).toBe(siteTemplate('forum').split('\n')[0]);
    expect(draft.notes.length).toBeGreaterThan(0);
    expect(result.stderr).toBe(draft.notes.map((n) => `TODO ${n}\n`).join(''));
    expect(result.stdout).not.toMatch(/^# TODO config\./m);
    expect(parse(result.stdout).namespace).toBe('forum');
    expect(result.stdout).not.toContain('hunter2');
  });

  test('says which sections a valid site still needs: in the draft and, with how to write each, on stderr', () => {
    const result = runImporter('from-juju', [], plainEnv(), reader(JUJU).read);
    expect(result.stdout).toContain('# TODO still needed for a valid site: image:, database:, redis: (the TODO notes say how to write each)\n');
    expect(result.stderr).toMatch(/^TODO image: is required: .*Fix: set image\.repository and image\.tag/m);
    expect(result.stderr).toMatch(/^TODO database: is required\. Fix: add database: /m);
    expect(result.stderr).toMatch(/^TODO redis: is required\. Fix: add redis: /m);
  });

  test('reads the file it is given', () => {
    const input = reader(JUJU);
    expect(runImporter('from-juju', ['juju.yaml'], plainEnv(), input.read).exitCode).toBe(0);
    expect(input.asked).toEqual(['juju.yaml']);
  });

  test('--namespace written before `--` (npm_config_namespace) is honoured, with the right form', () => {
    const result = runImporter('from-juju', [], plainEnv({ npm_config_namespace: 'forum' }), reader(JUJU).read);
    expect(result.exitCode).toBe(0);
    expect(parse(result.stdout).namespace).toBe('forum');
    expect(result.stderr).toContain('npm run -s from-juju -- --namespace forum');
  });

  test('npm swallowing --namespace and leaving its value as an argument is a usage error', () => {
    const input = reader(JUJU);
    const result = runImporter('from-juju', ['forum'], plainEnv({ npm_config_namespace: 'true' }), input.read);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('npm run -s from-juju -- --namespace NAMESPACE');
    expect(input.asked).toEqual([]);
  });

  test.each([
    [['--bogus'], /Unknown option '--bogus'/],
    [['--namespace'], /argument missing/],
    [['a.yaml', 'b.yaml'], /one input file at most/],
  ])('%j is a usage error (exit 2), never read as a file', (argv, message) => {
    const input = reader(JUJU);
    const result = runImporter('from-juju', argv, plainEnv(), input.read);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).toContain('Usage: npm run -s from-juju');
    expect(result.stdout).toBe('');
    expect(input.asked).toEqual([]);
  });

  test('input that is not juju config output fails with exit 1 and prints no draft', () => {
    const result = runImporter('from-juju', [], plainEnv(), reader('hello: world\n').read);
    expect(result).toEqual({ exitCode: 1, stdout: '', stderr: expect.stringContaining('no settings section') });
  });

  test('--help prints the options', () => {
    const result = runImporter('from-juju', ['--help'], plainEnv(), reader('').read);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe(`${importUsage('from-juju')}\n`);
    expect(result.stdout).toContain('--namespace NAMESPACE');
  });

  test('the script reads stdin and writes the draft (as `juju config … | npm run -s from-juju` does)', () => {
    const run = spawnSync(process.execPath, ['-r', join(ROOT, 'scripts', 'swc-register.js'), join(ROOT, 'scripts', 'from-juju.ts'), '--namespace', 'forum'], {
      input: JUJU,
      encoding: 'utf8',
      env: plainEnv(),
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe(fromJujuConfig(JUJU, { namespace: 'forum' }).yaml);
    expect(run.stderr).toMatch(/^TODO /m);
  });
});

describe('npm run from-bitnami', () => {
  test('takes --release and --namespace; the draft on stdout, the notes on stderr', () => {
    const result = runImporter('from-bitnami', ['--release', 'forum', '--namespace', 'web', 'values.yaml'], plainEnv(), reader(BITNAMI).read);
    expect(result.exitCode).toBe(0);
    const site = parse(result.stdout);
    expect(site.namespace).toBe('web');
    expect(result.stdout).toContain('forum-'); // Secret and Service names derived from the release
    expect(result.stderr).toMatch(/^TODO /m);
  });

  test('--release written before `--` is honoured, with the right form', () => {
    const viaNpm = runImporter('from-bitnami', [], plainEnv({ npm_config_release: 'forum' }), reader(BITNAMI).read);
    const direct = runImporter('from-bitnami', ['--release', 'forum'], plainEnv(), reader(BITNAMI).read);
    expect(viaNpm.stdout).toBe(direct.stdout);
    expect(viaNpm.stderr).toContain('npm run -s from-bitnami -- --release forum');
  });

  test.each([[''], ['  \n\t\n']])('fails if the input is empty (%j: a failed `helm get values | …`), saying what to run, and prints no draft', (text) => {
    const result = runImporter('from-bitnami', ['--release', 'forum', '--namespace', 'web'], plainEnv(), reader(text).read);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^stdin: the input is empty, so there is nothing to draft a site from/);
    expect(result.stderr).toContain('Fix: run helm get values forum -n web on its own and check that it prints the values');
  });

  test('fails if the file given is empty, naming it', () => {
    const result = runImporter('from-juju', ['juju.yaml'], plainEnv(), reader('').read);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^juju\.yaml: the input is empty.*Fix: run juju config discourse-k8s --format=yaml on its own/);
  });

  test('an option of the other importer is a usage error', () => {
    expect(runImporter('from-juju', ['--release', 'x'], plainEnv(), reader(JUJU).read).exitCode).toBe(2);
  });
});
