import * as k8s from '../imports/k8s';
import { Construct } from 'constructs';
import { SecretKeyRef, checkSecretRef } from './config';
import type { Discourse } from './discourse';
import { oneShotJob } from './one-shot';
import { Problem, ValidationError, show } from './problems';

/** The charm's actions, as Jobs rendered on demand. */
export type Operation =
  | { readonly action: 'create-user'; readonly email: string; readonly admin?: boolean; readonly active?: boolean; readonly password: SecretKeyRef }
  | { readonly action: 'promote-user'; readonly email: string }
  | { readonly action: 'anonymize-user'; readonly username: string };

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Problems with an operation, naming `path`. */
export function validateOperation(op: Operation, path: string): Problem[] {
  const problems: Problem[] = [];
  if (op.action === 'create-user' || op.action === 'promote-user') {
    if (!EMAIL.test(op.email ?? ''))
      problems.push({ path: `${path}.email`, message: `${show(op.email)} is not an e-mail address`, fix: "write the user's e-mail" });
  }
  if (op.action === 'create-user') checkSecretRef(op.password, `${path}.password`, problems);
  if (op.action === 'anonymize-user' && !/^[\w.-]{1,60}$/.test(op.username ?? ''))
    problems.push({ path: `${path}.username`, message: `${show(op.username)} is not a Discourse username`, fix: 'write the username, not the e-mail' });
  return problems;
}

/**
 * Ruby for `rails runner`: reads its inputs from env, so nothing (least of all
 * a password) is interpolated into the command line or the manifest.
 */
export const OPERATION_SCRIPTS: Readonly<Record<Operation['action'], string>> = {
  'create-user': [
    "email = ENV.fetch('OP_EMAIL')",
    'user = User.find_by_email(email) || User.new(email: email, username: UserNameSuggester.suggest(email))',
    "user.password = ENV.fetch('OP_PASSWORD')",
    "user.active = ENV.fetch('OP_ACTIVE') == 'true'",
    'user.save!',
    "user.activate if ENV.fetch('OP_ACTIVE') == 'true'",
    "user.grant_admin! if ENV.fetch('OP_ADMIN') == 'true'",
    'puts "user #{user.username} ready"',
  ].join('; '),
  'promote-user': 'user = User.find_by_email!(ENV.fetch(\'OP_EMAIL\')); user.grant_admin!; puts "#{user.username} is an admin"',
  'anonymize-user':
    "user = User.find_by_username!(ENV.fetch('OP_USERNAME')); UserAnonymizer.new(user, Discourse.system_user).make_anonymous; puts 'anonymized'",
};

/** One action as a Job. Named by a hash of its inputs, so re-rendering the same operation is a no-op. */
export class OperationJob extends Construct {
  constructor(scope: Construct, id: string, discourse: Discourse, op: Operation) {
    super(scope, id);
    const problems = validateOperation(op, `operations.${id}`);
    if (problems.length > 0) throw new ValidationError(`OperationJob ${this.node.path}`, problems);
    const env: k8s.EnvVar[] =
      op.action === 'create-user'
        ? [
            { name: 'OP_EMAIL', value: op.email },
            { name: 'OP_ADMIN', value: String(op.admin ?? false) },
            { name: 'OP_ACTIVE', value: String(op.active ?? true) },
            { name: 'OP_PASSWORD', valueFrom: { secretKeyRef: { name: op.password.secret, key: op.password.key } } },
          ]
        : op.action === 'promote-user'
          ? [{ name: 'OP_EMAIL', value: op.email }]
          : [{ name: 'OP_USERNAME', value: op.username }];
    oneShotJob(this, discourse, {
      id: 'Resource',
      baseName: `${discourse.resolved.name}-op-${op.action}`,
      hashOf: [JSON.stringify(op)],
      command: ['bundle', 'exec', 'rails', 'runner', OPERATION_SCRIPTS[op.action]],
      env,
      backoffLimit: 1,
    });
  }
}
