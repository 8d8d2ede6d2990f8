import { readFileSync, writeFileSync, mkdirSync } from 'fs';
import { dirname } from 'path';
import { SCHEMA_FILE, siteSchemaText } from '../app/site-schema';

/** `npm run schema` writes schema/site.schema.json from the tables; `-- --check` fails when it is stale. */
const text = siteSchemaText();
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(SCHEMA_FILE, 'utf8');
  } catch {
    // missing: stale
  }
  if (current !== text) {
    process.stderr.write(`${SCHEMA_FILE} is stale; run npm run schema and commit it\n`);
    process.exitCode = 1;
  }
} else {
  mkdirSync(dirname(SCHEMA_FILE), { recursive: true });
  writeFileSync(SCHEMA_FILE, text);
  process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
}
