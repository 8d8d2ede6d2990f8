import { readFileSync } from 'fs';
import { fromJujuConfig } from '../app/juju-import';

/**
 * `juju config discourse-k8s --format=yaml | npm run -s from-juju [-- --namespace NS]`
 * (or `npm run from-juju -- FILE`) prints a draft site file.
 */
try {
  const args = process.argv.slice(2);
  const at = args.indexOf('--namespace');
  const namespace = at >= 0 ? args[at + 1] : undefined;
  const file = args.filter((a, i) => a !== '--namespace' && (at < 0 || i !== at + 1))[0];
  const { yaml, notes } = fromJujuConfig(readFileSync(file ?? 0, 'utf8'), { namespace });
  process.stdout.write(`${notes.map((n) => `# TODO ${n}`).join('\n')}${notes.length > 0 ? '\n' : ''}${yaml}`);
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exitCode = 1;
}
