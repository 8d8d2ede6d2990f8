import { readFileSync, writeFileSync } from 'fs';
import { withOptionsReference } from '../app/docs';

/** `npm run docs` writes the options reference and the Bitnami mapping into README.md; `-- --check` fails when it is stale. */
const current = readFileSync('README.md', 'utf8');
const next = withOptionsReference(current);
if (process.argv.includes('--check')) {
  if (next !== current) {
    process.stderr.write('README.md is stale; run npm run docs and commit it\n');
    process.exitCode = 1;
  }
} else {
  writeFileSync('README.md', next);
  process.stdout.write('wrote the options reference and the Bitnami mapping into README.md\n');
}
