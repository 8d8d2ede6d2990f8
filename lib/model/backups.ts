import { Duration, Size } from 'cdk8s';
import { isDnsSubdomain } from '../core/checks';
import { DEFAULTS } from '../core/defaults';
import { Problem, opt, show } from '../core/problems';
import { wholeMebibytes } from '../core/units';

/**
 * Discourse's own automatic backups, as data: what a site asks for, its checks, and the
 * `rails runner` script that sets the site settings (config/site_settings.yml, section
 * `backups`). Discourse schedules them itself: Sidekiq's daily `Jobs::ScheduleBackup`
 * enqueues `Jobs::CreateBackup` at `backup_time_of_day` (UTC) once the newest backup is
 * `backup_frequency` days old, and the backup then runs in the Sidekiq of one web pod.
 * Pure; BackupSettingsJob turns it into a Job.
 */

/** Where the backups go: the S3 backup bucket, or a volume of their own mounted at `public/backups`. */
export type BackupTarget = 's3' | 'volume';

/** The PersistentVolumeClaim `<site>-backups`, with `to: 'volume'`. */
export interface BackupVolume {
  /**
   * Room for `keep` backups (each the database dump plus the uploads, gzipped).
   * @default Size.gibibytes(50)
   */
  readonly size?: Size;
  /** @default - the cluster's default StorageClass */
  readonly storageClassName?: string;
  /**
   * Every web pod mounts it (any pod's Sidekiq may run the backup): more than one pod needs `ReadWriteMany`.
   * @default 'ReadWriteOnce'
   */
  readonly accessMode?: 'ReadWriteOnce' | 'ReadWriteMany';
}

/**
 * Discourse's automatic backups: the site settings `automatic_backups_enabled`,
 * `backup_frequency`, `backup_time_of_day`, `maximum_backups` and `backup_location`,
 * set by a Job after migrations as the charm sets `force_https`.
 * @see https://meta.discourse.org/t/configure-automatic-backups-for-discourse/14855
 */
export interface BackupProps {
  /**
   * `s3`: the bucket `s3BackupBucket` (`backup_location` s3); `volume`: the claim
   * `<site>-backups` at `public/backups` (`backup_location` local).
   */
  readonly to: BackupTarget;
  /**
   * `automatic_backups_enabled`; false stops the schedule and keeps the backups there are.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * `backup_frequency`: whole days from 1 to 30, the newest backup's age that starts the next.
   * @default Duration.days(1) (Discourse's own default is 7 days)
   */
  readonly frequency?: Duration;
  /**
   * `backup_time_of_day`: when the backup starts, `H:MM` in UTC (Discourse adds up to 10 minutes).
   * @default '3:30'
   */
  readonly timeOfDay?: string;
  /**
   * `maximum_backups`: how many are kept; Discourse deletes the oldest beyond it.
   * @default 5
   */
  readonly keep?: number;
  /**
   * The claim, with `to: 'volume'`.
   * @default - 50Gi ReadWriteOnce on the default StorageClass
   */
  readonly volume?: BackupVolume;
}

/** Backups with defaults applied. */
export interface ResolvedBackups {
  readonly to: BackupTarget;
  readonly enabled: boolean;
  readonly frequencyDays: number;
  readonly timeOfDay: string;
  readonly keep: number;
  /** Only with `to: 'volume'`. */
  readonly volume?: { readonly size: Size; readonly storageClassName?: string; readonly accessMode: 'ReadWriteOnce' | 'ReadWriteMany' };
}

/** What the rules need of the rest of the site. */
export interface BackupContext {
  /** The charm option `s3_backup_bucket` ('' when unset). */
  readonly s3BackupBucket: string;
  /** The most web pods at once. */
  readonly maxPods: number;
}

/** Discourse's `backup_time_of_day` regex, with minutes held to 00-59 (Time.parse refuses more). */
const TIME_OF_DAY = /^(0?[0-9]|1[0-9]|2[0-3]):[0-5][0-9]$/;

