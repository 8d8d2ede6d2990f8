import { readFileSync } from 'fs';
import { join } from 'path';
import { parse } from 'yaml';
import { BITNAMI_VALUES, fromBitnamiValues } from '../app/bitnami-import';
import { siteFromText } from '../app/resolve-site';
import { SITE_FILE_NAMES } from '../app/site-keys';
import { formatProblems } from '../lib/core/problems';

const FULL = readFileSync(join(__dirname, 'fixtures', 'bitnami', 'values.yaml'), 'utf8');
const IMAGE = 'image: registry.example.com/discourse:1.0\n';

/** The draft of `values` (release forum) as data. */
const draftOf = (values: string) => parse(fromBitnamiValues(values, { release: 'forum' }).yaml) as Record<string, unknown>;

describe('fromBitnamiValues: one value at a time', () => {
  test.each<[string, string, string, unknown]>([
    ['host → external_hostname (no Ingress)', 'host: forum.example.com', 'config.external_hostname', 'forum.example.com'],
    [
      'ingress.hostname wins with an Ingress',
      'host: a.example.com\ningress: { enabled: true, hostname: b.example.com }',
      'config.external_hostname',
      'b.example.com',
    ],
    [
      'smtp.* → smtp_* (tls is the default STARTTLS)',
      'smtp: { enabled: true, host: smtp.example.com, port: "587", user: mailer, protocol: tls, auth: plain, existingSecret: mail }',
      'config',
      {
        smtp_address: 'smtp.example.com',
        smtp_port: 587,
        smtp_username: 'mailer',
        smtp_password: { secret: 'mail', key: 'smtp-password' },
        smtp_authentication: 'plain',
      },
    ],
    ['smtp.protocol ssl → smtp_force_tls', 'smtp: { enabled: true, host: h, port: 465, protocol: ssl }', 'config.smtp_force_tls', true],
    ['smtp.protocol empty → no STARTTLS, as the image did', 'smtp: { enabled: true, host: h, port: 25 }', 'config.smtp_enable_start_tls', false],
    ['smtp.auth empty with a user → login, the image default', 'smtp: { enabled: true, host: h, port: 25, user: u }', 'config.smtp_authentication', 'login'],
    ['smtp without enabled → nothing', 'smtp: { host: smtp.example.com, port: 25 }', 'config', undefined],
    [
      'auth.existingSecret → add-admin-user with the chart key',
      'auth: { email: admin@example.com, existingSecret: admin }',
      'operations',
      [{ action: 'add-admin-user', email: 'admin@example.com', password: { secret: 'admin', key: 'discourse-password' } }],
    ],
    [
      'postgresql.enabled (default) → the subchart',
      'postgresql: { auth: { username: u, database: d } }',
      'database',
      { host: 'forum-postgresql', name: 'd', user: 'u', password: { secret: 'forum-postgresql', key: 'password' } },
    ],
    [
      'externalDatabase with existingSecret and its key',
      'postgresql: { enabled: false }\nexternalDatabase: { host: pg, port: 5433, user: u, database: d, existingSecret: s, existingSecretPasswordKey: k }',
      'database',
      { host: 'pg', port: 5433, name: 'd', user: 'u', password: { secret: 's', key: 'k' } },
    ],
    [
      'externalDatabase.password → a new Secret',
      'postgresql: { enabled: false }\nexternalDatabase: { host: pg, password: pw }',
      'database.password',
      { secret: 'forum-database-password', key: 'password' },
    ],
    ['redis.enabled (default) → the subchart master', '', 'redis', { host: 'forum-redis-master', password: { secret: 'forum-redis', key: 'redis-password' } }],
    ['redis subchart without auth', 'redis: { auth: { enabled: false } }', 'redis', { host: 'forum-redis-master' }],
    [
      'externalRedis with existingSecret',
      'redis: { enabled: false }\nexternalRedis: { host: r, port: 6380, existingSecret: rs }',
      'redis',
      { host: 'r', port: 6380, password: { secret: 'rs', key: 'redis-password' } },
    ],
    [
      'persistence → uploads',
      'persistence: { size: 50Gi, storageClass: fast, accessModes: [ReadWriteMany] }',
      'uploads',
      { size: '50Gi', storage_class: 'fast', access_mode: 'ReadWriteMany' },
    ],
    ['global.defaultStorageClass → uploads.storage_class', 'global: { defaultStorageClass: std }', 'uploads.storage_class', 'std'],
    [
      'discourse.resources → resources',
      'discourse: { resources: { requests: { cpu: 1.5, memory: 3Gi }, limits: { cpu: 3, memory: 6Gi } } }',
      'resources',
      { cpu_request: '1500m', cpu_limit: '3', memory_request: '3Gi', memory_limit: '6Gi' },
    ],
    [
      "discourse.resourcesPreset → Bitnami's numbers",
      'discourse: { resourcesPreset: medium }',
      'resources',
      { cpu_request: '500m', memory_request: '1024Mi', cpu_limit: '750m', memory_limit: '1536Mi' },
    ],
    ['replicaCount → replicas', 'replicaCount: 1', 'replicas', 1],
    ['ingress off (the chart default) → enabled: false', '', 'ingress', { enabled: false }],
    [
      'ingress with a cert-manager ClusterIssuer, body size and extra hosts',
      `ingress:
  enabled: true
  hostname: f.example.com
  ingressClassName: public
  tls: true
  annotations: { cert-manager.io/cluster-issuer: le, nginx.ingress.kubernetes.io/proxy-body-size: 1g, example.com/x: "y" }
  extraHosts: [{ name: www.f.example.com }]`,
      'ingress',
      {
        class_name: 'public',
        tls: { cert_manager_cluster_issuer: 'le' },
        max_body_size: '1Gi',
        annotations: { 'example.com/x': 'y' },
        extra_hosts: ['www.f.example.com'],
      },
    ],
    [
      'ingress with a namespaced Issuer',
      'ingress: { enabled: true, hostname: f.example.com, tls: true, annotations: { cert-manager.io/issuer: local } }',
      'ingress.tls',
      { cert_manager_issuer: 'local' },
    ],
    [
      'ingress.extraTls → tls.secret_name',
      'ingress: { enabled: true, hostname: f.example.com, extraTls: [{ hosts: [f.example.com], secretName: f-tls }] }',
      'ingress.tls',
      { secret_name: 'f-tls' },
    ],
    ['networkPolicy.allowExternalEgress false → restrict_egress', 'networkPolicy: { allowExternalEgress: false }', 'network_policy', { restrict_egress: true }],
    ['nodeSelector, priorityClassName', 'nodeSelector: { a: b }\npriorityClassName: high', 'node_selector', { a: 'b' }],
    [
      'extraEnvVars: plain → extra_env',
      'discourse: { extraEnvVars: [{ name: DISCOURSE_ENABLE_PERFORMANCE_HTTP_HEADERS, value: "true" }] }',
      'extra_env',
      { DISCOURSE_ENABLE_PERFORMANCE_HTTP_HEADERS: 'true' },
    ],
    [
      'extraEnvVars: secretKeyRef → extra_secret_env',
      'discourse: { extraEnvVars: [{ name: DISCOURSE_X_TOKEN, valueFrom: { secretKeyRef: { name: s, key: k } } }] }',
      'extra_secret_env',
      { DISCOURSE_X_TOKEN: { secret: 's', key: 'k' } },
    ],
    [
      'extraEnvVars: a credential in plain text → extra_secret_env',
      'discourse: { extraEnvVars: [{ name: DISCOURSE_MAXMIND_LICENSE_KEY, value: abc }] }',
      'extra_secret_env',
      { DISCOURSE_MAXMIND_LICENSE_KEY: { secret: 'forum-env', key: 'DISCOURSE_MAXMIND_LICENSE_KEY' } },
    ],
    [
      "extraEnvVars: a charm option's variable → the option",
      'discourse: { extraEnvVars: [{ name: DISCOURSE_SMTP_DOMAIN, value: example.com }, { name: DISCOURSE_ENABLE_HTTPS, value: "yes" }] }',
      'config',
      { smtp_domain: 'example.com', force_https: true },
    ],
    [
      "extraEnvVars: the Bitnami image's own → nothing",
      'discourse: { extraEnvVars: [{ name: DISCOURSE_PASSENGER_SPAWN_METHOD, value: smart }] }',
      'extra_env',
      undefined,
    ],
  ])('%s', (_name, values, key, expected) => {
    const draft = draftOf(values);
    const got = key.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], draft);
    expect(got).toEqual(expected);
  });
});

