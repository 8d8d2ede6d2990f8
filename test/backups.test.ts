import { Duration, Size, Testing } from 'cdk8s';
import { BackupProps, backupSettingsScript, resolveBackups } from '../lib/model/backups';
import { cnpgScheduleMaxGapSeconds, cnpgScheduleProblem } from '../lib/data/cnpg-cluster';
import { Discourse } from '../lib/discourse';
import { Manifest } from '../lib/core/manifest';
import { OPERATION_SCRIPTS, validateOperation } from '../lib/model/operations';
import { PROP_NAMES, Problem, formatProblems, translateProblem } from '../lib/core/problems';
import { siteFromText } from '../app/resolve-site';
import { SITE_FILE_NAMES } from '../app/site-keys';
import { Json, MINIMAL, S3, find, synth } from './fixtures';
import { resolveDiscourse } from '../lib/model/resolve-discourse';
import { DiscourseProps } from '../lib/model/props';
import { expectValidManifests } from './schema';

const jobs = (manifests: readonly Manifest[]) => manifests.filter((m) => m.kind === 'Job') as Json[];
const backupJob = (manifests: readonly Manifest[]) => jobs(manifests).find((j) => j.metadata.name.startsWith('forum-backup-config-'));
const envNames = (job: Json): string[] => job.spec.template.spec.containers[0].env.map((e: { name: string }) => e.name);

describe('backup settings, pure', () => {
  const context = { s3BackupBucket: '', maxPods: 1 };
  const resolve = (props: BackupProps, ctx = context) => {
    const problems: Problem[] = [];
    const resolved = resolveBackups(props, ctx, problems);
    return { resolved, problems: problems.map((p) => translateProblem(p, PROP_NAMES)).map((p) => `${p.path}: ${p.message}`) };
  };

  test("defaults: daily at Discourse's 3:30 UTC, 5 kept, a 50Gi ReadWriteOnce volume", () => {
    expect(resolve({ to: 'volume' })).toEqual({
      resolved: {
        to: 'volume',
        enabled: true,
        frequencyDays: 1,
        timeOfDay: '3:30',
        keep: 5,
        volume: { size: Size.gibibytes(50), storageClassName: undefined, accessMode: 'ReadWriteOnce' },
      },
      problems: [],
    });
  });

  test('sets the five site settings, backup_location from the target', () => {
    const { resolved } = resolve({ to: 's3', frequency: Duration.days(7), timeOfDay: '22:05', keep: 10 }, { ...context, s3BackupBucket: 'b' });
    expect(backupSettingsScript(resolved).split('\n')).toEqual([
      'SiteSetting.automatic_backups_enabled = true',
      'SiteSetting.backup_frequency = 7',
      'SiteSetting.backup_time_of_day = "22:05"',
      'SiteSetting.maximum_backups = 10',
      'SiteSetting.backup_location = "s3"',
    ]);
    expect(backupSettingsScript(resolve({ to: 'volume', enabled: false }).resolved)).toMatch(
      /^SiteSetting\.automatic_backups_enabled = false\n[^]*SiteSetting\.backup_location = "local"$/,
    );
  });

  test.each<[string, BackupProps, Partial<typeof context>, string]>([
    ['to is neither s3 nor volume', { to: 'disk' as 's3' }, {}, 'backups.to: "disk" is not one of s3, volume'],
    ['to is s3 without the S3 backup bucket', { to: 's3' }, {}, 'backups.to: is s3 but s3BackupBucket is not set'],
    ['to is volume while the S3 backup bucket is set', { to: 'volume' }, { s3BackupBucket: 'b' }, 'backups.to: is volume but s3BackupBucket is set'],
    ['the frequency is not whole days', { to: 'volume', frequency: Duration.hours(12) }, {}, 'backups.frequency: 43200s is not a whole number of days'],
    ['the frequency is over 30 days (Discourse max)', { to: 'volume', frequency: Duration.days(31) }, {}, 'backups.frequency: 2678400s'],
    ['the time of day is not H:MM', { to: 'volume', timeOfDay: '3:75' }, {}, 'backups.timeOfDay: "3:75" is not a time of day'],
    ['the time of day has seconds', { to: 'volume', timeOfDay: '03:30:00' }, {}, 'backups.timeOfDay: "03:30:00"'],
    ['keep is 0', { to: 'volume', keep: 0 }, {}, 'backups.keep: 0 is not a number of backups'],
    ['a volume is given with to: s3', { to: 's3', volume: {} }, { s3BackupBucket: 'b' }, 'backups.volume: is only used with to: volume'],
    ['the volume is not whole Mi', { to: 'volume', volume: { size: Size.kibibytes(100) } }, {}, 'backups.volume.size: is not a whole number of Mi'],
    [
      'several pods would share a ReadWriteOnce volume (any pod may run the backup)',
      { to: 'volume' },
      { maxPods: 3 },
      'backups.volume.accessMode: is ReadWriteOnce but 3 web pods mount the backups volume',
    ],
  ])('fails if %s', (_n, props, ctx, expected) => {
    const { problems } = resolve(props, { ...context, ...ctx });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(expected);
  });

  test('several pods may share a ReadWriteMany volume', () => {
    expect(resolve({ to: 'volume', volume: { accessMode: 'ReadWriteMany' } }, { ...context, maxPods: 4 }).problems).toEqual([]);
  });
});

