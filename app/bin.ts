import { readFileSync } from 'fs';
import { runCli } from './cli';
import { packageVersion } from './package-info';

/**
 * The `discourse-cdk8s` executable (package.json `bin`: build/cli.js, this file bundled):
 * the only place that reads the process's arguments, stdin and environment and writes its
 * streams and exit status; app/cli.ts does the rest.
 */
const { exitCode, stdout, stderr } = runCli(process.argv.slice(2), {
  env: process.env,
  readStdin: () => readFileSync(0, 'utf8'),
  version: packageVersion(),
});
process.stderr.write(stderr);
process.stdout.write(stdout);
process.exitCode = exitCode;
