import { PostgresConnection } from '../lib/model/database';
import { Testing } from 'cdk8s';
import { Discourse } from '../lib/discourse';
import { formatProblems } from '../lib/core/problems';
import { siteFromText } from '../app/resolve-site';
import { SITE_FILE_NAMES } from '../app/site-keys';
import { MINIMAL } from './fixtures';

/** A site without its image, for tests that write the image their own way. */
const SITE = `
config:
  external_hostname: forum.example.com
database:
  cloudnativepg: { cluster: forum-db }
redis:
  host: forum-redis
`;
const VALID = `${SITE}image: { repository: registry.example.com/discourse, tag: "1.0" }\n`;

/** Every problem a site file has (shape and rules), formatted as the CLI prints them. */
function problemsOf(yaml: string): string {
  const { problems } = siteFromText(yaml, 'sites/forum.yaml');
  return problems.length === 0 ? '' : formatProblems('sites/forum.yaml', problems, SITE_FILE_NAMES);
}

/** The valid file with `extra` lines added under `section`. */
function withLines(section: string, extra: string): string {
  return VALID.replace(`${section}:\n`, `${section}:\n${extra}\n`);
}

test('the valid fixture has no problems', () => {
  expect(problemsOf(VALID)).toBe('');
});

describe('bad site files fail with the file, the option, the value and the fix', () => {
  test.each([
    [
      'unknown option with a did-you-mean',
      withLines('config', '  smtp_adress: smtp.example.com'),
      /sites\/forum\.yaml:3:3: config\.smtp_adress: is not a Discourse charm option\. Fix: did you mean "smtp_address"\?/,
    ],
    [
      'throttle level outside the enum',
      withLines('config', '  throttle_level: extreme'),
      /config\.throttle_level: "extreme" is not one of none, permissive, strict/,
    ],
    ['category nesting other than 2 or 3', withLines('config', '  max_category_nesting: 4'), /config\.max_category_nesting: 4 is not one of 2, 3/],
    [
      'smtp authentication outside the enum',
      withLines('config', '  smtp_authentication: oauth'),
      /config\.smtp_authentication: "oauth" is not one of none, login, plain, cram_md5/,
    ],
    [
      'grafana-operator dashboards without an instance selector',
      VALID + 'monitoring: { dashboards: grafana-operator }\n',
      /sites\/forum\.yaml:\d+:\d+: monitoring\.grafana_instance_selector: is missing: with dashboards: grafana-operator .*Fix: set it to labels of your Grafana resource/,
    ],
    [
      'a dashboards carrier that does not exist',
      VALID + 'monitoring: { dashboards: configmap }\n',
      /monitoring\.dashboards: "configmap" is not one of sidecar, grafana-operator, true, false/,
    ],
    ['wrong type for a port', withLines('config', '  smtp_port: "587x"'), /config\.smtp_port: "587x" is not an integer/],
    ['wrong type for a boolean', withLines('config', '  force_https: yes please'), /config\.force_https: "yes please" is not a boolean/],
    [
      'plaintext SMTP password',
      withLines('config', '  smtp_password: hunter2'),
      /config\.smtp_password: a plaintext value is not allowed here \(value hidden\).*Fix: create a Secret and write smtp_password: \{ secret: <secret-name>, key: <key> \}/,
    ],
    ['plaintext S3 secret', withLines('config', '  s3_secret_access_key: AKIAXXXX'), /config\.s3_secret_access_key: a plaintext value is not allowed/],
    [
      'CORS enabled with nothing allowed',
      withLines('config', '  augment_cors_origin: false'),
      /config\.enable_cors: config\.enable_cors is true but config\.cors_origin is empty and config\.augment_cors_origin is false/,
    ],
    [
      'S3 without its required settings',
      withLines('config', '  s3_enabled: true'),
      /config\.s3_access_key_id: is required when config\.s3_enabled is true[\s\S]*config\.s3_secret_access_key: is required[\s\S]*config\.s3_bucket: is required[\s\S]*config\.s3_region: is required/,
    ],
    [
      'S3 uploads without a backup bucket (backups would land on the read-only root)',
      withLines(
        'config',
        '  s3_enabled: true\n  s3_bucket: uploads\n  s3_region: r\n  s3_access_key_id: { secret: s3, key: id }\n  s3_secret_access_key: { secret: s3, key: k }',
      ),
      /config\.s3_backup_bucket: is required when config\.s3_enabled is true: backups would go to public\/backups on the read-only root[^\n]*Fix: set config\.s3_backup_bucket/,
    ],
    ['force_saml_login without SAML', withLines('config', '  force_saml_login: true'), /config\.force_saml_login: is true but SAML is not configured/],
    ['saml_sync_groups without SAML', withLines('config', '  saml_sync_groups: staff'), /config\.saml_sync_groups: is "staff" but SAML is not configured/],
    [
      'SAML without force_https',
      `${VALID}saml:\n  target_url: https://idp.example.com/sso\n  cert_fingerprint: "${'AB:'.repeat(19)}AB"\n`,
      /config\.force_https: is false but SAML is configured; SAML needs HTTPS/,
    ],
    [
      'hostname with a scheme',
      VALID.replace('forum.example.com', 'https://forum.example.com'),
      /config\.external_hostname: "https:\/\/forum\.example\.com" is not a valid hostname/,
    ],
    ['bad CORS origin', withLines('config', '  cors_origin: example.com/path'), /config\.cors_origin: "example\.com\/path" is not an origin/],
    [
      'bad developer e-mail',
      withLines('config', '  developer_emails: admin@example.com, nobody'),
      /config\.developer_emails: "nobody" is not an e-mail address/,
    ],
    ['bad CDN URL', withLines('config', '  s3_cdn_url: cdn.example.com'), /config\.s3_cdn_url: "cdn\.example\.com" is not an http\(s\) URL/],
    [
      'auth without password',
      withLines('config', '  smtp_authentication: login'),
      /config\.smtp_password: config\.smtp_authentication is "login" but no password is given/,
    ],
    [
      'STARTTLS and implicit TLS together',
      withLines('config', '  smtp_force_tls: true'),
      /config\.smtp_force_tls: config\.smtp_force_tls \(implicit TLS\) and config\.smtp_enable_start_tls \(STARTTLS\) are both true/,
    ],
    [
      'several replicas on a ReadWriteOnce volume',
      `${VALID}replicas: 3\n`,
      /replicas: 3 replicas would share a ReadWriteOnce uploads volume\. Fix: set config\.s3_enabled/,
    ],
    ['unknown top-level key', `${VALID}replica: 2\n`, /replica: is not a known key\. Fix: did you mean "replicas"\?/],
    ['image tag latest', VALID.replace('tag: "1.0" }', 'tag: latest }'), /image\.tag: "latest" is not a pinned tag/],
    ['bad digest', VALID.replace('tag: "1.0" }', 'tag: "1.0", digest: sha256:abc }'), /image\.digest: "sha256:abc" is not a sha256 digest/],
    ['database missing', VALID.replace(/database:\n.*\n/, ''), /database: is required/],
    [
      'two database forms',
      VALID.replace('database:\n', 'database:\n  crunchy_pgo: { cluster: hippo, user: discourse }\n'),
      /database: mixes cloudnativepg and crunchy_pgo/,
    ],
    [
      'database password in plaintext',
      VALID.replace(/database:\n.*\n/, 'database:\n  host: pg\n  password: s3cret\n'),
      /database\.password: a plaintext value is not allowed/,
    ],
    [
      'Secret reference with a bad name',
      withLines('config', '  smtp_password: { secret: Not_Valid, key: pw }'),
      /config\.smtp_password\.secret: "Not_Valid" is not a valid Secret name/,
    ],
    ['redis port out of range', VALID.replace('host: forum-redis', 'host: forum-redis\n  port: 70000'), /redis\.port: 70000 is not a TCP port/],
    [
      'YAML syntax error',
      'config: [unclosed',
      /sites\/forum\.yaml:1:18: YAML syntax error: a list opened with \[ is not closed .*\. Fix: close it with \] on the same line/,
    ],
    ['metrics mode outside the enum', `${VALID}metrics: statsd\n`, /metrics: "statsd" is not one of exporter, plugin/],
    [
      'a CPU request above the limit',
      `${VALID}resources: { cpu_request: "3", cpu_limit: 1500m }\n`,
      /resources\.cpu_request: 3 is larger than the CPU limit 1500m/,
    ],
    [
      'a memory request above the limit',
      `${VALID}resources: { memory_request: 8Gi, memory_limit: 4Gi }\n`,
      /resources\.memory_request: is larger than the memory limit/,
    ],
    [
      'OIDC without force_https',
      `${VALID}oidc: { issuer_url: https://login.example.com, client_id: d, client_secret: { secret: oidc, key: s } }\n`,
      /config\.force_https: is false but OpenID Connect is configured; OAuth needs HTTPS/,
    ],
    [
      'OIDC with a plaintext client secret',
      `${VALID}oidc: { issuer_url: https://login.example.com, client_id: d, client_secret: abc123 }\n`,
      /oidc\.client_secret: a plaintext value is not allowed/,
    ],
    [
      'SAML with both a certificate and a fingerprint',
      `${VALID}saml: { target_url: https://idp.example.com/sso, certificate: x, cert_fingerprint: y }\n`,
      /saml: needs exactly one of cert_fingerprint and certificate/,
    ],
    ['bad kill delay', `${VALID}kill_delay: soon\n`, /kill_delay: "soon" is not a duration/],
  ])('fails if %s', (_name, yaml, expected) => {
    expect(problemsOf(yaml)).toMatch(expected);
  });

  test('a plaintext secret is never echoed', () => {
    expect(problemsOf(withLines('config', '  smtp_password: hunter2'))).not.toContain('hunter2');
  });

  test('an older credential option says where it goes as a Secret reference, never echoing the value', () => {
    const text = problemsOf(withLines('config', '  db_password: hunter2'));
    expect(text).toMatch(
      /config\.db_password: .*it is now database\.password\. Fix: move it .* as database: \{ password: \{ secret: <secret-name>, key: <key> \} \}/,
    );
    expect(text).not.toContain('hunter2');
  });

  test('all problems are reported at once', () => {
    const yaml = withLines('config', '  throttle_level: extreme\n  max_category_nesting: 5\n  smtp_adress: x');
    const text = problemsOf(yaml);
    expect(text).toMatch(/^3 problems in sites\/forum\.yaml/);
  });

  test('juju-style string booleans are accepted', () => {
    expect(problemsOf(withLines('config', '  smtp_enable_start_tls: "false"\n  smtp_force_tls: "true"'))).toBe('');
  });
});

