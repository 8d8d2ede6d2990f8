import { parse } from 'yaml';
import { LAYER_FILE, LOG_FILES, discourseLayer, siteLogTarget } from '../lib/pebble/discourse-layer';
import { sidekiqLayer } from '../lib/workload/sidekiq';
import { PebbleLayer, layerDocument, renderLayer, validateLayer, validateLayerDocument, validateLayerYaml } from '../lib/pebble/pebble';
import { parseGoDuration } from '../lib/core/units';
import { checkCadence, toleranceSeconds, worstCaseDetectionSeconds } from '../lib/pebble/pebble-timing';

const layer = discourseLayer({ environment: { RAILS_ENV: 'production' }, killDelaySeconds: 20, tailLogs: true, bootSeconds: 600 });

describe('the Discourse layer', () => {
  test('service discourse as the charm writes it, minus user: (the pod already runs as _daemon_)', () => {
    // WHEN
    const rendered = parse(renderLayer(layer));
    // THEN
    expect(rendered.services.discourse).toEqual({
      override: 'replace',
      summary: 'Discourse web application',
      command: '/srv/scripts/app_launch.sh',
      startup: 'enabled',
      'kill-delay': '20s',
      environment: { RAILS_ENV: 'production', HOME: '/var/lib/pebble/default', USER: '_daemon_' },
      'on-check-failure': { 'discourse-up': 'restart' },
    });
  });

  test('no service switches user, so Pebble before v1.3 can run them as non-root; each gets HOME and USER as user: _daemon_ would', () => {
    const services = Object.entries(layer.services!);
    expect(services.filter(([, s]) => s.user ?? s.userId ?? s.group ?? s.groupId).map(([name]) => name)).toEqual([]);
    expect(services.filter(([, s]) => s.environment?.HOME !== '/var/lib/pebble/default' || s.environment?.USER !== '_daemon_').map(([name]) => name)).toEqual(
      [],
    );
  });

  test('discourse-ready is the charm check on /srv/status, reporting a failed Unicorn within 6 s', () => {
    const ready = layer.checks!['discourse-ready'];
    expect(ready).toMatchObject({ level: 'ready', http: { url: 'http://localhost:3000/srv/status' } });
    // Pebble's defaults (3 x 10 s) kept a dead pod "ready" for up to 33 s.
    expect(worstCaseDetectionSeconds(checkCadence(ready))).toBeLessThanOrEqual(6);
  });

  test('discourse-up asks Unicorn over HTTP (a frozen Unicorn still accepts TCP) and has no level, so Pebble restarts Unicorn, not the kubelet the pod', () => {
    const up = layer.checks!['discourse-up'];
    expect(up.http).toEqual({ url: 'http://localhost:3000/srv/status' });
    expect(up.tcp).toBeUndefined();
    // With level alive, the liveness probe would kill the container while Pebble reboots Unicorn.
    expect(up.level).toBeUndefined();
    expect(Object.entries(layer.checks!).filter(([, c]) => c.level === 'alive')).toEqual([]);
  });

  describe('discourse-up gives a boot after a failed boot its full budget (failures carry over a restart)', () => {
    test.each([30, 120, 600, 3600])('boot budget %i s', (bootSeconds) => {
      // GIVEN
      const up = discourseLayer({ environment: {}, killDelaySeconds: 20, tailLogs: false, bootSeconds }).checks!['discourse-up'];
      const cadence = checkCadence(up);
      // THEN: a failed boot (bootSeconds), Pebble's longest backoff (30 s) and a full boot fit
      // into the failures the check sits out, at any phase of its runs.
      const stretch = bootSeconds + 30 + bootSeconds;
      expect(toleranceSeconds(cadence)).toBeGreaterThanOrEqual(stretch);
      // Not more than a period longer, so a frozen Unicorn is still restarted (after about 2 boots + 1 min).
      expect(toleranceSeconds(cadence)).toBeLessThan(stretch + cadence.periodSeconds);
      expect(worstCaseDetectionSeconds(cadence)).toBeLessThanOrEqual(stretch + 2 * cadence.periodSeconds + cadence.timeoutSeconds);
    });

    test('the measured case: a 560 s failed boot and a restart now leave the second boot more than its 600 s', () => {
      const cadence = checkCadence(layer.checks!['discourse-up']);
      // Before: threshold 20 x 30 s killed the second boot 39.7 s in. Failures the second boot may still take:
      const carried = Math.ceil((560 + 30) / cadence.periodSeconds);
      expect((cadence.threshold - 1 - carried) * cadence.periodSeconds).toBeGreaterThanOrEqual(600);
    });
  });

  test('the log tailer follows every file the charm ships to Loki, without file headers', () => {
    const logs = layer.services!['discourse-logs'];
    for (const file of LOG_FILES) expect(logs.command).toContain(file);
    expect(logs.command).toMatch(/^sh -c 'trap "" TERM; exec tail -n 0 -q -F /);
  });

  test("on shutdown the tailer is stopped at the same time as Unicorn and outlives Unicorn's kill-delay", () => {
    const services = layer.services!;
    // No service requires another, so Pebble stops each in its own lane, all at once
    // (plan.go StopOrder/createLanes; before v1.16 the first two stop tasks ran together too).
    expect(Object.entries(services).filter(([, s]) => (s.requires ?? []).length > 0)).toEqual([]);
    // The tailer ignores TERM and is SIGKILLed at its kill-delay: that must come after
    // Unicorn's, plus tail's 1 s polling interval.
    const tailKill = parseGoDuration(services['discourse-logs'].killDelay!)! / 1000;
    const unicornKill = parseGoDuration(services.discourse.killDelay!)! / 1000;
    expect(tailKill - unicornKill).toBeGreaterThan(1);
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

  test('the construct checks the document the YAML is written from: reading the YAML back gives that document', () => {
    expect(parse(renderLayer(layer))).toEqual(layerDocument(layer));
    expect(validateLayerDocument(layerDocument(layer))).toEqual([]);
    expect(validateLayerDocument({ services: { discourse: { killDelay: '5s' } } })).toEqual(['service "discourse": unknown field "killDelay"']);
  });

  test('a Loki URL adds a loki log target for all services', () => {
    const withLoki = discourseLayer({
      environment: {},
      killDelaySeconds: 20,
      tailLogs: true,
      bootSeconds: 600,
      logTarget: siteLogTarget({ lokiUrl: 'http://loki:3100/loki/api/v1/push' }, { name: 'forum', namespace: 'forums', role: 'web' }),
    });
    expect(parse(renderLayer(withLoki))['log-targets']).toEqual({
      loki: {
        override: 'replace',
        type: 'loki',
        location: 'http://loki:3100/loki/api/v1/push',
        services: ['all'],
        labels: { site: 'forum', namespace: 'forums', role: 'web' },
      },
    });
    expect(validateLayer(withLoki, LAYER_FILE)).toEqual([]);
  });

  test.each([
    ['Loki', { lokiUrl: 'http://loki:3100/loki/api/v1/push' }, 'loki', 'loki'],
    ['an OpenTelemetry collector', { otlpLogsUrl: 'http://alloy.monitoring:4318' }, 'otlp', 'opentelemetry'],
  ])('the web and the separate Sidekiq layer ship to the same target (%s), told apart by role', (_n, urls, name, type) => {
    // GIVEN one site
    const site = { name: 'forum', namespace: 'forums' };
    // WHEN both layers are rendered
    const web = parse(
      renderLayer(
        discourseLayer({ environment: {}, killDelaySeconds: 20, tailLogs: true, bootSeconds: 600, logTarget: siteLogTarget(urls, { ...site, role: 'web' }) }),
      ),
    );
    const sidekiq = parse(
      renderLayer(
        sidekiqLayer({
          environment: {},
          killDelaySeconds: 20,
          bootSeconds: 600,
          maxMemoryMebibytes: 1000,
          logTarget: siteLogTarget(urls, { ...site, role: 'sidekiq' }),
        }),
      ),
    );
    // THEN
    const location = Object.values(urls)[0];
    for (const [layer, role] of [
      [web, 'web'],
      [sidekiq, 'sidekiq'],
    ] as const)
      expect({ role, targets: layer['log-targets'] }).toEqual({
        role,
        targets: { [name]: { override: 'replace', type, location, services: ['all'], labels: { site: 'forum', namespace: 'forums', role } } },
      });
    expect(siteLogTarget({}, { ...site, role: 'web' })).toBeUndefined();
  });

  test('is valid as Pebble would load it', () => {
    expect(validateLayer(layer, LAYER_FILE)).toEqual([]);
  });

  test('environment keys keep their spelling (no kebab-casing of user data)', () => {
    const l = discourseLayer({ environment: { killDelay: 'x', DISCOURSE_HOSTNAME: 'h' }, killDelaySeconds: 5, tailLogs: false, bootSeconds: 600 });
    expect(parse(renderLayer(l)).services.discourse.environment).toEqual({
      killDelay: 'x',
      DISCOURSE_HOSTNAME: 'h',
      HOME: '/var/lib/pebble/default',
      USER: '_daemon_',
    });
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
