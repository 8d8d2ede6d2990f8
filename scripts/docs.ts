import { readFileSync, writeFileSync } from 'fs';
import { GENERATED_PAGES, withGeneratedSection } from '../app/docs';

/** `npm run docs` writes the generated sections of docs/ (the site-file reference, the Bitnami mapping); `-- --check` fails when one is stale. */
const check = process.argv.includes('--check');
for (const { file } of GENERATED_PAGES) {
  const current = readFileSync(file, 'utf8');
  const next = withGeneratedSection(file, current);
  if (next === current) continue;
  if (check) {
    process.stderr.write(`${file} is stale; run npm run docs and commit it\n`);
    process.exitCode = 1;
  } else {
    writeFileSync(file, next);
    process.stdout.write(`wrote the generated section of ${file}\n`);
  }
}
