import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join, resolve } from 'path';
import { scaffoldSite, siteTemplate } from '../app/new-site';
import { siteFromText } from '../app/resolve-site';
import { SITE_FILE_NAMES } from '../app/site-keys';
import { formatProblems } from '../lib/core/problems';

const ROOT = join(__dirname, '..');

function check(text: string, file: string): string {
  const { problems } = siteFromText(text, file);
  return problems.length === 0 ? '' : formatProblems(file, problems, SITE_FILE_NAMES);
}

describe('npm run new-site', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'new-site-'));
  });
  afterEach(() => rmSync(dir, { recursive: true }));

  test('writes a site that resolves once the hostname is filled in, and asks for it until then', () => {
    // WHEN
    const { file, error } = scaffoldSite(join(dir, 'sites'), 'forum');
    // THEN
    expect(error).toBeUndefined();
    const text = readFileSync(file!, 'utf8');
    expect(check(text, file!)).toMatch(/^1 problem.*\n.*forum\.yaml:\d+:\d+: config\.external_hostname: "" is not a valid hostname/);
    expect(check(text.replace('external_hostname: ""', 'external_hostname: forum.example.com'), file!)).toBe('');
  });

  test('every commented-out section is valid once uncommented', () => {
    const { file } = scaffoldSite(join(dir, 'sites'), 'forum');
    const text = readFileSync(file!, 'utf8').replace('external_hostname: ""', 'external_hostname: forum.example.com');
    const uncommented = text.replace(/^(\s*)# (?!yaml-language-server)/gm, '$1');
    expect(uncommented).toMatch(/^gitops:/m);
    expect(check(uncommented, file!)).toBe('');
  });

  test('names the schema by its path from sites/', () => {
    const schema = /^# yaml-language-server: \$schema=(\S+)$/m.exec(siteTemplate('x'))![1];
    expect(resolve(join(ROOT, 'any-folder-of-sites'), schema)).toBe(join(ROOT, 'schema', 'site.schema.json'));
  });

  test.each([
    ['an existing file', 'forum', /exists already/],
    ['a bad name', 'My_Forum', /"My_Forum" is not a site name/],
    ['no name', undefined, /^usage: npm run new-site NAME/],
  ])('fails if %s', (_n, name, expected) => {
    writeFileSync(join(dir, 'forum.yaml'), 'mine\n');
    const { file, error } = scaffoldSite(dir, name);
    expect(file).toBeUndefined();
    expect(error).toMatch(expected);
    expect(readFileSync(join(dir, 'forum.yaml'), 'utf8')).toBe('mine\n');
  });
});
