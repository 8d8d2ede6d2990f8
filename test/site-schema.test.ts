import { readFileSync, readdirSync } from 'fs';
import { dirname, join, resolve } from 'path';
// ajv is not a dependency of ours: it is in node_modules through the dev tools
// (@kubernetes-models/validate, cdk8s-cli). Tests only; version 8, whose default class is draft-07.
import Ajv, { ErrorObject } from 'ajv';
import { parse } from 'yaml';
import { translateProblem } from '../lib/core/problems';
import { siteFromText } from '../app/resolve-site';
import { SCHEMA_FILE, siteSchema, siteSchemaText } from '../app/site-schema';
import { SITE_FILE_NAMES, SITE_KEYS, SiteKeySpec } from '../app/site-keys';
import { FIXTURE_SITES } from './fixtures';

const ROOT = join(__dirname, '..');
const validate = new Ajv({ allErrors: true, strict: true }).compile(siteSchema());

/** A JSON Pointer of ajv (`/operations/0/password`) as a site-file path (`operations[0].password`). */
function keyPath(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((s) => (/^\d+$/.test(s) ? `[${s}]` : `.${s}`))
    .join('')
    .replace(/^\./, '');
}

/** What the schema says about a document: the paths it refuses ('' for the file itself). */
function schemaPaths(doc: unknown): string[] {
  if (validate(doc)) return [];
  return (validate.errors ?? []).map((e: ErrorObject) => {
    const at = keyPath(e.instancePath);
    const extra = e.keyword === 'additionalProperties' ? (e.params as { additionalProperty: string }).additionalProperty : undefined;
    return extra === undefined ? at : at === '' ? extra : `${at}.${extra}`;
  });
}

/** What the reader and the rules say: the site-file paths of every problem. */
function readerPaths(doc: unknown): string[] {
  return siteFromText(JSON.stringify(doc), 'sites/forum.yaml').problems.map((p) => translateProblem(p, SITE_FILE_NAMES).path);
}

