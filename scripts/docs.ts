import { readFileSync, writeFileSync } from 'fs';
import { parseArgs } from 'util';
import { withOptionsReference } from '../app/docs';

/** `npm run docs` writes the options reference and the Bitnami mapping into README.md; `-- --check` fails when it is stale. */
const USAGE = [
  'Usage: npm run docs [-- --check]',
  "Writes the options reference and the Bitnami mapping into this repository's README.md, from the tables.",
  '',
  '  --check        compare instead of write; exit 1 when README.md is stale',
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
  const current = readFileSync('README.md', 'utf8');
  const next = withOptionsReference(current);
  if (check) {
    if (next === current) return 0;
    process.stderr.write('README.md is stale; run npm run docs and commit it\n');
    return 1;
  }
  writeFileSync('README.md', next);
  process.stdout.write('wrote the options reference and the Bitnami mapping into README.md\n');
  return 0;
}

process.exitCode = main(process.argv.slice(2));
