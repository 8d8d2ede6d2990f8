import { spawnSync } from 'child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { PostgresConnection } from '../lib/model/database';
import { DatabaseExtensions } from '../lib/model/database-extensions';
import { DiscourseIngressProps, IngressTls } from '../lib/routing/ingress';
import { diffTrees, readTree, renderCharts } from '../app/output';
import { formatProblems } from '../lib/core/problems';
import { siteFromText } from '../app/resolve-site';
import { SITE_FILE_NAMES } from '../app/site-keys';
import { FIXTURE_SITES } from './fixtures';
import { parseSite } from '../app/site';
import { buildApp } from '../app/site-chart';
import { loadSites, renderSites, synthesize } from '../app/synth';
import { App } from 'cdk8s';

const ROOT = join(__dirname, '..');
const BASE =
  'image: { repository: registry.example.com/discourse, tag: "1.0" }\nconfig:\n  external_hostname: forum.example.com\ndatabase:\n  cloudnativepg: { cluster: forum-db }\nredis:\n  host: forum-redis\n';

function parse(extra: string) {
  return parseSite(`${BASE}${extra}`, 'sites/forum.yaml');
}

function problemsOf(extra: string): string {
  const { problems } = siteFromText(`${BASE}${extra}`, 'sites/forum.yaml');
  return formatProblems('sites/forum.yaml', problems, SITE_FILE_NAMES);
}

describe('site file sections', () => {
  test('defaults: ingress and monitoring on, namespace created, no gitops, migrations on', () => {
    const { site, problems } = parse('');
    expect(problems).toEqual([]);
    expect(site).toMatchObject({ name: 'forum', namespace: 'forum', createNamespace: true, ingress: {}, monitoring: {} });
    expect(site!.gitops).toBeUndefined();
    expect(site!.props.migrations).toBeUndefined();
  });

  test('ingress options map to the construct options', () => {
    const { site, problems } = parse(
      'ingress:\n  class_name: traefik\n  controller: generic\n  tls: { secret_name: forum-cert }\n  extra_hosts: [www.forum.example.com]\n  max_body_size: 100Mi\n  sticky_sessions: false\n',
    );
    expect(problems).toEqual([]);
    const ingress = site!.ingress as DiscourseIngressProps;
    expect(ingress).toMatchObject({ className: 'traefik', controller: 'generic', extraHosts: ['www.forum.example.com'], stickySessions: false });
    expect(ingress.tls).toEqual(IngressTls.fromSecret('forum-cert'));
    expect(ingress.maxBodySize!.toMebibytes()).toBe(100);
  });

  test('the Zalando database form', () => {
    const { site, problems } = parseSite(
      BASE.replace('cloudnativepg: { cluster: forum-db }', 'zalando: { cluster: acid-forum, user: discourse, database: forum }'),
      'sites/forum.yaml',
    );
    expect(problems).toEqual([]);
    expect(site!.props.database).toEqual(PostgresConnection.fromZalandoPostgres('acid-forum', 'discourse', 'forum'));
  });

  test('sections can be switched off', () => {
    const { site } = parse('ingress: { enabled: false }\nmonitoring: { enabled: false }\ncreate_namespace: false\nmigrations: false\n');
    expect(site).toMatchObject({ ingress: false, monitoring: false, createNamespace: false, props: { migrations: false } });
  });

  test('gitops, operations and database extensions are read', () => {
    const { site, problems } = parse(
      'gitops:\n  repo_url: https://git.example.com/x.git\n  flux: { interval: 10m }\n  argocd: { project: forums }\noperations:\n  - { action: promote-user, email: a@example.com }\n  - { action: add-admin-user, email: b@example.com, password: { secret: adm, key: pw } }\n'.replace(
        'database:',
        'database:',
      ),
    );
    expect(problems).toEqual([]);
    expect(site!.gitops).toEqual({ repoUrl: 'https://git.example.com/x.git', interval: '10m', argocdProject: 'forums' });
    expect(site!.props.operations).toEqual([
      { action: 'promote-user', email: 'a@example.com' },
      { action: 'create-user', email: 'b@example.com', admin: true, password: { secret: 'adm', key: 'pw' } },
    ]);
    const ext = parseSite(BASE.replace('database:\n', 'database:\n  extensions: { superuser_secret: forum-db-superuser }\n'), 'sites/forum.yaml');
    expect(ext.problems).toEqual([]);
    expect(ext.site!.props.databaseExtensions).toEqual(DatabaseExtensions.withSuperuserJob({ superuserSecret: 'forum-db-superuser' }));
    const managed = parseSite(BASE.replace('{ cluster: forum-db }', '{ cluster: forum-db, manage_extensions: true, database: discourse }'), 'sites/forum.yaml');
    expect(managed.problems).toEqual([]);
    expect(managed.site!.props.databaseExtensions).toEqual(DatabaseExtensions.withCloudNativePgDatabase({ database: 'discourse' }));
  });

  test('fails if both extension mechanisms are asked for', () => {
    const yaml = BASE.replace('{ cluster: forum-db }', '{ cluster: forum-db, manage_extensions: true }\n  extensions: { superuser_secret: su }');
    const { problems } = parseSite(yaml, 'sites/forum.yaml');
    expect(formatProblems('sites/forum.yaml', problems, SITE_FILE_NAMES)).toMatch(
      /database\.extensions: is set while database\.cloudnativepg\.manage_extensions is true/,
    );
  });

  test.each([
    ['an unknown ingress key', 'ingress:\n  clas_name: nginx\n', /ingress\.clas_name: is not a known key\. Fix: did you mean "class_name"\?/],
    [
      'two TLS sources',
      'ingress:\n  tls: { secret_name: a, cert_manager_cluster_issuer: b }\n',
      /ingress\.tls: mixes secret_name and cert_manager_cluster_issuer/,
    ],
    ['a bad body size', 'ingress:\n  max_body_size: 20MB\n', /ingress\.max_body_size: "20MB" is not a size/],
    [
      'a scrape timeout above the interval',
      'monitoring:\n  interval: 15s\n  scrape_timeout: 20s\n',
      /monitoring\.scrape_timeout: 20s is longer than the interval 15s/,
    ],
    ['gitops without a repository', 'gitops:\n  revision: main\n', /gitops\.repo_url: is required/],
    [
      'an operation with a plaintext password',
      'operations:\n  - { action: create-user, email: a@example.com, password: hunter2 }\n',
      /operations\[0\]\.password: a plaintext value is not allowed/,
    ],
    [
      'an unknown operation',
      'operations:\n  - { action: delete-forum }\n',
      /operations\[0\]\.action: "delete-forum" is not one of create-user, add-admin-user, promote-user, anonymize-user/,
    ],
    ['operations that are not a list', 'operations: promote\n', /operations: "promote" is not a list/],
  ])('fails if %s', (_n, extra, expected) => {
    expect(problemsOf(extra)).toMatch(expected);
  });
});

