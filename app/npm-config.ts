/** An option of one of our npm-run commands, as npm may take it over. */
export interface NpmCliOption {
  readonly name: string;
  readonly type: 'boolean' | 'string';
  /** The value's placeholder in usage text (`DIR`). */
  readonly value?: string;
}

/**
 * Our options as npm hands them over when written before `--`: `npm run synth --check`
 * reaches the script as npm_config_check=true and no argument, and `npm run from-juju
 * --namespace=forum` as npm_config_namespace=forum. Ignoring them would give a silently
 * wrong result (a rewritten dist/ and exit 0, a draft in the wrong namespace); they are
 * returned as arguments, with a note on the right form. A string option npm took as a
 * flag (`--sites dir`: `true`, and the value left as an argument) cannot be read back and
 * is an error. `help` is npm's own setting and never ours.
 */
export function npmConfigOptions(
  options: readonly NpmCliOption[],
  env: NodeJS.ProcessEnv,
  command: string,
): { args: string[]; notes: string[]; errors: string[] } {
  const args: string[] = [];
  const notes: string[] = [];
  const errors: string[] = [];
  for (const o of options) {
    if (o.name === 'help') continue;
    const setting = `npm_config_${o.name.replace(/-/g, '_')}`;
    const value = env[setting];
    if (value === undefined || value === '') continue;
    if (o.type === 'boolean') {
      if (value !== 'true') continue;
      args.push(`--${o.name}`);
      notes.push(`note: npm took --${o.name} as its own setting (${setting}); read as --${o.name}. Write: ${command} -- --${o.name}`);
    } else if (value === 'true') {
      errors.push(`npm took --${o.name} as its own setting and its value as an argument. Write: ${command} -- --${o.name} ${o.value ?? 'VALUE'}`);
    } else {
      args.push(`--${o.name}`, value);
      notes.push(`note: npm took --${o.name} as its own setting; read as --${o.name} ${value}. Write: ${command} -- --${o.name} ${value}`);
    }
  }
  return { args, notes, errors };
}
