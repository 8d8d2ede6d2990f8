import { OPTIONS, configFromCharmOptions, splitList } from '../lib/model/config';
import { isDnsLabel, isDnsSubdomain, isHttpUrl, isLabelKey, isLabelValue } from '../lib/core/checks';
import { Problem } from '../lib/core/problems';

describe('name and value rules', () => {
  test.each([
    ['forum', true],
    ['forum-1', true],
    ['a'.repeat(63), true],
    ['a'.repeat(64), false],
    ['Forum', false],
    ['-forum', false],
    ['forum-', false],
    ['fo_rum', false],
  ])('isDnsLabel(%s) = %s', (value, ok) => expect(isDnsLabel(value)).toBe(ok));

  test.each([
    ['forum.example.com', true],
    ['a.b', true],
    ['forum..example.com', false],
    ['https://forum.example.com', false],
    [`${'a'.repeat(64)}.com`, false],
    ['FORUM.example.com', false],
  ])('isDnsSubdomain(%s) = %s', (value, ok) => expect(isDnsSubdomain(value)).toBe(ok));

  test.each([
    ['https://cdn.example.com', true],
    ['http://10.0.0.1:8080/x', true],
    ['ftp://example.com', false],
    ['cdn.example.com', false],
    ['https://', false],
  ])('isHttpUrl(%s) = %s', (value, ok) => expect(isHttpUrl(value)).toBe(ok));

  test.each([
    ['app.kubernetes.io/name', true],
    ['release', true],
    ['grafana_dashboard', true],
    ['a/b/c', false],
    ['Bad.Prefix/x', false],
    ['bad key', false],
    ['-x', false],
    [`${'a'.repeat(64)}`, false],
  ])('isLabelKey(%s) = %s', (value, ok) => expect(isLabelKey(value)).toBe(ok));

  test.each([
    ['', true],
    ['1', true],
    ['kube-prometheus-stack', true],
    ['a b', false],
    ['-x', false],
    ['a'.repeat(64), false],
  ])('isLabelValue(%s) = %s', (value, ok) => expect(isLabelValue(value)).toBe(ok));

  test('splitList trims and drops blanks', () => {
    expect(splitList(' a, ,b ,, c')).toEqual(['a', 'b', 'c']);
  });
});

describe('the option table', () => {
  test('covers every charm option of the reference, each once, in both spellings', () => {
    const charm = [
      'external_hostname',
      'force_https',
      'enable_cors',
      'cors_origin',
      'augment_cors_origin',
      'developer_emails',
      'max_category_nesting',
      'smtp_address',
      'smtp_port',
      'smtp_domain',
      'smtp_username',
      'smtp_password',
      'smtp_authentication',
      'smtp_enable_start_tls',
      'smtp_force_tls',
      'smtp_openssl_verify_mode',
      's3_enabled',
      's3_access_key_id',
      's3_secret_access_key',
      's3_bucket',
      's3_region',
      's3_endpoint',
      's3_backup_bucket',
      's3_cdn_url',
      's3_install_cors_rule',
      'throttle_level',
      'force_saml_login',
      'saml_sync_groups',
      'sidekiq_max_memory',
    ];
    expect(OPTIONS.map((o) => o.option).sort()).toEqual([...charm].sort());
    for (const o of OPTIONS) expect(o.prop).toBe(o.option.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase()));
  });

  test('charm defaults', () => {
    const defaults = Object.fromEntries(OPTIONS.map((o) => [o.option, o.default]));
    expect(defaults).toMatchObject({
      force_https: false,
      enable_cors: true,
      cors_origin: '',
      augment_cors_origin: true,
      max_category_nesting: 2,
      smtp_port: 587,
      smtp_authentication: 'none',
      smtp_enable_start_tls: true,
      smtp_force_tls: false,
      smtp_openssl_verify_mode: 'none',
      s3_enabled: false,
      s3_endpoint: 'https://s3.amazonaws.com',
      s3_install_cors_rule: true,
      throttle_level: 'none',
      sidekiq_max_memory: 1000,
    });
  });

  test('configFromCharmOptions converts names and skips null values (juju prints unset options as null)', () => {
    const problems: Problem[] = [];
    expect(configFromCharmOptions({ smtp_port: 465, cors_origin: null, force_https: 'true' }, problems)).toEqual({ smtpPort: 465, forceHttps: true });
    expect(problems).toEqual([]);
  });
});