describe('the backup settings Job', () => {
  test('to: volume: a prune-protected claim at public/backups instead of the uploads sub-path, and the settings Job', () => {
    // GIVEN / WHEN
    const { manifests } = synth({ backups: { to: 'volume', volume: { size: Size.gibibytes(30), storageClassName: 'slow' } } });
    // THEN
    expectValidManifests(manifests);
    const claim = find(manifests, 'PersistentVolumeClaim', 'forum-backups');
    expect(claim.spec).toEqual({ accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '30Gi' } }, storageClassName: 'slow' });
    expect(claim.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-options': 'Prune=false', 'kustomize.toolkit.fluxcd.io/prune': 'disabled' });
    const pod = find(manifests, 'Deployment', 'forum').spec.template.spec;
    expect(pod.containers[0].volumeMounts.filter((m: Json) => m.mountPath.includes('/public/'))).toEqual([
      { name: 'backups', mountPath: '/srv/discourse/app/public/backups' },
      { name: 'uploads', mountPath: '/srv/discourse/app/public/uploads', subPath: 'uploads' },
    ]);
    expect(pod.volumes).toContainEqual({ name: 'backups', persistentVolumeClaim: { claimName: 'forum-backups' } });
    const job = backupJob(manifests)!;
    expect(job.metadata.name).toMatch(/^forum-backup-config-[0-9a-f]{8}$/);
    expect(job.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '-1' });
    const c = job.spec.template.spec.containers[0];
    expect(c.command.slice(0, 2)).toEqual(['/srv/discourse/app/bin/rails', 'runner']);
    expect(c.command[2]).toContain('SiteSetting.backup_location = "local"');
    // It only sets settings: no data volume, and no S3 settings to read.
    expect(job.spec.template.spec.volumes.map((v: Json) => v.name)).not.toContain('backups');
    expect(envNames(job).filter((n) => /S3|BACKUP/.test(n))).toEqual([]);
    // After migrations, like the web pods.
    expect(job.spec.template.spec.initContainers.map((i: Json) => i.name)).toEqual(['wait-for-migrations']);
  });

  test('with uploads in S3, to: volume keeps the backups on their own claim, and no S3 backup bucket is needed', () => {
    const { s3BackupBucket: _bucket, ...s3 } = S3;
    const { manifests } = synth({ ...s3, backups: { to: 'volume' } });
    expect(manifests.filter((m) => m.kind === 'PersistentVolumeClaim').map((m) => m.metadata.name)).toEqual(['forum-backups']);
    // One pod holds the ReadWriteOnce claim: old and new pods cannot overlap.
    expect(find(manifests, 'Deployment', 'forum').spec.strategy).toEqual({ type: 'Recreate' });
  });

  test('to: s3: the Job reads the S3 settings Discourse checks when backup_location becomes s3', () => {
    const job = backupJob(synth({ ...S3, backups: { to: 's3' } }).manifests)!;
    expect(job.spec.template.spec.containers[0].command[2]).toContain('SiteSetting.backup_location = "s3"');
    expect(envNames(job)).toEqual(expect.arrayContaining(['DISCOURSE_BACKUP_LOCATION', 'DISCOURSE_S3_BACKUP_BUCKET', 'DISCOURSE_S3_ACCESS_KEY_ID']));
  });

  test('without backups, no Job and no claim: the site settings stay as the admin set them', () => {
    const { manifests } = synth();
    expect(backupJob(manifests)).toBeUndefined();
    expect(manifests.filter((m) => m.metadata.name === 'forum-backups')).toEqual([]);
  });

  test('its name is a hash of its spec: a schedule change reruns it and nothing else', () => {
    const names = (backups: BackupProps) =>
      jobs(synth({ backups }).manifests)
        .map((j) => j.metadata.name as string)
        .sort();
    const daily = names({ to: 'volume' });
    const weekly = names({ to: 'volume', frequency: Duration.days(7) });
    expect(weekly.filter((n) => !daily.includes(n))).toEqual([expect.stringMatching(/^forum-backup-config-/)]);
    expect(names({ to: 'volume' })).toEqual(daily);
  });
});