describe('the TypeScript API validates at the construct boundary', () => {
  test('fails with camelCase names when constructed with bad props', () => {
    const build = () => new Discourse(Testing.chart(), 'forum', { ...MINIMAL, throttleLevel: 'extreme' as never, maxCategoryNesting: 7 });
    expect(build).toThrow(/^2 problems in Discourse test\/forum/);
    expect(build).toThrow(/throttleLevel: "extreme" is not one of none, permissive, strict/);
    expect(build).toThrow(/maxCategoryNesting: 7 is not one of 2, 3/);
  });

  test('a rejected site leaves nothing in the tree, so the chart can still be used', () => {
    const chart = Testing.chart();
    expect(() => new Discourse(chart, 'forum', { ...MINIMAL, throttleLevel: 'extreme' as never })).toThrow(/Discourse test\/forum/);
    expect(chart.node.children).toHaveLength(0);
    expect(() => new Discourse(chart, 'forum', MINIMAL)).not.toThrow();
  });

  test('fails if an unknown prop is passed (typo through a cast)', () => {
    const chart = Testing.chart();
    expect(() => new Discourse(chart, 'forum', { ...MINIMAL, smtpAdress: 'x' } as never)).toThrow(
      /smtpAdress: is not a Discourse option\. Fix: did you mean "smtpAddress"\?/,
    );
  });

  test('fails if the database connection is missing', () => {
    const chart = Testing.chart();
    expect(() => new Discourse(chart, 'forum', { ...MINIMAL, database: undefined as never })).toThrow(/database: is required/);
  });

  test('fails if the construct id is not a valid name and no name is given', () => {
    const chart = Testing.chart();
    expect(() => new Discourse(chart, 'Forum_1', MINIMAL)).toThrow(/name: "Forum_1" is not a valid site name/);
  });

  test('PostgresConnection presets validate their cluster names', () => {
    expect(PostgresConnection.fromCloudNativePg('Bad Name').validate('database')).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'database.cluster' })]),
    );
  });
});

