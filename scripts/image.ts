import { imageDockerfile } from '../app/image-cli';

const result = imageDockerfile(process.env.SITES_DIR || 'sites', process.argv.slice(2));
if (result.output !== undefined) process.stdout.write(result.output);
else {
  process.stderr.write(`${result.error}\n`);
  process.exitCode = 1;
}