describe('site files', () => {
  const SITE = `
image: registry.example.com/discourse:1.0
config: { external_hostname: forum.example.com }
database: { cloudnativepg: { cluster: forum-db } }
redis: { host: forum-redis }
`;
  const problemsOf = (yaml: string): string => {
    const { problems } = siteFromText(yaml, 'sites/forum.yaml');
    return problems.length === 0 ? '' : formatProblems('sites/forum.yaml', problems, SITE_FILE_NAMES);
  };

  test('backups read from the file, with 7d durations', () => {
    const { resolved, problems } = siteFromText(`${SITE}backups: { to: volume, frequency: 7d, time_of_day: "1:05", keep: 3 }\n`, 'sites/forum.yaml');
    expect(problems).toEqual([]);
    expect(resolved!.discourse.backups).toMatchObject({ to: 'volume', frequencyDays: 7, timeOfDay: '1:05', keep: 3 });
  });

  test.each([
    ['to is missing', 'backups: { keep: 3 }', /backups\.to: is required/],
    [
      'to: s3 without the backup bucket',
      'backups: { to: s3 }',
      /backups\.to: is s3 but config\.s3_backup_bucket is not set\. Fix: set config\.s3_backup_bucket/,
    ],
    ['the frequency is in hours', 'backups: { to: volume, frequency: 36h }', /backups\.frequency: 129600s is not a whole number of days/],
    ['the volume access mode is unknown', 'backups: { to: volume, volume: { access_mode: RWX } }', /backups\.volume\.access_mode: "RWX" is not one of/],
    ['a restore is listed as an operation', 'operations: [{ action: restore }]', /operations\[0\]\.action: "restore" is not one of/],
    [
      "the site's CloudNativePG cluster runs a PostgreSQL newer than the rock's pg_dump",
      'backups: { to: volume }',
      /backups: would fail: Discourse runs pg_dump 14 from the charm's rock, which refuses the PostgreSQL 18 server of database\.cloudnativepg\.create\.image/,
    ],
  ])('fails if %s', (name, lines, expected) => {
    const site = name.includes('CloudNativePG') ? SITE.replace('{ cluster: forum-db }', '{ cluster: forum-db, create: {} }') : SITE;
    expect(problemsOf(`${site}${lines}\n`)).toMatch(expected);
  });

  test("a cluster the site creates with backups gets backup alerts on its schedule; an existing cluster's backups are not assumed", () => {
    const backup = `backup: { destination_path: "s3://b/pg", access_key_id: { secret: s, key: i }, secret_access_key: { secret: s, key: k }, schedule: "0 0 3 * * 0" }`;
    const created = SITE.replace('{ cluster: forum-db }', `{ cluster: forum-db, create: { ${backup} } }`);
    const monitoring = (yaml: string) => siteFromText(yaml, 'sites/forum.yaml').resolved!.monitoring;
    expect(monitoring(created)).toMatchObject({ databaseBackupMaxAgeSeconds: 7 * 86_400 });
    expect(monitoring(SITE)).not.toHaveProperty('databaseBackupMaxAgeSeconds');
  });

  test('a PostgreSQL 14 cluster of the site can be backed up by Discourse too', () => {
    const site = SITE.replace('{ cluster: forum-db }', '{ cluster: forum-db, create: { image: "ghcr.io/cloudnative-pg/postgresql:14.19-system-bookworm" } }');
    expect(problemsOf(`${site}backups: { to: volume }\n`)).toBe('');
  });
});

