import { Testing } from 'cdk8s';
import { Discourse } from '../lib/discourse';
import { DatabaseExtensions } from '../lib/model/database-extensions';
import { OPERATION_SCRIPTS, runOnce, validateOperation } from '../lib/model/operations';
import { PostgresConnection } from '../lib/model/database';
import { Manifest } from '../lib/core/manifest';
import { WAVES } from '../lib/core/annotations';
import { Json, MINIMAL, find, synth, S3 } from './fixtures';
import { expectValidManifests } from './schema';

const jobs = (manifests: readonly Manifest[]) => manifests.filter((m) => m.kind === 'Job') as Json[];

describe('migration Job', () => {
  const { manifests } = synth();
  const [migrate] = jobs(manifests).filter((j) => j.metadata.name.startsWith('forum-migrate-'));

  test('runs db:migrate in the Discourse image with the site env and Secrets', () => {
    expectValidManifests(manifests);
    const c = migrate.spec.template.spec.containers[0];
    expect(c.command).toEqual(['/srv/discourse/app/bin/bundle', 'exec', 'rake', '--trace', 'db:migrate']);
    expect(c.workingDir).toBe('/srv/discourse/app');
    expect(c.image).toBe(find(manifests, 'Deployment', 'forum').spec.template.spec.containers[0].image);
    expect(c.env).toContainEqual({ name: 'DISCOURSE_HOSTNAME', value: 'forum.example.com' });
    expect(c.env).toContainEqual({ name: 'DISCOURSE_DB_PASSWORD', valueFrom: { secretKeyRef: { name: 'forum-db-app', key: 'password' } } });
    expect(migrate.spec.template.spec.restartPolicy).toBe('Never');
    // A PreSync hook runs before the site's ServiceAccount exists on a first Argo CD sync.
    expect(migrate.spec.template.spec.serviceAccountName).toBeUndefined();
    expect(migrate.spec.template.spec.automountServiceAccountToken).toBe(false);
    expect(c.securityContext.runAsNonRoot).toBe(true);
  });

  test('runs in an Argo CD sync wave before the site, as an ordinary (prunable) resource, never a hook', () => {
    expect(migrate.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': String(WAVES.preDeploy) });
  });

  test("Argo CD's order: data services, their setup, pre-deploy Jobs, the site, post-deploy, operations", () => {
    expect([WAVES.dataServices, WAVES.dataSetup, WAVES.preDeploy, WAVES.site, WAVES.postDeploy, WAVES.operations]).toEqual([-3, -2, -1, 0, 1, 2]);
    // Untagged objects (the Deployment) are wave 0: the site.
    const { manifests: all } = synth({ operations: [{ action: 'promote-user', email: 'a@example.com' }] });
    const wave = (m: Json) => Number(m.metadata.annotations?.['argocd.argoproj.io/sync-wave'] ?? 0);
    const of = (prefix: string) => wave(all.find((m) => m.metadata.name.startsWith(prefix)) as Json);
    expect(of('forum-migrate-')).toBeLessThan(wave(find(all, 'Deployment', 'forum')));
    expect(of('forum-post-migrate-')).toBeGreaterThan(wave(find(all, 'Deployment', 'forum')));
    expect(of('forum-op-promote-')).toBeGreaterThan(of('forum-post-migrate-'));
    expect(all.filter((m) => (m.metadata.annotations as Json | undefined)?.['argocd.argoproj.io/hook']).map((m) => m.metadata.name)).toEqual([]);
  });

  test('its name carries a hash of image and database, so Flux and kubectl get a new Job per release', () => {
    const name = (props = {}) => jobs(synth(props).manifests).find((j) => j.metadata.name.startsWith('forum-migrate-'))!.metadata.name;
    expect(migrate.metadata.name).toMatch(/^forum-migrate-[0-9a-f]{8}$/);
    expect(name()).toBe(migrate.metadata.name);
    expect(name({ image: { repository: 'ghcr.io/acme/discourse', tag: '2.0' } })).not.toBe(migrate.metadata.name);
    expect(name({ throttleLevel: 'strict' })).toBe(migrate.metadata.name);
  });

  test('carries only what booting Rails against the data reads: no SMTP, throttle or CORS, so their changes never rerun it', () => {
    const env = (job: Json) => job.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
    const full = jobs(
      synth({ smtpAddress: 'smtp.example.com', smtpPassword: { secret: 'smtp', key: 'pw' }, secretKeyBase: { secret: 'skb', key: 'k' } }).manifests,
    );
    const pre = full.find((j) => j.metadata.name.startsWith('forum-migrate-'))!;
    expect(env(pre)).toEqual([
      'HOME',
      'CONTAINER_APP_NAME',
      'CONTAINER_APP_ROOT',
      'CONTAINER_APP_USERNAME',
      'DISCOURSE_HOSTNAME',
      'DISCOURSE_REDIS_HOST',
      'DISCOURSE_REDIS_PORT',
      'RAILS_ENV',
      'DISCOURSE_DB_HOST',
      'DISCOURSE_DB_NAME',
      'DISCOURSE_DB_PASSWORD',
      'DISCOURSE_DB_PORT',
      'DISCOURSE_DB_USERNAME',
      'DISCOURSE_SECRET_KEY_BASE',
      'SKIP_POST_DEPLOYMENT_MIGRATIONS',
    ]);
    expect(pre.spec.template.spec.containers[0].env).toContainEqual({ name: 'SKIP_POST_DEPLOYMENT_MIGRATIONS', value: '1' });
    // The post-deploy half runs db/post_migrate too.
    const post = full.find((j) => j.metadata.name.startsWith('forum-post-migrate-'))!;
    expect(env(post)).not.toContain('SKIP_POST_DEPLOYMENT_MIGRATIONS');
    expect(post.spec.template.spec.containers[0].command).toEqual(pre.spec.template.spec.containers[0].command);
  });

  test('the S3 assets Job also gets the S3 settings and credentials', () => {
    const s3 = jobs(synth(S3).manifests).find((j) => j.metadata.name.startsWith('forum-s3-assets-'))!;
    const names = s3.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);
    expect(names).toEqual(expect.arrayContaining(['DISCOURSE_USE_S3', 'DISCOURSE_S3_BUCKET', 'DISCOURSE_S3_ACCESS_KEY_ID', 'DISCOURSE_S3_SECRET_ACCESS_KEY']));
    const migrate = jobs(synth(S3).manifests).find((j) => j.metadata.name.startsWith('forum-migrate-'))!;
    expect(migrate.spec.template.spec.containers[0].env.filter((e: { name: string }) => e.name.includes('S3'))).toEqual([]);
  });

  test('every Job name fits the 63 characters of the job-name label, for the longest site name', () => {
    const name = 'a'.repeat(40);
    const all = jobs(
      synth(
        {
          ...S3,
          databaseExtensions: DatabaseExtensions.withSuperuserJob({ superuserSecret: 'su' }),
          operations: [
            { action: 'create-user', email: 'a@example.com', password: { secret: 'p', key: 'k' } },
            { action: 'promote-user', email: 'a@example.com' },
            { action: 'anonymize-user', username: 'spammer' },
          ],
        },
        name,
      ).manifests,
    );
    expect(all).toHaveLength(8);
    expect(all.map((j) => j.metadata.name).filter((n: string) => n.length > 63)).toEqual([]);
  });

  test('web pods wait in an init container until no pre-deploy migration is pending', () => {
    const init = find(manifests, 'Deployment', 'forum').spec.template.spec.initContainers;
    expect(init).toHaveLength(1);
    expect(init[0].name).toBe('wait-for-migrations');
    expect(init[0].command.join(' ')).toContain('rake db:abort_if_pending_migrations');
    expect(init[0].env).toContainEqual({ name: 'SKIP_POST_DEPLOYMENT_MIGRATIONS', value: '1' });
  });

  test('can be turned off', () => {
    const off = synth({ migrations: false }).manifests;
    expect(jobs(off).filter((j) => j.metadata.name.includes('migrate'))).toEqual([]);
    // Nothing waits for a migration that will not come.
    expect(jobs(off).filter((j) => !(j.spec.template.spec.initContainers === undefined))).toEqual([]);
    expect(find(off, 'Deployment', 'forum').spec.template.spec.initContainers).toBeUndefined();
  });
});