describe('fromBitnamiValues: a whole release', () => {
  const { yaml, notes } = fromBitnamiValues(FULL, { release: 'forum' });

  test('the draft, once it names the image, is a valid site file', () => {
    const { problems } = siteFromText(`${IMAGE}${yaml}`, 'sites/forum.yaml');
    expect(problems.map((p) => formatProblems('sites/forum.yaml', [p], SITE_FILE_NAMES))).toEqual([]);
  });

  test('the draft names no image, so synth refuses it until one is added, and says so', () => {
    expect(parse(yaml).image).toBeUndefined();
    expect(yaml).toContain('# TODO image:');
    const { problems } = siteFromText(yaml, 'sites/forum.yaml');
    expect(problems.map((p) => p.path)).toEqual(['image']);
    expect(notes).toContainEqual(expect.stringMatching(/^image: .*docs\/image\.md/));
  });

  test('never copies a secret value: plaintext passwords become Secret references and placeholders', () => {
    const plaintext = ['smtp-plaintext-hunter2', 'maxmind-plaintext-hunter3', 'redis-plaintext-hunter4'];
    expect(plaintext.filter((p) => FULL.includes(p))).toEqual(plaintext);
    const output = `${yaml}\n${notes.join('\n')}`;
    expect(plaintext.filter((p) => output.includes(p))).toEqual([]);
    expect(parse(yaml).config.smtp_password).toEqual({ secret: 'forum-smtp-password', key: 'password' });
    expect(notes).toContainEqual(
      expect.stringContaining("kubectl -n forum create secret generic forum-smtp-password --from-literal=password='<smtp.password>'"),
    );
    expect(notes).toContainEqual(expect.stringContaining('kubectl -n forum create secret generic forum-redis-password'));
  });

  test('values that do not map, and values the chart does not have, are reported', () => {
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^discourse\.plugins: not mapped: the rock bakes its plugins in/),
        expect.stringMatching(/^siteName: not mapped: no charm option/),
        expect.stringMatching(/^tolerations: not mapped/),
        expect.stringMatching(/^discourse\.containerSecurityContext: not mapped: here uid 584792/),
        expect.stringMatching(/^sidekiq\.resourcesPreset: not mapped: Sidekiq runs inside Unicorn/),
        'metrics: not a value of bitnami/discourse 17.0.2; left out',
        expect.stringMatching(/^runtime: the chart ran Passenger on port 8080 as root, with a separate sidekiq container/),
      ]),
    );
  });

  test('a value equal to the chart default is no choice: no note', () => {
    const { notes: quiet } = fromBitnamiValues('podAntiAffinityPreset: soft\ndiscourse: { persistPlugins: true, containerPorts: { http: 8080 } }\n');
    expect(quiet.filter((n) => /^(podAntiAffinityPreset|discourse\.)/.test(n))).toEqual([]);
  });

  test('what synth would refuse is a note', () => {
    const { notes: refused } = fromBitnamiValues('replicaCount: 3\n');
    expect(refused).toContainEqual(expect.stringMatching(/^replicas: 3 replicas would share a ReadWriteOnce uploads volume.*\(synth would refuse it\)$/));
  });

  test('Secret and Service names follow the chart: the release name holds the chart name or gets it appended', () => {
    const inside = parse(fromBitnamiValues('', { release: 'my-discourse' }).yaml);
    expect(inside.database.host).toBe('my-discourse-postgresql');
    const { notes: outside } = fromBitnamiValues('smtp: { enabled: true, host: h, port: 25, password: x }', { release: 'forum', namespace: 'web' });
    expect(outside).toContainEqual(expect.stringContaining('kubectl -n web get secret forum-discourse-discourse'));
  });

  test('every row of the mapping table is a distinct value of the chart', () => {
    const paths = BITNAMI_VALUES.map((r) => r.value);
    expect(paths.filter((p, i) => paths.indexOf(p) !== i)).toEqual([]);
  });

  test.each([
    [
      "the chart's own claim",
      '',
      /Safe first: stop its pods with kubectl -n forum scale deployment forum-discourse --replicas=0 \(deletes nothing\).*helm uninstall forum -n forum deletes the release's objects and with them its uploads claim forum-discourse, the uploads and backups on it/,
    ],
    [
      "an existing claim (not the chart's)",
      'persistence: { existingClaim: uploads }',
      /helm uninstall forum -n forum deletes the release's objects: uninstall only once the data is copied/,
    ],
  ])('switching: the safe way first, and helm uninstall says what it deletes (%s)', (_name, values, expected) => {
    const notes = fromBitnamiValues(values, { release: 'forum' }).notes.filter((n) => n.startsWith('switching:'));
    expect(notes).toEqual([expect.stringMatching(expected)]);
  });

  test('fails if the input is not a values file', () => {
    expect(() => fromBitnamiValues('- a\n- b\n')).toThrow(/not a Helm values file/);
    expect(() => fromBitnamiValues('application: x\nsettings: {}\n')).toThrow(/from-juju/);
    expect(() => fromBitnamiValues('', { release: 'Bad_Name' })).toThrow(/not a Helm release name/);
  });
});

