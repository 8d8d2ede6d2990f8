import { DiscourseConfig, resolveConfig } from '../lib/model/config';
import { readFileSync } from 'fs';
import { parse } from 'yaml';
import { resolveDiscourse } from '../lib/model/resolve-discourse';
import { Json, MINIMAL, fixtureManifests } from './fixtures';
import { join } from 'path';
import {
  EnvironmentInputs,
  MANAGED_ENV_PATTERNS,
  corsOrigin,
  discourseEnvironment,
  samlCertFingerprint,
  samlGroupsList,
  secretEnvironment,
  throttleEnvironment,
} from '../lib/model/environment';

function env(config: DiscourseConfig, extra: Partial<EnvironmentInputs> = {}): Record<string, string> {
  const problems: never[] = [];
  const resolved = resolveConfig(
    { externalHostname: 'forum.example.com', ...config },
    { siteName: 'forum', samlConfigured: extra.saml !== undefined },
    problems,
  );
  expect(problems).toEqual([]);
  return discourseEnvironment({ config: resolved, metrics: 'exporter', connection: {}, ...extra });
}

describe('throttle levels (every row of the charm table)', () => {
  test.each([
    ['none', { DISCOURSE_MAX_REQS_PER_IP_MODE: 'none', DISCOURSE_MAX_REQS_RATE_LIMIT_ON_PRIVATE: 'false' }],
    [
      'permissive',
      {
        DISCOURSE_MAX_REQS_PER_IP_MODE: 'warn+block',
        DISCOURSE_MAX_REQS_PER_IP_PER_MINUTE: '1000',
        DISCOURSE_MAX_REQS_PER_IP_PER_10_SECONDS: '100',
        DISCOURSE_MAX_USER_API_REQS_PER_MINUTE: '3000',
        DISCOURSE_MAX_ASSET_REQS_PER_IP_PER_10_SECONDS: '400',
        DISCOURSE_MAX_USER_API_REQS_PER_DAY: '30000',
        DISCOURSE_MAX_ADMIN_API_REQS_PER_KEY_PER_MINUTE: '3000',
      },
    ],
    [
      'strict',
      {
        DISCOURSE_MAX_REQS_PER_IP_MODE: 'block',
        DISCOURSE_MAX_REQS_PER_IP_PER_MINUTE: '200',
        DISCOURSE_MAX_REQS_PER_IP_PER_10_SECONDS: '50',
        DISCOURSE_MAX_USER_API_REQS_PER_MINUTE: '100',
        DISCOURSE_MAX_ASSET_REQS_PER_IP_PER_10_SECONDS: '200',
      },
    ],
  ] as const)('%s', (level, expected) => {
    // WHEN
    const result = throttleEnvironment(level);
    // THEN: exactly these variables, nothing more (strict keeps Discourse's defaults for the rest)
    expect(result).toEqual(expected);
    expect(env({ throttleLevel: level })).toMatchObject(expected);
  });
});

describe('CORS origin rule', () => {
  const base = { corsOrigin: '', augmentCorsOrigin: true, forceHttps: false, externalHostname: 'forum.example.com', s3CdnUrl: '' };
  test.each([
    ['"*" stays "*"', { corsOrigin: '*' }, '*'],
    ['"*" stays "*" even when augmenting with a CDN', { corsOrigin: ' * ', s3CdnUrl: 'https://cdn.example.com' }, '*'],
    ['augment adds http://host without force_https', {}, 'http://forum.example.com'],
    ['augment adds https://host with force_https', { forceHttps: true }, 'https://forum.example.com'],
    ['augment adds the CDN', { forceHttps: true, s3CdnUrl: 'https://cdn.example.com' }, 'https://cdn.example.com,https://forum.example.com'],
    [
      'listed origins are trimmed, de-duplicated and sorted',
      { corsOrigin: 'https://b.example, https://a.example,https://b.example', augmentCorsOrigin: false },
      'https://a.example,https://b.example',
    ],
    ['augmenting does not duplicate a listed origin', { corsOrigin: 'https://forum.example.com', forceHttps: true }, 'https://forum.example.com'],
    ['no augment and nothing listed gives empty', { augmentCorsOrigin: false }, ''],
  ])('%s', (_name, overrides, expected) => {
    expect(corsOrigin({ ...base, ...overrides })).toBe(expected);
  });
});