describe('other Jobs', () => {
  test('extensions are created with the superuser Secret before migrations, on the app database', () => {
    const { manifests } = synth({ databaseExtensions: DatabaseExtensions.withSuperuserJob({ superuserSecret: 'forum-db-superuser' }) });
    expectValidManifests(manifests);
    const job = jobs(manifests).find((j) => j.metadata.name.startsWith('forum-db-extensions-'))!;
    const c = job.spec.template.spec.containers[0];
    expect(c.command).toEqual(['psql', '-v', 'ON_ERROR_STOP=1', '-c', 'CREATE EXTENSION IF NOT EXISTS hstore; CREATE EXTENSION IF NOT EXISTS pg_trgm;']);
    expect(c.env).toContainEqual({ name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'forum-db-superuser', key: 'password' } } });
    expect(c.env).toContainEqual({ name: 'PGDATABASE', valueFrom: { secretKeyRef: { name: 'forum-db-app', key: 'dbname' } } });
    expect(Number(job.metadata.annotations['argocd.argoproj.io/sync-wave'])).toBeLessThan(0);
  });

  test('with CloudNativePG, a Database object declares the extensions; no superuser Secret is needed', () => {
    const { manifests } = synth({ databaseExtensions: DatabaseExtensions.withCloudNativePgDatabase() });
    expectValidManifests(manifests);
    const db = find(manifests, 'Database', 'forum-db');
    expect(db.apiVersion).toBe('postgresql.cnpg.io/v1');
    expect(db.spec).toEqual({
      cluster: { name: 'forum-db' },
      name: 'app',
      owner: 'app',
      ensure: 'present',
      databaseReclaimPolicy: 'retain',
      extensions: [
        { name: 'hstore', ensure: 'present' },
        { name: 'pg_trgm', ensure: 'present' },
      ],
    });
    expect(db.metadata.annotations['kustomize.toolkit.fluxcd.io/prune']).toBe('disabled');
    // Argo CD: created before the migration hook (wave 0).
    expect(Number(db.metadata.annotations['argocd.argoproj.io/sync-wave'])).toBe(WAVES.dataSetup);
    expect(jobs(manifests).filter((j) => j.metadata.name.includes('db-extensions'))).toEqual([]);
  });

  test('fails if CloudNativePG extensions are asked for on another database', () => {
    expect(() =>
      synth({ database: PostgresConnection.fromCrunchyPgo('hippo', 'discourse'), databaseExtensions: DatabaseExtensions.withCloudNativePgDatabase() }),
    ).toThrow(/databaseExtensions: CloudNativePG-managed extensions need a CloudNativePG database/);
  });

  test('S3 assets are uploaded by a Job hashed on image and S3 settings', () => {
    const name = (extra = {}) => jobs(synth({ ...S3, ...extra }).manifests).find((j) => j.metadata.name.startsWith('forum-s3-assets-'))!;
    expect(name().spec.template.spec.containers[0].command).toEqual(['/srv/discourse/app/bin/bundle', 'exec', 'rake', 's3:upload_assets']);
    expect(name({ s3Bucket: 'other-bucket' }).metadata.name).not.toBe(name().metadata.name);
    expect(jobs(synth().manifests).filter((j) => j.metadata.name.startsWith('forum-s3-assets-'))).toEqual([]);
  });

  test('operations become Jobs with inputs in env and the password only by reference', () => {
    const { manifests } = synth({
      operations: [
        { action: 'create-user', email: 'ops@example.com', admin: true, password: { secret: 'ops-pw', key: 'password' } },
        { action: 'promote-user', email: 'mod@example.com' },
        { action: 'anonymize-user', username: 'spammer' },
      ],
    });
    expectValidManifests(manifests);
    const ops = jobs(manifests).filter((j) => j.metadata.name.startsWith('forum-op-'));
    expect(ops.map((j) => j.metadata.name.replace(/-[0-9a-f]{8}$/, '')).sort()).toEqual(['forum-op-anonymize', 'forum-op-create', 'forum-op-promote']);
    const create = ops.find((j) => j.metadata.name.startsWith('forum-op-create'))!.spec.template.spec.containers[0];
    expect(create.command).toEqual(['sh', '-c', runOnce(OPERATION_SCRIPTS['create-user'])]);
    expect(create.env).toContainEqual({ name: 'OP_KEY', value: 'operation:create-user:ops@example.com' });
    expect(create.env).toContainEqual({ name: 'OP_PASSWORD', valueFrom: { secretKeyRef: { name: 'ops-pw', key: 'password' } } });
    expect(create.env).toContainEqual({ name: 'OP_ADMIN_ANSWER', value: 'Y' });
    expect(JSON.stringify(manifests)).not.toMatch(/OP_PASSWORD","value"/);
    // Never an Argo CD hook, and after everything else: an operation never blocks a sync.
    expect(ops.map((j) => j.metadata.annotations)).toEqual(ops.map(() => ({ 'argocd.argoproj.io/sync-wave': '2' })));
  });

  test('operation scripts read their inputs from env and never interpolate them', () => {
    for (const script of Object.values(OPERATION_SCRIPTS)) {
      expect(script).toMatch(/^set -eu\n/);
      // Every $OP_ variable sits inside double quotes: no word splitting or globbing of user input.
      expect(script.replace(/"[^"]*"/g, '')).not.toContain('$OP_');
    }
    // admin:create is answered on stdin in the order it asks: email, password twice, admin.
    expect(OPERATION_SCRIPTS['create-user']).toContain(`printf '%s\\n%s\\n%s\\n%s\\n' "$OP_EMAIL" "$OP_PASSWORD" "$OP_PASSWORD" "$OP_ADMIN_ANSWER"`);
    expect(OPERATION_SCRIPTS['create-user']).toContain('users:exists[$OP_EMAIL]');
    expect(OPERATION_SCRIPTS['anonymize-user']).toContain('rake "users:anonymize[$OP_USERNAME]"');
  });

  test('fails if the same operation is added twice', () => {
    const forum = new Discourse(Testing.chart(), 'forum', MINIMAL);
    forum.addOperation({ action: 'promote-user', email: 'a@example.com' });
    expect(() => forum.addOperation({ action: 'promote-user', email: 'a@example.com' })).toThrow(/already defined/);
  });

  test.each([
    ['a bad e-mail', { action: 'promote-user' as const, email: 'nobody' }, /email: "nobody" is not an e-mail address/],
    [
      'a plaintext password',
      { action: 'create-user' as const, email: 'a@example.com', password: 'hunter2' as never },
      /password: a plaintext value is not allowed/,
    ],
    ['a username with spaces', { action: 'anonymize-user' as const, username: 'two words' }, /username: "two words" is not a Discourse username/],
  ])('fails if an operation has %s', (_n, op, expected) => {
    expect(
      validateOperation(op, 'operations[0]')
        .map((p: { path: string; message: string }) => `${p.path}: ${p.message}`)
        .join('\n'),
    ).toMatch(expected);
  });
});

