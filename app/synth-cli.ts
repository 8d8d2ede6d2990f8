import { parseArgs } from 'util';
import { npmConfigOptions } from './npm-config';
import { synthesize } from './synth';

/**
 * `discourse-cdk8s synth [--check] [--plan [--format markdown]] [--allow-replace] [--sites DIR] [--out DIR]`
 * (in this repository `npm run synth [-- …]`, main.ts): every site file in sites/ becomes
 * dist/<site>/. Replaces `cdk8s synth`, which empties the output folder before the app runs
 * and so cannot keep dist/ intact on a failure.
 */

/** The options, as data: parseArgs reads them and --help lists them. */
const OPTIONS = [
  { name: 'check', type: 'boolean', help: 'compare instead of write; exit 1 when the output folder is stale' },
  { name: 'allow-replace', type: 'boolean', help: 'write even when Kubernetes would refuse to change an object in place' },
  { name: 'plan', type: 'boolean', help: 'print what a sync of the new rendering would do to each site, and write nothing' },
  { name: 'format', type: 'string', value: 'text|markdown', help: 'how --plan prints the summary (markdown: for a pull-request comment); default: text' },
  { name: 'sites', type: 'string', value: 'DIR', help: 'folder of site files (*.yaml); default: sites' },
  { name: 'out', type: 'string', value: 'DIR', help: 'output folder, replaced as a whole; default: dist ($CDK8S_OUTDIR under cdk8s synth)' },
  { name: 'help', type: 'boolean', short: 'h', help: 'print this help and exit' },
] as const;

type Name = (typeof OPTIONS)[number]['name'];

/** `prog` is how the user started it: `npm run synth` here, `discourse-cdk8s synth` from the package. */
export function usage(prog = 'npm run synth'): string {
  const left = (o: (typeof OPTIONS)[number]) => `${'short' in o ? `-${o.short}, ` : '    '}--${o.name}${'value' in o ? ` ${o.value}` : ''}`;
  const width = Math.max(...OPTIONS.map((o) => left(o).length)) + 2;
  return [
    prog.startsWith('npm run') ? `Usage: ${prog} [-- OPTIONS]` : `Usage: ${prog} [OPTIONS]`,
    'Renders every site file into <out>/<site>/ (and <out>/gitops/); on any problem nothing is written.',
    '',
    prog.startsWith('npm run') ? `Options (after \`--\`: \`${prog} -- --check\`):` : 'Options:',
    ...OPTIONS.map((o) => `  ${left(o).padEnd(width)}${o.help}`),
    '',
    'Exit status: 0 done, 1 a site or the output failed a check, 2 a usage error.',
  ].join('\n');
}

export function main(
  argv: readonly string[],
  env: NodeJS.ProcessEnv = process.env,
  prog = 'npm run synth',
): { exitCode: number; stdout: string; stderr: string } {
  const fromNpm = npmConfigOptions(OPTIONS, env, prog);
  let values: Partial<Record<Name, string | boolean>>;
  try {
    ({ values } = parseArgs({
      args: [...fromNpm.args, ...argv],
      options: Object.fromEntries(OPTIONS.map((o) => [o.name, { type: o.type, ...('short' in o ? { short: o.short } : {}) }])),
      strict: true,
      allowPositionals: false,
    }));
  } catch (e) {
    return { exitCode: 2, stdout: '', stderr: `${(e as Error).message}\n\n${usage(prog)}\n` };
  }
  if (values.help) return { exitCode: 0, stdout: `${usage(prog)}\n`, stderr: '' };
  if (fromNpm.errors.length > 0) return { exitCode: 2, stdout: '', stderr: `${fromNpm.errors.join('\n')}\n` };
  const notes = fromNpm.notes.map((n) => `${n}\n`).join('');

  // cdk8s synth (cdk8s.yaml `app:`) runs us with CDK8S_OUTDIR set, after it has deleted that folder.
  const underCdk8s = !!env.CDK8S_OUTDIR;
  const outdir = (values.out as string | undefined) ?? (env.CDK8S_OUTDIR || 'dist');
  const format = (values.format as string | undefined) ?? 'text';
  if (format !== 'text' && format !== 'markdown')
    return { exitCode: 2, stdout: '', stderr: `--format ${format}: not a format; use text or markdown\n\n${usage(prog)}\n` };
  const result = synthesize({
    sitesDir: (values.sites as string | undefined) ?? 'sites',
    outdir,
    check: values.check === true,
    allowReplace: values['allow-replace'] === true,
    plan: values.plan === true,
    format,
  });
  let messages = result.messages;
  if (result.exitCode !== 0 && underCdk8s && values.out === undefined) {
    messages = messages.map((m) =>
      m === `synth failed; ${outdir}/ was not changed.`
        ? `synth failed. cdk8s synth deleted ${outdir}/ before running this app, so it is now empty: restore it with git checkout -- ${outdir}/ and use npm run synth, which leaves it as it was on a failure.`
        : m,
    );
  }
  const text = `${messages.join('\n')}\n`;
  return result.exitCode === 0 ? { exitCode: 0, stdout: text, stderr: notes } : { exitCode: result.exitCode, stdout: '', stderr: notes + text };
}
