import { readFileSync } from 'fs';
import { runImporter } from '../app/import-cli';

/**
 * `helm get values RELEASE -n NS | npm run -s from-bitnami -- --release RELEASE --namespace NS`:
 * a draft site file on stdout, what to do about it on stderr.
 */
const { exitCode, stdout, stderr } = runImporter('from-bitnami', process.argv.slice(2), process.env, (file) => readFileSync(file ?? 0, 'utf8'));
process.stderr.write(stderr);
process.stdout.write(stdout);
process.exitCode = exitCode;
