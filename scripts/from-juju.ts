import { readFileSync } from 'fs';
import { fromJujuConfig } from '../app/juju-import';

/** `juju config discourse-k8s --format=yaml | npm run -s from-juju` prints a site file's config section. */
try {
  const { yaml, notes } = fromJujuConfig(readFileSync(process.argv[2] ?? 0, 'utf8'));
  process.stdout.write(`${notes.map((n) => `# TODO ${n}`).join('\n')}${notes.length > 0 ? '\n' : ''}${yaml}`);
} catch (e) {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exitCode = 1;
}