describe('in-cluster data services in a site file', () => {
  const base = 'image: { repository: registry.example.com/discourse, tag: "1.0" }\nconfig:\n  external_hostname: f.example.com\n';
  test('fails if a site has no image, naming the options and where to get one', () => {
    expect(problemsOf(VALID.replace(/^image:.*\n/m, ''))).toMatch(
      /image: is required: the charm's Discourse rock is published on Charmhub, not in a public registry, so there is no default\. Fix: set image\.repository and image\.tag to where you pushed the rock \(docs\/image\.md/,
    );
  });

  test.each([
    [
      'fails if redis.create comes with a host of its own',
      `${base}database:\n  cloudnativepg: { cluster: f-db }\nredis:\n  create: { password: { secret: r, key: p } }\n  host: other\n`,
      /redis\.host: is set together with redis\.create, which runs the server and sets it\. Fix: remove redis\.host/,
    ],
    [
      'fails if the created Cluster would also get a Database object',
      `${base}database:\n  cloudnativepg: { cluster: f-db, manage_extensions: true, create: {} }\nredis:\n  host: r\n`,
      /database\.cloudnativepg\.manage_extensions: is not needed with database\.cloudnativepg\.create: its bootstrap creates hstore and pg_trgm/,
    ],
    [
      'fails if a backup schedule has five cron fields',
      `${base}database:\n  cloudnativepg:\n    cluster: f-db\n    create:\n      backup: { destination_path: "s3://b/p", access_key_id: { secret: a, key: b }, secret_access_key: { secret: a, key: c }, schedule: "0 3 * * *" }\nredis:\n  host: r\n`,
      /database\.cloudnativepg\.create\.backup\.schedule: "0 3 \* \* \*" has five fields/,
    ],
    [
      'fails if the Redis password is plain text',
      `${base}database:\n  cloudnativepg: { cluster: f-db }\nredis:\n  create: { password: hunter2 }\n`,
      /redis\.create\.password: a plaintext value is not allowed here \(value hidden\)/,
    ],
  ])('%s', (_name, yaml, expected) => {
    const text = problemsOf(yaml);
    expect(text).toMatch(expected);
    expect(text).not.toContain('hunter2');
  });

  test('a site that creates both renders the Cluster and Valkey, wired to its pods', () => {
    const { resolved, problems } = siteFromText(
      `${base}database:\n  cloudnativepg: { cluster: f-db, create: {} }\nredis:\n  create: { password: { secret: f-redis, key: password } }\n`,
      'sites/f.yaml',
    );
    expect(problems).toEqual([]);
    expect(resolved!.postgresServer).toMatchObject({ site: 'f', clusterName: 'f-db' });
    expect(resolved!.discourse.environment).toMatchObject({ DISCOURSE_REDIS_HOST: 'f-redis', DISCOURSE_REDIS_PORT: '6379' });
    expect(resolved!.discourse.secretEnvironment).toContainEqual({ name: 'DISCOURSE_REDIS_PASSWORD', from: { secret: 'f-redis', key: 'password' } });
    expect(resolved!.discourse.secretEnvironment).toContainEqual({ name: 'DISCOURSE_DB_PASSWORD', from: { secret: 'f-db-app', key: 'password' } });
  });
});

