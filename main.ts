import { synthesize } from './app/synth';

/**
 * `npm run synth [-- --check] [--allow-replace] [--sites DIR] [--out DIR]`: every site file in
 * sites/ becomes dist/<site>/. Replaces `cdk8s synth`, which empties the output
 * folder before the app runs and so cannot keep dist/ intact on a failure.
 */
function main(argv: readonly string[]): number {
  const flag = (name: string, fallback: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] ? argv[i + 1] : fallback;
  };
  const unknown = argv.filter(
    (a, i) => a.startsWith('--') && !['--check', '--allow-replace', '--sites', '--out'].includes(a) && argv[i - 1] !== '--sites' && argv[i - 1] !== '--out',
  );
  if (unknown.length > 0) {
    process.stderr.write(`unknown option ${unknown.join(' ')}; use --check, --allow-replace, --sites DIR, --out DIR\n`);
    return 2;
  }
  const result = synthesize({
    sitesDir: flag('--sites', 'sites'),
    outdir: flag('--out', process.env.CDK8S_OUTDIR || 'dist'),
    check: argv.includes('--check'),
    allowReplace: argv.includes('--allow-replace'),
  });
  (result.exitCode === 0 ? process.stdout : process.stderr).write(`${result.messages.join('\n')}\n`);
  return result.exitCode;
}

if (require.main === module) {
  process.exitCode = main(process.argv.slice(2));
}
