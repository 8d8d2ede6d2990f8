import { readFileSync } from 'fs';
import { runImporter } from '../app/import-cli';

/** `juju config discourse-k8s --format=yaml | npm run -s from-juju [-- --namespace NS]`: a draft site file. */
const { exitCode, stdout, stderr } = runImporter('from-juju', process.argv.slice(2), process.env, (file) => readFileSync(file ?? 0, 'utf8'));
process.stderr.write(stderr);
process.stdout.write(stdout);
process.exitCode = exitCode;