describe('discourseEnvironment', () => {
  test('always-set values from the charm', () => {
    expect(env({})).toMatchObject({
      RAILS_ENV: 'production',
      DISCOURSE_SERVE_STATIC_ASSETS: 'true',
      DISCOURSE_REFRESH_MAXMIND_DB_DURING_PRECOMPILE_DAYS: '0',
      CONTAINER_APP_NAME: 'discourse',
      CONTAINER_APP_ROOT: '/srv/discourse',
      CONTAINER_APP_USERNAME: '_daemon_',
      DISCOURSE_HOSTNAME: 'forum.example.com',
      DISCOURSE_ENABLE_CORS: 'true',
      DISCOURSE_MAX_CATEGORY_NESTING: '2',
      UNICORN_SIDEKIQ_MAX_RSS: '1000',
    });
  });

  test('SMTP options map to DISCOURSE_SMTP_*, password only by reference', () => {
    const result = env({
      smtpAddress: 'smtp.example.com',
      smtpPort: 465,
      smtpDomain: 'example.com',
      smtpUsername: 'bot',
      smtpAuthentication: 'plain',
      smtpEnableStartTls: false,
      smtpForceTls: true,
      smtpOpensslVerifyMode: 'peer',
      smtpPassword: { secret: 'smtp', key: 'pw' },
    });
    expect(result).toMatchObject({
      DISCOURSE_SMTP_ADDRESS: 'smtp.example.com',
      DISCOURSE_SMTP_PORT: '465',
      DISCOURSE_SMTP_DOMAIN: 'example.com',
      DISCOURSE_SMTP_USER_NAME: 'bot',
      DISCOURSE_SMTP_AUTHENTICATION: 'plain',
      DISCOURSE_SMTP_ENABLE_START_TLS: 'false',
      DISCOURSE_SMTP_FORCE_TLS: 'true',
      DISCOURSE_SMTP_OPENSSL_VERIFY_MODE: 'peer',
    });
    expect(result).not.toHaveProperty('DISCOURSE_SMTP_PASSWORD');
  });

  test('S3 enabled maps bucket, region, endpoint, CDN, backups; keys only as Secret refs', () => {
    const config: DiscourseConfig = {
      s3Enabled: true,
      s3Bucket: 'uploads',
      s3Region: 'eu-west-1',
      s3AccessKeyId: { secret: 's3', key: 'id' },
      s3SecretAccessKey: { secret: 's3', key: 'secret' },
      s3CdnUrl: 'https://cdn.example.com',
      s3BackupBucket: 'backups',
      s3InstallCorsRule: false,
    };
    const result = env(config);
    expect(result).toMatchObject({
      DISCOURSE_USE_S3: 'true',
      FORCE_S3_UPLOADS: 'true',
      DISCOURSE_S3_BUCKET: 'uploads',
      DISCOURSE_S3_REGION: 'eu-west-1',
      DISCOURSE_S3_ENDPOINT: 'https://s3.amazonaws.com',
      DISCOURSE_S3_CDN_URL: 'https://cdn.example.com',
      DISCOURSE_S3_INSTALL_CORS_RULE: 'false',
      DISCOURSE_BACKUP_LOCATION: 's3',
      DISCOURSE_S3_BACKUP_BUCKET: 'backups',
    });
    expect(Object.keys(result).filter((k) => k.includes('ACCESS_KEY'))).toEqual([]);
    const problems: never[] = [];
    const secrets = secretEnvironment(resolveConfig({ externalHostname: 'f.example.com', ...config }, { siteName: 'f', samlConfigured: false }, problems), []);
    expect(secrets).toEqual([
      { name: 'DISCOURSE_S3_ACCESS_KEY_ID', from: { secret: 's3', key: 'id' } },
      { name: 'DISCOURSE_S3_SECRET_ACCESS_KEY', from: { secret: 's3', key: 'secret' } },
    ]);
  });

  test('S3 disabled sets no S3 variables', () => {
    expect(Object.keys(env({})).filter((k) => k.includes('S3'))).toEqual([]);
  });

  test('SAML relation data and sync groups', () => {
    const saml = { targetUrl: 'https://idp.example.com/sso', certFingerprint: 'AB:CD' };
    expect(env({ forceHttps: true, forceSamlLogin: true, samlSyncGroups: 'staff, admins' }, { saml })).toMatchObject({
      DISCOURSE_SAML_TARGET_URL: 'https://idp.example.com/sso',
      DISCOURSE_SAML_CERT_FINGERPRINT: 'AB:CD',
      DISCOURSE_SAML_FULL_SCREEN_LOGIN: 'true',
      DISCOURSE_SAML_SYNC_GROUPS: 'true',
      DISCOURSE_SAML_SYNC_GROUPS_LIST: 'staff|admins',
      DISCOURSE_SAML_GROUPS_FULLSYNC: 'false',
    });
    expect(samlGroupsList('a,,b , c')).toBe('a|b|c');
  });

  test("OpenID Connect maps to the charm's oauth env; the client secret only by reference", () => {
    const oidc = { issuerUrl: 'https://login.example.com/realms/main/', clientId: 'discourse', clientSecret: { secret: 'oidc', key: 'secret' } };
    expect(env({ forceHttps: true }, { oidc })).toMatchObject({
      DISCOURSE_OPENID_CONNECT_ENABLED: 'true',
      DISCOURSE_OPENID_CONNECT_DISCOVERY_DOCUMENT: 'https://login.example.com/realms/main/.well-known/openid-configuration',
      DISCOURSE_OPENID_CONNECT_CLIENT_ID: 'discourse',
      DISCOURSE_OPENID_CONNECT_AUTHORIZE_SCOPE: 'openid email',
      DISCOURSE_OPENID_CONNECT_MATCH_BY_EMAIL: 'true',
    });
    expect(env({ forceHttps: true }, { oidc })).not.toHaveProperty('DISCOURSE_OPENID_CONNECT_CLIENT_SECRET');
    const problems: never[] = [];
    const config = resolveConfig({ externalHostname: 'f.example.com', forceHttps: true }, { siteName: 'f', samlConfigured: false }, problems);
    expect(secretEnvironment(config, [], oidc)).toEqual([{ name: 'DISCOURSE_OPENID_CONNECT_CLIENT_SECRET', from: { secret: 'oidc', key: 'secret' } }]);
  });

  test('the SAML fingerprint of a PEM certificate matches openssl x509 -fingerprint -sha1', () => {
    const pem = readFileSync(join(__dirname, 'fixtures', 'saml-idp.pem'), 'utf8');
    // Recorded from: openssl x509 -in test/fixtures/saml-idp.pem -noout -fingerprint -sha1
    expect(samlCertFingerprint(pem)).toBe('CF:65:F5:82:5F:E8:62:18:55:22:4C:8C:F4:BB:F0:18:A1:7F:64:EF');
    const bare = pem.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, '');
    expect(samlCertFingerprint(bare)).toBe(samlCertFingerprint(pem));
  });

  test('proxy settings set upper- and lower-case twins', () => {
    const result = env({}, { proxy: { httpProxy: 'http://p:3128', httpsProxy: 'http://p:3129', noProxy: 'localhost,.svc' } });
    expect(result).toMatchObject({
      HTTP_PROXY: 'http://p:3128',
      http_proxy: 'http://p:3128',
      HTTPS_PROXY: 'http://p:3129',
      https_proxy: 'http://p:3129',
      NO_PROXY: 'localhost,.svc',
      no_proxy: 'localhost,.svc',
    });
    expect(env({})).not.toHaveProperty('HTTP_PROXY');
  });

  test('exporter mode moves the plugin collector to 0.0.0.0:9394; plugin mode leaves it alone', () => {
    expect(env({})).toMatchObject({ DISCOURSE_PROMETHEUS_COLLECTOR_PORT: '9394', DISCOURSE_PROMETHEUS_WEBSERVER_BIND: '0.0.0.0' });
    expect(env({}, { metrics: 'plugin' })).not.toHaveProperty('DISCOURSE_PROMETHEUS_COLLECTOR_PORT');
  });

  test('keys come out sorted whatever the input order', () => {
    const keys = Object.keys(env({ throttleLevel: 'strict' }));
    expect(keys).toEqual([...keys].sort());
  });
});

