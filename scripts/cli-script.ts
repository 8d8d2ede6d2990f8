import { readFileSync } from 'fs';
import { runCommand } from '../app/cli';
import { packageVersion } from '../app/package-info';

/**
 * `npm run <script>` in this repository: the CLI's command of that name (app/cli.ts, what
 * `discourse-cdk8s <command>` runs from the package), with messages naming the npm script.
 */
export function runAsScript(command: string, prog: string): void {
  const { exitCode, stdout, stderr } = runCommand(
    command,
    process.argv.slice(2),
    {
      env: process.env,
      readStdin: () => readFileSync(0, 'utf8'),
      version: packageVersion(),
    },
    prog,
  );
  process.stderr.write(stderr);
  process.stdout.write(stdout);
  process.exitCode = exitCode;
}