describe('a mistake gets one message, at its line, naming the form that works', () => {
  const FINGERPRINT = 'AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01';
  const OIDC = 'oidc: { issuer_url: https://login.example.com, client_id: d, client_secret: { secret: oidc, key: s } }\n';
  test.each([
    ['monitoring: false', `${VALID}monitoring: false\n`, /:9:1: monitoring: false is not a mapping\. Fix: write monitoring: \{ enabled: false \}$/],
    ['ingress: false', `${VALID}ingress: false\n`, /ingress: false is not a mapping\. Fix: write ingress: \{ enabled: false \}$/],
    ['network_policy: false', `${VALID}network_policy: false\n`, /network_policy: false is not a mapping\. Fix: write network_policy: \{ enabled: false \}$/],
    [
      'an image string without a tag',
      `${SITE}image: registry.example.com/discourse\n`,
      /image: "registry\.example\.com\/discourse" is not an image reference repository:tag\[@digest\]/,
    ],
    [
      'name: instead of secret: in a Secret reference',
      `${VALID}secret_key_base: { name: forum-skb, key: skb }\n`,
      /:9:20: secret_key_base\.name: is not a key of a Secret reference\. Fix: did you mean "secret:"\? write \{ secret: <secret-name>, key: <key> \}$/,
    ],
    [
      'name: instead of secret: in a required Secret reference',
      `${VALID.replace('forum.example.com', 'forum.example.com\n  force_https: true')}${OIDC.replace('secret: oidc', 'name: oidc')}`,
      /oidc\.client_secret\.name: is not a key of a Secret reference\. Fix: did you mean "secret:"\?/,
    ],
    [
      'name: instead of secret: in an operation',
      `${VALID}operations:\n  - { action: create-user, email: a@example.com, password: { name: pw, key: p } }\n`,
      /:10:62: operations\[0\]\.password\.name: is not a key of a Secret reference\. Fix: did you mean "secret:"\?/,
    ],
    ['no database', VALID.replace(/database:\n.*\n/, ''), /^ {2}- sites\/forum\.yaml: database: is required/m],
    ['no redis', VALID.replace(/redis:\n.*\n/, ''), /^ {2}- sites\/forum\.yaml: redis: is required/m],
    [
      'force_https: "yes" with SAML',
      `${VALID.replace('forum.example.com', 'forum.example.com\n  force_https: "yes"')}saml: { target_url: https://idp.example.com/sso, cert_fingerprint: "${FINGERPRINT}" }\n`,
      /:4:3: config\.force_https: "yes" is not a boolean/,
    ],
    [
      'force_https: "yes" with OIDC',
      `${VALID.replace('forum.example.com', 'forum.example.com\n  force_https: "yes"')}${OIDC}`,
      /config\.force_https: "yes" is not a boolean/,
    ],
    [
      'a tag YAML reads as a number',
      `${SITE}image: { repository: ghcr.io/acme/discourse, tag: 3.4 }\n`,
      /:8:46: image\.tag: 3\.4 is a number, not a string\. Fix: quote it: tag: "3\.4"/,
    ],
    [
      'one tab in an indentation',
      VALID.replace('  external_hostname', '\texternal_hostname'),
      /:3:1: YAML syntax error: Tabs are not allowed as indentation.*Fix: indent with spaces/,
    ],
    [
      'one tab before several lines of a block',
      VALID.replace('  external_hostname: forum.example.com', '\t external_hostname: forum.example.com\n  force_https: true\n  smtp_port: 25'),
      /:3:1: YAML syntax error: Tabs are not allowed as indentation/,
    ],
    [
      'a key the operation does not take',
      `${VALID}operations:\n  - { action: promote-user, email: a@example.com, username: a }\n`,
      /operations\[0\]\.username: is not used by promote-user\. Fix: remove it; promote-user takes email$/,
    ],
    [
      'a CloudNativePG database name without manage_extensions',
      VALID.replace('cluster: forum-db }', 'cluster: forum-db, owner: forum }'),
      /database\.cloudnativepg\.owner: is only used with manage_extensions: true/,
    ],
    ['an unknown key', `${VALID}replicaz: 2\n`, /:9:1: replicaz: is not a known key\. Fix: did you mean "replicas"\?$/],
    [
      'a key indented more than the one above it (at its own line, not the one before)',
      VALID.replace('  external_hostname: forum.example.com', '  external_hostname: forum.example.com\n    force_https: true'),
      /:4:5: YAML indentation: force_https: is indented more than the key above it: 4 spaces where external_hostname: \(line 3\) has 2 spaces: keys can be indented under a key only when it ends its line with ":", and external_hostname: has its value on its line\. Fix: indent it with 2 spaces, like external_hostname: \(line 3\), or with no spaces, like config: \(line 2\)$/,
    ],
    [
      'a key indented less than the one above it',
      VALID.replace('  host: forum-redis', '  host: forum-redis\n port: 6379'),
      /:8:2: YAML indentation: port: is indented less than the key above it: 1 space where host: \(line 7\) has 2 spaces but more than redis: \(line 6, no spaces\), so YAML cannot tell which section it belongs to\. Fix: indent it with 2 spaces, like host: \(line 7\), or with no spaces, like redis: \(line 6\)$/,
    ],
    [
      'a key of a list item indented less than the item',
      `${VALID}operations:\n  - action: create-user\n   email: a@example.com\n`,
      /:11:4: YAML indentation: email: is indented less than the key above it: 3 spaces where action: \(line 10\) has 4 spaces.*Fix: indent it with 4 spaces, like action: \(line 10\)/,
    ],
    [
      'a key written twice',
      VALID.replace('  host: forum-redis', '  host: forum-redis\n  host: other-redis'),
      /:8:3: redis\.host: is written twice, on line 7 and on line 8; YAML allows each key once in a mapping\. Fix: keep the one you mean and delete the other line \(7 or 8\)$/,
    ],
    [
      'a section written twice',
      `${VALID}redis:\n  host: other-redis\n`,
      /:9:1: redis: is written twice, on line 6 and on line 9; YAML allows each key once in a mapping\. Fix: merge the two redis: sections into one$/,
    ],
    [
      'an empty file',
      '',
      /sites\/forum\.yaml: the file is empty \(no keys\): a site needs at least image:, database: and redis:\. Fix: write them \(docs\/getting-started\.md#write-a-site-file\), or delete this empty file and run npm run new-site forum, which writes a commented site file with them set$/,
    ],
    ['a file of comments only', '# forum\n\n# TODO\n', /the file is empty \(no keys\)/],
    ['an unknown charm option', withLines('config', '  smpt_port: 25'), /:3:3: config\.smpt_port: is not a Discourse charm option/],
    [
      'an option of older charm revisions (saml_target_url): where it lives now, not the list of options',
      withLines('config', '  saml_target_url: https://login.ubuntu.com/+saml'),
      /:3:3: config\.saml_target_url: is not a charm option any more \(older charm revisions had it\): it is now saml\.target_url\. Fix: move it out of config: to the top level of the file, as saml: \{ target_url: "https:\/\/login\.ubuntu\.com\/\+saml" \}$/,
    ],
    [
      'an older option renamed within config',
      withLines('config', '  smtp_user_name: mailer'),
      /config\.smtp_user_name: is not a charm option any more \(older charm revisions had it\): it is now config\.smtp_username\. Fix: rename it to smtp_username$/,
    ],
    [
      'an older option replaced by another',
      withLines('config', '  max_reqs_per_ip_mode: block'),
      /config\.max_reqs_per_ip_mode: is an option of older charm revisions, not of this one\. Fix: remove it: replaced by throttle_level \(none, permissive, strict\)$/,
    ],
    [
      'a site-file key written under config, flattened',
      withLines('config', '  uploads_size: 10Gi'),
      /config\.uploads_size: is not a charm option: it is the site-file key uploads\.size\. Fix: move it out of config: to the top level of the file, as uploads: \{ size: "10Gi" \}$/,
    ],
    [
      'a name nobody had: every option, the closest first',
      withLines('config', '  smtp_host_name: mail'),
      /config\.smtp_host_name: is not a Discourse charm option\. Fix: use one of \(closest first\) smtp_username, /,
    ],
  ])('%s', (_name, yaml, expected) => {
    const { problems } = siteFromText(yaml, 'sites/forum.yaml');
    expect(problemsOf(yaml)).toMatch(expected);
    expect(problems).toHaveLength(1);
  });

  test('a missing database and a missing redis are two problems, not four', () => {
    const yaml = 'image: registry.example.com/discourse:1.0\nconfig:\n  external_hostname: forum.example.com\n';
    expect(siteFromText(yaml, 'sites/forum.yaml').problems.map((p) => p.path)).toEqual(['redis', 'database']);
  });

  test('the string form of image: repository:tag[@digest]', () => {
    const digest = `sha256:${'0'.repeat(64)}`;
    const { site, problems } = siteFromText(`${SITE}image: registry.example.com:5000/acme/discourse:3.4.2@${digest}\n`, 'sites/forum.yaml');
    expect(problems).toEqual([]);
    expect(site!.props.image).toEqual({ repository: 'registry.example.com:5000/acme/discourse', tag: '3.4.2', digest });
  });
});
