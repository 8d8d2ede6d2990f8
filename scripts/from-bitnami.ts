import { readFileSync } from 'fs';
import { fromBitnamiValues } from '../app/bitnami-import';

/**
 * `helm get values RELEASE -n NS | npm run -s from-bitnami -- --release RELEASE --namespace NS`
 * (or `npm run from-bitnami -- FILE`) prints a draft site file on stdout and what to do
 * about it on stderr.
 */
try {
  const args = process.argv.slice(2);
  const flag = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args.splice(at, 2)[1] : undefined;
  };
  const release = flag('--release');
  const namespace = flag('--namespace');
  if (args.length > 1 || args.some((a) => a.startsWith('--')))
    throw new Error('usage: npm run from-bitnami -- [--release NAME] [--namespace NS] [values.yaml]');
  const { yaml, notes } = fromBitnamiValues(readFileSync(args[0] ?? 0, 'utf8'), { release, namespace });
  process.stdout.write(yaml);
  process.stderr.write(notes.map((n) => `TODO ${n}\n`).join(''));
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exitCode = 1;
}