describe('the env mapping is the only source of managed variables', () => {
  // Every variable the web pods can receive: the container's env and the Pebble layer's.
  const manifests = fixtureManifests();
  const layers = manifests.filter((m) => m.kind === 'ConfigMap' && m.metadata.name.endsWith('-pebble'));
  const layerNames = layers.flatMap((m) =>
    Object.values((parse(Object.values(m.data as Record<string, string>)[0]) as Json).services).flatMap((svc) => Object.keys((svc as Json).environment ?? {})),
  );
  const containerNames = manifests
    .filter((m) => m.kind === 'Deployment')
    .flatMap((m) => m.spec.template.spec.containers.flatMap((c: Json) => (c.env ?? []).map((e: Json) => e.name as string)));
  // What the fixtures set themselves through extra_env / extra_secret_env.
  const extras = new Set(['DISCOURSE_ENABLE_PERFORMANCE_HTTP_HEADERS', 'DISCOURSE_MAXMIND_LICENSE_KEY']);
  const produced = [...new Set([...layerNames, ...containerNames])].filter((n) => !extras.has(n)).sort();

  test('the fixtures exercise the mapping (exporter and plugin mode, S3, SAML, OIDC, proxy)', () => {
    expect(produced).toEqual(
      expect.arrayContaining(['DISCOURSE_S3_BUCKET', 'DISCOURSE_SAML_TARGET_URL', 'DISCOURSE_OPENID_CONNECT_CLIENT_ID', 'HTTP_PROXY', 'PEBBLE']),
    );
    expect(produced.length).toBeGreaterThan(50);
  });

  test('extra_env refuses every variable the project sets (none can be overridden around its rules)', () => {
    const refused = (name: string) =>
      resolveDiscourse({ ...MINIMAL, extraEnv: { [name]: 'x' } }, 'forum').problems.some(
        (p) => p.path === `extraEnv.${name}` && /set from the typed options/.test(p.message),
      );
    expect(produced.filter((name) => !refused(name))).toEqual([]);
  });

  test('every managed pattern still matches something the project sets (no stale entries)', () => {
    expect(MANAGED_ENV_PATTERNS.filter((re) => !produced.some((n) => re.test(n))).map(String)).toEqual([]);
  });
});
