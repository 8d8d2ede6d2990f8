import { scaffoldSite } from '../app/new-site';

/** `npm run new-site NAME` writes sites/NAME.yaml (SITES_DIR overrides the folder). */
const { file, error } = scaffoldSite(process.env.SITES_DIR || 'sites', process.argv[2]);
if (file) process.stdout.write(`wrote ${file}: set config.external_hostname, then npm run synth\n`);
else {
  process.stderr.write(`${error}\n`);
  process.exitCode = 1;
}
