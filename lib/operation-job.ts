import * as k8s from '../imports/k8s';
import { Construct } from 'constructs';
import { SecretKeyRef, checkSecretRef, isEmail } from './checks';
import { argoWave } from './annotations';
import { APP_DIR } from './environment';
import { BUNDLE, OneShotSite, oneShotJob } from './one-shot';
import { Problem, ValidationError, show } from './problems';

/** The charm's actions, as Jobs rendered on demand. */
export type Operation =
  | { readonly action: 'create-user'; readonly email: string; readonly admin?: boolean; readonly active?: boolean; readonly password: SecretKeyRef }
  | { readonly action: 'promote-user'; readonly email: string }
  | { readonly action: 'anonymize-user'; readonly username: string };

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
  return problems;
}

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
};

/** Where the run-once record of an operation lives: Discourse core's key-value table, under our own plugin name. */
export const OPERATION_RECORD_PLUGIN = 'discourse-cdk8s';

/** What identifies an operation across renders: action and subject, never the image or a setting. */
export function operationKey(op: Operation): string {
  return `operation:${op.action}:${op.action === 'anonymize-user' ? op.username : op.email}`;
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

/** How an operation Job behaves. */
export interface OperationJobOptions {
  /**
   * Run once per forum (a record in its database), however often the Job is re-created.
   * The one-off Jobs of `npm run op` turn it off: they run when applied.
   * @default true
   */
  readonly once?: boolean;
}

/** The middle of an operation Job's name: short, because the name is also a label value (63 characters). */
const JOB_WHAT: Readonly<Record<Operation['action'], string>> = {
  'create-user': 'op-create',
  'promote-user': 'op-promote',
  'anonymize-user': 'op-anonymize',
};

/** One action as a Job. Named by a hash of its spec, so re-rendering the same operation is a no-op. */
export class OperationJob extends Construct {
  constructor(scope: Construct, id: string, site: OneShotSite, op: Operation, options: OperationJobOptions = {}) {
    super(scope, id);
    const problems = validateOperation(op, `operations.${id}`);
    if (problems.length > 0) throw new ValidationError(`OperationJob ${this.node.path}`, problems);
    const once = options.once ?? true;
    const env: k8s.EnvVar[] =
      op.action === 'create-user'
        ? [
            { name: 'OP_EMAIL', value: op.email },
            { name: 'OP_ADMIN_ANSWER', value: op.admin ? 'Y' : 'N' },
            { name: 'OP_ACTIVE', value: String(op.active ?? true) },
            { name: 'OP_PASSWORD', valueFrom: { secretKeyRef: { name: op.password.secret, key: op.password.key } } },
          ]
        : op.action === 'promote-user'
          ? [{ name: 'OP_EMAIL', value: op.email }]
          : [{ name: 'OP_USERNAME', value: op.username }];
    if (once) env.push({ name: 'OP_KEY', value: operationKey(op) });
    oneShotJob(this, site, {
      id: 'Resource',
      what: JOB_WHAT[op.action],
      command: ['sh', '-c', once ? runOnce(OPERATION_SCRIPTS[op.action]) : OPERATION_SCRIPTS[op.action]],
      env,
      backoffLimit: 1,
      afterMigrations: true,
      // Last in Argo CD's order: a failing operation can hold nothing back, not even the
      // post-deploy migration (wave 1). Flux does not health-check them, kubectl does not wait.
      annotations: argoWave(2),
    });
  }
}
