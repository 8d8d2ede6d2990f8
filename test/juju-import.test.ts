import { parse } from 'yaml';
import { fromJujuConfig } from '../app/juju-import';
import { siteTemplate } from '../app/new-site';
import { formatProblems } from '../lib/core/problems';
import { siteFromText } from '../app/resolve-site';
import { SITE_FILE_NAMES } from '../app/site-keys';

// The shape `juju config discourse-k8s --format=yaml` prints (trimmed descriptions).
const JUJU = `
application: discourse-k8s
application-config:
  trust: { default: false, description: trust, source: default, type: bool, value: false }
charm: discourse-k8s
settings:
  external_hostname: { default: "", description: host, source: user, type: string, value: forum.example.com }
  force_https: { default: false, description: https, source: user, type: boolean, value: true }
  smtp_address: { default: "", description: smtp, source: user, type: string, value: smtp.example.com }
  smtp_authentication: { default: none, description: auth, source: user, type: string, value: login }
  smtp_enable_start_tls: { default: "true", description: tls, source: default, type: string, value: "true" }
  smtp_password: { default: "", description: pw, source: user, type: string, value: hunter2 }
  smtp_port: { default: 587, description: port, source: default, type: int, value: 587 }
  throttle_level: { default: none, description: throttle, source: user, type: string, value: strict }
  some_future_option: { default: "", description: new, source: user, type: string, value: x }
`;

describe('fromJujuConfig', () => {
  const { yaml, notes } = fromJujuConfig(JUJU);
  const config = parse(yaml).config;

  test('keeps what the user set and drops defaults', () => {
    expect(config).toEqual({
      external_hostname: 'forum.example.com',
      force_https: true,
      smtp_address: 'smtp.example.com',
      smtp_authentication: 'login',
      smtp_password: { secret: 'discourse-k8s-smtp-password', key: 'value' },
      throttle_level: 'strict',
    });
  });

  test('never copies a credential, and says which Secret to create', () => {
    expect(yaml).not.toContain('hunter2');
    expect(notes).toContain(
      'config.smtp_password: create the Secret first (the value is not copied): kubectl -n discourse-k8s create secret generic discourse-k8s-smtp-password --from-literal=value=...',
    );
  });

  test('reports options this project does not know', () => {
    expect(notes).toContain('some_future_option: not an option of this project (newer charm?); left out');
  });

  test('the result is a valid config section of a site file', () => {
    const site = `image: { repository: registry.example.com/discourse, tag: "1.0" }\n${yaml}database:\n  cloudnativepg: { cluster: forum-db }\nredis:\n  host: redis\n`;
    const { problems } = siteFromText(site, 'sites/forum.yaml');
    expect(problems.map((p) => formatProblems('sites/forum.yaml', [p], SITE_FILE_NAMES))).toEqual([]);
  });

  test('the namespace of the site is the one the kubectl lines name', () => {
    const imported = fromJujuConfig(JUJU, { namespace: 'forum' });
    expect(parse(imported.yaml).namespace).toBe('forum');
    expect(imported.notes.filter((n) => n.includes('kubectl'))).toEqual([expect.stringContaining('kubectl -n forum create secret generic')]);
  });

  test('the draft starts with the schema line new-site writes, and names the sections still needed', () => {
    expect(yaml.split('\n')[0]).toBe(siteTemplate('forum').split('\n')[0]);
    expect(yaml).toMatch(/^# TODO still needed for a valid site: image:, database:, redis: /m);
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^image: is required/),
        expect.stringMatching(/^database: is required/),
        expect.stringMatching(/^redis: is required/),
      ]),
    );
  });

  test('fails if the input is not juju config output', () => {
    expect(() => fromJujuConfig('foo: bar\n')).toThrow(/no settings section/);
  });
});

/** `juju config` of older charm revisions: options that moved out of config (from the charm's config.yaml history). */
const OLD_JUJU = `
application: discourse
settings:
  external_hostname: { default: "", source: user, type: string, value: forum.example.com }
  force_https: { default: false, source: user, type: boolean, value: true }
  saml_target_url: { default: "", source: user, type: string, value: "https://login.ubuntu.com/+saml" }
  db_host: { default: "", source: user, type: string, value: pg.example.com }
  db_user: { default: "", source: user, type: string, value: discourse }
  db_password: { default: "", source: user, type: string, value: hunter2 }
  redis_host: { default: "", source: user, type: string, value: redis }
  tls_secret_name: { default: "", source: user, type: string, value: forum-tls }
  max_body_size: { default: 20, source: user, type: int, value: 100 }
  smtp_user_name: { default: "", source: user, type: string, value: mailer }
  enable_local_redis: { default: false, source: user, type: boolean, value: true }
  throttle_level: { default: none, source: user, type: string, value: paranoid }
`;

describe('fromJujuConfig with options of older charm revisions', () => {
  const { yaml, notes } = fromJujuConfig(OLD_JUJU);

  test.each([
    [
      'saml_target_url → saml (with the fingerprint the charm had for Ubuntu One)',
      'saml',
      { target_url: 'https://login.ubuntu.com/+saml', cert_fingerprint: '32:15:20:9F:A4:3C:8E:3E:8E:47:72:62:9A:86:8D:0E:E6:CF:45:D5' },
    ],
    ['db_* → database', 'database', { host: 'pg.example.com', user: 'discourse', password: { secret: 'discourse-db-password', key: 'value' } }],
    ['redis_host → redis', 'redis', { host: 'redis' }],
    ['tls_secret_name and max_body_size → ingress', 'ingress', { tls: { secret_name: 'forum-tls' }, max_body_size: '100Mi' }],
    [
      'smtp_user_name → smtp_username; a refused value left out',
      'config',
      { external_hostname: 'forum.example.com', force_https: true, smtp_username: 'mailer' },
    ],
  ])('%s', (_name, key, expected) => {
    expect(parse(yaml)[key]).toEqual(expected);
  });

  test('reports what synth would refuse and what has no equivalent, and never copies a credential', () => {
    expect(yaml).not.toContain('hunter2');
    expect(notes).toContain(
      'config.throttle_level: "paranoid" is not one of none, permissive, strict. Fix: use one of none, permissive, strict (synth would refuse it)',
    );
    expect(notes).toContain(
      'enable_local_redis: an option of older charm revisions; left out: no in-pod Redis here: run Redis as a Service and set redis.host',
    );
  });

  test('only the image is still needed: the old options gave the database and Redis', () => {
    expect(yaml).toMatch(/^# TODO still needed for a valid site: image: /m);
  });

  test('the draft is a valid site file, once it names the image (no charm option does)', () => {
    const { problems } = siteFromText(`image: registry.example.com/discourse:1.0\n${yaml}`, 'sites/forum.yaml');
    expect(problems.map((p) => formatProblems('sites/forum.yaml', [p], SITE_FILE_NAMES))).toEqual([]);
  });
});