/** Defaults and every rule; problems name `backups.<prop>`. */
export function resolveBackups(props: BackupProps, context: BackupContext, problems: Problem[]): ResolvedBackups {
  const d = DEFAULTS.backups;
  const p = (key: string) => `backups.${key}`;
  const frequencySeconds = (props.frequency ?? d.frequency).toSeconds();
  const frequencyDays = frequencySeconds / 86_400;
  const resolved = {
    to: props.to,
    enabled: props.enabled ?? true,
    frequencyDays,
    timeOfDay: props.timeOfDay ?? d.timeOfDay,
    keep: props.keep ?? d.keep,
  };
  if (props.to !== 's3' && props.to !== 'volume')
    problems.push({ path: p('to'), message: `${show(props.to)} is not one of s3, volume`, fix: 'write to: s3 (the backup bucket) or to: volume' });
  else if (props.to === 's3' && context.s3BackupBucket === '')
    problems.push({
      path: p('to'),
      message: `is s3 but ${opt('s3BackupBucket')} is not set`,
      fix: `set ${opt('s3BackupBucket')} (with ${opt('s3Enabled')} and the S3 credentials), or write to: volume`,
    });
  else if (props.to === 'volume' && context.s3BackupBucket !== '')
    problems.push({
      path: p('to'),
      message: `is volume but ${opt('s3BackupBucket')} is set, which makes Discourse store backups in that bucket (DISCOURSE_BACKUP_LOCATION=s3)`,
      fix: `write to: s3, or remove ${opt('s3BackupBucket')}`,
    });
  if (!(Number.isInteger(frequencyDays) && frequencyDays >= 1 && frequencyDays <= 30))
    problems.push({
      path: p('frequency'),
      message: `${frequencySeconds}s is not a whole number of days from 1 to 30 (backup_frequency counts days)`,
      fix: 'write e.g. 1d or 7d',
    });
  if (typeof resolved.timeOfDay !== 'string' || !TIME_OF_DAY.test(resolved.timeOfDay))
    problems.push({ path: p('timeOfDay'), message: `${show(resolved.timeOfDay)} is not a time of day`, fix: 'write H:MM in UTC, e.g. "3:30"' });
  if (!(Number.isInteger(resolved.keep) && resolved.keep >= 1 && resolved.keep <= 1000))
    problems.push({ path: p('keep'), message: `${show(resolved.keep)} is not a number of backups`, fix: 'use a whole number from 1, e.g. 5' });
  if (props.to !== 'volume') {
    if (props.volume !== undefined) problems.push({ path: p('volume'), message: 'is only used with to: volume', fix: 'remove it, or write to: volume' });
    return resolved;
  }
  const v = props.volume ?? {};
  const volume = { size: v.size ?? d.volumeSize, storageClassName: v.storageClassName, accessMode: v.accessMode ?? d.volumeAccessMode };
  if (wholeMebibytes(volume.size) === undefined)
    problems.push({ path: p('volume.size'), message: 'is not a whole number of Mi', fix: 'use Mi or Gi, e.g. 50Gi' });
  if (volume.storageClassName !== undefined && !isDnsSubdomain(volume.storageClassName))
    problems.push({ path: p('volume.storageClassName'), message: `${show(volume.storageClassName)} is not a StorageClass name`, fix: 'use a DNS name' });
  if (volume.accessMode !== 'ReadWriteOnce' && volume.accessMode !== 'ReadWriteMany')
    problems.push({ path: p('volume.accessMode'), message: `${show(volume.accessMode)} is not ReadWriteOnce or ReadWriteMany`, fix: 'use one of them' });
  else if (volume.accessMode === 'ReadWriteOnce' && context.maxPods > 1)
    problems.push({
      path: p('volume.accessMode'),
      message: `is ReadWriteOnce but ${context.maxPods} web pods mount the backups volume (the backup runs in the Sidekiq of any of them)`,
      fix: 'use ReadWriteMany, or to: s3, or 1 replica',
    });
  return { ...resolved, volume };
}

/**
 * The Ruby that sets the backup site settings, for `rails runner`. `backup_location` is
 * also set from the environment when the S3 backup bucket is (the charm's
 * `DISCOURSE_BACKUP_LOCATION`, a global that shadows the setting): the rules make both agree.
 */
export function backupSettingsScript(b: ResolvedBackups): string {
  return [
    `SiteSetting.automatic_backups_enabled = ${b.enabled}`,
    `SiteSetting.backup_frequency = ${b.frequencyDays}`,
    `SiteSetting.backup_time_of_day = ${JSON.stringify(b.timeOfDay)}`,
    `SiteSetting.maximum_backups = ${b.keep}`,
    `SiteSetting.backup_location = ${JSON.stringify(backupLocation(b))}`,
  ].join('\n');
}

/** Discourse's `backup_location` for a target. */
export function backupLocation(b: Pick<ResolvedBackups, 'to'>): 's3' | 'local' {
  return b.to === 's3' ? 's3' : 'local';
}