describe('force_https as a site setting', () => {
  test('a Job sets SiteSetting.force_https from the option, after migrations, as the charm does on config change', () => {
    const { manifests } = synth({ forceHttps: true });
    expectValidManifests(manifests);
    const job = jobs(manifests).find((j) => j.metadata.name.startsWith('forum-force-https-'))!;
    const pod = job.spec.template.spec;
    expect(pod.containers[0].command).toEqual(['/srv/discourse/app/bin/rails', 'runner', 'SiteSetting.force_https = true']);
    expect(pod.initContainers.map((c: { name: string }) => c.name)).toEqual(['wait-for-migrations']);
    expect(Number(job.metadata.annotations['argocd.argoproj.io/sync-wave'])).toBe(WAVES.preDeploy);
    const off = jobs(synth({ forceHttps: false }).manifests).find((j) => j.metadata.name.startsWith('forum-force-https-'))!;
    expect(off.spec.template.spec.containers[0].command[2]).toBe('SiteSetting.force_https = false');
    expect(off.metadata.name).not.toBe(job.metadata.name);
  });

  test('Jobs that need the schema wait for migrations; the migration Job itself does not', () => {
    const all = jobs(synth({ operations: [{ action: 'promote-user', email: 'a@example.com' }] }).manifests);
    const waits = (prefix: string) => all.find((j) => j.metadata.name.startsWith(prefix))!.spec.template.spec.initContainers !== undefined;
    expect(waits('forum-migrate-')).toBe(false);
    expect(waits('forum-op-promote-')).toBe(true);
    expect(waits('forum-force-https-')).toBe(true);
  });
});
