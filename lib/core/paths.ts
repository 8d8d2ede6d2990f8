/** Where things live in the pod. */

/** Paths inside the Discourse rock the charm builds. */
export const APP_ROOT = '/srv/discourse';
export const APP_DIR = `${APP_ROOT}/app`;
export const APP_USER = '_daemon_';
/** uid and gid of `_daemon_` in the rock. */
export const APP_UID = 584792;

/** The rock's bundler, by absolute path as the charm runs it (PATH may not have it). */
export const BUNDLE = `${APP_DIR}/bin/bundle`;

/** `$PEBBLE`: a dedicated writable directory, so the rock's /var/lib/pebble/default stays as shipped. */
export const PEBBLE_DIR = '/var/lib/pebble/k8s';

/** The home of `_daemon_` in the rock; it ships empty cache directories there for the app to write. */
export const APP_HOME = '/var/lib/pebble/default';

/**
 * Writable paths under a read-only root, each an emptyDir: volume name → mount path.
 * The home cache directories are mounted one by one, never the home itself, so what the
 * rock ships in /var/lib/pebble/default stays visible.
 */
export const SCRATCH_MOUNTS: Readonly<Record<string, string>> = {
  tmp: '/tmp',
  'app-tmp': `${APP_DIR}/tmp`,
  'app-log': `${APP_DIR}/log`,
  'pebble-dir': PEBBLE_DIR,
  'home-cache': `${APP_HOME}/.cache`,
  'home-config': `${APP_HOME}/.config`,
  'home-local': `${APP_HOME}/.local`,
};

/** Data Discourse keeps on disk without S3, on the uploads volume: sub-path → mount path. */
export const UPLOAD_MOUNTS: Readonly<Record<string, string>> = {
  uploads: `${APP_DIR}/public/uploads`,
  backups: `${APP_DIR}/public/backups`,
};

/** Every path the pod already mounts (extra writable paths must not repeat one). */
export const MOUNTED_PATHS: readonly string[] = [...Object.values(SCRATCH_MOUNTS), ...Object.values(UPLOAD_MOUNTS)];