const within = (path: string, key: string) => path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`);

const VALID = {
  image: 'registry.example.com/discourse:1.0',
  config: { external_hostname: 'forum.example.com' },
  database: { cloudnativepg: { cluster: 'forum-db' } },
  redis: { host: 'forum-redis' },
};

describe('the JSON Schema of site files', () => {
  test(`${SCHEMA_FILE} is what npm run schema writes now`, () => {
    expect(readFileSync(join(ROOT, SCHEMA_FILE), 'utf8')).toBe(siteSchemaText());
  });

  const fixtures = readdirSync(FIXTURE_SITES).filter((f) => f.endsWith('.yaml'));
  test.each(fixtures)('fixture %s: the schema and the reader both accept it, and it names the schema', (file) => {
    const text = readFileSync(join(FIXTURE_SITES, file), 'utf8');
    expect(schemaPaths(parse(text))).toEqual([]);
    expect(siteFromText(text, file).problems).toEqual([]);
    const comment = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text);
    expect(comment && resolve(FIXTURE_SITES, comment[1])).toBe(join(ROOT, SCHEMA_FILE));
  });

  test.each([
    ['the string form of image', { ...VALID, image: 'registry.example.com/discourse:3.4.2' }],
    ['sections switched off', { ...VALID, ingress: { enabled: false }, monitoring: { enabled: false }, network_policy: { enabled: false } }],
    ['booleans as juju config prints them', { ...VALID, config: { ...VALID.config, force_https: 'true' } }],
    ['an operation', { ...VALID, operations: [{ action: 'promote-user', email: 'a@example.com' }] }],
  ])('both accept %s', (_name, doc) => {
    expect(schemaPaths(doc)).toEqual([]);
    expect(readerPaths(doc)).toEqual([]);
  });

  test.each([
    ['an unknown top-level key', { ...VALID, replicaz: 2 }, 'replicaz'],
    ['an unknown charm option', { ...VALID, config: { smtp_adress: 'x' } }, 'config.smtp_adress'],
    ['a wrong type', { ...VALID, replicas: 'two' }, 'replicas'],
    ['a value outside the enum', { ...VALID, config: { throttle_level: 'extreme' } }, 'config.throttle_level'],
    ['a plaintext secret', { ...VALID, config: { smtp_password: 'hunter2' } }, 'config.smtp_password'],
    ['name: in a Secret reference', { ...VALID, secret_key_base: { name: 's', key: 'k' } }, 'secret_key_base'],
    ['monitoring: false', { ...VALID, monitoring: false }, 'monitoring'],
    ['no redis', { config: VALID.config, database: VALID.database }, ''],
    ['an operation without action', { ...VALID, operations: [{ email: 'a@example.com' }] }, 'operations[0]'],
  ])('both refuse %s', (_name, doc, key) => {
    expect(schemaPaths(doc).filter((p) => within(p, key))).not.toEqual([]);
    expect(readerPaths(doc).filter((p) => within(p, key) || (key === '' && p === 'redis'))).not.toEqual([]);
  });
});

/**
 * Every row of the table, mechanically: an unknown key in every section and a value of the
 * wrong type for every key are refused by both, at that key. A row the reader does not read,
 * or reads differently, fails here.
 */
describe('the schema and the reader refuse the same keys', () => {
  const WRONG: Record<SiteKeySpec['type'], unknown> = {
    string: 42,
    integer: 'x',
    boolean: 'x',
    enum: 'no-such-value',
    duration: 'soon',
    size: 'big',
    cpu: 'lots',
    secret: 'plaintext',
    strings: 'x',
    'string-map': ['x'],
    'secret-map': { A: 'plaintext' },
    section: 42,
    list: 'x',
    'charm-options': 'x',
  };
  const SAMPLE: Partial<Record<SiteKeySpec['type'], unknown>> = { string: 'x', integer: 1, secret: { secret: 's', key: 'k' }, enum: undefined };
  const DB_FORMS = ['cloudnativepg', 'crunchy_pgo', 'zalando', 'secret', 'host'];

  /** The valid site with `value` at `key`, its section fresh, its required siblings filled in. */
  function siteWith(key: string, value: unknown): Record<string, unknown> {
    const parts = key.split('.');
    const doc: Record<string, unknown> = { ...VALID };
    let node: Record<string, unknown> = doc;
    for (let i = 0; i < parts.length; i++) {
      const spec = SITE_KEYS.find((k) => k.key === parts.slice(0, i + 1).join('.'))!;
      if (i === parts.length - 1) {
        node[parts[i]] = value;
        break;
      }
      const child: Record<string, unknown> = {};
      for (const sibling of SITE_KEYS.filter((k) => k.required && k.key.startsWith(`${spec.key}.`) && k.key.split('.').length === i + 2)) {
        child[sibling.key.split('.').pop()!] = sibling.type === 'enum' ? sibling.values![0] : SAMPLE[sibling.type];
      }
      if (spec.type === 'list') {
        node[parts[i]] = [child];
      } else {
        node[parts[i]] = child;
      }
      node = child;
    }
    const db = doc.database as Record<string, unknown>;
    if (parts[0] === 'database' && parts.length > 1 && !DB_FORMS.some((f) => db[f] !== undefined)) {
      if (['port', 'name', 'user', 'password'].includes(parts[1])) Object.assign(db, { host: 'pg', password: { secret: 's', key: 'k' }, ...db });
      else db.cloudnativepg = { cluster: 'forum-db' };
    }
    return doc;
  }

  /** A key inside a list, as a problem names it in the first item: `image.plugins.repo` → `image.plugins[0].repo`. */
  const LISTS = SITE_KEYS.filter((k) => k.type === 'list').map((k) => k.key);
  const firstItem = (key: string) => LISTS.reduce((k, list) => (k.startsWith(`${list}.`) ? `${list}[0]${k.slice(list.length)}` : k), key);

  const sections = SITE_KEYS.filter((k) => k.type === 'section' || k.type === 'list' || k.type === 'charm-options');
  test.each([{ key: '' }, ...sections].map((s) => [s.key]))('an unknown key in %p', (section) => {
    const key = section === '' ? 'bogus_key' : `${section}.bogus_key`;
    const doc = section === '' ? { ...VALID, bogus_key: 1 } : siteWith(key, 1);
    const at = firstItem(key);
    expect(schemaPaths(doc)).toContain(at);
    expect(readerPaths(doc)).toContain(at);
  });

  test.each(SITE_KEYS.map((k) => [k.key, k.type]))('a wrong value at %s (%s)', (key, type) => {
    const doc = siteWith(key, WRONG[type as SiteKeySpec['type']]);
    const at = firstItem(key);
    expect(schemaPaths(doc).filter((p) => within(p, at))).not.toEqual([]);
    expect(readerPaths(doc).filter((p) => within(p, at))).not.toEqual([]);
  });

  test('the schema file sits where the site files point', () => {
    expect(dirname(SCHEMA_FILE)).toBe('schema');
  });
});