describe('fromBitnamiValues: routing: gateway', () => {
  const VALUES = `ingress:
  enabled: true
  hostname: f.example.com
  ingressClassName: public
  tls: true
  annotations: { cert-manager.io/cluster-issuer: le, nginx.ingress.kubernetes.io/proxy-body-size: 1g, example.com/x: "y" }
  extraHosts: [{ name: www.f.example.com }]
`;

  test("the chart's ingress becomes gateway: (body size, hosts), and what the Gateway owner holds becomes TODO notes", () => {
    // WHEN
    const { yaml, notes } = fromBitnamiValues(VALUES, { release: 'forum', routing: 'gateway' });
    const site = parse(yaml) as Record<string, unknown>;
    // THEN
    expect(site.ingress).toBeUndefined();
    expect(site.gateway).toEqual({ max_body_size: '1Gi', extra_hosts: ['www.f.example.com'] });
    expect(notes).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^gateway\.name: required: name the Gateway/),
        expect.stringContaining('ingress.ingressClassName (public): no class on a route'),
        expect.stringContaining('annotate the Gateway with cert-manager.io/cluster-issuer: le'),
        expect.stringContaining('ingress.annotations: not mapped (example.com/x)'),
      ]),
    );
  });

  test('the draft fails only on the Gateway name until it is given, then resolves with an HTTPRoute', () => {
    const { yaml } = fromBitnamiValues(VALUES, { release: 'forum', routing: 'gateway' });
    const required = siteFromText(yaml, 'sites/forum.yaml').problems.filter((p) => p.path.startsWith('gateway'));
    expect(required.map((p) => `${p.path}: ${p.message}`)).toEqual(['gateway.name: is required']);
    const named = yaml.replace(/^gateway:\n/m, 'gateway:\n  name: eg\n');
    expect(siteFromText(named, 'sites/forum.yaml').problems.filter((p) => p.path.startsWith('gateway'))).toEqual([]);
  });

  test('fails if --routing is neither ingress nor gateway', () => {
    expect(() => fromBitnamiValues(VALUES, { routing: 'istio' as 'gateway' })).toThrow('--routing "istio" is not one of ingress, gateway');
  });
});
