import { readFileSync, writeFileSync } from 'fs';
import { parseArgs } from 'util';
import { GENERATED_PAGES, withGeneratedSection } from '../app/docs';

/** `npm run docs` writes the generated sections of docs/ (the site-file reference, the Bitnami mapping); `-- --check` fails when one is stale. */
const USAGE = [
  'Usage: npm run docs [-- --check]',
  `Writes the generated sections of this repository's ${GENERATED_PAGES.map((p) => p.file).join(' and ')} from the tables.`,
  '',
  '  --check        compare instead of write; exit 1 when a page is stale',
  '  -h, --help     print this help and exit',
].join('\n');

function main(argv: string[]): number {
  let check: boolean;
  try {
    const { values } = parseArgs({
      args: argv,
      options: { check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
      strict: true,
      allowPositionals: false,
    });
    if (values.help) {
      process.stdout.write(`${USAGE}\n`);
      return 0;
    }
    check = values.check === true;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  let code = 0;
  for (const { file } of GENERATED_PAGES) {
    const current = readFileSync(file, 'utf8');
    const next = withGeneratedSection(file, current);
    if (next === current) continue;
    if (check) {
      process.stderr.write(`${file} is stale; run npm run docs and commit it\n`);
      code = 1;
    } else {
      writeFileSync(file, next);
      process.stdout.write(`wrote the generated section of ${file}\n`);
    }
  }
  return code;
}

process.exitCode = main(process.argv.slice(2));
