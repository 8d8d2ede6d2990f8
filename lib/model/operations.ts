import { SecretKeyRef, checkSecretRef, isEmail } from '../core/checks';
import { APP_DIR, BUNDLE } from '../core/paths';
import { Problem, show } from '../core/problems';

/**
 * The charm's actions as data: what each takes, its checks, and the shell that runs it
 * in the Discourse image. Pure; OperationJob turns one into a Job.
 */

/** The charm's actions, as Jobs rendered on demand. */
export type Operation =
  | { readonly action: 'create-user'; readonly email: string; readonly admin?: boolean; readonly active?: boolean; readonly password: SecretKeyRef }
  | { readonly action: 'promote-user'; readonly email: string }
  | { readonly action: 'anonymize-user'; readonly username: string }
  /** Restores a Discourse backup (a file name in the site's backup location); `npm run op` only, never synced. */
  | { readonly action: 'restore'; readonly backup: string };

/** Who or what an operation is about: the e-mail, the username or the backup file. */
export function operationSubject(op: Operation): string {
  return op.action === 'anonymize-user' ? op.username : op.action === 'restore' ? op.backup : op.email;
}

/** A Discourse backup's file name (BackupRestore takes `.tar.gz`, `.tgz` and `.sql.gz`), with no directory. */
const BACKUP_FILE = /^[\w][\w.-]{0,200}\.(tar\.gz|t?gz)$/;

/** Problems with an operation, naming `path`. */
export function validateOperation(op: Operation, path: string): Problem[] {
  const problems: Problem[] = [];
  if (op.action === 'create-user' || op.action === 'promote-user') {
    if (!isEmail(op.email ?? ''))
      problems.push({ path: `${path}.email`, message: `${show(op.email)} is not an e-mail address`, fix: "write the user's e-mail" });
  }
  if (op.action === 'create-user') checkSecretRef(op.password, `${path}.password`, problems);
  if (op.action === 'anonymize-user' && !/^[\w.-]{1,60}$/.test(op.username ?? ''))
    problems.push({ path: `${path}.username`, message: `${show(op.username)} is not a Discourse username`, fix: 'write the username, not the e-mail' });
  if (op.action === 'restore' && !BACKUP_FILE.test(op.backup ?? ''))
    problems.push({
      path: `${path}.backup`,
      message: `${show(op.backup)} is not a backup file name`,
      fix: 'write the name as /admin/backups lists it, e.g. forum-2026-01-31-033000-v20260101000000.tar.gz (no directory)',
    });
  return problems;
}

/** Discourse's command line (`script/discourse`: backup, restore, enable_restore, ...), through the rock's bundler. */
const DISCOURSE_CLI = `${BUNDLE} exec ${APP_DIR}/script/discourse`;

/**
 * The charm's own mechanics for its actions, as shell scripts: the rock's rake tasks
 * (`users:exists`, `users:activate` from its discourse-charm.rake patch, Discourse's
 * `admin:create` answered on stdin, `users:anonymize`). Inputs come from env, so
 * nothing (least of all a password) is interpolated into the command or the manifest.
 * Each is idempotent, because GitOps re-applies: an existing user is left alone.
 */
export const OPERATION_SCRIPTS: Readonly<Record<Operation['action'], string>> = {
  'create-user': [
    'set -eu',
    `if ${BUNDLE} exec rake "users:exists[$OP_EMAIL]"; then echo "user $OP_EMAIL already exists; nothing to do"; exit 0; fi`,
    // admin:create asks: email, password, password again, grant admin (Y/n).
    `printf '%s\\n%s\\n%s\\n%s\\n' "$OP_EMAIL" "$OP_PASSWORD" "$OP_PASSWORD" "$OP_ADMIN_ANSWER" | ${BUNDLE} exec rake admin:create`,
    // Admins are activated by admin:create; other users only on request, as the charm does.
    `if [ "$OP_ADMIN_ANSWER" = N ] && [ "$OP_ACTIVE" = true ]; then ${BUNDLE} exec rake "users:activate[$OP_EMAIL]"; fi`,
  ].join('\n'),
  'promote-user': [
    'set -eu',
    `${BUNDLE} exec rake "users:exists[$OP_EMAIL]"`,
    // For an existing user admin:create asks: email, reset password (n), grant admin (Y).
    `printf '%s\\nn\\nY\\n' "$OP_EMAIL" | ${BUNDLE} exec rake admin:create`,
  ].join('\n'),
  'anonymize-user': ['set -eu', `${BUNDLE} exec rake "users:anonymize[$OP_USERNAME]"`].join('\n'),
  // Discourse's own CLI, as the charm's docs run it: restores need allow_restore, which is
  // turned off again whatever happens (in the restored database, when it worked).
  restore: [
    'set -eu',
    `trap '${DISCOURSE_CLI} disable_restore' EXIT`,
    `${DISCOURSE_CLI} enable_restore`,
    `${DISCOURSE_CLI} restore "$OP_BACKUP" --location "$OP_LOCATION"`,
  ].join('\n'),
};

/** Where the run-once record of an operation lives: Discourse core's key-value table, under our own plugin name. */
export const OPERATION_RECORD_PLUGIN = 'discourse-cdk8s';

/** What identifies an operation across renders: action and subject, never the image or a setting. */
export function operationKey(op: Operation): string {
  return `operation:${op.action}:${operationSubject(op)}`;
}

/**
 * Wraps an operation script so that it runs once per forum: a record in the forum's own
 * database (`PluginStore`, a core model) says it has run. A new image, resources or
 * scheduling make a new Job (a Job's spec is immutable, so its name is a hash of it),
 * and that Job finds the record and does nothing; so does one Flux or Argo CD re-creates.
 * The record is written only after the operation succeeded.
 */
export function runOnce(script: string): string {
  const rails = `${APP_DIR}/bin/rails`;
  const record = `PluginStore.get(${JSON.stringify(OPERATION_RECORD_PLUGIN)}, ENV.fetch("OP_KEY"))`;
  return [
    'set -eu',
    `if ${rails} runner 'exit(${record}.nil? ? 1 : 0)'; then echo "$OP_KEY ran already; nothing to do"; exit 0; fi`,
    // A subshell, so that the operation's own early `exit 0` still reaches the record.
    `(\n${script
      .replace(/^set -eu\n/, '')
      .split('\n')
      .map((line) => `  ${line}`)
      .join('\n')}\n)`,
    `${rails} runner 'PluginStore.set(${JSON.stringify(OPERATION_RECORD_PLUGIN)}, ENV.fetch("OP_KEY"), Time.now.utc.iso8601)'`,
  ].join('\n');
}
