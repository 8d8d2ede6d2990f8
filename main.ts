import { main } from './app/synth-cli';

/** `npm run synth [-- OPTIONS]` in this repository: the CLI's `synth` (app/synth-cli.ts), without loading the other commands. */
export { main, usage } from './app/synth-cli';

if (require.main === module) {
  const { exitCode, stdout, stderr } = main(process.argv.slice(2));
  process.stderr.write(stderr);
  process.stdout.write(stdout);
  process.exitCode = exitCode;
}