describe('a fleet of sites', () => {
  function fleetDir(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'discourse-sites-'));
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    return dir;
  }

  test('fails if two sites create the same namespace', () => {
    const dir = fleetDir({ 'a.yaml': `namespace: shared\n${BASE}`, 'b.yaml': `namespace: shared\n${BASE}` });
    const { errors } = loadSites(dir);
    expect(errors.join('\n')).toMatch(/b\.yaml: create_namespace: namespace "shared" is also created by .*a\.yaml/);
    rmSync(dir, { recursive: true });
  });

  test('output does not depend on the order sites are constructed in', () => {
    const dir = fleetDir({
      'a.yaml': `${BASE}gitops: { repo_url: https://g.example.com/x.git }\n`,
      'b.yaml': `${BASE}gitops: { repo_url: https://g.example.com/x.git }\n`,
      'c.yaml': BASE,
    });
    const { sites, errors } = loadSites(dir);
    expect(errors).toEqual([]);
    const forward = buildApp(sites);
    const backward = buildApp([...sites].reverse());
    const a = renderCharts(forward.charts, forward.gitops);
    const b = renderCharts(backward.charts, backward.gitops);
    expect(diffTrees(a, b)).toEqual([]);
    expect([...a.entries()]).toEqual([...b.entries()]);
    rmSync(dir, { recursive: true });
  });

  test('each site is built in an App of its own, so rendering one chart never resolves the others (synth stays linear in the fleet)', () => {
    const dir = fleetDir({ 'a.yaml': `${BASE}gitops: { repo_url: https://g.example.com/x.git }\n`, 'b.yaml': BASE });
    const { sites } = loadSites(dir);
    const { charts, gitops } = buildApp(sites);
    const apps = [...charts, gitops!].map((c) => App.of(c));
    expect(new Set(apps).size).toBe(3);
    expect(apps.map((app) => app.charts.length)).toEqual([1, 1, 1]);
    rmSync(dir, { recursive: true });
  });

  test('synth renders site by site into the same files as the whole tree at once', () => {
    const dir = fleetDir({ 'a.yaml': `${BASE}gitops: { repo_url: https://g.example.com/x.git }\n`, 'b.yaml': BASE });
    const out = join(dir, 'out');
    expect(synthesize({ sitesDir: dir, outdir: out }).exitCode).toBe(0);
    expect(diffTrees(renderSites(dir).tree!, readTree(out))).toEqual([]);
    rmSync(dir, { recursive: true });
  });
});

