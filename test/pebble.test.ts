import { parse } from 'yaml';
import { LAYER_FILE, LOG_FILES, discourseLayer } from '../lib/discourse-layer';
import { PebbleLayer, parseGoDuration, renderLayer, validateLayer, validateLayerYaml } from '../lib/pebble';

const layer = discourseLayer({ environment: { RAILS_ENV: 'production' }, killDelay: '20s', tailLogs: true, bootSeconds: 600 });

describe('the Discourse layer', () => {
  test('service discourse and check discourse-ready exactly as the charm writes them', () => {
    // WHEN
    const rendered = parse(renderLayer(layer));
    // THEN
    expect(rendered.services.discourse).toEqual({
      override: 'replace',
      summary: 'Discourse web application',
      command: '/srv/scripts/app_launch.sh',
      user: '_daemon_',
      startup: 'enabled',
      'kill-delay': '20s',
      environment: { RAILS_ENV: 'production' },
      'on-check-failure': { 'discourse-up': 'restart' },
    });
    expect(rendered.checks['discourse-ready']).toEqual({ override: 'replace', level: 'ready', http: { url: 'http://localhost:3000/srv/status' } });
  });

  test('the liveness-style check has no level, so Pebble restarts Unicorn instead of the kubelet killing the pod', () => {
    const up = parse(renderLayer(layer)).checks['discourse-up'];
    expect(up.level).toBeUndefined();
    expect(up.tcp).toEqual({ port: 3000 });
    // It tolerates the whole boot budget (20 x 30 s = 600 s), like the startup probe.
    expect(up.threshold * 30).toBeGreaterThanOrEqual(600);
  });

  test('the log tailer follows every file the charm ships to Loki', () => {
    const logs = layer.services!['discourse-logs'];
    for (const file of LOG_FILES) expect(logs.command).toContain(file);
    expect(logs.command).toMatch(/^tail -n 0 -F /);
  });

  test('log files are truncated above 100 MiB by a shell loop Pebble supervises', () => {
    const trim = layer.services!['discourse-log-trim'];
    expect(trim.command).toMatch(/^sh -c 'while sleep 60; do for f in /);
    for (const file of LOG_FILES) expect(trim.command).toContain(file);
    expect(trim.command).toContain(`-gt ${100 * 1024 * 1024}`);
  });

  test('the rendered YAML uses only keys Pebble knows', () => {
    expect(validateLayerYaml(renderLayer(layer))).toEqual([]);
  });

  test('a Loki URL adds a loki log target for all services', () => {
    const withLoki = discourseLayer({
      environment: {},
      killDelay: '20s',
      tailLogs: true,
      bootSeconds: 600,
      lokiUrl: 'http://loki:3100/loki/api/v1/push',
      lokiLabels: { site: 'forum' },
    });
    expect(parse(renderLayer(withLoki))['log-targets']).toEqual({
      loki: { override: 'replace', type: 'loki', location: 'http://loki:3100/loki/api/v1/push', services: ['all'], labels: { site: 'forum' } },
    });
    expect(validateLayer(withLoki, LAYER_FILE)).toEqual([]);
  });

  test('is valid as Pebble would load it', () => {
    expect(validateLayer(layer, LAYER_FILE)).toEqual([]);
  });

  test('environment keys keep their spelling (no kebab-casing of user data)', () => {
    const l = discourseLayer({ environment: { killDelay: 'x', DISCOURSE_HOSTNAME: 'h' }, killDelay: '5s', tailLogs: false, bootSeconds: 600 });
    expect(parse(renderLayer(l)).services.discourse.environment).toEqual({ killDelay: 'x', DISCOURSE_HOSTNAME: 'h' });
  });
});

describe('validateLayer mirrors what Pebble rejects at boot', () => {
  const svc = { override: 'replace' as const, command: '/bin/true' };
  test.each<[string, PebbleLayer, string, RegExp]>([
    ['a file name without the order prefix', { services: { a: svc } }, 'discourse.yaml', /invalid layer filename/],
    ['a two-letter label', { services: { a: svc } }, '001-ab.yaml', /invalid layer filename/],
    ['a .yml extension', { services: { a: svc } }, '001-discourse.yml', /invalid layer filename/],
    ['a pebble- label', { services: { a: svc } }, '001-pebble-x.yaml', /must not start with "pebble-"/],
    ['a service without override', { services: { a: { command: 'x' } as never } }, '001-abc.yaml', /must define "override" for service "a"/],
    ['a service without command', { services: { a: { override: 'merge', command: '' } } }, '001-abc.yaml', /must define "command"/],
    ['a command using $VAR', { services: { a: { override: 'merge', command: 'run $HOME' } } }, '001-abc.yaml', /does not expand them/],
    ['a service named pebble', { services: { pebble: svc } }, '001-abc.yaml', /reserved or invalid service name/],
    ['a bad kill-delay', { services: { a: { ...svc, killDelay: '20 seconds' } } }, '001-abc.yaml', /kill-delay: "20 seconds" is not a duration/],
    ['a backoff-factor below 1', { services: { a: { ...svc, backoffFactor: 0.5 } } }, '001-abc.yaml', /backoff-factor must be 1.0 or greater/],
    ['an unknown on-success action', { services: { a: { ...svc, onSuccess: 'reboot' as never } } }, '001-abc.yaml', /invalid on-success action/],
    ['on-check-failure naming no check', { services: { a: { ...svc, onCheckFailure: { nope: 'restart' } } } }, '001-abc.yaml', /unknown check "nope"/],
    ['a dependency on an unknown service', { services: { a: { ...svc, after: ['b'] } } }, '001-abc.yaml', /depends on unknown service "b"/],
    ['a before/after cycle', { services: { a: { ...svc, after: ['b'] }, b: { ...svc, after: ['a'] } } }, '001-abc.yaml', /before\/after loop/],
    [
      'a check with two types',
      { checks: { c: { override: 'replace', http: { url: 'http://x' }, tcp: { port: 1 } } } },
      '001-abc.yaml',
      /exactly one of "http", "tcp", or "exec"/,
    ],
    ['a check with no type', { checks: { c: { override: 'replace' } } }, '001-abc.yaml', /exactly one of/],
    ['a bad level', { checks: { c: { override: 'replace', level: 'up' as never, tcp: { port: 1 } } } }, '001-abc.yaml', /level must be alive or ready/],
    ['a zero period', { checks: { c: { override: 'replace', period: '0s', tcp: { port: 1 } } } }, '001-abc.yaml', /period must not be zero/],
    [
      'a timeout longer than the period',
      { checks: { c: { override: 'replace', period: '5s', timeout: '10s', tcp: { port: 1 } } } },
      '001-abc.yaml',
      /timeout 10s is longer than period 5s/,
    ],
    [
      'a log target with a reserved label',
      { services: { a: svc }, logTargets: { l: { override: 'merge', type: 'loki', location: 'http://l', services: ['a'], labels: { pebble_x: 'y' } } } },
      '001-abc.yaml',
      /must not start with "pebble_"/,
    ],
  ])('fails if %s', (_name, l, file, expected) => {
    expect(validateLayer(l, file).join('\n')).toMatch(expected);
  });

  test.each([
    ['a camelCase key', 'services:\n  a:\n    override: replace\n    command: x\n    killDelay: 5s\n', /service "a": unknown field "killDelay"/],
    ['an unknown top-level key', 'servces: {}\n', /layer: unknown field "servces"/],
    ['an unknown check field', 'checks:\n  c:\n    override: replace\n    http:\n      uri: http://x\n', /check "c" http: unknown field "uri"/],
  ])('validateLayerYaml fails on %s', (_n, text, expected) => {
    expect(validateLayerYaml(text).join('\n')).toMatch(expected);
  });

  test('accepts sub-directory style and normal names', () => {
    expect(validateLayer({ services: { a: svc } }, '100-overrides.yaml')).toEqual([]);
  });
});

test.each([
  ['500ms', 500],
  ['20s', 20_000],
  ['1m30s', 90_000],
  ['2h', 7_200_000],
  ['1.5s', 1500],
  ['20', undefined],
  ['s', undefined],
  ['-1s', undefined],
])('parseGoDuration(%s) = %s', (text, ms) => {
  expect(parseGoDuration(text)).toBe(ms);
});