describe('restore', () => {
  test('the script enables restores, restores from the site backup location, and disables them whatever happens', () => {
    expect(OPERATION_SCRIPTS.restore.split('\n')).toEqual([
      'set -eu',
      "trap '/srv/discourse/app/bin/bundle exec /srv/discourse/app/script/discourse disable_restore' EXIT",
      '/srv/discourse/app/bin/bundle exec /srv/discourse/app/script/discourse enable_restore',
      '/srv/discourse/app/bin/bundle exec /srv/discourse/app/script/discourse restore "$OP_BACKUP" --location "$OP_LOCATION"',
    ]);
  });

  test.each(['../etc/passwd.tar.gz', 'backups/forum.tar.gz', 'forum.zip', '', '-x.tar.gz'])('fails if the backup file is %j', (backup) => {
    expect(validateOperation({ action: 'restore', backup }, 'restore').map((p) => p.path)).toEqual(['restore.backup']);
  });

  test('is refused as GitOps state in TypeScript too', () => {
    expect(() => new Discourse(Testing.chart(), 'forum', { ...MINIMAL, operations: [{ action: 'restore', backup: 'f.tar.gz' }] })).toThrow(
      /operations\[0\]\.action: restore is not something to sync/,
    );
  });
});

describe("CloudNativePG schedules' longest gap (how old the newest backup may get)", () => {
  test.each<[string, number | undefined]>([
    ['0 0 3 * * *', 24],
    ['@daily', 24],
    ['@every 12h', 12],
    ['0 0 */6 * * *', 6],
    ['0 0 3 * * 0', 7 * 24],
    ['0 30 2,14 * * mon-fri', 60],
    ['0 0 3 1 * *', 31 * 24],
    ['0 0 3 29 2 *', (366 + 3 * 365) * 24],
    ['0 0 3 30 2 *', undefined],
  ])('%s: %s hours', (schedule, hours) => {
    const gap = cnpgScheduleMaxGapSeconds(schedule);
    expect(gap === undefined ? undefined : gap / 3600).toBe(hours);
  });

  test('fails if a schedule never runs', () => {
    expect(cnpgScheduleProblem('0 0 3 30 2 *')).toBe('never runs (no day matches)');
  });
});

describe('backups with separate Sidekiq', () => {
  test('fails if separate Sidekiq pods would share a ReadWriteOnce backups volume with the web pods', () => {
    const { problems } = resolveDiscourse(
      { ...MINIMAL, ...S3, s3BackupBucket: undefined, sidekiq: { mode: 'separate' }, backups: { to: 'volume' } } as DiscourseProps,
      'forum',
    );
    expect(problems.map((p) => `${p.path}: ${p.message}`)).toContainEqual(
      'backups.volume.accessMode: ReadWriteOnce cannot be shared by the web pods and the separate Sidekiq pods, which make the backups',
    );
  });
});