describe('objects in another namespace', () => {
  test('dashboards for a sidecar elsewhere keep their namespace: the kustomization then sets none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'discourse-sites-'));
    writeFileSync(join(dir, 'forum.yaml'), `${BASE}monitoring: { dashboard_namespace: grafana }\n`);
    writeFileSync(join(dir, 'plain.yaml'), BASE);
    const { sites, errors } = loadSites(dir);
    expect(errors).toEqual([]);
    const built = buildApp(sites);
    const tree = renderCharts(built.charts, built.gitops);
    expect(tree.get('forum/kustomization.yaml')).not.toMatch(/^namespace:/m);
    expect(tree.get('forum/configmap-forum-dashboard-app.yaml')).toMatch(/^ {2}namespace: grafana$/m);
    expect(tree.get('forum/deployment-forum.yaml')).toMatch(/^ {2}namespace: forum$/m);
    expect(tree.get('plain/kustomization.yaml')).toMatch(/^namespace: plain$/m);
    rmSync(dir, { recursive: true });
  });
});

describe('npm run synth (the CLI)', () => {
  const run = (args: string[], cwd: string) =>
    spawnSync(process.execPath, ['-r', join(ROOT, 'scripts', 'swc-register.js'), join(ROOT, 'main.ts'), ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, CDK8S_OUTDIR: '' },
    });

  test('exits non-zero on a bad site and leaves dist/ byte-identical; --check passes on a fresh dist/', () => {
    // GIVEN a repository with the example site, synthesized by the CLI itself
    const dir = mkdtempSync(join(tmpdir(), 'discourse-cli-'));
    cpSync(join(FIXTURE_SITES, 'example.yaml'), join(dir, 'sites', 'example.yaml'));
    expect(run([], dir).status).toBe(0);
    const before = readTree(join(dir, 'dist'));
    expect(run(['--check'], dir).status).toBe(0);
    writeFileSync(
      join(dir, 'sites', 'example.yaml'),
      readFileSync(join(dir, 'sites', 'example.yaml'), 'utf8').replace('throttle_level: permissive', 'throttle_level: extreme'),
    );
    // WHEN
    const result = run([], dir);
    // THEN
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/sites\/example\.yaml:\d+:3: config\.throttle_level: "extreme" is not one of none, permissive, strict/);
    expect(result.stderr).toMatch(/dist\/ was not changed/);
    expect(diffTrees(before, readTree(join(dir, 'dist')))).toEqual([]);
    expect(run(['--bogus'], dir).status).toBe(2);
    rmSync(dir, { recursive: true });
  });
});

test('a site file can ask for autoscaling with snake_case keys', () => {
  const { site, problems } = parseSite(`${BASE}autoscaling: { min_replicas: 2, max_replicas: 5, cpu_utilization: 60 }\n`, 'sites/forum.yaml');
  expect(problems).toEqual([]);
  expect(site!.props.autoscaling).toEqual({ minReplicas: 2, maxReplicas: 5, cpuUtilization: 60 });
  expect(formatProblems('f', siteFromText(`${BASE}autoscaling: { max_replicas: 5 }\n`, 'sites/forum.yaml').problems, SITE_FILE_NAMES)).toMatch(
    /autoscaling\.max_replicas: 5 replicas would share a ReadWriteOnce uploads volume/,
  );
});
