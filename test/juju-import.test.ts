import { parse } from 'yaml';
import { fromJujuConfig } from '../app/juju-import';
import { formatProblems } from '../lib/problems';
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
      'smtp_password: create the Secret first (the value is not copied): kubectl create secret generic discourse-k8s-smtp-password --from-literal=value=...',
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

  test('fails if the input is not juju config output', () => {
    expect(() => fromJujuConfig('foo: bar\n')).toThrow(/no settings section/);
  });
});
